package provision

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/tty"
)

// printPlan prints a dry run's plan: lines for a person, or
// {"dry_run":true,"plan":[…],"unchanged":[…]} with -o json.
func printPlan(w io.Writer, f output.Format, items []PlanItem) error {
	var changes, unchanged []string
	for _, it := range items {
		if it.Change {
			changes = append(changes, it.Text)
		} else {
			unchanged = append(unchanged, it.Text)
		}
	}
	if f == output.FormatJSON {
		b, err := json.Marshal(struct {
			DryRun    bool     `json:"dry_run"`
			Plan      []string `json:"plan"`
			Unchanged []string `json:"unchanged"`
		}{true, nonNil(changes), nonNil(unchanged)})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	var b strings.Builder
	p := tty.NewPalette(w)
	b.WriteString("dry run: nothing was changed. The plan (+ change, = already right):\n")
	for _, it := range items {
		mark := "="
		if it.Change {
			mark = p.Warn("+")
		}
		fmt.Fprintf(&b, "  %s %s\n", mark, it.Text)
	}
	if len(changes) == 0 {
		b.WriteString("  (no change needed)\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
