package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

// --org-accounts makes an organization managed by --account-id; it is
// saved with the state, and a restart keeps it.
func TestOrgAccounts(t *testing.T) {
	ctx := context.Background()
	state := filepath.Join(t.TempDir(), "iam.json")
	args := []string{"--listen", "127.0.0.1:0", "--state", state, "--account-id", "111122223333",
		"--org-accounts", "111111111111,222222222222,111122223333"}
	url, stop := start(t, args...)
	c := organizations.NewFromConfig(iamfaketest.Config(url))
	org, err := c.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil || aws.ToString(org.Organization.MasterAccountId) != "111122223333" {
		t.Fatalf("DescribeOrganization: %+v %v", org, err)
	}
	list, err := c.ListAccounts(ctx, &organizations.ListAccountsInput{})
	if err != nil || len(list.Accounts) != 3 {
		t.Fatalf("ListAccounts: %+v %v", list, err)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}

	url, stop = start(t, args...)
	defer stop()
	again, err := organizations.NewFromConfig(iamfaketest.Config(url)).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil || aws.ToString(again.Organization.Id) != aws.ToString(org.Organization.Id) {
		t.Errorf("organization after restart: %+v %v (was %s)", again, err, aws.ToString(org.Organization.Id))
	}
}

func TestOrgAccountsBadID(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"--org-accounts", "12345"}, &out, &errOut); code != 2 {
		t.Errorf("exit %d, want 2 (stderr %q)", code, errOut.String())
	}
}
