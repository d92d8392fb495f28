package provision

import (
	"testing"

	"github.com/sesprov/sesprov/internal/tty"
)

func TestPaintVerifyStatus(t *testing.T) {
	p := tty.ForcePalette(true)
	if got := paintVerifyStatus(p, VerifyAccepted); got != p.Good("accepted") {
		t.Errorf("accepted painted %q", got)
	}
	for _, s := range []VerifyStatus{VerifyRejected, VerifyUnreachable} {
		if got := paintVerifyStatus(p, s); got != p.Bad(string(s)) {
			t.Errorf("%s painted %q", s, got)
		}
	}
	if got := paintVerifyStatus(tty.ForcePalette(false), VerifyRejected); got != "rejected" {
		t.Errorf("colour off: %q", got)
	}
}

func TestPaintBatchStatus(t *testing.T) {
	p := tty.ForcePalette(true)
	for status, sgr := range map[string]func(string) string{StatusCreated: p.Good, StatusCompleted: p.Good, StatusFailed: p.Bad, StatusConflict: p.Warn} {
		if got := paintBatchStatus(p, status); got != sgr(status) {
			t.Errorf("%s painted %q", status, got)
		}
	}
	if got := paintBatchStatus(p, StatusExists); got != StatusExists {
		t.Errorf("exists painted %q", got)
	}
}
