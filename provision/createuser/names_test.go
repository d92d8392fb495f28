package createuser_test

import (
	"testing"
	"time"

	"github.com/sesprov/sesprov/internal/tty"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/createuser"
)

func TestDefaultUserNameIsUTC(t *testing.T) {
	at := time.Date(2026, 3, 4, 23, 5, 6, 0, time.FixedZone("CET", 3600))
	if got := createuser.DefaultUserName(at); got != "ses-smtp-user.20260304-220506" {
		t.Errorf("createuser.DefaultUserName = %q", got)
	}
	if err := provision.ValidateUserName(createuser.DefaultUserName(time.Now())); err != nil {
		t.Error(err)
	}
}

func TestPaintStatus(t *testing.T) {
	p := tty.ForcePalette(true)
	for status, sgr := range map[string]func(string) string{createuser.StatusCreated: p.Good, createuser.StatusCompleted: p.Good, createuser.StatusFailed: p.Bad, createuser.StatusConflict: p.Warn} {
		if got := createuser.PaintStatus(p, status); got != sgr(status) {
			t.Errorf("%s painted %q", status, got)
		}
	}
	if got := createuser.PaintStatus(p, createuser.StatusExists); got != createuser.StatusExists {
		t.Errorf("exists painted %q", got)
	}
}
