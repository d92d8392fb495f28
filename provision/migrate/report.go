package migrate

import (
	"context"
	"sync"

	"github.com/sesprov/sesprov/provision"
)

// Outcome is what became of one user.
type Outcome string

// The outcomes a summary counts.
const (
	Migrated     Outcome = "migrated"
	WouldMigrate Outcome = "would_migrate" // dry run
	AlreadyDone  Outcome = "already_done"
	Skipped      Outcome = "skipped" // needs a decision; nothing changed
	Failed       Outcome = "failed"  // an IAM call failed; the user is as it was or further along
)

// UserResult is one user's line of migrate's report.
type UserResult struct {
	UserName string   `json:"user_name"`
	Outcome  Outcome  `json:"outcome"`
	Changes  []string `json:"changes"`          // made, in order (planned, in a dry run)
	Reason   string   `json:"reason,omitempty"` // why skipped, or the error
}

// Summary counts the outcomes.
type Summary struct {
	DryRun       bool     `json:"dry_run"`
	Migrated     int      `json:"migrated"`
	AlreadyDone  int      `json:"already_done"`
	Skipped      int      `json:"skipped"`
	Failed       int      `json:"failed"`
	GroupChanges []string `json:"group_changes"`
}

// Report receives migrate's report as it happens: the group's changes
// (only when there are some), then each user's result in discovery order
// (users whose reads failed first), then the summary. Calls never overlap.
type Report interface {
	Group(group string, changes []string) error
	User(UserResult) error
	Summary(Summary) error
}

type discard struct{}

func (discard) Group(string, []string) error { return nil }
func (discard) User(UserResult) error        { return nil }
func (discard) Summary(Summary) error        { return nil }

// count adds results to the summary and returns who failed and who was
// skipped.
func (s *Summary) count(results []UserResult) (failed, skipped []string) {
	for _, r := range results {
		switch r.Outcome {
		case Migrated, WouldMigrate:
			s.Migrated++
		case AlreadyDone:
			s.AlreadyDone++
		case Skipped:
			s.Skipped++
			skipped = append(skipped, r.UserName)
		case Failed:
			s.Failed++
			failed = append(failed, r.UserName)
		}
	}
	return failed, skipped
}

// migrateAll migrates users, a few at once, and reports each in order as
// soon as it and those before it are done. It returns every result, how many
// users finished, and the first report error.
func (m *migrator) migrateAll(ctx context.Context, users []provision.LegacyUser, inspectFailed []UserResult) ([]UserResult, int, error) {
	var werr error
	report := func(r UserResult) {
		if err := m.opts.Report.User(r); err != nil && werr == nil {
			werr = err
		}
	}
	for _, r := range inspectFailed {
		report(r)
	}
	results := make([]UserResult, len(users))
	done := make([]bool, len(users))
	var mu sync.Mutex
	next := 0
	provision.ForEach(ctx, len(users), m.opts.Concurrency, func(ctx context.Context, i int) {
		res := m.migrateUser(ctx, users[i])
		mu.Lock()
		defer mu.Unlock()
		results[i], done[i] = res, true
		for next < len(users) && done[next] {
			report(results[next])
			next++
		}
	})
	// Interrupted: users that finished after one that never started are
	// reported too.
	finished := 0
	for i := range users {
		if !done[i] {
			continue
		}
		finished++
		if i >= next {
			report(results[i])
		}
	}
	return results, finished, werr
}
