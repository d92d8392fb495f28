package list

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/internal/iamapi"
	"golang.org/x/time/rate"
)

// pacedIAM waits for the rate limiter before each call list makes.
type pacedIAM struct {
	iamapi.IAM
	lim *rate.Limiter
}

// paced waits for the limiter, then makes the call.
func paced[In, Out any](ctx context.Context, lim *rate.Limiter, call func(context.Context, In, ...func(*iam.Options)) (Out, error), in In, o []func(*iam.Options)) (Out, error) {
	if err := lim.Wait(ctx); err != nil {
		var zero Out
		return zero, err
	}
	return call(ctx, in, o...)
}

func (p *pacedIAM) GetGroup(ctx context.Context, in *iam.GetGroupInput, o ...func(*iam.Options)) (*iam.GetGroupOutput, error) {
	return paced(ctx, p.lim, p.IAM.GetGroup, in, o)
}

func (p *pacedIAM) ListUsers(ctx context.Context, in *iam.ListUsersInput, o ...func(*iam.Options)) (*iam.ListUsersOutput, error) {
	return paced(ctx, p.lim, p.IAM.ListUsers, in, o)
}

func (p *pacedIAM) ListUserPolicies(ctx context.Context, in *iam.ListUserPoliciesInput, o ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error) {
	return paced(ctx, p.lim, p.IAM.ListUserPolicies, in, o)
}

func (p *pacedIAM) ListGroupsForUser(ctx context.Context, in *iam.ListGroupsForUserInput, o ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error) {
	return paced(ctx, p.lim, p.IAM.ListGroupsForUser, in, o)
}

func (p *pacedIAM) ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, o ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	return paced(ctx, p.lim, p.IAM.ListAccessKeys, in, o)
}

func (p *pacedIAM) GetAccessKeyLastUsed(ctx context.Context, in *iam.GetAccessKeyLastUsedInput, o ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error) {
	return paced(ctx, p.lim, p.IAM.GetAccessKeyLastUsed, in, o)
}
