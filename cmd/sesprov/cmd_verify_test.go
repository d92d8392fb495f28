package main

import (
	"testing"

	"github.com/sesprov/sesprov/internal/tty"
	"github.com/sesprov/sesprov/provision/verify"
)

func TestPaintVerifyStatus(t *testing.T) {
	p := tty.ForcePalette(true)
	if got := paintVerifyStatus(p, verify.Accepted); got != p.Good("accepted") {
		t.Errorf("accepted painted %q", got)
	}
	for _, s := range []verify.Status{verify.Rejected, verify.Unreachable} {
		if got := paintVerifyStatus(p, s); got != p.Bad(string(s)) {
			t.Errorf("%s painted %q", s, got)
		}
	}
	if got := paintVerifyStatus(tty.ForcePalette(false), verify.Rejected); got != "rejected" {
		t.Errorf("colour off: %q", got)
	}
}
