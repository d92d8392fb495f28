package createuser

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/tty"
)

// Summary counts a batch's outcomes.
type Summary struct {
	Total                                         int
	Created, Completed, Exists, Failed, Conflicts int
	NotStarted                                    int
	FailedNames, ConflictNames                    []string
	Elapsed                                       time.Duration
	Limiter                                       string // the limiter's stats, or ""
}

func (s *Summary) ended() int {
	return s.Created + s.Completed + s.Exists + s.Failed + s.Conflicts
}

func (s *Summary) count(b *batchJob) {
	switch b.status {
	case StatusCreated:
		s.Created++
	case StatusCompleted:
		s.Completed++
	case StatusExists:
		s.Exists++
	case StatusConflict:
		s.Conflicts++
		s.ConflictNames = append(s.ConflictNames, b.job.name)
	default:
		s.Failed++
		s.FailedNames = append(s.FailedNames, b.job.name)
	}
}

// err is the batch's error: the first of the sending access's failure, an
// interruption, failed users, conflicts.
func (s *Summary) err(ctx context.Context, accessErr error) error {
	switch {
	case accessErr != nil:
		return fmt.Errorf("%w; users made by this run were deleted again: fix this and run the same command again", accessErr)
	case errors.Is(context.Cause(ctx), deliver.ErrReaderGone):
		return fmt.Errorf("batch stopped after %d of %d user(s) (%d not started): %w; the keys of users whose credentials it did not get were deleted: run the same command again with --out-file to finish", s.ended(), s.Total, s.NotStarted, deliver.ErrReaderGone)
	case ctx.Err() != nil:
		// What to run next is said by the CLI, which knows the command line
		// (and whether --out-file must change).
		return fmt.Errorf("batch interrupted after %d of %d user(s) (%d not started): %w", s.ended(), s.Total, s.NotStarted, ctx.Err())
	case s.Failed > 0:
		// Within the hour, the users delivered now look like a killed run's
		// orphans to a re-run: --done tells it they were delivered.
		return fmt.Errorf("%d of %d user(s) failed (%s), see above; the others are done: to finish, run the same command again with --done FILE, FILE holding this run's output (users whose key ID it names are reported done, not re-keyed)", s.Failed, s.Total, strings.Join(s.FailedNames, ", "))
	case s.Conflicts > 0:
		return fail.Conflictf("%d of %d user(s) need a decision (%s), see above", s.Conflicts, s.Total, strings.Join(s.ConflictNames, ", "))
	}
	return nil
}

// Line is the summary as one line for a person, coloured by p.
func (s *Summary) Line(p tty.Palette) string {
	failed, conflicts := fmt.Sprintf("%d failed", s.Failed), fmt.Sprintf("%d conflict(s)", s.Conflicts)
	if s.Failed > 0 {
		failed = p.Bad(failed)
	}
	if s.Conflicts > 0 {
		conflicts = p.Warn(conflicts)
	}
	notStarted, stats := "", ""
	if s.NotStarted > 0 {
		notStarted = fmt.Sprintf(", %d not started", s.NotStarted)
	}
	if s.Limiter != "" {
		stats = "; " + s.Limiter
	}
	return fmt.Sprintf("batch of %d user(s) in %s: %d created, %d completed, %d already done, %s, %s%s%s",
		s.Total, s.Elapsed.Round(time.Millisecond), s.Created, s.Completed, s.Exists, failed, conflicts, notStarted, stats)
}

// Line is a failed or conflicting user's line for a person ("" for a user
// that is fine), its status coloured by p.
func (o Outcome) Line(p tty.Palette) string {
	if o.Err == nil {
		return ""
	}
	return fmt.Sprintf("%s %s: %v", PaintStatus(p, o.Status), o.User, o.Err)
}

// PaintStatus colours a user's outcome on a terminal.
func PaintStatus(p tty.Palette, status string) string {
	switch status {
	case StatusCreated, StatusCompleted:
		return p.Good(status)
	case StatusFailed:
		return p.Bad(status)
	case StatusConflict:
		return p.Warn(status)
	}
	return status
}
