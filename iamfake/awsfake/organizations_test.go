package awsfake_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/awsfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	orgfake "github.com/sesprov/sesprov/iamfake/organizations"
)

// Organizations is on the same endpoint, managed by IAM's account, and
// its state file sits beside IAM's.
func TestOrganizationsRouted(t *testing.T) {
	ctx := context.Background()
	srv, cfg := iamfaketest.StartAll(t, awsfake.Options{IAM: iamfake.Options{AccountID: "111122223333"}})
	if err := srv.Organizations.CreateOrganization(orgfake.Account{}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Organizations.AddAccount(orgfake.Account{ID: "222222222222"}); err != nil {
		t.Fatal(err)
	}
	c := organizations.NewFromConfig(cfg)
	out, err := c.ListAccounts(ctx, &organizations.ListAccountsInput{})
	if err != nil || len(out.Accounts) != 2 || aws.ToString(out.Accounts[0].Id) != "111122223333" {
		t.Fatalf("ListAccounts: %+v %v", out, err)
	}
	if srv.Organizations.CallCount("ListAccounts") != 1 || srv.IAM.CallCount("") != 0 {
		t.Errorf("the call reached the wrong service")
	}

	p := awsfake.StatePaths(filepath.Join(t.TempDir(), "iam.json"))
	if p.Organizations != filepath.Join(filepath.Dir(p.IAM), "iam.organizations.json") {
		t.Errorf("paths %+v", p)
	}
	if err := srv.SaveFiles(p); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p.Organizations); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s: %v %v", p.Organizations, fi, err)
	}
	again := awsfake.New(awsfake.Options{IAM: iamfake.Options{AccountID: "111122223333"}})
	if err := again.LoadFiles(p); err != nil {
		t.Fatal(err)
	}
	if again.Organizations.OrganizationID() != srv.Organizations.OrganizationID() || len(again.Organizations.Accounts()) != 2 {
		t.Errorf("after reload: %q %v", again.Organizations.OrganizationID(), again.Organizations.Accounts())
	}
}
