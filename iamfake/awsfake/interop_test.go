package awsfake_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

// The interop scenario runs the same calls, through the real SDK, against
// moto_server and the fakes, and prints where they differ next to what
// AWS's documentation says. The fakes must agree with the documentation;
// moto's differences are reported, not failed.

type clients struct {
	sm  *sm.Client
	ssm *ssm.Client
	ses *sesv2.Client
}

type behaviour struct {
	name, doc string
	run       func(ctx context.Context, c clients, n func(string) string) string
}

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
		return fmt.Sprintf("HTTP %d, not an AWS answer", re.HTTPStatusCode())
	}
	return "error"
}

// first reports the first failed setup step, or the last step's outcome.
func first(errs ...error) string {
	for _, err := range errs[:len(errs)-1] {
		if err != nil {
			return "setup failed: " + outcome(err)
		}
	}
	return outcome(errs[len(errs)-1])
}

func drop[T any](_ T, err error) error { return err }

// Tokens are 36-character UUIDs, as the SDK makes them; each behaviour's
// names are prefixed so that one divergence does not spoil the next.
const tokA, tokB = "aaaaaaaa-1111-4111-8111-111111111111", "bbbbbbbb-2222-4222-8222-222222222222"

func createSecret(ctx context.Context, c clients, name, value, token string) (*sm.CreateSecretOutput, error) {
	return c.sm.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value), ClientRequestToken: aws.String(token)})
}

func putSecret(ctx context.Context, c clients, name, value, token string) (*sm.PutSecretValueOutput, error) {
	return c.sm.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(value), ClientRequestToken: aws.String(token)})
}

func putParam(ctx context.Context, c clients, name, value string, typ ssmtypes.ParameterType, overwrite bool) error {
	_, err := c.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: typ, Overwrite: aws.Bool(overwrite)})
	return err
}

var interopScenario = append(append(secretsScenario, ssmScenario...), sesScenario...)

var secretsScenario = []behaviour{
	{"SM: CreateSecret's VersionId is the ClientRequestToken", "ok", func(ctx context.Context, c clients, n func(string) string) string {
		out, err := createSecret(ctx, c, n("s"), "v", tokA)
		if err != nil || aws.ToString(out.VersionId) == tokA {
			return outcome(err)
		}
		return "VersionId " + aws.ToString(out.VersionId)
	}},
	{"SM: CreateSecret retried, same token and value", "ok", func(ctx context.Context, c clients, n func(string) string) string {
		return first(drop(createSecret(ctx, c, n("s"), "v", tokA)), drop(createSecret(ctx, c, n("s"), "v", tokA)))
	}},
	{"SM: CreateSecret, same token, other value", "ResourceExistsException", func(ctx context.Context, c clients, n func(string) string) string {
		return first(drop(createSecret(ctx, c, n("s"), "v", tokA)), drop(createSecret(ctx, c, n("s"), "w", tokA)))
	}},
	{"SM: CreateSecret of an existing name, new token", "ResourceExistsException", func(ctx context.Context, c clients, n func(string) string) string {
		return first(drop(createSecret(ctx, c, n("s"), "v", tokA)), drop(createSecret(ctx, c, n("s"), "v", tokB)))
	}},
	{"SM: PutSecretValue retried, same token and value: versions", "2", func(ctx context.Context, c clients, n func(string) string) string {
		if err := first(drop(createSecret(ctx, c, n("s"), "v", tokA)), drop(putSecret(ctx, c, n("s"), "w", tokB)), drop(putSecret(ctx, c, n("s"), "w", tokB))); err != "ok" {
			return err
		}
		l, err := c.sm.ListSecretVersionIds(ctx, &sm.ListSecretVersionIdsInput{SecretId: aws.String(n("s"))})
		if err != nil {
			return outcome(err)
		}
		return fmt.Sprint(len(l.Versions))
	}},
	{"SM: PutSecretValue, same token, other value", "ResourceExistsException", func(ctx context.Context, c clients, n func(string) string) string {
		return first(drop(createSecret(ctx, c, n("s"), "v", tokA)), drop(putSecret(ctx, c, n("s"), "w", tokB)), drop(putSecret(ctx, c, n("s"), "x", tokB)))
	}},
	{"SM: after a put, AWSPREVIOUS is the first value", "v", func(ctx context.Context, c clients, n func(string) string) string {
		if err := first(drop(createSecret(ctx, c, n("s"), "v", tokA)), drop(putSecret(ctx, c, n("s"), "w", tokB))); err != "ok" {
			return err
		}
		g, err := c.sm.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(n("s")), VersionStage: aws.String("AWSPREVIOUS")})
		if err != nil {
			return outcome(err)
		}
		return aws.ToString(g.SecretString)
	}},
	{"SM: GetSecretValue of a secret without a value", "ResourceNotFoundException", func(ctx context.Context, c clients, n func(string) string) string {
		return first(drop(c.sm.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String(n("s"))})),
			drop(c.sm.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(n("s"))})))
	}},
	{"SM: DeleteSecret with ForceDeleteWithoutRecovery and a window", "InvalidParameterException", func(ctx context.Context, c clients, n func(string) string) string {
		return first(drop(createSecret(ctx, c, n("s"), "v", tokA)), drop(c.sm.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String(n("s")),
			ForceDeleteWithoutRecovery: aws.Bool(true), RecoveryWindowInDays: aws.Int64(7)})))
	}},
	{"SM: GetSecretValue of a secret scheduled for deletion", "InvalidRequestException", func(ctx context.Context, c clients, n func(string) string) string {
		return first(drop(createSecret(ctx, c, n("s"), "v", tokA)), drop(c.sm.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String(n("s"))})),
			drop(c.sm.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String(n("s"))})))
	}},
}

