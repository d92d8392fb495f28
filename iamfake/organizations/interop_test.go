package organizations_test

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
	orgs "github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/iamfake/organizations"
)

// The same organization (a management account and two members, one of
// them a delegated administrator for IAM Access Analyzer) on moto_server,
// made through the API, and on the fake, made through its controls; then
// the same reads through the SDK on both, printed beside AWS's answer (as
// documented; the management account's JoinedMethod as AWS answers it,
// which is not documented). The fake is held to it; moto is reported.

type orgFact struct {
	name, doc string
	get       func(ctx context.Context, c *orgs.Client) string
}

// orgErr is an error's code, with the reason of an InvalidInputException.
func orgErr(err error) string {
	var bad *types.InvalidInputException
	if errors.As(err, &bad) && bad.Reason != "" {
		return code(err) + " " + string(bad.Reason)
	}
	return code(err)
}

func listAll(ctx context.Context, c *orgs.Client) ([]types.Account, error) {
	var out []types.Account
	p := orgs.NewListAccountsPaginator(c, &orgs.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Accounts...)
	}
	return out, nil
}

func findAccount(accts []types.Account, name string) *types.Account {
	for i := range accts {
		if aws.ToString(accts[i].Name) == name {
			return &accts[i]
		}
	}
	return nil
}

var orgFacts = []orgFact{
	{"DescribeOrganization: feature set", "ALL", func(ctx context.Context, c *orgs.Client) string {
		out, err := c.DescribeOrganization(ctx, &orgs.DescribeOrganizationInput{})
		if err != nil {
			return orgErr(err)
		}
		return string(out.Organization.FeatureSet)
	}},
	{"DescribeOrganization: ID and ARN form", "o-… arn:aws:organizations::MGMT:organization/o-…", func(ctx context.Context, c *orgs.Client) string {
		out, err := c.DescribeOrganization(ctx, &orgs.DescribeOrganizationInput{})
		if err != nil {
			return orgErr(err)
		}
		o := out.Organization
		id, arn := aws.ToString(o.Id), aws.ToString(o.Arn)
		arn = strings.Replace(arn, aws.ToString(o.MasterAccountId), "MGMT", 1)
		return strings.ReplaceAll(id[:2]+"… "+arn, id, "o-…")
	}},
	{"ListAccounts: accounts", "3", func(ctx context.Context, c *orgs.Client) string {
		accts, err := listAll(ctx, c)
		if err != nil {
			return orgErr(err)
		}
		return fmt.Sprint(len(accts))
	}},
	{"ListAccounts: a member's Status, State, JoinedMethod", "ACTIVE ACTIVE CREATED", func(ctx context.Context, c *orgs.Client) string {
		accts, err := listAll(ctx, c)
		if err != nil {
			return orgErr(err)
		}
		a := findAccount(accts, "mail")
		if a == nil {
			return "missing"
		}
		return fmt.Sprintf("%s %s %s", a.Status, orEmpty(string(a.State)), a.JoinedMethod)
	}},
	{"ListAccounts: the management account's JoinedMethod (undocumented)", "INVITED", func(ctx context.Context, c *orgs.Client) string {
		out, err := c.DescribeOrganization(ctx, &orgs.DescribeOrganizationInput{})
		if err != nil {
			return orgErr(err)
		}
		accts, err := listAll(ctx, c)
		if err != nil {
			return orgErr(err)
		}
		for _, a := range accts {
			if aws.ToString(a.Id) == aws.ToString(out.Organization.MasterAccountId) {
				return string(a.JoinedMethod)
			}
		}
		return "missing"
	}},
	{"ListAccounts MaxResults=1: a NextToken", "yes", func(ctx context.Context, c *orgs.Client) string {
		out, err := c.ListAccounts(ctx, &orgs.ListAccountsInput{MaxResults: aws.Int32(1)})
		if err != nil {
			return orgErr(err)
		}
		if len(out.Accounts) == 1 && out.NextToken != nil {
			return "yes"
		}
		return fmt.Sprintf("%d accounts, NextToken %v", len(out.Accounts), out.NextToken != nil)
	}},
	{"ListAccounts MaxResults=21", "InvalidInputException MAX_VALUE_EXCEEDED", func(ctx context.Context, c *orgs.Client) string {
		_, err := c.ListAccounts(ctx, &orgs.ListAccountsInput{MaxResults: aws.Int32(21)})
		return orgErr(err)
	}},
	{"DescribeAccount of an account not in it", "AccountNotFoundException", func(ctx context.Context, c *orgs.Client) string {
		_, err := c.DescribeAccount(ctx, &orgs.DescribeAccountInput{AccountId: aws.String("999999999999")})
		return orgErr(err)
	}},
	{"DescribeAccount of a malformed ID", "InvalidInputException INVALID_PATTERN", func(ctx context.Context, c *orgs.Client) string {
		_, err := c.DescribeAccount(ctx, &orgs.DescribeAccountInput{AccountId: aws.String("12345")})
		return orgErr(err)
	}},
	{"ListDelegatedAdministrators", "[audit]", func(ctx context.Context, c *orgs.Client) string {
		out, err := c.ListDelegatedAdministrators(ctx, &orgs.ListDelegatedAdministratorsInput{})
		if err != nil {
			return orgErr(err)
		}
		var names []string
		for _, d := range out.DelegatedAdministrators {
			names = append(names, aws.ToString(d.Name))
		}
		return fmt.Sprint(names)
	}},
}

