package iamfake_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

// The interop scenario runs the same calls, through the real SDK, against
// moto_server and iamfake, and prints where they differ next to what
// IAM's documentation says. iamfake must agree with the documentation;
// moto's differences are reported, not failed.

type behaviour struct {
	name string
	doc  string // the documented outcome
	src  string // where the documentation says so
	run  func(ctx context.Context, c *iam.Client, s *sts.Client, n func(string) string) string
}

// outcome renders an error as its wire code, success as "ok".
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return fmt.Sprintf("HTTP %d, not an IAM answer", re.HTTPStatusCode())
	}
	return "error"
}

// first runs setup steps and reports the first failure, or the last step's outcome.
func first(errs ...error) string {
	for _, err := range errs[:len(errs)-1] {
		if err != nil {
			return "setup failed: " + outcome(err)
		}
	}
	return outcome(errs[len(errs)-1])
}

func drop[T any](_ T, err error) error { return err }

const interopDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*"}]}`

// Each behaviour names its entities with n (a prefix of its own), so that
// a server diverging on one behaviour does not spoil the next.
var interopScenario = []behaviour{
	{"user names are unique case-insensitively (alice, ALICE)", "EntityAlreadyExists", "IAM User Guide, IAM identifiers: names are not distinguished by case",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return first(createUser(ctx, c, n("alice")), createUser(ctx, c, n("ALICE")))
		}},
	{"GetUser finds a user by another case", "ok", "IAM User Guide, IAM identifiers",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return first(createUser(ctx, c, n("alice")), drop(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(n("ALICE"))})))
		}},
	{"user name with a space", "ValidationError", "API Reference, CreateUser: UserName pattern [\\w+=,.@-]+",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return outcome(createUser(ctx, c, n("bad name")))
		}},
	{"user name of 65 characters", "ValidationError", "API Reference, CreateUser: UserName length 1-64",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return outcome(createUser(ctx, c, strings.Repeat("x", 65)))
		}},
	{"path without trailing slash", "ValidationError", "API Reference, CreateUser: Path pattern",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return outcome(drop(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(n("pathy")), Path: aws.String("/team")})))
		}},
	{"GetUser of a missing user", "NoSuchEntity", "API Reference, GetUser: Errors",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return outcome(drop(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(n("ghost"))})))
		}},
	{"DeleteGroup with a member", "DeleteConflict", "API Reference, DeleteGroup: the group must not contain any users",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return first(createUser(ctx, c, n("u")), createGroup(ctx, c, n("g")), addToGroup(ctx, c, n("g"), n("u")),
				drop(c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String(n("g"))})))
		}},
	{"AddUserToGroup twice", "ok", "API Reference, AddUserToGroup",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return first(createUser(ctx, c, n("u")), createGroup(ctx, c, n("g")), addToGroup(ctx, c, n("g"), n("u")), addToGroup(ctx, c, n("g"), n("u")))
		}},
	{"RemoveUserFromGroup of a non-member", "NoSuchEntity", "API Reference, RemoveUserFromGroup: Errors",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return first(createUser(ctx, c, n("u")), createGroup(ctx, c, n("g")),
				drop(c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String(n("g")), UserName: aws.String(n("u"))})))
		}},
	{"DeleteUser with an access key", "DeleteConflict", "API Reference, DeleteUser: delete access keys first",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return first(createUser(ctx, c, n("u")), createKey(ctx, c, n("u")), drop(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(n("u"))})))
		}},
	{"DeleteUser with a group membership", "DeleteConflict", "API Reference, DeleteUser: remove from groups first",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return first(createUser(ctx, c, n("u")), createGroup(ctx, c, n("g")), addToGroup(ctx, c, n("g"), n("u")),
				drop(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(n("u"))})))
		}},
	{"DeleteUser with an inline policy", "DeleteConflict", "API Reference, DeleteUser: delete inline policies first",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return first(createUser(ctx, c, n("u")),
				drop(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(n("u")), PolicyName: aws.String("AmazonSesSendingAccess"), PolicyDocument: aws.String(interopDoc)})),
				drop(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(n("u"))})))
		}},
	{"third access key", "LimitExceeded", "IAM quotas: access keys per user 2",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return first(createUser(ctx, c, n("u")), createKey(ctx, c, n("u")), createKey(ctx, c, n("u")), createKey(ctx, c, n("u")))
		}},
	{"malformed policy document", "MalformedPolicyDocument", "API Reference, CreatePolicy: Errors",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return outcome(drop(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(n("p")), PolicyDocument: aws.String("{not json")})))
		}},
	{"policy document returned URL-encoded", "url-encoded", "API Reference, GetPolicyVersion: Document is URL-encoded (RFC 3986)",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			arn, err := createPolicy(ctx, c, n("p"))
			if err != nil {
				return "setup failed: " + outcome(err)
			}
			v, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v1")})
			if err != nil {
				return outcome(err)
			}
			d := aws.ToString(v.PolicyVersion.Document)
			if dec, err := url.QueryUnescape(d); err == nil && dec == interopDoc && d != interopDoc {
				return "url-encoded"
			}
			return "raw"
		}},
	{"policy names are unique case-insensitively", "EntityAlreadyExists", "IAM User Guide, IAM identifiers",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			_, err := createPolicy(ctx, c, n("p"))
			_, err2 := createPolicy(ctx, c, n("P"))
			return first(err, err2)
		}},
	{"DeletePolicy while attached", "DeleteConflict", "API Reference, DeletePolicy: detach from all entities first",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			arn, err := createPolicy(ctx, c, n("p"))
			return first(err, createGroup(ctx, c, n("g")),
				drop(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String(n("g")), PolicyArn: arn})),
				drop(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn})))
		}},
	{"sixth policy version", "LimitExceeded", "IAM quotas: 5 versions per managed policy",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			arn, err := createPolicy(ctx, c, n("p"))
			errs := []error{err}
			for range 5 {
				errs = append(errs, drop(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(interopDoc)})))
			}
			return first(errs...)
		}},
	{"DeletePolicyVersion of the default version", "DeleteConflict", "API Reference, DeletePolicyVersion",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			arn, err := createPolicy(ctx, c, n("p"))
			return first(err, drop(c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v1")})))
		}},
	{"user inline policy over 2,048 characters", "LimitExceeded", "IAM quotas: user policy size 2,048",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"arn:aws:ses:*:*:identity/` + strings.Repeat("x", 2100) + `"}]}`
			return first(createUser(ctx, c, n("u")),
				drop(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(n("u")), PolicyName: aws.String("big"), PolicyDocument: aws.String(doc)})))
		}},
	{"tag keys differing only in case in one call", "InvalidInput", "IAM User Guide, tagging: tag keys are case-insensitive",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return first(createUser(ctx, c, n("u")), drop(c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(n("u")), Tags: []types.Tag{
				{Key: aws.String("team"), Value: aws.String("a")}, {Key: aws.String("TEAM"), Value: aws.String("b")}}})))
		}},
	{"ListUsers MaxItems=1 is truncated with a Marker", "truncated", "API Reference, ListUsers: IsTruncated, Marker",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			if err := first(createUser(ctx, c, n("u1")), createUser(ctx, c, n("u2"))); err != "ok" {
				return err
			}
			out, err := c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(1)})
			if err != nil {
				return outcome(err)
			}
			if out.IsTruncated && aws.ToString(out.Marker) != "" && len(out.Users) == 1 {
				return "truncated"
			}
			return fmt.Sprintf("%d users, truncated=%v", len(out.Users), out.IsTruncated)
		}},
	{"GetAccessKeyLastUsed names the key's user", "u", "API Reference, GetAccessKeyLastUsed: UserName",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			if err := first(createUser(ctx, c, n("u")), nil); err != "ok" {
				return err
			}
			k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(n("u"))})
			if err != nil {
				return "setup failed: " + outcome(err)
			}
			out, err := c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKey.AccessKeyId})
			if err != nil {
				return outcome(err)
			}
			return strings.TrimPrefix(aws.ToString(out.UserName), n(""))
		}},
	{"SimulatePrincipalPolicy for a user", "ok", "API Reference, SimulatePrincipalPolicy",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return first(createUser(ctx, c, n("u")), drop(c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
				PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/" + n("u")), ActionNames: []string{"ses:SendRawEmail"}})))
		}},
	{"GetCallerIdentity account", "123456789012", "STS API Reference, GetCallerIdentity",
		func(ctx context.Context, _ *iam.Client, s *sts.Client, _ func(string) string) string {
			out, err := s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				return outcome(err)
			}
			return aws.ToString(out.Account)
		}},
}

// interopFidelity: where AWS's recorded answers differ from its API
// reference or from moto (docs/iamfake.md, "Where iamfake follows AWS").
var interopFidelity = []behaviour{
	{"managed policy without Version", "Policy document must be version 2012-10-17 or greater.", "moto test_iam_policies.py (recorded against AWS)",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return msgOutcome(drop(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(n("p")),
				PolicyDocument: aws.String(`{"Statement":{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*"}}`)})))
		}},
	{"identity policy naming a Principal", "Policy document should not specify a principal.", "IAM User Guide, Principal element; AWS's answer in public trackers",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return msgOutcome(drop(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(n("p")),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"ses:SendRawEmail","Resource":"*"}}`)})))
		}},
	{"IAM resource ARN with a region", "IAM resource arn:aws:iam:us-east-1::user/x cannot contain region information.", "moto test_iam_policies.py (recorded against AWS)",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return msgOutcome(drop(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(n("p")),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam:us-east-1::user/x"}}`)})))
		}},
	{"action with two colons", "Actions/Condition can contain only one colon.", "moto test_iam_policies.py (recorded against AWS)",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return msgOutcome(drop(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(n("p")),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ses:Send:RawEmail","Resource":"*"}}`)})))
		}},
	{"null among resources, unquoted boolean condition", "ok", "moto #9701/#9715 (an AWS Solutions template IAM accepts)",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return msgOutcome(drop(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(n("p")),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":["*",null],"Condition":{"Bool":{"aws:SecureTransport":true}}}}`)})))
		}},
	{"GetPolicy shows Description", "d", "API Reference, GetPolicy: Description",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			p, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(n("p")), PolicyDocument: aws.String(interopDoc), Description: aws.String("d")})
			if err != nil {
				return "setup failed: " + outcome(err)
			}
			g, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: p.Policy.Arn})
			if err != nil {
				return outcome(err)
			}
			return aws.ToString(g.Policy.Description)
		}},
	{"PermissionsBoundaryType", "Policy", "AWS's answer (localstack's validated snapshots); the API reference says PermissionsBoundaryPolicy",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			arn, err := createPolicy(ctx, c, n("p"))
			if err != nil {
				return "setup failed: " + outcome(err)
			}
			u, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(n("u")), PermissionsBoundary: arn})
			if err != nil {
				return outcome(err)
			}
			if u.User.PermissionsBoundary == nil {
				return "none"
			}
			return string(u.User.PermissionsBoundary.PermissionsBoundaryType)
		}},
	{"third signing certificate", "Cannot exceed quota for CertificatesPerUser: 2", "IAM quotas; AWS's quota name",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			errs := []error{createUser(ctx, c, n("u"))}
			for _, cert := range interopCerts {
				errs = append(errs, drop(c.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: aws.String(n("u")), CertificateBody: aws.String(cert)})))
			}
			if r := first(errs[:len(errs)-1]...); r != "ok" {
				return r
			}
			return msgOutcome(errs[len(errs)-1])
		}},
	{"GetPolicy of an unparseable ARN", "ValidationError", "AWS's answer; the API reference lists InvalidInput",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return outcome(drop(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("not-an-arn-but-long-enough")})))
		}},
	{"service credential for an unsupported service", "NoSuchEntity", "AWS's answer (localstack's validated tests); the API reference says NotSupportedService",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return first(createUser(ctx, c, n("u")), drop(c.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: aws.String(n("u")), ServiceName: aws.String("ses.amazonaws.com")})))
		}},
	{"service credential ID outside [\\w]+", "ValidationError", "API Reference, serviceSpecificCredentialId pattern",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return first(createUser(ctx, c, n("u")), drop(c.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: aws.String(n("u")), ServiceSpecificCredentialId: aws.String("ACCA-not-an-id")})))
		}},
	{"ResetServiceSpecificCredential", "new password", "API Reference, ResetServiceSpecificCredential",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			if r := first(createUser(ctx, c, n("u")), nil); r != "ok" {
				return r
			}
			cr, err := c.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: aws.String(n("u")), ServiceName: aws.String("codecommit.amazonaws.com")})
			if err != nil {
				return "setup failed: " + outcome(err)
			}
			r, err := c.ResetServiceSpecificCredential(ctx, &iam.ResetServiceSpecificCredentialInput{UserName: aws.String(n("u")), ServiceSpecificCredentialId: cr.ServiceSpecificCredential.ServiceSpecificCredentialId})
			if err != nil {
				return outcome(err)
			}
			if pw := aws.ToString(r.ServiceSpecificCredential.ServicePassword); pw != "" && pw != aws.ToString(cr.ServiceSpecificCredential.ServicePassword) {
				return "new password"
			}
			return "same password"
		}},
	{"SSH public key in PEM", "ok", "API Reference, UploadSSHPublicKey: ssh-rsa or PEM",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return first(createUser(ctx, c, n("u")), drop(c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: aws.String(n("u")), SSHPublicKeyBody: aws.String(interopPEMKey)})))
		}},
	{"DeleteRole with an inline policy", "DeleteConflict", "API Reference, DeleteRole",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return first(drop(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(n("r")), AssumeRolePolicyDocument: aws.String(interopTrust)})),
				drop(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(n("r")), PolicyName: aws.String("p"), PolicyDocument: aws.String(interopDoc)})),
				drop(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(n("r"))})))
		}},
	{"trust policy with a Resource", "MalformedPolicyDocument", "IAM User Guide, role trust policy; AWS: Has prohibited field Resource",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return outcome(drop(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(n("r")), AssumeRolePolicyDocument: aws.String(interopDoc)})))
		}},
	{"TagPolicy then ListPolicyTags", "1 tag", "API Reference, TagPolicy, ListPolicyTags",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			arn, err := createPolicy(ctx, c, n("p"))
			if err != nil {
				return "setup failed: " + outcome(err)
			}
			if _, err := c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: arn, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); err != nil {
				return outcome(err)
			}
			tags, err := c.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: arn})
			if err != nil {
				return outcome(err)
			}
			return fmt.Sprintf("%d tag", len(tags.Tags))
		}},
	{"GetCredentialReport before one is generated", "ReportNotPresent", "API Reference, GetCredentialReport: ReportNotPresent (410)",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			return outcome(drop(c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})))
		}},
	{"GenerateCredentialReport, then the report's columns", "STARTED, 22 columns", "API Reference, GenerateCredentialReport; IAM User Guide, credential report format",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			g, err := c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
			if err != nil {
				return outcome(err)
			}
			r, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
			if err != nil {
				return string(g.State) + ", " + outcome(err)
			}
			header, _, _ := strings.Cut(string(r.Content), "\n")
			return fmt.Sprintf("%s, %d columns", g.State, len(strings.Split(header, ",")))
		}},
	{"AssumeRole key prefix", "ASIA", "STS API Reference, AssumeRole; temporary keys start ASIA",
		func(ctx context.Context, c *iam.Client, s *sts.Client, n func(string) string) string {
			r, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(n("r")), AssumeRolePolicyDocument: aws.String(interopTrust)})
			if err != nil {
				return "setup failed: " + outcome(err)
			}
			out, err := s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r.Role.Arn, RoleSessionName: aws.String("s1")})
			if err != nil {
				return outcome(err)
			}
			return aws.ToString(out.Credentials.AccessKeyId)[:4]
		}},
	{"POST /moto-api/reset empties the account", "NoSuchEntity", "moto's server mode (the convention moto-based suites call)",
		func(ctx context.Context, c *iam.Client, _ *sts.Client, n func(string) string) string {
			if r := first(createUser(ctx, c, n("u")), nil); r != "ok" {
				return r
			}
			if err := iamfaketest.Reset(ctx, interopURL); err != nil {
				return "reset failed"
			}
			return outcome(drop(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(n("u"))})))
		}},
}

const interopTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`

// Set by TestInteropMoto before each run.
var (
	interopCerts  []string
	interopPEMKey string
	interopURL    string
)

// msgOutcome renders an error as its message, success as "ok".
func msgOutcome(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return outcome(err)
}

func createUser(ctx context.Context, c *iam.Client, name string) error {
	return drop(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
}

func createGroup(ctx context.Context, c *iam.Client, name string) error {
	return drop(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(name)}))
}

func addToGroup(ctx context.Context, c *iam.Client, group, user string) error {
	return drop(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(group), UserName: aws.String(user)}))
}

func createKey(ctx context.Context, c *iam.Client, user string) error {
	return drop(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)}))
}

func createPolicy(ctx context.Context, c *iam.Client, name string) (*string, error) {
	p, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(interopDoc)})
	if err != nil {
		return aws.String("arn:aws:iam::123456789012:policy/" + name), err
	}
	return p.Policy.Arn, nil
}

func TestInteropMoto(t *testing.T) {
	if os.Getenv("SESPROV_INTEROP") != "1" {
		t.Skip("interop with moto_server runs with SESPROV_INTEROP=1 (make test-interop)")
	}
	moto, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("moto_server is not on PATH: install moto[server] to compare iamfake with moto")
	}
	motoURL := iamfaketest.StartMoto(t, moto, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_DEFAULT_REGION=us-east-1")
	_, fakeCfg := iamfaketest.Start(t)
	motoCfg := iamfaketest.Config(motoURL)
	ctx := context.Background()
	scenario := append(append([]behaviour(nil), interopScenario...), interopFidelity...)
	interopCerts = []string{iamfaketest.CertificatePEM(t), iamfaketest.CertificatePEM(t), iamfaketest.CertificatePEM(t)}
	interopPEMKey = pemPublicKey(t)
	run := func(cfg aws.Config) []string {
		c, s := iam.NewFromConfig(cfg), sts.NewFromConfig(cfg)
		interopURL = aws.ToString(cfg.BaseEndpoint)
		var out []string
		for i, b := range scenario {
			prefix := fmt.Sprintf("b%02d-", i)
			out = append(out, b.run(ctx, c, s, func(name string) string { return prefix + name }))
		}
		return out
	}
	fake, mo := run(fakeCfg), run(motoCfg)

	var sb strings.Builder
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "behaviour\tiamfake\tmoto\tIAM documentation\tmatches docs\tsource")
	differ := 0
	for i, b := range scenario {
		match := []string{}
		if fake[i] == b.doc {
			match = append(match, "iamfake")
		} else {
			t.Errorf("%s: iamfake %q, IAM's documentation %q", b.name, fake[i], b.doc)
		}
		if mo[i] == b.doc {
			match = append(match, "moto")
		}
		mark := ""
		if fake[i] != mo[i] {
			mark = "* "
			differ++
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%s\n", mark, b.name, fake[i], mo[i], b.doc, strings.Join(match, "+"), b.src)
	}
	tw.Flush()
	fmt.Printf("\niamfake and moto (%s) differ on %d of %d behaviours (marked *):\n%s\n", motoURL, differ, len(scenario), sb.String())
}
