package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/org"
)

// TestInteropListOrgMoto runs list --org and audit --org against
// moto_server's Organizations and STS: the organization and a member account
// are made with the SDK (moto creates OrganizationAccountAccessRole in an
// account made by CreateAccount), an SMTP user is made in the member
// account through credentials of that role (moto's assumed-role
// credentials act in the target account), and sesprov must find it there
// and nowhere else.
func TestInteropListOrgMoto(t *testing.T) {
	url := startMoto(t)
	isolateAWSEnv(t)
	ctx := context.Background()
	cfg := iamfaketest.Config(url)
	orgs := organizations.NewFromConfig(cfg)
	if _, err := orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	made, err := orgs.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("mail"), Email: aws.String("mail@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	member := aws.ToString(made.CreateAccountStatus.AccountId)
	if member == "" {
		t.Skipf("moto: CreateAccount answered no AccountId (%+v): cannot test --org", made.CreateAccountStatus)
	}

	mcfg := cfg.Copy()
	arn := "arn:aws:iam::" + member + ":role/" + org.DefaultRoleName
	mcfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), arn))
	who, err := sts.NewFromConfig(mcfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("assume %s: %v", arn, err)
	}
	if aws.ToString(who.Account) != member {
		t.Skipf("moto: credentials of %s act in account %s, not the member's %s: --org cannot be tested", arn, aws.ToString(who.Account), member)
	}
	api := iam.NewFromConfig(mcfg)
	do := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	do(api.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(provision.DefaultGroupName)}))
	do(api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("member-smtp")}))
	do(api.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("member-smtp"), GroupName: aws.String(provision.DefaultGroupName)}))
	do(api.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("member-smtp")}))
	do(api.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("member-smtp")}))

	r := runMain(t, nil, "--endpoint-url", url, "-o", "json", "list", "--org")
	t.Logf("sesprov -o json list --org\n%s%s(exit %d)", r.stdout, r.stderr, r.code)
	if r.code != 0 {
		t.Fatalf("list --org: exit %d: %s", r.code, r.stderr)
	}
	type record struct {
		AccountID string `json:"account_id"`
		UserName  string `json:"user_name"`
	}
	var recs []record
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var rec record
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%v: %q", err, line)
		}
		recs = append(recs, rec)
	}
	if len(recs) != 1 || recs[0].AccountID != member || recs[0].UserName != "member-smtp" {
		t.Errorf("list --org records %+v, want member-smtp in account %s only", recs, member)
	}

	r = runMain(t, nil, "--endpoint-url", url, "-o", "json", "audit", "--org", "--accounts", member)
	if r.code != 3 || !strings.Contains(r.stdout, `{"account_id":"`+member+`","user_name":"member-smtp"`) || !strings.Contains(r.stdout, "two-active-keys") {
		t.Errorf("audit --org --accounts %s: exit %d, want 3 and two-active-keys in the member account\n%s%s", member, r.code, r.stdout, r.stderr)
	}
}