func orEmpty(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func TestInteropMoto(t *testing.T) {
	if os.Getenv("SESPROV_INTEROP") != "1" {
		t.Skip("interop with moto_server runs with SESPROV_INTEROP=1 (make test-interop)")
	}
	moto, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("moto_server is not on PATH: install moto[server] to compare the fake with moto")
	}
	ctx := context.Background()
	motoURL := iamfaketest.StartMoto(t, moto, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_DEFAULT_REGION=us-east-1")
	mc := orgs.NewFromConfig(iamfaketest.Config(motoURL))
	srv, cfg := start(t)
	fc := orgs.NewFromConfig(cfg)

	// Before any organization.
	before := []string{orgErr(drop(fc.DescribeOrganization(ctx, &orgs.DescribeOrganizationInput{}))),
		orgErr(drop(mc.DescribeOrganization(ctx, &orgs.DescribeOrganizationInput{})))}

	// The fake, through its controls.
	if err := srv.CreateOrganization(organizations.Account{Name: "management"}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []organizations.Account{{ID: "222222222222", Name: "mail"}, {ID: "333333333333", Name: "audit"}} {
		if err := srv.AddAccount(a); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.RegisterDelegatedAdministrator("333333333333", "access-analyzer.amazonaws.com"); err != nil {
		t.Fatal(err)
	}
	// moto, through the API.
	motoSetup := ""
	if _, err := mc.CreateOrganization(ctx, &orgs.CreateOrganizationInput{FeatureSet: types.OrganizationFeatureSetAll}); err != nil {
		motoSetup = "CreateOrganization: " + orgErr(err)
	}
	for _, name := range []string{"mail", "audit"} {
		if _, err := mc.CreateAccount(ctx, &orgs.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")}); err != nil && motoSetup == "" {
			motoSetup = "CreateAccount: " + orgErr(err)
		}
	}
	if accts, err := listAll(ctx, mc); err == nil {
		if a := findAccount(accts, "audit"); a != nil {
			if _, err := mc.RegisterDelegatedAdministrator(ctx, &orgs.RegisterDelegatedAdministratorInput{AccountId: a.Id, ServicePrincipal: aws.String("access-analyzer.amazonaws.com")}); err != nil && motoSetup == "" {
				motoSetup = "RegisterDelegatedAdministrator: " + orgErr(err)
			}
		}
	}

	var sb strings.Builder
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "behaviour\tfake\tmoto\tAWS")
	differ := 0
	row := func(name, fake, mo, doc string) {
		if fake != doc {
			t.Errorf("%s: fake %q, AWS's documentation %q", name, fake, doc)
		}
		mark := ""
		if fake != mo {
			mark = "* "
			differ++
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\n", mark, name, fake, mo, doc)
	}
	row("DescribeOrganization with none", before[0], before[1], "AWSOrganizationsNotInUseException")
	for _, f := range orgFacts {
		row(f.name, f.get(ctx, fc), f.get(ctx, mc), f.doc)
	}
	tw.Flush()
	if motoSetup != "" {
		fmt.Printf("\nmoto could not build the whole organization (%s).\n", motoSetup)
	}
	fmt.Printf("\nthe Organizations fake and moto (%s) differ on %d of %d behaviours (marked *):\n%s\n", motoURL, differ, len(orgFacts)+1, sb.String())
}

func drop[T any](_ T, err error) error { return err }
