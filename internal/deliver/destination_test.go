package deliver

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/redact"
)

func TestParseKinds(t *testing.T) {
	for in, want := range map[string]Destination{
		"file:/tmp/x.json":     {Kind: KindFile, Target: "/tmp/x.json", Flag: "--deliver-to"},
		"cmd:store put {user}": {Kind: KindCommand, Target: "store put {user}", Flag: "--deliver-to"},
	} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"vault:x", "nocolon", "file:", "cmd: "} {
		_, err := Parse(bad)
		if fail.ExitCode(err) != fail.ExitUsage {
			t.Errorf("Parse(%q): %v, want a usage error", bad, err)
		}
	}
	_, err := Parse("vault:x")
	if !strings.Contains(err.Error(), "file:") || !strings.Contains(err.Error(), "cmd:") {
		t.Errorf("unknown kind does not name the kinds: %v", err)
	}
}

func TestFromFlagsAliases(t *testing.T) {
	viaFile, _ := FromFlags("", "creds.txt", "")
	viaTo, _ := FromFlags("file:creds.txt", "", "")
	if viaFile.Kind != viaTo.Kind || viaFile.Target != viaTo.Target {
		t.Errorf("--out-file %+v, --deliver-to file: %+v", viaFile, viaTo)
	}
	viaCmd, _ := FromFlags("", "", "cat")
	viaTo, _ = FromFlags("cmd:cat", "", "")
	if viaCmd.Kind != viaTo.Kind || viaCmd.Target != viaTo.Target {
		t.Errorf("--deliver-cmd %+v, --deliver-to cmd: %+v", viaCmd, viaTo)
	}
	if d, err := FromFlags("", "", ""); err != nil || d.Kind != KindStdout {
		t.Errorf("no flag: %+v, %v", d, err)
	}
	for _, two := range [][3]string{{"file:a", "b", ""}, {"", "a", "cat"}, {"cmd:cat", "", "cat"}} {
		if _, err := FromFlags(two[0], two[1], two[2]); fail.ExitCode(err) != fail.ExitUsage || !strings.Contains(err.Error(), "choose one destination") {
			t.Errorf("FromFlags%q: %v, want a usage error", two, err)
		}
	}
}

func TestUserExpansionAndBatchCheck(t *testing.T) {
	dir := t.TempDir()
	d := Destination{Kind: KindFile, Target: filepath.Join(dir, "{user}.json")}
	if got := d.For("alice").Target; got != filepath.Join(dir, "alice.json") {
		t.Errorf("For: %s", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "bob.json"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.Check([]string{"alice", "bob"}); fail.ExitCode(err) != fail.ExitUsage || !strings.Contains(err.Error(), "bob.json") {
		t.Errorf("an existing per-user file: %v", err)
	}
	cmd := Destination{Kind: KindCommand, Target: "store", Flag: "--deliver-cmd"}
	if err := cmd.Check([]string{"alice"}); err != nil {
		t.Errorf("one user, no {user}: %v", err)
	}
	if err := cmd.Check([]string{"alice", "bob"}); fail.ExitCode(err) != fail.ExitUsage || !strings.Contains(err.Error(), "{user}") {
		t.Errorf("two users, no {user}: %v", err)
	}
	cmd.Target = "store {user}"
	if err := cmd.Check([]string{"alice", "bob"}); err != nil {
		t.Errorf("two users with {user}: %v", err)
	}
	one := Destination{Kind: KindFile, Target: filepath.Join(dir, "all.jsonl")}
	if err := one.Check([]string{"alice", "bob"}); err != nil {
		t.Errorf("one file for a batch: %v", err)
	}
}

func testSet(user string) creds.CredentialSet {
	return creds.CredentialSet{UserName: user, AccessKeyID: "AKIAEXAMPLE000000000", SecretAccessKey: redact.NewSecret("s3cret"),
		Credentials: []creds.RegionCredential{{Region: "eu-west-1", SMTPEndpoint: "email-smtp.eu-west-1.amazonaws.com", Password: redact.NewSecret("pw-" + user)}}}
}

func deliverAll(t *testing.T, dest Destination, stdout *bytes.Buffer, users ...string) (*Deliverer, error) {
	t.Helper()
	d, err := Open(dest, Options{Format: output.FormatJSON, Stdout: stdout, Users: users})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if err := d.Deliver(context.Background(), testSet(u)); err != nil {
			d.Close()
			return d, err
		}
	}
	return d, d.Close()
}

func TestDeliverEachKind(t *testing.T) {
	dir := t.TempDir()
	var stdout bytes.Buffer
	if _, err := deliverAll(t, Stdout, &stdout, "alice", "bob"); err != nil || strings.Count(stdout.String(), "\n") != 2 {
		t.Fatalf("stdout: %v %q", err, stdout.String())
	}

	one := filepath.Join(dir, "all.jsonl")
	if _, err := deliverAll(t, Destination{Kind: KindFile, Target: one}, &stdout, "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(one); strings.Count(string(b), "\n") != 2 {
		t.Errorf("one file: %q", b)
	}
	if st, _ := os.Stat(one); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}

	per := Destination{Kind: KindFile, Target: filepath.Join(dir, "{user}.json")}
	if _, err := deliverAll(t, per, &stdout, "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob"} {
		if b, _ := os.ReadFile(filepath.Join(dir, u+".json")); !strings.Contains(string(b), "pw-"+u) {
			t.Errorf("%s's file: %q", u, b)
		}
	}

	cmd := Destination{Kind: KindCommand, Target: "cat > " + filepath.Join(dir, "cmd-{user}") + "; echo on-stdout", Flag: "--deliver-cmd"}
	stdout.Reset()
	if _, err := deliverAll(t, cmd, &stdout, "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob"} {
		if b, _ := os.ReadFile(filepath.Join(dir, "cmd-"+u)); !strings.Contains(string(b), "pw-"+u) {
			t.Errorf("the command got for %s: %q", u, b)
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("the command's stdout reached sesprov's: %q", stdout.String())
	}
}

func TestDeliverFailingCommand(t *testing.T) {
	var stdout bytes.Buffer
	d, err := deliverAll(t, Destination{Kind: KindCommand, Target: "exit 3", Flag: "--deliver-cmd"}, &stdout, "alice")
	if err == nil || d.Delivered() != 0 {
		t.Fatalf("a command exiting 3: %v, delivered %d", err, d.Delivered())
	}
	if strings.Contains(err.Error(), "pw-alice") {
		t.Errorf("the error holds a secret: %v", err)
	}
}

// A shared file that received nothing is not left behind.
func TestCloseWithoutDeliveryLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.txt")
	d, err := Open(Destination{Kind: KindFile, Target: p}, Options{Format: output.FormatTable})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) != 0 {
		t.Errorf("left %v", m)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*")); len(m) != 0 {
		t.Errorf("left %v", m)
	}
}
