package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/provision/apply"
)

// TestApplySummary: the last line and the exit of an apply, from its
// senders' statuses: failed wins over conflict, and "the others were
// applied" is said only when there were others.
func TestApplySummary(t *testing.T) {
	rs := func(statuses ...string) []apply.Result {
		var out []apply.Result
		for _, s := range statuses {
			out = append(out, apply.Result{Status: s})
		}
		return out
	}
	for _, c := range []struct {
		name    string
		results []apply.Result
		line    string
		err     string // "" for none
		exit    int
	}{
		{"all unchanged", rs(apply.StatusUnchanged, apply.StatusUnchanged), "sesprov: 2 unchanged (0s)", "", 0},
		{"all failed", rs(apply.StatusFailed, apply.StatusFailed), "sesprov: 2 failed (0s)", "2 sender(s) failed (see their lines): run apply again", fail.ExitFailed},
		{"some failed", rs(apply.StatusCreated, apply.StatusFailed), "sesprov: 1 created, 1 failed (0s)", "1 sender(s) failed (see their lines); the others were applied: run apply again", fail.ExitFailed},
		{"failed and conflict", rs(apply.StatusConflict, apply.StatusFailed), "sesprov: 1 conflict, 1 failed (0s)", "1 sender(s) failed (see their lines): run apply again", fail.ExitFailed},
		{"applied, failed and conflict", rs(apply.StatusRetired, apply.StatusConflict, apply.StatusFailed), "sesprov: 1 retired, 1 conflict, 1 failed (0s)", "1 sender(s) failed (see their lines); the others were applied: run apply again", fail.ExitFailed},
		{"conflict", rs(apply.StatusRotated, apply.StatusConflict), "sesprov: 1 rotated, 1 conflict (0s)", "1 sender(s) need you (status conflict; see their lines)", fail.ExitConflict},
	} {
		t.Run(c.name, func(t *testing.T) {
			var w bytes.Buffer
			err := applySummary(&w, c.results, 0*time.Second, false)
			if got := strings.TrimSpace(w.String()); got != c.line {
				t.Errorf("line %q, want %q", got, c.line)
			}
			if c.err == "" {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			if err == nil || err.Error() != c.err || fail.ExitCode(err) != c.exit {
				t.Fatalf("error %v (exit %d), want %q (exit %d)", err, fail.ExitCode(err), c.err, c.exit)
			}
		})
	}
}