var ssmScenario = []behaviour{
	{"SSM: PutParameter of an existing name without Overwrite", "ParameterAlreadyExists", func(ctx context.Context, c clients, n func(string) string) string {
		return first(putParam(ctx, c, "/"+n("p"), "v", "String", false), putParam(ctx, c, "/"+n("p"), "w", "String", false))
	}},
	{"SSM: Overwrite makes version 2 with the new value", "2 w", func(ctx context.Context, c clients, n func(string) string) string {
		if err := first(putParam(ctx, c, "/"+n("p"), "v", "String", false), putParam(ctx, c, "/"+n("p"), "w", "", true)); err != "ok" {
			return err
		}
		g, err := c.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/" + n("p"))})
		if err != nil {
			return outcome(err)
		}
		return fmt.Sprint(g.Parameter.Version, " ", aws.ToString(g.Parameter.Value))
	}},
	{"SSM: SecureString read without WithDecryption", "not the value", func(ctx context.Context, c clients, n func(string) string) string {
		return secure(ctx, c, n, false)
	}},
	{"SSM: SecureString read WithDecryption", "the value", func(ctx context.Context, c clients, n func(string) string) string {
		return secure(ctx, c, n, true)
	}},
	{"SSM: Tags with Overwrite", "ValidationException", func(ctx context.Context, c clients, n func(string) string) string {
		return outcome(drop(c.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/" + n("p")), Value: aws.String("v"), Type: "String",
			Overwrite: aws.Bool(true), Tags: []ssmtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})))
	}},
	{"SSM: name a/b (a hierarchy without the leading slash)", "ValidationException", func(ctx context.Context, c clients, n func(string) string) string {
		return outcome(putParam(ctx, c, n("a")+"/b", "v", "String", false))
	}},
	{"SSM: name prefixed ssm", "ValidationException", func(ctx context.Context, c clients, n func(string) string) string {
		return outcome(putParam(ctx, c, "ssm"+n("p"), "v", "String", false))
	}},
	{"SSM: Overwrite changing String to SecureString", "HierarchyTypeMismatchException", func(ctx context.Context, c clients, n func(string) string) string {
		return first(putParam(ctx, c, "/"+n("p"), "v", "String", false), putParam(ctx, c, "/"+n("p"), "w", "SecureString", true))
	}},
	{"SSM: GetParameter of a missing name", "ParameterNotFound", func(ctx context.Context, c clients, n func(string) string) string {
		return outcome(drop(c.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/" + n("missing"))})))
	}},
	{"SSM: GetParametersByPath, one level", "[/P/a /P/b]", func(ctx context.Context, c clients, n func(string) string) string {
		root := "/" + n("P")
		for _, x := range []string{"/a", "/b", "/c/d"} {
			if err := putParam(ctx, c, root+x, "v", "String", false); err != nil {
				return "setup failed: " + outcome(err)
			}
		}
		out, err := c.ssm.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String(root)})
		if err != nil {
			return outcome(err)
		}
		var names []string
		for _, p := range out.Parameters {
			names = append(names, "/P"+strings.TrimPrefix(aws.ToString(p.Name), root))
		}
		return fmt.Sprint(names)
	}},
	{"SSM: GetParameterHistory after one overwrite", "2", func(ctx context.Context, c clients, n func(string) string) string {
		if err := first(putParam(ctx, c, "/"+n("p"), "v", "String", false), putParam(ctx, c, "/"+n("p"), "w", "", true)); err != "ok" {
			return err
		}
		h, err := c.ssm.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/" + n("p"))})
		if err != nil {
			return outcome(err)
		}
		return fmt.Sprint(len(h.Parameters))
	}},
}

