package provision

import (
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
)

// TemporaryKeyReason is the seed's reason for refusing ASIA… keys.
const TemporaryKeyReason = "the SES SMTP interface does not support SMTP credentials derived from temporary security credentials"

// ConvertInput is what convert was asked to do.
type ConvertInput struct {
	AccessKeyID string
	Secret      redact.Secret // read from stdin; IAM cannot check it
	Regions     []derive.Region
	GroupName   string
	PolicyName  string
	DryRun      bool
}

// CheckConvertKeyID refuses what convert cannot turn into SMTP credentials.
func CheckConvertKeyID(id string) error {
	if id == "" {
		return fail.Usagef("convert needs --access-key-id AKIA…")
	}
	if strings.HasPrefix(id, "ASIA") && tty.IsAccessKeyID(id) {
		return fail.Usagef("access key %s is temporary (ASIA…, issued by STS): %s; convert a long-term key (AKIA…) of an IAM user, or make one with 'sesprov create-user'", id, TemporaryKeyReason)
	}
	return CheckAccessKeyID(id)
}

// ConvertResult is what Convert found and did.
type ConvertResult struct {
	Set  creds.CredentialSet
	Plan []PlanItem
}

// Convert turns an existing long-term access key into SMTP credentials: it
// finds the key's owner (GetAccessKeyLastUsed), makes sure the sending group
// grants ses:SendRawEmail, puts the owner in it, and derives the passwords.
// The key itself is not changed. IAM has no call that checks a secret, so a
// wrong secret gives wrong passwords: 'sesprov verify' proves them.
func Convert(ctx context.Context, client iamapi.IAM, stsClient iamapi.STS, in ConvertInput, log *slog.Logger) (*ConvertResult, error) {
	if err := CheckConvertKeyID(in.AccessKeyID); err != nil {
		return nil, err
	}
	if len(in.Regions) == 0 {
		return nil, fail.Usagef("convert needs at least one region")
	}
	if in.Secret.IsZero() {
		return nil, fail.Usagef("convert needs the key's secret access key on stdin")
	}
	in.GroupName = defaultString(in.GroupName, DefaultGroupName)
	in.PolicyName = defaultString(in.PolicyName, DefaultPolicyName)
	r := NewRun(in.DryRun, log)
	res := &ConvertResult{}
	defer func() { res.Plan = r.Planned() }()

	lu, err := client.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(in.AccessKeyID)})
	if err != nil {
		if iamapi.IsNoSuchEntity(err) {
			return res, fail.Usagef("GetAccessKeyLastUsed: access key %s is not in this account (check --profile or --role-arn)", in.AccessKeyID)
		}
		return res, fmt.Errorf("GetAccessKeyLastUsed %s (find the key's user): %w", in.AccessKeyID, err)
	}
	user := aws.ToString(lu.UserName)
	if user == "" {
		return res, fail.Usagef("GetAccessKeyLastUsed: access key %s belongs to no IAM user (a root user's key?): SMTP credentials need an IAM user's key", in.AccessKeyID)
	}
	r.Note("access key %s belongs to user %s", in.AccessKeyID, user)
	u, err := client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(user)})
	if err != nil {
		return res, fmt.Errorf("GetUser %s: %w", user, err)
	}
	keys, err := iamapi.ListAccessKeys(ctx, client, user)
	if err != nil {
		return res, err
	}
	if k, ok := findKey(keys, in.AccessKeyID); ok && k.Status != types.StatusTypeActive {
		return res, fail.Conflictf("access key %s of user %s is inactive: SMTP would refuse it. Activate it (aws iam update-access-key --user-name %s --access-key-id %s --status Active) or rotate the user with 'sesprov rotate'; nothing was changed",
			in.AccessKeyID, user, user, in.AccessKeyID)
	}

	if _, err := EnsureSendingAccess(ctx, client, SendingAccessOptions{GroupName: in.GroupName, PolicyName: in.PolicyName, STS: stsClient, Run: r}); err != nil {
		return res, err
	}
	member, err := iamapi.UserInGroup(ctx, client, user, in.GroupName)
	if err != nil {
		return res, err
	}
	if member {
		r.Note("user %s is in group %s", user, in.GroupName)
	} else if r.Plan("add user %s to group %s", user, in.GroupName) {
		if err := iamapi.AddUserToGroupChecked(ctx, client, user, in.GroupName); err != nil {
			return res, err
		}
	}
	r.Note("SMTP passwords for %s derived from the secret given (IAM cannot check it: 'sesprov verify' can)", regionNames(in.Regions))
	res.Set = creds.DeriveCredentials(user, in.AccessKeyID, in.Secret, in.Regions)
	res.Set.UserARN = aws.ToString(u.User.Arn)
	return res, nil
}
