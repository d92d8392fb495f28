package provision

import (
	"testing"

	"github.com/sesprov/sesprov/internal/tty"
)

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
