package createuser_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

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
		if !strings.Contains(stderr, "sesprov rotate --user-name "+u+" --regions us-east-1 --old-key delete") {
			t.Errorf("no rotate advice for %s:\n%s", u, stderr)
		}
	}
	if n := e.srv.CallCount("CreateAccessKey"); n != 2 {
		t.Errorf("CreateAccessKey %d times", n)
	}
}
