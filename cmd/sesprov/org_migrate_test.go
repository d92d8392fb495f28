package main

import (
	"strings"
	"testing"
)

// TestMigrateDryRunOrg: migrate --all --dry-run --org plans in every
// account it can enter, each line naming its account, and changes nothing;
// migrate --org without --dry-run (or without --all) is refused, exit 2.
func TestMigrateDryRunOrg(t *testing.T) {
	url := orgLab(t)
	args := []string{"migrate", "--all", "--dry-run", "--org", "--accounts", "123456789012,222222222222,333333333333"}
	out, errOut, code := runSesprov(t, url, args...)
	t.Logf("sesprov %s\n%s%s(exit %d)", strings.Join(args, " "), out, errOut, code)
	if code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
	for _, want := range []string{"dry run: nothing was changed", "account 222222222222: ses-smtp-user.20230101: would migrate", "account 222222222222: summary: would migrate 1", "account 333333333333: summary: would migrate 0", "account 123456789012: summary: would migrate 0",
		// The plan's ARNs name the member account (its own STS), not the caller's.
		"account 222222222222: group AWSSESSendingGroupDoNotRename: create managed policy", "attach policy arn:aws:iam::222222222222:policy/AmazonSesSendingAccess"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the plan", want)
		}
	}

	out, errOut, code = runSesprov(t, url, "-o", "json", "migrate", "--all", "--dry-run", "--org", "--accounts", "222222222222")
	if code != 0 || !strings.Contains(out, `{"account_id":"222222222222","user_name":"ses-smtp-user.20230101","outcome":"would_migrate"`) || !strings.Contains(out, `{"account_id":"222222222222","summary":{"dry_run":true,"migrated":1`) {
		t.Errorf("json plan: exit %d\n%s%s", code, out, errOut)
	}

	// Nothing changed: the plan is the same again.
	out, _, _ = runSesprov(t, url, "migrate", "--all", "--dry-run", "--org", "--accounts", "222222222222")
	if !strings.Contains(out, "account 222222222222: ses-smtp-user.20230101: would migrate") {
		t.Errorf("the dry run changed the account:\n%s", out)
	}

	for _, bad := range [][]string{{"migrate", "--all", "--org"}, {"migrate", "--user-name", "x", "--dry-run", "--org"}} {
		out, errOut, code = runSesprov(t, url, bad...)
		if code != 2 || !strings.Contains(errOut, "--org") || out != "" {
			t.Errorf("%v: exit %d, want 2 naming --org: %s", bad, code, errOut)
		}
	}
}
