package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/awsfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/iamfake/organizations"
	"github.com/sesprov/sesprov/provision"
)

// orgLab is an organization of three ACTIVE accounts in one iamfake: the
// management account (123456789012, the caller's) and two members entered
// through OrganizationAccountAccessRole; a fourth ACTIVE member has no such
// role (cannot be entered) and a fifth is SUSPENDED (left out).
func orgLab(t *testing.T) (url string) {
	t.Helper()
	srv := awsfake.New(awsfake.Options{})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	o := srv.Organizations
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(o.CreateOrganization(organizations.Account{Name: "management"}))
	must(o.AddAccount(organizations.Account{ID: "222222222222", Name: "mail"}))
	must(o.AddAccount(organizations.Account{ID: "333333333333", Name: "shop"}))
	must(o.AddAccount(organizations.Account{ID: "444444444444", Name: "no-role"}))
	must(o.AddAccount(organizations.Account{ID: "555555555555", Name: "gone", State: organizations.StateSuspended}))
	seed := func(s *iamfake.Server, f func(ctx context.Context, api *iam.Client)) {
		h := httptest.NewServer(s)
		t.Cleanup(h.Close)
		f(context.Background(), iam.NewFromConfig(iamfaketest.Config(h.URL)))
	}
	do := func(_ any, err error) { must(err) }
	user := func(ctx context.Context, api *iam.Client, name string, inGroup bool) {
		do(api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
		if inGroup {
			do(api.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(name), GroupName: aws.String(provision.DefaultGroupName)}))
		}
		do(api.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))
	}
	group := func(ctx context.Context, api *iam.Client) {
		do(api.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(provision.DefaultGroupName)}))
	}
	// Management: a sender with two active keys.
	seed(srv.IAM, func(ctx context.Context, api *iam.Client) {
		group(ctx, api)
		user(ctx, api, "billing-mailer", true)
		do(api.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("billing-mailer")}))
	})
	// mail: a legacy console user (inline policy).
	seed(srv.IAM.AddAccount("222222222222", "OrganizationAccountAccessRole"), func(ctx context.Context, api *iam.Client) {
		user(ctx, api, "ses-smtp-user.20230101", false)
		do(api.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ses-smtp-user.20230101"), PolicyName: aws.String(provision.DefaultPolicyName),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*"}]}`)}))
	})
	// shop: a rotation that never finished.
	seed(srv.IAM.AddAccount("333333333333", "OrganizationAccountAccessRole"), func(ctx context.Context, api *iam.Client) {
		group(ctx, api)
		user(ctx, api, "shop-smtp", true)
		do(api.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("shop-smtp"), Tags: []types.Tag{{Key: aws.String("sesprov:rotation"), Value: aws.String("started:none@1000000000@0123456789abcdef")}}}))
	})
	srv.IAM.AddAccount("444444444444") // no role to enter it by
	return hs.URL
}

func runSesprov(t *testing.T, url string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command("sesprov", args...)
	cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+url, "AWS_ACCESS_KEY_ID=AKIAORGOPERATOR00000", "AWS_SECRET_ACCESS_KEY=x",
		"AWS_REGION=us-east-1", "AWS_PROFILE=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "SESPROV_OUTPUT=", "SESPROV_SANDBOX=", "NO_COLOR=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// TestAuditOrg: audit --org of three accounts (docs/operations.md shows
// this output): every finding carries its account, the suspended account is
// left out, and an account that cannot be entered is reported while the
// others are audited (exit 1).
func TestAuditOrg(t *testing.T) {
	url := orgLab(t)
	out, errOut, code := runSesprov(t, url, "audit", "--org", "--accounts", "123456789012,222222222222,333333333333")
	t.Logf("sesprov audit --org --accounts 123456789012,222222222222,333333333333\n%s%s(exit %d)", out, errOut, code)
	if code != 3 {
		t.Fatalf("exit %d, want 3 (findings)", code)
	}
	for _, want := range []string{"ACCOUNT", "123456789012  billing-mailer", "two-active-keys", "222222222222  ses-smtp-user.20230101", "inline-policy", "333333333333  shop-smtp", "rotation-stuck"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the table", want)
		}
	}

	out, errOut, code = runSesprov(t, url, "-o", "json", "audit", "--org")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (an account could not be entered): %s", code, errOut)
	}
	if !strings.Contains(errOut, "account 444444444444: cannot enter: sts:AssumeRole arn:aws:iam::444444444444:role/OrganizationAccountAccessRole") {
		t.Errorf("stderr does not report the account that could not be entered: %s", errOut)
	}
	for _, want := range []string{`{"account_id":"123456789012","user_name":"billing-mailer","finding":"two-active-keys"`, `"account_id":"222222222222","user_name":"ses-smtp-user.20230101","finding":"inline-policy"`, `"account_id":"333333333333","user_name":"shop-smtp","finding":"rotation-stuck"`} {
		if !strings.Contains(out, want) {
			t.Errorf("no %s in\n%s", want, out)
		}
	}
	if strings.Contains(out+errOut, "555555555555") {
		t.Errorf("the suspended account was audited")
	}

	// list --org: the same accounts, each record with its account.
	out, _, code = runSesprov(t, url, "-o", "json", "list", "--org", "--accounts", "222222222222,333333333333")
	if code != 0 || !strings.Contains(out, `{"account_id":"222222222222","user_name":"ses-smtp-user.20230101"`) || !strings.Contains(out, `{"account_id":"333333333333","user_name":"shop-smtp"`) || strings.Contains(out, "billing-mailer") {
		t.Errorf("list --org: exit %d\n%s", code, out)
	}
	out, _, _ = runSesprov(t, url, "list", "--org", "--accounts", "333333333333")
	if !strings.Contains(out, "ACCOUNT       USER") || !strings.Contains(out, "333333333333  shop-smtp") {
		t.Errorf("list --org table:\n%s", out)
	}

	_, errOut, code = runSesprov(t, url, "audit", "--org", "--accounts", "999999999999")
	if code != 2 || !strings.Contains(errOut, "999999999999 is not an ACTIVE account") {
		t.Errorf("--accounts naming no account: exit %d %s", code, errOut)
	}
}
