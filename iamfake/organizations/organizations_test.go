package organizations_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	orgs "github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/iamfake/organizations"
)

const mgmt = "111111111111"

var joined = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func start(t *testing.T) (*organizations.Server, aws.Config) {
	t.Helper()
	srv := organizations.New(organizations.Options{AccountID: mgmt, Now: func() time.Time { return joined }})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, iamfaketest.Config(hs.URL)
}

// as is cfg signed with another access key: SetKeyAccount decides whose.
func as(cfg aws.Config, key string) *orgs.Client {
	cfg.Credentials = credentials.NewStaticCredentialsProvider(key, "secret", "")
	return orgs.NewFromConfig(cfg)
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

func TestNoOrganization(t *testing.T) {
	ctx := context.Background()
	_, cfg := start(t)
	c := orgs.NewFromConfig(cfg)
	_, err := c.DescribeOrganization(ctx, &orgs.DescribeOrganizationInput{})
	var notInUse *types.AWSOrganizationsNotInUseException
	if !errors.As(err, &notInUse) {
		t.Fatalf("DescribeOrganization without an organization: %v", err)
	}
	if _, err := c.ListAccounts(ctx, &orgs.ListAccountsInput{}); code(err) != "AWSOrganizationsNotInUseException" {
		t.Errorf("ListAccounts: %s", code(err))
	}
}

func TestDescribeAndListAccounts(t *testing.T) {
	ctx := context.Background()
	srv, cfg := start(t)
	if err := srv.CreateOrganization(organizations.Account{Name: "management", Email: "root@example.com"}); err != nil {
		t.Fatal(err)
	}
	const n = 45
	for i := range n {
		a := organizations.Account{ID: fmt.Sprintf("2000000000%02d", i), Name: fmt.Sprintf("member %d", i)}
		if i == 7 {
			a.State = organizations.StateSuspended
		}
		if i == 8 {
			a.State = organizations.StateClosed
		}
		if err := srv.AddAccount(a); err != nil {
			t.Fatal(err)
		}
	}
	c := orgs.NewFromConfig(cfg)

	d, err := c.DescribeOrganization(ctx, &orgs.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	o := d.Organization
	id := aws.ToString(o.Id)
	if id != srv.OrganizationID() || len(id) != 12 || aws.ToString(o.MasterAccountId) != mgmt ||
		aws.ToString(o.MasterAccountEmail) != "root@example.com" || o.FeatureSet != types.OrganizationFeatureSetAll ||
		aws.ToString(o.Arn) != "arn:aws:organizations::"+mgmt+":organization/"+id ||
		aws.ToString(o.MasterAccountArn) != "arn:aws:organizations::"+mgmt+":account/"+id+"/"+mgmt {
		t.Errorf("organization %+v", o)
	}

	for _, max := range []int32{0, 7, 20} {
		in := &orgs.ListAccountsInput{}
		if max > 0 {
			in.MaxResults = aws.Int32(max)
		}
		var got []types.Account
		pages := 0
		p := orgs.NewListAccountsPaginator(c, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			got = append(got, out.Accounts...)
		}
		wantPages := (n + 1 + 19) / 20
		if max > 0 {
			wantPages = (n + 1 + int(max) - 1) / int(max)
		}
		if len(got) != n+1 || pages != wantPages {
			t.Errorf("MaxResults %d: %d accounts in %d pages, want %d in %d", max, len(got), pages, n+1, wantPages)
		}
		if aws.ToString(got[0].Id) != mgmt || got[0].JoinedMethod != types.AccountJoinedMethodInvited {
			t.Errorf("first account %+v", got[0])
		}
	}

	a, err := c.DescribeAccount(ctx, &orgs.DescribeAccountInput{AccountId: aws.String("200000000007")})
	if err != nil {
		t.Fatal(err)
	}
	if acc := a.Account; aws.ToString(acc.Name) != "member 7" || acc.State != types.AccountStateSuspended || acc.Status != types.AccountStatusSuspended ||
		aws.ToString(acc.Email) != "aws+200000000007@example.com" || acc.JoinedMethod != types.AccountJoinedMethodCreated ||
		!aws.ToTime(acc.JoinedTimestamp).Equal(joined) || aws.ToString(acc.Arn) != "arn:aws:organizations::"+mgmt+":account/"+id+"/200000000007" {
		t.Errorf("account %+v", acc)
	}
	a, err = c.DescribeAccount(ctx, &orgs.DescribeAccountInput{AccountId: aws.String("200000000008")})
	if err != nil || a.Account.State != types.AccountStateClosed || a.Account.Status != types.AccountStatusSuspended {
		t.Errorf("closed account: %+v %v", a, err)
	}
	_, err = c.DescribeAccount(ctx, &orgs.DescribeAccountInput{AccountId: aws.String("999999999999")})
	var nf *types.AccountNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("unknown account: %v", err)
	}
	_, err = c.DescribeAccount(ctx, &orgs.DescribeAccountInput{AccountId: aws.String("12345")})
	var bad *types.InvalidInputException
	if !errors.As(err, &bad) || bad.Reason != types.InvalidInputExceptionReasonInvalidPattern {
		t.Errorf("short account ID: %v", err)
	}
	for _, tc := range []struct {
		in     *orgs.ListAccountsInput
		reason types.InvalidInputExceptionReason
	}{
		{&orgs.ListAccountsInput{MaxResults: aws.Int32(21)}, types.InvalidInputExceptionReasonMaxValueExceeded},
		{&orgs.ListAccountsInput{MaxResults: aws.Int32(0)}, types.InvalidInputExceptionReasonMinValueExceeded},
		{&orgs.ListAccountsInput{NextToken: aws.String("garbage")}, types.InvalidInputExceptionReasonInvalidPaginationToken},
	} {
		_, err := c.ListAccounts(ctx, tc.in)
		if !errors.As(err, &bad) || bad.Reason != tc.reason {
			t.Errorf("ListAccounts %+v: %v, want reason %s", tc.in, err, tc.reason)
		}
	}
}

// Members may describe the organization; only the management account and
// delegated administrators may list and describe its accounts; an account
// outside it is not in an organization.
func TestWhoMayList(t *testing.T) {
	ctx := context.Background()
	srv, cfg := start(t)
	if err := srv.CreateOrganization(organizations.Account{}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"222222222222", "333333333333"} {
		if err := srv.AddAccount(organizations.Account{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	srv.SetKeyAccount("AKIAMEMBER2222222222", "222222222222")
	srv.SetKeyAccount("AKIAMEMBER3333333333", "333333333333")
	srv.SetKeyAccount("AKIAOUTSIDE444444444", "444444444444")
	if err := srv.RegisterDelegatedAdministrator("333333333333", "iam.amazonaws.com"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key, describe, list string
	}{
		{"AKIAEXAMPLE00000000", "ok", "ok"}, // any other key: the management account (Options.AccountID)
		{"AKIAMEMBER2222222222", "ok", "AccessDeniedException"},
		{"AKIAMEMBER3333333333", "ok", "ok"}, // delegated administrator
		{"AKIAOUTSIDE444444444", "AWSOrganizationsNotInUseException", "AWSOrganizationsNotInUseException"},
	} {
		c := as(cfg, tc.key)
		_, err := c.DescribeOrganization(ctx, &orgs.DescribeOrganizationInput{})
		if code(err) != tc.describe {
			t.Errorf("%s DescribeOrganization: %s, want %s", tc.key, code(err), tc.describe)
		}
		_, err = c.ListAccounts(ctx, &orgs.ListAccountsInput{})
		if code(err) != tc.list {
			t.Errorf("%s ListAccounts: %s, want %s", tc.key, code(err), tc.list)
		}
		_, err = c.DescribeAccount(ctx, &orgs.DescribeAccountInput{AccountId: aws.String("222222222222")})
		if code(err) != tc.list {
			t.Errorf("%s DescribeAccount: %s, want %s", tc.key, code(err), tc.list)
		}
	}

	out, err := orgs.NewFromConfig(cfg).ListDelegatedAdministrators(ctx, &orgs.ListDelegatedAdministratorsInput{})
	if err != nil || len(out.DelegatedAdministrators) != 1 || aws.ToString(out.DelegatedAdministrators[0].Id) != "333333333333" ||
		out.DelegatedAdministrators[0].State != types.AccountStateActive || out.DelegatedAdministrators[0].DelegationEnabledDate == nil {
		t.Errorf("ListDelegatedAdministrators: %+v %v", out, err)
	}
	out, err = orgs.NewFromConfig(cfg).ListDelegatedAdministrators(ctx, &orgs.ListDelegatedAdministratorsInput{ServicePrincipal: aws.String("ses.amazonaws.com")})
	if err != nil || len(out.DelegatedAdministrators) != 0 {
		t.Errorf("ListDelegatedAdministrators for another service: %+v %v", out, err)
	}
}

func TestFaultAndPersistence(t *testing.T) {
	ctx := context.Background()
	srv, cfg := start(t)
	if err := srv.CreateOrganization(organizations.Account{}); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddAccount(organizations.Account{ID: "222222222222", State: organizations.StatePendingClosure}); err != nil {
		t.Fatal(err)
	}
	srv.SetKeyAccount("AKIAMEMBER2222222222", "222222222222")
	if err := srv.RegisterDelegatedAdministrator("222222222222", "iam.amazonaws.com"); err != nil {
		t.Fatal(err)
	}
	srv.Inject(organizations.Fault{Op: "ListAccounts", Code: "TooManyRequestsException"})
	c := orgs.NewFromConfig(cfg)
	if _, err := c.ListAccounts(ctx, &orgs.ListAccountsInput{}); err != nil {
		t.Fatalf("the SDK should retry TooManyRequestsException: %v", err)
	}
	if n := srv.CallCount("ListAccounts"); n != 2 {
		t.Errorf("%d ListAccounts calls, want 2", n)
	}

	path := filepath.Join(t.TempDir(), "iam.organizations.json")
	if err := srv.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file %v %v", fi, err)
	}
	again := organizations.New(organizations.Options{AccountID: mgmt})
	if err := again.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	srv.SaveState(&a)
	again.SaveState(&b)
	if a.String() != b.String() {
		t.Errorf("state changed across save and load:\n%s\n%s", a.String(), b.String())
	}
	if err := again.LoadFile(filepath.Join(t.TempDir(), "missing.json")); err != nil || again.OrganizationID() != "" {
		t.Errorf("a missing file: %v, organization %q", err, again.OrganizationID())
	}
}
