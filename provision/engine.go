package provision

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/redact"
)

// A Step is one stage of a workflow. Its Run reads IAM (observe), records what
// it is going to change with Run.Plan (decide), and changes it only when Plan
// says so (act): in a dry run Plan records the action and returns false, so
// the same code prints the plan and makes no mutating call.
//
// A Step's Run must be safe to repeat: an earlier run cut short anywhere
// leaves IAM in a state the next run's observation converges from.
type Step struct {
	Name string
	Run  func(ctx context.Context, r *Run) error
}

// Run is the state of one workflow run shared by its steps: whether it is a
// dry run, the plan so far, and the cleanups to run if a later step fails.
type Run struct {
	DryRun bool
	Log    *slog.Logger

	plan     []PlanItem
	cleanups []cleanup
}

// PlanItem is one line of a plan: a change (Change) or an observation that
// needs none.
type PlanItem struct {
	Change bool
	Text   string
}

type cleanup struct {
	what string
	fn   func(ctx context.Context) error
}

// NewRun returns a Run. log may be nil.
func NewRun(dryRun bool, log *slog.Logger) *Run {
	if log == nil {
		log = redact.DiscardLogger()
	}
	return &Run{DryRun: dryRun, Log: log}
}

// Plan records an intended change (a line of the plan --dry-run prints) and
// reports whether to make it: false in a dry run.
func (r *Run) Plan(format string, args ...any) bool {
	line := fmt.Sprintf(format, args...)
	r.plan = append(r.plan, PlanItem{Change: true, Text: line})
	if r.DryRun {
		r.Log.Info("plan", "action", line)
		return false
	}
	r.Log.Info("act", "action", line)
	return true
}

// Note records an observation for the plan that needs no change ("group G
// exists …"). It keeps the dry-run's report readable.
func (r *Run) Note(format string, args ...any) {
	r.plan = append(r.plan, PlanItem{Text: fmt.Sprintf(format, args...)})
}

// Planned returns the plan recorded so far.
func (r *Run) Planned() []PlanItem { return append([]PlanItem(nil), r.plan...) }

// OnFailure registers fn to undo a change if a later step fails or the run is
// interrupted. Cleanups run last-registered first, with a fresh short context
// (the run's own may be cancelled). Keep (below) drops them once the change
// has served its purpose.
func (r *Run) OnFailure(what string, fn func(ctx context.Context) error) {
	r.cleanups = append(r.cleanups, cleanup{what, fn})
}

// Keep forgets every registered cleanup: what they would undo is now wanted.
func (r *Run) Keep() { r.cleanups = nil }

// Execute runs steps in order, checking ctx between them. When a step fails
// (or ctx is cancelled), the registered cleanups run and the step's error is
// returned, with any cleanup failure added to it.
func (r *Run) Execute(ctx context.Context, steps []Step) error {
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return r.fail(ctx, fmt.Errorf("before %s: %w", s.Name, err))
		}
		start := time.Now()
		err := s.Run(ctx, r)
		r.Log.Info("step", "name", s.Name, "took", time.Since(start).Round(time.Millisecond), "ok", err == nil)
		if err != nil {
			return r.fail(ctx, err)
		}
	}
	return nil
}

// Cleanup runs the registered cleanups now, as if the run had failed, and
// returns the first error. Commands that fail outside Execute call it.
func (r *Run) Cleanup(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), iamapi.CleanupTimeout)
	defer cancel()
	var first error
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		c := r.cleanups[i]
		r.Log.Info("cleanup", "what", c.what)
		if err := c.fn(ctx); err != nil && first == nil {
			first = fmt.Errorf("%s: %w", c.what, err)
		}
	}
	r.cleanups = nil
	return first
}

func (r *Run) fail(ctx context.Context, err error) error {
	if cerr := r.Cleanup(ctx); cerr != nil {
		return fmt.Errorf("%w; and then %w", err, cerr)
	}
	return err
}
