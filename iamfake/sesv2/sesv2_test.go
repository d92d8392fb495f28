package sesv2_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsses "github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/iamfake/sesv2"
)

func start(t *testing.T, opts sesv2.Options) (*sesv2.Server, *awsses.Client) {
	t.Helper()
	srv := sesv2.New(opts)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, awsses.NewFromConfig(iamfaketest.Config(hs.URL))
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return "ok"
}

func inRegion(r string) func(*awsses.Options) { return func(o *awsses.Options) { o.Region = r } }

func TestAccountSandboxPerRegion(t *testing.T) {
	ctx := context.Background()
	srv, c := start(t, sesv2.Options{})
	a, err := c.GetAccount(ctx, &awsses.GetAccountInput{})
	if err != nil {
		t.Fatal(err)
	}
	if a.ProductionAccessEnabled || !a.SendingEnabled || aws.ToString(a.EnforcementStatus) != "HEALTHY" ||
		a.SendQuota.Max24HourSend != 200 || a.SendQuota.MaxSendRate != 1 {
		t.Errorf("new account: %+v %+v", a, a.SendQuota)
	}
	_, err = c.PutAccountDetails(ctx, &awsses.PutAccountDetailsInput{MailType: types.MailTypeTransactional, WebsiteURL: aws.String("https://example.com"),
		ProductionAccessEnabled: aws.Bool(true), UseCaseDescription: aws.String("password resets")})
	if err != nil {
		t.Fatal(err)
	}
	a, _ = c.GetAccount(ctx, &awsses.GetAccountInput{})
	if a.ProductionAccessEnabled || a.Details == nil || a.Details.ReviewDetails.Status != types.ReviewStatusPending {
		t.Errorf("after the request: %+v", a.Details)
	}
	srv.SetProductionAccess("us-east-1", true)
	a, _ = c.GetAccount(ctx, &awsses.GetAccountInput{})
	if !a.ProductionAccessEnabled || a.SendQuota.Max24HourSend != 50000 || a.SendQuota.MaxSendRate != 14 || a.Details.ReviewDetails.Status != types.ReviewStatusGranted {
		t.Errorf("granted: %+v %+v", a, a.SendQuota)
	}
	if a, _ := c.GetAccount(ctx, &awsses.GetAccountInput{}, inRegion("eu-west-1")); a.ProductionAccessEnabled {
		t.Errorf("another region left the sandbox too")
	}
	if _, err := c.PutAccountSendingAttributes(ctx, &awsses.PutAccountSendingAttributesInput{SendingEnabled: false}); err != nil {
		t.Fatal(err)
	}
	if a, _ := c.GetAccount(ctx, &awsses.GetAccountInput{}); a.SendingEnabled {
		t.Errorf("sending still enabled")
	}
	_, c2 := start(t, sesv2.Options{ProductionAccess: true})
	if a, _ := c2.GetAccount(ctx, &awsses.GetAccountInput{}, inRegion("ap-south-1")); !a.ProductionAccessEnabled {
		t.Errorf("Options.ProductionAccess ignored")
	}
}

func TestIdentities(t *testing.T) {
	ctx := context.Background()
	srv, c := start(t, sesv2.Options{})
	out, err := c.CreateEmailIdentity(ctx, &awsses.CreateEmailIdentityInput{EmailIdentity: aws.String("example.com"),
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	if err != nil || out.IdentityType != types.IdentityTypeDomain || out.VerifiedForSendingStatus || len(out.DkimAttributes.Tokens) != 3 {
		t.Fatalf("create domain: %+v %v", out, err)
	}
	out, err = c.CreateEmailIdentity(ctx, &awsses.CreateEmailIdentityInput{EmailIdentity: aws.String("ops+ses@Example.org")})
	if err != nil || out.IdentityType != types.IdentityTypeEmailAddress {
		t.Fatalf("create address: %+v %v", out, err)
	}
	if _, err := c.CreateEmailIdentity(ctx, &awsses.CreateEmailIdentityInput{EmailIdentity: aws.String("EXAMPLE.com")}); code(err) != "AlreadyExistsException" {
		t.Errorf("again: %v", err)
	}
	for _, bad := range []string{"not a domain", "a@b", "@example.com", "x@@example.com"} {
		if _, err := c.CreateEmailIdentity(ctx, &awsses.CreateEmailIdentityInput{EmailIdentity: aws.String(bad)}); code(err) != "BadRequestException" {
			t.Errorf("%q: %v", bad, err)
		}
	}
	g, err := c.GetEmailIdentity(ctx, &awsses.GetEmailIdentityInput{EmailIdentity: aws.String("ops+ses@example.org")})
	if err != nil || g.VerificationStatus != types.VerificationStatusPending || g.VerifiedForSendingStatus {
		t.Fatalf("get: %+v %v", g, err)
	}
	if err := srv.VerifyIdentity("", "ops+ses@example.org"); err != nil {
		t.Fatal(err)
	}
	if err := srv.VerifyIdentity("", "nobody@example.org"); err == nil {
		t.Errorf("verified an identity that does not exist")
	}
	g, _ = c.GetEmailIdentity(ctx, &awsses.GetEmailIdentityInput{EmailIdentity: aws.String("ops+ses@example.org")})
	if !g.VerifiedForSendingStatus || g.VerificationStatus != types.VerificationStatusSuccess {
		t.Errorf("verified: %+v", g)
	}
	var names []string
	p := awsses.NewListEmailIdentitiesPaginator(c, &awsses.ListEmailIdentitiesInput{PageSize: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range page.EmailIdentities {
			names = append(names, aws.ToString(id.IdentityName))
		}
	}
	if len(names) != 2 {
		t.Errorf("listed %v", names)
	}
	l, err := c.ListEmailIdentities(ctx, &awsses.ListEmailIdentitiesInput{Filter: map[string]string{"VERIFICATION_STATUS": "SUCCESS"}})
	if err != nil || len(l.EmailIdentities) != 1 || !l.EmailIdentities[0].SendingEnabled {
		t.Errorf("filtered: %+v %v", l, err)
	}
	if _, err := c.GetEmailIdentity(ctx, &awsses.GetEmailIdentityInput{EmailIdentity: aws.String("example.com")}, inRegion("eu-west-1")); code(err) != "NotFoundException" {
		t.Errorf("other region: %v", err)
	}
	if _, err := c.DeleteEmailIdentity(ctx, &awsses.DeleteEmailIdentityInput{EmailIdentity: aws.String("example.com")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteEmailIdentity(ctx, &awsses.DeleteEmailIdentityInput{EmailIdentity: aws.String("example.com")}); code(err) != "NotFoundException" {
		t.Errorf("delete twice: %v", err)
	}
}

func TestAutoVerifyAndPersist(t *testing.T) {
	ctx := context.Background()
	srv, c := start(t, sesv2.Options{AutoVerify: true})
	out, err := c.CreateEmailIdentity(ctx, &awsses.CreateEmailIdentityInput{EmailIdentity: aws.String("me@example.com")})
	if err != nil || !out.VerifiedForSendingStatus {
		t.Fatalf("%+v %v", out, err)
	}
	srv.SetProductionAccess("", true)
	path := filepath.Join(t.TempDir(), "ses.json")
	if err := srv.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%v %v", fi, err)
	}
	again := sesv2.New(sesv2.Options{})
	if err := again.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if !again.ProductionAccess("us-east-1") {
		t.Errorf("production access lost")
	}
}
