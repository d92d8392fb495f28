package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/provision/list"
	"github.com/sesprov/sesprov/provision/rotate"
	"github.com/urfave/cli/v2"
)

const (
	flgOlderThan = "older-than"
	flgGrace     = "grace"
)

// rotateFleetFlags are the flags of a rotation of many users.
func rotateFleetFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flgFrom, Usage: "rotate the users named in `FILE`, one per line ('-' for stdin; # comments and blank lines skipped)"},
		&cli.BoolFlag{Name: flgAll, Usage: "rotate every SMTP user 'sesprov list' shows"},
		&cli.StringFlag{Name: flgOlderThan, Usage: "rotate only users whose newest active key is older than `AGE`: days (90d) or a duration (2160h)"},
		&cli.IntFlag{Name: flgConcurrency, Value: rotate.DefaultConcurrency, Usage: "with --from or --all: work on `N` users at once (IAM's rate is respected whatever N)"},
		&cli.StringFlag{Name: flgGrace, Usage: "keep the superseded key active for `DURATION` (days, 1d, or a duration, 24h) after the new key was delivered (e.g. 24h); a later run retires it, unless it was used after the senders should have switched (a conflict, exit 3; --force retires it anyway). 0: retire at once"},
	}
}

// rotateUsers reads which users to rotate: exactly one of --user-name,
// --from and --all. fleet: more than one user may be rotated.
func rotateUsers(c *cli.Context) (names []string, all, fleet bool, err error) {
	n := 0
	for _, f := range []string{flgUserName, flgFrom, flgAll} {
		if c.IsSet(f) {
			n++
		}
	}
	if n != 1 {
		return nil, false, false, fail.Usagef("rotate needs --%s NAME, --%s FILE or --%s (exactly one)", flgUserName, flgFrom, flgAll)
	}
	switch {
	case c.IsSet(flgAll):
		return nil, true, true, nil
	case c.IsSet(flgFrom):
		names, err = readUserNames(c, c.String(flgFrom))
		return names, false, true, err
	}
	if c.IsSet(flgConcurrency) {
		return nil, false, false, fail.Usagef("--%s applies to many users: use it with --%s FILE or --%s", flgConcurrency, flgFrom, flgAll)
	}
	return []string{c.String(flgUserName)}, false, false, nil
}

// rotateTimes reads --older-than and --grace into in.
func rotateTimes(c *cli.Context, in *rotate.Options) error {
	var err error
	if in.OlderThan, err = daysFlag(c, flgOlderThan); err != nil {
		return err
	}
	in.Grace, err = daysFlag(c, flgGrace)
	return err
}

// daysFlag reads a duration flag the way list's --max-age is read: days
// ("90d") or a Go duration ("24h"); unset or "0" is 0.
func daysFlag(c *cli.Context, name string) (time.Duration, error) {
	s := c.String(name)
	if s == "" {
		return 0, nil
	}
	d, err := list.ParseMaxAge(s)
	if err != nil {
		return 0, fail.Usagef("--%s %q: give days (90d) or a duration (24h, 36h30m); 0 turns it off", name, s)
	}
	return d, nil
}

// rotateFleet rotates many users: one line per user on stdout, a summary on
// stderr; exit 1 if any failed, 3 if any conflict and none failed.
func rotateFleet(c *cli.Context, in rotate.Options, names []string, all bool, verify rotate.Verifier, dest deliver.Destination) error {
	g := globalsOf(c)
	conc := c.Int(flgConcurrency)
	if conc < 1 || conc > rotate.MaxConcurrency {
		return fail.Usagef("--%s %d: give 1 to %d", flgConcurrency, conc, rotate.MaxConcurrency)
	}
	if dest.Kind == deliver.KindStdout && !in.DryRun {
		return fail.Usagef("rotating many users prints one status line per user on stdout, not credentials: pass --%s 'secretsmanager:ses/{user}', 'ssm:/ses/{user}', 'file:DIR/{user}.json' or 'cmd:COMMAND' (with {user})", flgDeliverTo)
	}
	clients, err := newClients(c)
	if err != nil {
		return err
	}
	defer clients.Close()
	var known map[string]*rotate.Known
	if all {
		// list decides what an SMTP user is: the users need no second check,
		// and what list read of each is not read again.
		found, err := rotate.Discover(c.Context, clients.IAM, in.GroupName, in.PolicyName, conc)
		if err != nil {
			return fmt.Errorf("find the SMTP users (as 'sesprov list'): %w", err)
		}
		names, known = found.Names, found.Known
		in.Classified = true
	}
	if len(names) == 0 {
		fmt.Fprintln(g.Stderr, "sesprov: no SMTP user to rotate")
		return nil
	}
	// The destination is opened for every user before any change: a
	// destination without {user} is refused for more than one.
	d, err := openDelivererTo(c, nil, dest, names, c.Bool(flgIncludeSecretKey), in.DryRun) // rotate prints the line per user
	if err != nil {
		return err
	}
	defer d.Close()
	deliverSet := func(ctx context.Context, set creds.CredentialSet) error { return d.Deliver(ctx, set) }
	began := time.Now()
	w := newFleetWriter(g.Stdout, outputExplicit(c) && g.Output == output.FormatTable)
	results := rotate.RunFleet(c.Context, clients.IAM, rotate.FleetOptions{Options: in, Users: names, Concurrency: conc, Known: known}, deliverSet, verify, w.write)
	w.flush()
	return fleetSummary(g.Stderr, results, time.Since(began))
}

// fleetWriter writes one JSON object per user as each finishes, or a table
// once all have.
type fleetWriter struct {
	w     io.Writer
	table *tabwriter.Writer
}

func newFleetWriter(w io.Writer, table bool) *fleetWriter {
	fw := &fleetWriter{w: w}
	if table {
		fw.table = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(fw.table, "USER\tSTATUS\tNEW KEY\tRETIRED\tWAIT UNTIL\tERROR")
	}
	return fw
}

func (fw *fleetWriter) write(r rotate.UserResult) {
	if fw.table == nil {
		b, _ := json.Marshal(r)
		fmt.Fprintf(fw.w, "%s\n", b)
		return
	}
	until := ""
	if r.WaitUntil != nil {
		until = r.WaitUntil.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(fw.table, "%s\t%s\t%s\t%s\t%s\t%s\n", r.UserName, r.Status, output.Dash(r.NewKeyID),
		output.Dash(strings.Join(r.Retired, ",")), output.Dash(until), output.Dash(r.Error))
}

func (fw *fleetWriter) flush() {
	if fw.table != nil {
		fw.table.Flush()
	}
}

// fleetSummary prints the counts on stderr and returns the exit: failed
// wins over conflict.
func fleetSummary(w io.Writer, results []rotate.UserResult, took time.Duration) error {
	n := rotate.Summarize(results)
	var parts []string
	for _, s := range []string{rotate.StatusRotated, rotate.StatusRetired, rotate.StatusWaiting, rotate.StatusFresh, rotate.StatusConflict, rotate.StatusFailed} {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
		}
	}
	fmt.Fprintf(w, "sesprov: %d user(s): %s (%s)\n", len(results), strings.Join(parts, ", "), took.Round(time.Millisecond))
	switch {
	case n[rotate.StatusFailed] > 0:
		return fmt.Errorf("%d of %d user(s) failed (see their lines)", n[rotate.StatusFailed], len(results))
	case n[rotate.StatusConflict] > 0:
		return fail.Conflictf("%d of %d user(s) need you (status conflict; see their lines)", n[rotate.StatusConflict], len(results))
	}
	return nil
}
