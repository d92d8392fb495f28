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
