//go:build linux

package tty

import (
	"testing"

	"github.com/sesprov/sesprov/internal/ptytest"
)

func TestUseColorOnTerminal(t *testing.T) {
	clearColorEnv(t)
	ctl, tty, err := ptytest.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal on this machine: %v", err)
	}
	defer ctl.Close()
	defer tty.Close()
	if !UseColor(tty) {
		t.Error("UseColor(terminal) = false, want true")
	}
	t.Setenv(EnvNoColor, "")
	if UseColor(tty) {
		t.Error("NO_COLOR (empty): UseColor(terminal) = true, want false")
	}
	clearColorEnv(t)
	t.Setenv("TERM", "dumb")
	if UseColor(tty) {
		t.Error("TERM=dumb: UseColor(terminal) = true, want false")
	}
}
