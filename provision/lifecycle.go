package provision

import (
	"io"

	"github.com/sesprov/sesprov/internal/output"
)

// Helpers shared by the lifecycle commands (rotate, delete-user, list, convert).

func defaultString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// WritePlan prints a dry run's plan, as create-user does.
func WritePlan(w io.Writer, f output.Format, items []PlanItem) error { return printPlan(w, f, items) }
