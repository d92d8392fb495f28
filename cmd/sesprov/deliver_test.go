package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sesprov/sesprov/internal/iamapi"
)

// mutatingCalls are the IAM calls of f that change something.
func mutatingCalls(f *fake) []string {
	var got []string
	for _, c := range f.srv.Calls() {
		if !strings.HasPrefix(c.Action, "Get") && !strings.HasPrefix(c.Action, "List") {
			got = append(got, c.Action)
		}
	}
	return got
}

// A destination that cannot take the credentials is refused (exit 2) before
// any IAM change, on every command that makes credentials.
func TestDeliverToRefusedBeforeAnyChange(t *testing.T) {
	f := startFake(t)
	dir := t.TempDir()
	exists := filepath.Join(dir, "exists.txt")
	if err := os.WriteFile(exists, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(dir, "users.txt")
	if err := os.WriteFile(users, []byte("alice\nbob\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"exists":          {"create-user", "--user-name", "a", "--regions", "eu-west-1", "--deliver-to", "file:" + exists},
		"exists alias":    {"create-user", "--user-name", "a", "--regions", "eu-west-1", "--out-file", exists},
		"unknown kind":    {"create-user", "--user-name", "a", "--regions", "eu-west-1", "--deliver-to", "vault:x"},
		"two":             {"create-user", "--user-name", "a", "--regions", "eu-west-1", "--out-file", filepath.Join(dir, "n"), "--deliver-cmd", "cat"},
		"batch cmd":       {"create-user", "--from", users, "--regions", "eu-west-1", "--deliver-cmd", "cat > /dev/null"},
		"batch user file": {"create-user", "--from", users, "--regions", "eu-west-1", "--deliver-to", "file:" + filepath.Join(dir, "{user}", "x")},
		"rotate exists":   {"rotate", "--user-name", "a", "--regions", "eu-west-1", "--deliver-to", "file:" + exists},
		"rotate two":      {"rotate", "--user-name", "a", "--regions", "eu-west-1", "--deliver-to", "cmd:cat", "--deliver-cmd", "cat"},
	} {
		r := f.sesprov(args...)
		if r.code != 2 {
			t.Errorf("%s: exit %d, want 2: %s", name, r.code, r.stderr)
		}
		if m := mutatingCalls(f); len(m) != 0 {
			t.Fatalf("%s: mutating calls %v", name, m)
		}
	}
	if r := f.sesprov("create-user", "--user-name", "a", "--regions", "eu-west-1", "--deliver-to", "vault:x"); !strings.Contains(r.stderr, "file:, cmd:") {
		t.Errorf("the unknown kind's error does not name the kinds: %s", r.stderr)
	}
}

// A failing --deliver-cmd (or --deliver-to cmd:) deletes the new key.
func TestCreateUserFailingCommandRollsBack(t *testing.T) {
	f := startFake(t)
	r := f.sesprov("create-user", "--user-name", "alice", "--regions", "eu-west-1", "--deliver-to", "cmd:cat >/dev/null; exit 1")
	if r.code != 1 || !strings.Contains(r.stderr, "was deleted") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if keys, _ := iamapi.ListAccessKeyIDs(context.Background(), f.iam, "alice"); len(keys) != 0 {
		t.Errorf("key left: %v", keys)
	}
}

// --deliver-to file:{user} gives each user of a batch a file; a command
// gets each user's credentials on its stdin.
func TestCreateUserBatchPerUserDestinations(t *testing.T) {
	f := startFake(t)
	dir := t.TempDir()
	users := filepath.Join(dir, "users.txt")
	if err := os.WriteFile(users, []byte("alice\nbob\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := f.sesprov("-o", "json", "create-user", "--from", users, "--regions", "eu-west-1", "--deliver-to", "file:"+filepath.Join(dir, "{user}.json"))
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q: %s", r.code, r.stdout, r.stderr)
	}
	for _, u := range []string{"alice", "bob"} {
		if b, err := os.ReadFile(filepath.Join(dir, u+".json")); err != nil || !strings.Contains(string(b), `"user_name":"`+u+`"`) {
			t.Errorf("%s: %q %v", u, b, err)
		}
	}
	if err := os.WriteFile(users, []byte("carol\ndan\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = f.sesprov("-o", "json", "create-user", "--from", users, "--regions", "eu-west-1", "--deliver-cmd", "cat > "+filepath.Join(dir, "cmd-{user}"))
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q: %s", r.code, r.stdout, r.stderr)
	}
	for _, u := range []string{"carol", "dan"} {
		if b, err := os.ReadFile(filepath.Join(dir, "cmd-"+u)); err != nil || !strings.Contains(string(b), `"user_name":"`+u+`"`) {
			t.Errorf("%s: %q %v", u, b, err)
		}
	}
}

// --out-file and --deliver-to file: are the same destination: the same
// file, mode 0600, the same stderr note.
func TestOutFileAliasEquivalence(t *testing.T) {
	f := startFake(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
	ra := f.sesprov("create-user", "--user-name", "alice", "--regions", "eu-west-1", "--out-file", a)
	rb := f.sesprov("create-user", "--user-name", "bob", "--regions", "eu-west-1", "--deliver-to", "file:"+b)
	if ra.code != 0 || rb.code != 0 {
		t.Fatalf("exit %d, %d: %s %s", ra.code, rb.code, ra.stderr, rb.stderr)
	}
	norm := func(s, path string) string {
		s = strings.ReplaceAll(strings.ReplaceAll(s, path, "F"), "bob", "alice")
		return regexp.MustCompile(`AKIA[A-Z0-9]{16}`).ReplaceAllString(s, "K")
	}
	if norm(ra.stderr, a) != norm(rb.stderr, b) {
		t.Errorf("stderr differs:\n%s\n%s", ra.stderr, rb.stderr)
	}
	for _, p := range []string{a, b} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", p, st, err)
		}
	}
	rr := f.sesprov("rotate", "--user-name", "alice", "--regions", "eu-west-1", "--deliver-to", "file:"+filepath.Join(dir, "r.txt"))
	if rr.code != 0 || !strings.Contains(rr.stderr, "delivered to "+filepath.Join(dir, "r.txt")) {
		t.Errorf("rotate --deliver-to file: exit %d: %s", rr.code, rr.stderr)
	}
}

// A file's extension decides its format (billing.csv holds CSV); an -o that
// contradicts it is refused before any change.
func TestOutFileFormatFollowsExtension(t *testing.T) {
	f := startFake(t)
	dir := t.TempDir()
	for ext, want := range map[string]string{".json": `{"user_name":"u-json"`, ".csv": "IAM User Name,Smtp Username", ".env": "SMTP_"} {
		p := filepath.Join(dir, "creds"+ext)
		user := "u-" + ext[1:]
		if r := f.sesprov("create-user", "--user-name", user, "--regions", "eu-west-1", "--out-file", p); r.code != 0 {
			t.Fatalf("%s: exit %d: %s", ext, r.code, r.stderr)
		}
		if b, _ := os.ReadFile(p); !strings.HasPrefix(string(b), want) && !strings.Contains(string(b), want) {
			t.Errorf("%s holds %q, want %q", ext, b, want)
		}
	}
	f.srv.ResetCalls()
	r := f.sesprov("-o", "table", "create-user", "--user-name", "x", "--regions", "eu-west-1", "--out-file", filepath.Join(dir, "x.json"))
	if r.code != 2 || !strings.Contains(r.stderr, "x.json") {
		t.Errorf("-o table with x.json: exit %d: %s", r.code, r.stderr)
	}
	if m := mutatingCalls(f); len(m) != 0 {
		t.Errorf("mutating calls %v", m)
	}
	if r := f.sesprov("-o", "csv", "create-user", "--user-name", "billing", "--regions", "eu-west-1", "--out-file", filepath.Join(dir, "billing.csv")); r.code != 0 {
		t.Errorf("-o csv with billing.csv: exit %d: %s", r.code, r.stderr)
	}
}
