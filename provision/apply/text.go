package apply

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/provision/rotate"
	"github.com/sesprov/sesprov/provision/scope"
)

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

func scopeText(addrs []string) string {
	if len(addrs) == 0 {
		return ""
	}
	return ", scoped to " + strings.Join(scope.Shown(addrs), ", ")
}

func orNone(s string) string { return orText(s, "none") }

func orText(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

// retireText says what becomes of the old key once the new one is delivered.
func retireText(r *rotate.Rotation, grace time.Duration) string {
	if len(r.Old) == 0 {
		return ""
	}
	if grace > 0 {
		return fmt.Sprintf("; %s stays active for the grace period (%s), then a later apply retires it", strings.Join(r.Old, ", "), durationText(grace))
	}
	return fmt.Sprintf("; then %s is deactivated", strings.Join(r.Old, ", "))
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return "at an unrecorded time"
	}
	return t.UTC().Format(time.RFC3339)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// ageText is an age in whole days, or hours under two days.
func ageText(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// durationText writes a duration as the file would: 90d, or 36h.
func durationText(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	return strings.TrimSuffix(strings.TrimSuffix(d.String(), "0s"), "0m")
}

// destText names where a sender's credentials go: the store or file, or
// "the deliver_to command" (a command may be long, and holds what the
// user wrote).
func destText(s Sender) string {
	if s.DeliverTo.Kind == deliver.KindCommand {
		return "the deliver_to command"
	}
	return s.DeliverTo.For(s.Name).String()
}
