package createuser_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/provision/createuser"
)

// rerun runs a batch of names again, its clock at now.
func (e *batchEnv) rerun(now time.Time, names ...string) (string, string, error) {
	e.t.Helper()
	var stdout, stderr bytes.Buffer
	err := runCLI(e.ctx, createuser.Options{
		UserNames: names, Batch: true, Regions: benchRegions(e.t)[:1], Format: output.FormatJSON,
	}, createuser.Deps{IAM: e.iam, STS: e.sts, Limiter: e.lim, Now: func() time.Time { return now }}, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

// TestBatchRerunExists: a re-run reports users already done as "exists"
// (exit 0, not re-keyed) when their key cannot be a run's orphan: older
// than an hour. Their keys' last use is then not even read; a fresh run
// never reads it.
func TestBatchRerunExists(t *testing.T) {
	e := newBatchEnv(t)
	if _, stderr, err := e.batch(2, "a1", "a2"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if n := e.srv.CallCount("GetAccessKeyLastUsed"); n != 0 {
		t.Errorf("a fresh batch read GetAccessKeyLastUsed %d times", n)
	}
	out, stderr, err := e.rerun(time.Now().Add(2*time.Hour), "a1", "a2")
	if err != nil || strings.Count(out, `"status":"exists"`) != 2 {
		t.Fatalf("re-run 2 h later: %v\n%s%s", err, out, stderr)
	}
	if n := e.srv.CallCount("GetAccessKeyLastUsed"); n != 0 {
		t.Errorf("keys older than an hour: GetAccessKeyLastUsed read %d times", n)
	}
	if n := e.srv.CallCount("CreateAccessKey"); n != 2 {
		t.Errorf("CreateAccessKey %d times; the done users were re-keyed", n)
	}
}

// TestBatchRerunYoungKeyIsConflict: right after, the same keys (one each,
// never used, of users sesprov made) may be a killed run's orphans: each
// user is a conflict (exit 3) with rotate's advice, and nothing changes.
func TestBatchRerunYoungKeyIsConflict(t *testing.T) {
	e := newBatchEnv(t)
	if _, stderr, err := e.batch(2, "b1", "b2"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	out, stderr, err := e.rerun(time.Now(), "b1", "b2")
	if fail.ExitCode(err) != fail.ExitConflict || strings.Count(out, `"status":"conflict"`) != 2 {
		t.Fatalf("exit %d (%v)\n%s%s", fail.ExitCode(err), err, out, stderr)
	}
	for _, u := range []string{"b1", "b2"} {
		if !strings.Contains(stderr, "'sesprov rotate --user-name "+u+"' delivers") {
			t.Errorf("no rotate advice for %s:\n%s", u, stderr)
		}
	}
	if n := e.srv.CallCount("CreateAccessKey"); n != 2 {
		t.Errorf("CreateAccessKey %d times", n)
	}
	if strings.Contains(stderr, "--old-key delete") {
		t.Errorf("the advice deletes a key that may have been delivered:\n%s", stderr)
	}
}

// rerunDone runs a batch of names again at once, told by done (an earlier
// run's output) whom that run delivered.
func (e *batchEnv) rerunDone(done string, names ...string) (string, string, error) {
	e.t.Helper()
	keys := map[string]bool{}
	if err := createuser.ReadDoneKeys(strings.NewReader(done), "earlier.jsonl", keys); err != nil {
		e.t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := runCLI(e.ctx, createuser.Options{
		UserNames: names, Batch: true, Regions: benchRegions(e.t)[:1], Format: output.FormatJSON, Done: keys,
	}, createuser.Deps{IAM: e.iam, STS: e.sts, Limiter: e.lim}, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

// TestBatchRerunAfterFailureAsAdvised: one user of 8 is denied its key; the
// run exits 1 and advises running the same command again with --done naming
// its output. Done so at once, the 7 delivered users (young, never-used
// keys) are "exists", not conflicts; the failed one is made; exit 0, and no
// key is touched.
func TestBatchRerunAfterFailureAsAdvised(t *testing.T) {
	e := newBatchEnv(t)
	names := []string{"f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8"}
	e.srv.Inject(iamfake.Fault{Action: "CreateAccessKey", Nth: 4, Code: "AccessDenied", Message: "denied"})
	var first bytes.Buffer
	var stderr bytes.Buffer
	err := runCLI(e.ctx, createuser.Options{UserNames: names, Batch: true, Concurrency: 1, Regions: benchRegions(t)[:1], Format: output.FormatJSON},
		createuser.Deps{IAM: e.iam, STS: e.sts, Limiter: e.lim}, &first, &stderr)
	if fail.ExitCode(err) != fail.ExitFailed || !strings.Contains(err.Error(), "--done FILE") {
		t.Fatalf("first run: exit %d (%v)\n%s", fail.ExitCode(err), err, stderr.String())
	}
	if n := strings.Count(first.String(), `"access_key_id"`); n != 7 {
		t.Fatalf("first run delivered %d users, want 7:\n%s", n, first.String())
	}
	out, errOut, err := e.rerunDone(first.String(), names...)
	if err != nil {
		t.Fatalf("re-run as advised: exit %d (%v)\n%s%s", fail.ExitCode(err), err, out, errOut)
	}
	if n := strings.Count(out, `"status":"exists"`); n != 7 {
		t.Errorf("%d users reported done, want 7:\n%s", n, out)
	}
	if n := e.srv.CallCount("CreateAccessKey"); n != 9 {
		t.Errorf("CreateAccessKey %d times, want 9 (8 + the denied one)", n)
	}
	if n := e.srv.CallCount("DeleteAccessKey") + e.srv.CallCount("UpdateAccessKey"); n != 0 {
		t.Errorf("%d keys deleted or changed", n)
	}
	if n := e.srv.CallCount("GetAccessKeyLastUsed"); n != 0 {
		t.Errorf("keys the output names: GetAccessKeyLastUsed read %d times", n)
	}
}

// TestReadDoneKeys: every -o format names the key; a file naming none is
// refused (exit 2).
func TestReadDoneKeys(t *testing.T) {
	for _, in := range []string{
		`{"user_name":"a","access_key_id":"AKIAABCDEFGHIJKLMNOP","credentials":[]}`,
		"user_name,access_key_id,smtp_password\na,AKIAABCDEFGHIJKLMNOP,xyz",
		"SES_SMTP_USERNAME=AKIAABCDEFGHIJKLMNOP",
		"USER  KEY                   PASSWORD\na     AKIAABCDEFGHIJKLMNOP  xyz",
	} {
		got := map[string]bool{}
		if err := createuser.ReadDoneKeys(strings.NewReader(in), "f", got); err != nil || !got["AKIAABCDEFGHIJKLMNOP"] || len(got) != 1 {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "users.txt")
	os.WriteFile(f, []byte("alice\nbob\n"), 0o600)
	r, _ := os.Open(f)
	defer r.Close()
	if err := createuser.ReadDoneKeys(r, f, map[string]bool{}); fail.ExitCode(err) != fail.ExitUsage {
		t.Errorf("a file naming no key: %v", err)
	}
}
