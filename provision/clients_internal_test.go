package provision

import (
	"strings"
	"testing"
	"time"
)

func TestSessionName(t *testing.T) {
	for in, want := range map[string]string{
		"":                          "sesprov",
		"sesprov-alice":             "sesprov-alice",
		"sesprov-DOMAIN\\bob smith": "sesprov-DOMAIN-bob-smith",
		"x":                         "sesprov-x",
		strings.Repeat("a", 80):     strings.Repeat("a", 64),
	} {
		if got := sessionName(in); got != want {
			t.Errorf("sessionName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDefaultUserNameIsUTC(t *testing.T) {
	at := time.Date(2026, 3, 4, 23, 5, 6, 0, time.FixedZone("CET", 3600))
	if got := DefaultUserName(at); got != "ses-smtp-user.20260304-220506" {
		t.Errorf("DefaultUserName = %q", got)
	}
	if err := ValidateUserName(DefaultUserName(time.Now())); err != nil {
		t.Error(err)
	}
}
