package provision

import (
	"testing"
	"time"
)

func TestDefaultUserNameIsUTC(t *testing.T) {
	at := time.Date(2026, 3, 4, 23, 5, 6, 0, time.FixedZone("CET", 3600))
	if got := DefaultUserName(at); got != "ses-smtp-user.20260304-220506" {
		t.Errorf("DefaultUserName = %q", got)
	}
	if err := ValidateUserName(DefaultUserName(time.Now())); err != nil {
		t.Error(err)
	}
}
