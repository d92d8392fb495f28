package iamapi

import (
	"strings"
	"testing"
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
