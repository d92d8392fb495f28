package provision

// Helpers shared by the lifecycle commands (rotate, delete-user, list, convert).

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/internal/iamapi"
)

func defaultString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// smtpUserReason says why user is an SMTP user — a member of group, the
// inline policy policy, or a tag of sesprov's or the SES console's — or
// returns "" when it is none of these. tags are the user's tags, already read.
func smtpUserReason(ctx context.Context, client iamapi.IAM, user, group, policy string, tags []types.Tag) (string, error) {
	group = defaultString(group, DefaultGroupName)
	policy = defaultString(policy, DefaultPolicyName)
	if r := smtpTagReason(tags); r != "" {
		return r, nil
	}
	groups := iam.NewListGroupsForUserPaginator(client, &iam.ListGroupsForUserInput{UserName: aws.String(user)})
	for groups.HasMorePages() {
		page, err := groups.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("ListGroupsForUser %s: %w", user, err)
		}
		for _, g := range page.Groups {
			if strings.EqualFold(aws.ToString(g.GroupName), group) {
				return "member of group " + aws.ToString(g.GroupName), nil
			}
		}
	}
	name, err := iamapi.FindUserInlinePolicy(ctx, client, user, policy)
	if err != nil || name == "" {
		return "", err
	}
	return "inline policy " + name, nil
}
