package deleteuser

import (
	"slices"
	"testing"
)

// The plan's lines come from the deleters' table, in the order they are
// removed, and the plan's JSON fields are the table's.
func TestItemsFollowTheTable(t *testing.T) {
	p := &Plan{
		loginProfile: []string{""}, AccessKeys: []string{"AKIA1"}, SigningCerts: []string{"C1"},
		SSHPublicKeys: []string{"APKA1"}, ServiceCreds: []string{"ACCA1"}, MFADevices: []string{"arn:aws:iam::1:mfa/m"},
		InlinePolicies: []string{"P"}, AttachedPolicies: []string{"arn:aws:iam::1:policy/X"}, Groups: []string{"G"},
	}
	want := []string{
		"login profile (console password)", "access key AKIA1", "signing certificate C1", "SSH public key APKA1",
		"service-specific credential ACCA1", "MFA device arn:aws:iam::1:mfa/m", "inline policy P",
		"attached policy arn:aws:iam::1:policy/X", "group membership G",
	}
	if got := p.Items(); !slices.Equal(got, want) {
		t.Fatalf("Items\n got %q\nwant %q", got, want)
	}
}
