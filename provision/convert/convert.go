// Package convert turns an existing IAM user's long-term access key into
// SES SMTP credentials: the key's owner joins the sending group and the
// passwords are derived from the secret given. The key is not changed.
package convert

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/redact"
	"github.com/sesprov/sesprov/internal/tty"
	"github.com/sesprov/sesprov/provision"
)

// TemporaryKeyReason is why temporary (ASIA…) keys are refused.
const TemporaryKeyReason = "the SES SMTP interface does not support SMTP credentials derived from temporary security credentials"

// Options is what convert was asked to do.
type Options struct {
	AccessKeyID string
	Secret      redact.Secret // read from stdin; IAM cannot check it
	Regions     []derive.Region
	GroupName   string
	PolicyName  string
	DryRun      bool
}

// CheckKeyID refuses what convert cannot turn into SMTP credentials.
func CheckKeyID(id string) error {
	if id == "" {
		return fail.Usagef("convert needs --access-key-id AKIA…")
	}
	if strings.HasPrefix(id, "ASIA") && tty.IsAccessKeyID(id) {
		return fail.Usagef("access key %s is temporary (ASIA…, issued by STS): %s; convert a long-term key (AKIA…) of an IAM user, or make one with 'sesprov create-user'", id, TemporaryKeyReason)
	}
	return provision.CheckAccessKeyID(id)
}

// Result is what Run found and did: the credentials to deliver, and the plan.
type Result struct {
	Set  creds.CredentialSet
	Plan []provision.PlanItem
}

// Deps are convert's dependencies.
type Deps struct {
	IAM iamapi.IAM
	STS iamapi.STS
	Log *slog.Logger
}

// Run finds the key's owner (GetAccessKeyLastUsed), makes sure the sending
// group grants ses:SendRawEmail, puts the owner in it, and derives the
// passwords. IAM has no call that checks a secret, so a wrong secret gives
// wrong passwords: 'sesprov verify' proves them. The caller delivers
// Result.Set.
func Run(ctx context.Context, in Options, deps Deps) (*Result, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	in.GroupName = cmp.Or(in.GroupName, provision.DefaultGroupName)
	in.PolicyName = cmp.Or(in.PolicyName, provision.DefaultPolicyName)
	r := provision.NewRun(in.DryRun, deps.Log)
	res := &Result{}
	defer func() { res.Plan = r.Planned() }()
	user, arn, tags, err := keyOwner(ctx, deps.IAM, in.AccessKeyID, r)
	if err != nil {
		return res, err
	}
	if _, err := provision.EnsureSendingAccess(ctx, deps.IAM, provision.SendingAccessOptions{GroupName: in.GroupName, PolicyName: in.PolicyName, STS: deps.STS, Run: r}); err != nil {
		return res, err
	}
	if err := joinGroup(ctx, deps.IAM, user, in.GroupName, r); err != nil {
		return res, err
	}
	if err := recordRegions(ctx, deps.IAM, user, tags, in.Regions, r); err != nil {
		return res, err
	}
	r.Note("SMTP passwords for %s derived from the secret given (IAM cannot check it: 'sesprov verify' can)", derive.JoinNames(in.Regions, ","))
	res.Set = creds.DeriveCredentials(user, in.AccessKeyID, in.Secret, in.Regions)
	res.Set.UserARN = arn
	return res, nil
}

func (in *Options) validate() error {
	if err := CheckKeyID(in.AccessKeyID); err != nil {
		return err
	}
	if len(in.Regions) == 0 {
		return fail.Usagef("convert needs at least one region")
	}
	if in.Secret.IsZero() {
		return fail.Usagef("convert needs the key's secret access key on stdin")
	}
	return nil
}

// keyOwner finds the key's user (and its tags) and refuses a key SMTP would
// refuse.
func keyOwner(ctx context.Context, client iamapi.IAM, keyID string, r *provision.Run) (user, arn string, tags []types.Tag, err error) {
	lu, err := client.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(keyID)})
	if err != nil {
		if iamapi.IsNoSuchEntity(err) {
			return "", "", nil, fail.Usagef("GetAccessKeyLastUsed: access key %s is not in this account (check --profile or --role-arn)", keyID)
		}
		return "", "", nil, fmt.Errorf("GetAccessKeyLastUsed %s (find the key's user): %w", keyID, err)
	}
	user = aws.ToString(lu.UserName)
	if user == "" {
		return "", "", nil, fail.Usagef("GetAccessKeyLastUsed: access key %s belongs to no IAM user (a root user's key?): SMTP credentials need an IAM user's key", keyID)
	}
	r.Note("access key %s belongs to user %s", keyID, user)
	u, err := client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(user)})
	if err != nil {
		return "", "", nil, fmt.Errorf("GetUser %s: %w", user, err)
	}
	keys, err := iamapi.ListAccessKeys(ctx, client, user)
	if err != nil {
		return "", "", nil, err
	}
	for _, k := range keys {
		if aws.ToString(k.AccessKeyId) == keyID && k.Status != types.StatusTypeActive {
			return "", "", nil, fail.Conflictf("access key %s of user %s is inactive: SMTP would refuse it. Activate it (aws iam update-access-key --user-name %s --access-key-id %s --status Active) or rotate the user with 'sesprov rotate'; nothing was changed",
				keyID, user, user, keyID)
		}
	}
	return user, aws.ToString(u.User.Arn), u.User.Tags, nil
}

// joinGroup puts user in group unless it is there.
func joinGroup(ctx context.Context, client iamapi.IAM, user, group string, r *provision.Run) error {
	member, err := iamapi.UserInGroup(ctx, client, user, group)
	if err != nil {
		return err
	}
	if member {
		r.Note("user %s is in group %s", user, group)
		return nil
	}
	if r.Plan("add user %s to group %s", user, group) {
		return iamapi.AddUserToGroupChecked(ctx, client, user, group)
	}
	return nil
}