func secure(ctx context.Context, c clients, n func(string) string, decrypt bool) string {
	if err := putParam(ctx, c, "/"+n("s"), "hunter2", "SecureString", false); err != nil {
		return "setup failed: " + outcome(err)
	}
	g, err := c.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/" + n("s")), WithDecryption: aws.Bool(decrypt)})
	if err != nil {
		return outcome(err)
	}
	if aws.ToString(g.Parameter.Value) == "hunter2" {
		return "the value"
	}
	return "not the value"
}

var sesScenario = []behaviour{
	{"SES: GetAccount of a new account", "sandbox, 200/day, 1/s, sending", func(ctx context.Context, c clients, _ func(string) string) string {
		a, err := c.ses.GetAccount(ctx, &sesv2.GetAccountInput{})
		if err != nil {
			return outcome(err)
		}
		mode := "sandbox"
		if a.ProductionAccessEnabled {
			mode = "production"
		}
		sending := "not sending"
		if a.SendingEnabled {
			sending = "sending"
		}
		q := a.SendQuota
		if q == nil {
			return mode + ", no quota"
		}
		return fmt.Sprintf("%s, %g/day, %g/s, %s", mode, q.Max24HourSend, q.MaxSendRate, sending)
	}},
	{"SES: a new address identity", "PENDING, not verified", func(ctx context.Context, c clients, n func(string) string) string {
		addr := n("ops") + "@example.com"
		if _, err := c.ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(addr)}); err != nil {
			return "setup failed: " + outcome(err)
		}
		g, err := c.ses.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String(addr)})
		if err != nil {
			return outcome(err)
		}
		v := "not verified"
		if g.VerifiedForSendingStatus {
			v = "verified"
		}
		return fmt.Sprintf("%s, %s", g.VerificationStatus, v)
	}},
	{"SES: CreateEmailIdentity twice", "AlreadyExistsException", func(ctx context.Context, c clients, n func(string) string) string {
		in := &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(strings.ToLower(n("d")) + ".example.com")}
		return first(drop(c.ses.CreateEmailIdentity(ctx, in)), drop(c.ses.CreateEmailIdentity(ctx, in)))
	}},
	{"SES: GetEmailIdentity of a missing identity", "NotFoundException", func(ctx context.Context, c clients, n func(string) string) string {
		return outcome(drop(c.ses.GetEmailIdentity(ctx, &sesv2.GetEmailIdentityInput{EmailIdentity: aws.String(n("x") + "@example.com")})))
	}},
	{"SES: ListEmailIdentities (this SDK: POST /v2/email/list-identities)", "ok", func(ctx context.Context, c clients, _ func(string) string) string {
		return outcome(drop(c.ses.ListEmailIdentities(ctx, &sesv2.ListEmailIdentitiesInput{})))
	}},
}

func TestInteropMoto(t *testing.T) {
	if os.Getenv("SESPROV_INTEROP") != "1" {
		t.Skip("interop with moto_server runs with SESPROV_INTEROP=1 (make test-interop)")
	}
	moto, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("moto_server is not on PATH: install moto[server] to compare the fakes with moto")
	}
	motoURL := iamfaketest.StartMoto(t, moto, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_DEFAULT_REGION=us-east-1")
	_, fakeCfg := iamfaketest.StartAll(t)
	ctx := context.Background()
	run := func(cfg aws.Config) []string {
		c := clients{sm.NewFromConfig(cfg), ssm.NewFromConfig(cfg), sesv2.NewFromConfig(cfg)}
		var out []string
		for i, b := range interopScenario {
			prefix := fmt.Sprintf("b%02d", i)
			out = append(out, b.run(ctx, c, func(name string) string { return prefix + name }))
		}
		return out
	}
	fake, mo := run(fakeCfg), run(iamfaketest.Config(motoURL))

	var sb strings.Builder
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "behaviour\tfakes\tmoto\tAWS documentation")
	differ := 0
	for i, b := range interopScenario {
		if fake[i] != b.doc {
			t.Errorf("%s: fakes %q, AWS's documentation %q", b.name, fake[i], b.doc)
		}
		mark := ""
		if fake[i] != mo[i] {
			mark = "* "
			differ++
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\n", mark, b.name, fake[i], mo[i], b.doc)
	}
	tw.Flush()
	fmt.Printf("\nthe fakes and moto (%s) differ on %d of %d behaviours (marked *):\n%s\n", motoURL, differ, len(interopScenario), sb.String())
}
