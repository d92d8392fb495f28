package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/progress"
	"github.com/sesprov/sesprov/internal/tty"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/apply"
	"github.com/urfave/cli/v2"
)

const (
	flgFile   = "file"
	flgPrune  = "prune"
	flgSchema = "schema"
)

func createApplyCommand() *cli.Command {
	return &cli.Command{
		Name:      "apply",
		Usage:     "make the account's SMTP senders match a senders file (senders as code)",
		UsageText: "sesprov apply -f senders.yaml [--dry-run] [--prune [--yes]] [--concurrency N]\n   sesprov apply --schema",
		Description: "Reads the senders file (YAML; see docs/senders-as-code.md, or --schema for its JSON\n" +
			"Schema), reads the account once (iam:GetAccountAuthorizationDetails, in pages) and\n" +
			"makes it match:\n" +
			"  + a sender the account lacks is created and its credentials delivered (deliver_to);\n" +
			"  ~ a sender with no active key, whose newest key is older than max_key_age, or\n" +
			"    whose regions grew, is rotated: the new key is delivered, and the old one stays\n" +
			"    active for the grace period (no grace: retired at once); a later apply retires\n" +
			"    it, unless it was used late in the grace period (a conflict);\n" +
			"  ~ allow_from is set as the file says (absent or []: the scope is removed); the\n" +
			"    file's tags are set (other tags stay); permissions_boundary is set when given\n" +
			"    (absent: the user's stays); a user outside the sending group is added to it;\n" +
			"    a different path is only warned about (moving a user would change its ARN);\n" +
			"  - a user sesprov made that the file no longer lists is reported (unlisted), and\n" +
			"    deleted only with --prune, and not while its keys were used in the last 7\n" +
			"    days (a conflict; --force deletes it). A user sesprov did not make is never\n" +
			"    deleted.\n" +
			"A file with any problem is refused before any AWS call, every problem named with\n" +
			"its line. An unchanged file applied again makes no change. Run it daily: it is\n" +
			"also the rotation schedule. Safe to repeat after a run cut short.\n\n" +
			"Output: --dry-run prints the plan (+ create, ~ change, - delete, with why). -o json\n" +
			"prints one line per sender as it ends, with its status: created, rotated, retired,\n" +
			"scoped, updated, unchanged, unlisted, pruned, failed or conflict.\n\n" +
			"Exit codes: 0 done, 1 some sender failed (the others went on; run again), 2 a bad\n" +
			"file or usage (nothing changed), 3 some sender needs you (conflict), 130\n" +
			"interrupted (143 by SIGTERM).\n\n" +
			"Examples:\n" +
			"   sesprov apply -f senders.yaml --dry-run\n" +
			"   sesprov apply -f senders.yaml -o json\n" +
			"   sesprov apply -f senders.yaml --prune --yes\n" +
			"   sesprov apply --schema > senders.schema.json",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flgFile, Aliases: []string{"f"}, Usage: "the senders `FILE` (YAML; '-' for stdin)"},
			&cli.BoolFlag{Name: flgDryRun, Usage: "print the plan; change nothing"},
			&cli.BoolFlag{Name: flgPrune, Usage: "delete the users sesprov made that the file does not list (asks on a terminal; --yes elsewhere)"},
			&cli.BoolFlag{Name: flgYes, Aliases: []string{"y"}, Usage: "with --prune, do not ask for confirmation (required when stdin is not a terminal)"},
			&cli.IntFlag{Name: flgConcurrency, Value: apply.DefaultConcurrency, Usage: "work on `N` senders at once (IAM's rate is respected whatever N)"},
			&cli.BoolFlag{Name: flgForce, Usage: "act even on keys still in use: retire superseded keys used late in their grace period, and with --prune delete unlisted users whose keys were used in the last 7 days (each a conflict otherwise: see its line)"},
			&cli.BoolFlag{Name: flgSchema, Usage: "print the JSON Schema of the senders file and exit"},
			&cli.StringFlag{Name: flgKMSKeyID, Usage: "with secretsmanager: or ssm: destinations, encrypt with this customer managed KMS `KEY` (ID, ARN or alias/NAME)"},
			&cli.StringFlag{Name: flgStoreRegion, Usage: "the `REGION` of the secretsmanager: and ssm: destinations (default: the AWS SDK's region, as for IAM)"},
			&cli.BoolFlag{Name: flgIncludeSecretKey, Usage: "also deliver the IAM secret access key (for the SES API) beside the SMTP passwords"},
			&cli.StringFlag{Name: flgGroup, Value: provision.DefaultGroupName, Usage: "sending `GROUP` senders join (its members count as SMTP users)"},
			&cli.StringFlag{Name: flgPolicyName, Value: provision.DefaultPolicyName, Usage: "`NAME` of the sending policy (and of legacy console users' inline policy)"},
		},
		Action: applyAction,
	}
}

func applyAction(c *cli.Context) error {
	g := globalsOf(c)
	if c.Bool(flgSchema) {
		if c.IsSet(flgFile) {
			return fail.Usagef("--%s prints the schema only: drop -f", flgSchema)
		}
		_, err := g.Stdout.Write(apply.Schema())
		return err
	}
	notices := &noticeSink{w: g.Stderr}
	f, o, err := applyInput(c, notices.notify)
	if err != nil {
		return err
	}
	clients, err := newClients(c)
	if err != nil {
		return err
	}
	defer clients.Close()
	plan, err := apply.MakePlan(c.Context, clients.IAM, f, o)
	if err != nil {
		return err
	}
	if plan.Others > 0 {
		fmt.Fprintf(g.Stderr, "sesprov: %s not made by sesprov and not in %s: left alone\n", plural(plan.Others, "other SMTP user"), f.Name)
	}
	deps := apply.Deps{IAM: clients.IAM, STS: clients.STS, Open: applyOpener(c)}
	if o.DryRun {
		plan.CheckDeliveries(c.Context, deps)
		results := plan.Results()
		if g.Output != output.FormatJSON {
			if err := writeApplyTable(g.Stdout, results, true); err != nil {
				return err
			}
		} else {
			for _, r := range results {
				writeApplyJSON(g.Stdout, r)
			}
		}
		return applySummary(g.Stderr, results, 0, true)
	}
	if err := confirmPrune(c, plan); err != nil {
		return err
	}
	began := time.Now()
	// Progress on stderr: a line in place on a terminal, else every 5 s.
	// Notices are written through it, above the line.
	meter := progress.New(g.Stderr, progress.Options{Total: len(plan.Senders) + len(plan.Unlisted), Terminal: tty.IsTerminal(g.Stderr)})
	notices.to(func(n provision.Notice) { meter.Printf("%s\n", noticeLine(n)) })
	results, err := plan.Apply(c.Context, deps, func(r apply.Result) {
		if g.Output == output.FormatJSON { // each line as its sender ends; a table once all have
			writeApplyJSON(g.Stdout, r)
		}
		meter.Add(r.Status == apply.StatusFailed || r.Status == apply.StatusConflict)
	})
	meter.Close()
	notices.to(nil)
	if err != nil {
		return err
	}
	if g.Output != output.FormatJSON {
		if err := writeApplyTable(g.Stdout, results, false); err != nil {
			return err
		}
	}
	err = applySummary(g.Stderr, results, time.Since(began), false)
	if c.Context.Err() != nil {
		return fmt.Errorf("interrupted: the lines above say which senders were applied; apply again to finish: %w", context.Canceled)
	}
	return err
}

// applyInput reads and checks everything before any AWS call: the flags and
// the whole file.
func applyInput(c *cli.Context, notices provision.Notices) (*apply.File, apply.Options, error) {
	g := globalsOf(c)
	o := apply.Options{
		DryRun: c.Bool(flgDryRun), Prune: c.Bool(flgPrune), Force: c.Bool(flgForce), Concurrency: c.Int(flgConcurrency),
		GroupName: c.String(flgGroup), PolicyName: c.String(flgPolicyName), Log: g.Log, Notices: notices,
	}
	switch {
	case c.Args().Present():
		return nil, o, fail.Usagef("apply takes no arguments (got %q): pass -f FILE", c.Args().First())
	case !c.IsSet(flgFile):
		return nil, o, fail.Usagef("apply needs -f FILE, the senders file (see 'sesprov apply --help'; --schema prints its JSON Schema)")
	case g.Output != output.FormatTable && g.Output != output.FormatJSON:
		return nil, o, fail.Usagef("apply prints table or json, not %s", g.Output)
	case o.Concurrency < 1 || o.Concurrency > apply.MaxConcurrency:
		return nil, o, fail.Usagef("--%s %d: give 1 to %d", flgConcurrency, o.Concurrency, apply.MaxConcurrency)
	case o.Prune && !o.DryRun && !g.Yes && !c.Bool(flgYes) && !stdinTerminal(g.Stdin):
		return nil, o, fail.Usagef("--%s deletes users and there is no terminal to ask: add --%s (run with --%s first to see which)", flgPrune, flgYes, flgDryRun)
	}
	f, err := readSendersFile(g.Stdin, c.String(flgFile))
	if err != nil {
		return nil, o, err
	}
	return f, o, checkApplyStoreFlags(c, f)
}

// noticeSink renders notices on w, or through a function set while a
// progress line is shown (the plan keeps the Notices it was made with).
type noticeSink struct {
	mu   sync.Mutex
	w    io.Writer
	with func(provision.Notice)
}

func (s *noticeSink) to(fn func(provision.Notice)) {
	s.mu.Lock()
	s.with = fn
	s.mu.Unlock()
}

func (s *noticeSink) notify(n provision.Notice) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.with != nil {
		s.with(n)
		return
	}
	fmt.Fprintln(s.w, noticeLine(n))
}

// readSendersFile reads and parses the senders file ('-': stdin).
func readSendersFile(stdin io.Reader, name string) (*apply.File, error) {
	r := stdin
	if name != "-" {
		fh, err := os.Open(name)
		if err != nil {
			return nil, fail.Usagef("-f %s: %v", name, err)
		}
		defer fh.Close()
		r = fh
	} else {
		name = "stdin"
	}
	return apply.Parse(r, name)
}

// checkApplyStoreFlags refuses store flags no sender of the file can use.
func checkApplyStoreFlags(c *cli.Context, f *apply.File) error {
	stores := false
	for _, s := range f.Senders {
		stores = stores || s.DeliverTo.Kind.IsStore()
	}
	if stores {
		return checkStoreFlags(c, deliver.Destination{Kind: deliver.KindSecretsManager})
	}
	return checkStoreFlags(c, deliver.Destination{Kind: deliver.KindFile})
}

// applyOpener opens a destination of the file for its users. Credentials are
// written as JSON (the stores' format), or as a file's extension says.
func applyOpener(c *cli.Context) func(deliver.Destination, []string, bool) (*deliver.Deliverer, error) {
	g := globalsOf(c)
	return func(dest deliver.Destination, users []string, check bool) (*deliver.Deliverer, error) {
		format, err := dest.FormatFor(output.FormatJSON, false)
		if err != nil {
			return nil, err
		}
		return deliver.Open(dest, deliver.Options{
			Format: format, IncludeSecretKey: c.Bool(flgIncludeSecretKey), Stderr: g.Stderr, Users: users, DryRun: check,
			Store: deliver.StoreOptions{KMSKeyID: c.String(flgKMSKeyID), Connect: storeConnect(c)},
		})
	}
}

// confirmPrune asks, on a terminal and without --yes, before deleting the
// unlisted users; no is a usage error and nothing is changed.
func confirmPrune(c *cli.Context, plan *apply.Plan) error {
	g := globalsOf(c)
	var doomed []string
	for _, sp := range plan.Unlisted {
		if sp.Err() == nil { // one still in use is a conflict, not deleted
			doomed = append(doomed, sp.Sender.Name)
		}
	}
	if !c.Bool(flgPrune) || len(doomed) == 0 || g.Yes || c.Bool(flgYes) {
		return nil
	}
	fmt.Fprintln(g.Stderr, "sesprov apply --prune will delete these users, made by sesprov and not in the file, with their keys:")
	for _, name := range doomed {
		fmt.Fprintf(g.Stderr, "  - %s\n", name)
	}
	ok, err := confirm(c.Context, g, fmt.Sprintf("Delete %s?", plural(len(doomed), "user")))
	switch {
	case err != nil:
		return err
	case !ok:
		return fail.Usagef("not confirmed: nothing was changed (run without --%s to apply the rest)", flgPrune)
	}
	return nil
}

// writeApplyJSON writes a sender's line (-o json).
func writeApplyJSON(w io.Writer, r apply.Result) {
	b, _ := json.Marshal(r) // a Result always marshals: strings, a time, a list of structs
	fmt.Fprintf(w, "%s\n", b)
}

// writeApplyTable writes the lines as terraform plan does: a mark and the
// sender with its status, then each change with its mark and why. Unchanged
// senders are only counted.
func writeApplyTable(w io.Writer, rs []apply.Result, dryRun bool) error {
	var b strings.Builder
	var plus, tilde, minus, same, kept int
	for _, r := range rs {
		mark := applyMark(r)
		switch {
		case r.Status == apply.StatusUnchanged && r.WaitUntil == nil:
			same++
			continue
		case r.Status == apply.StatusUnchanged: // in a grace period: shown, and counted unchanged
			same++
		case r.Status == apply.StatusUnlisted:
			kept++
		case mark == apply.OpCreate:
			plus++
		case mark == apply.OpDelete:
			minus++
		case mark == apply.OpChange:
			tilde++
		}
		status := r.Status
		if dryRun && r.Status != apply.StatusFailed && r.Status != apply.StatusConflict && r.Status != apply.StatusUnchanged && r.Status != apply.StatusUnlisted {
			status = "will be " + status
		}
		fmt.Fprintf(&b, "  %s %s: %s", mark, r.Name, status)
		if note := applyNote(r); note != "" {
			fmt.Fprintf(&b, "; %s", note)
		}
		b.WriteString("\n")
		for _, ch := range r.Changes {
			fmt.Fprintf(&b, "      %s %s: %s\n", ch.Op, ch.What, ch.Detail)
		}
	}
	switch {
	case b.Len() == 0 && dryRun:
		fmt.Fprintf(&b, "No changes: the account matches the file (%d sender(s) unchanged).\n", same)
	case b.Len() == 0:
		fmt.Fprintf(&b, "No changes were needed (%d sender(s) unchanged).\n", same)
	case dryRun:
		fmt.Fprintf(&b, "\nPlan: %d to create, %d to change, %d to delete; %d unchanged", plus, tilde, minus, same)
		if kept > 0 {
			fmt.Fprintf(&b, "; %d unlisted, kept (--prune deletes them)", kept)
		}
		b.WriteString(".\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// applyMark is a line's mark: + a new user, - a user going, ~ any change,
// ! a failure or conflict.
func applyMark(r apply.Result) string {
	switch r.Status {
	case apply.StatusFailed, apply.StatusConflict:
		return "!"
	case apply.StatusUnchanged:
		return " "
	case apply.StatusCreated:
		return apply.OpCreate
	case apply.StatusUnlisted, apply.StatusPruned:
		return apply.OpDelete
	}
	return apply.OpChange
}

// applyNote is what a line adds after its status: the new key and where it
// went, what was retired, until when a superseded key stays, the error.
func applyNote(r apply.Result) string {
	var parts []string
	if r.NewKeyID != "" {
		parts = append(parts, "new key "+r.NewKeyID)
	}
	if r.DeliveredTo != "" {
		parts = append(parts, "delivered to "+r.DeliveredTo)
	}
	if len(r.Retired) > 0 {
		parts = append(parts, "retired "+strings.Join(r.Retired, ", "))
	}
	if r.WaitUntil != nil {
		parts = append(parts, "the superseded key stays active until "+r.WaitUntil.UTC().Format(time.RFC3339)+", then a later apply retires it")
	}
	if r.Error != "" {
		parts = append(parts, r.Error)
	}
	return strings.Join(parts, "; ")
}

// applySummary prints the counts on stderr and returns the exit: failed
// wins over conflict.
func applySummary(w io.Writer, rs []apply.Result, took time.Duration, dryRun bool) error {
	n := map[string]int{}
	for _, r := range rs {
		n[r.Status]++
	}
	var parts []string
	for _, s := range []string{apply.StatusCreated, apply.StatusRotated, apply.StatusRetired, apply.StatusScoped, apply.StatusUpdated,
		apply.StatusUnchanged, apply.StatusUnlisted, apply.StatusPruned, apply.StatusConflict, apply.StatusFailed} {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no sender in the file, no unlisted user")
	}
	if dryRun {
		fmt.Fprintf(w, "sesprov: dry run, nothing was changed; a real run: %s\n", strings.Join(parts, ", "))
	} else {
		fmt.Fprintf(w, "sesprov: %s (%s)\n", strings.Join(parts, ", "), took.Round(time.Millisecond))
	}
	switch {
	case dryRun && n[apply.StatusFailed] > 0:
		return fmt.Errorf("%d sender(s) would fail (see their lines)", n[apply.StatusFailed])
	case n[apply.StatusFailed] > 0 && n[apply.StatusFailed]+n[apply.StatusConflict] == len(rs):
		return fmt.Errorf("%d sender(s) failed (see their lines): run apply again", n[apply.StatusFailed])
	case n[apply.StatusFailed] > 0:
		return fmt.Errorf("%d sender(s) failed (see their lines); the others were applied: run apply again", n[apply.StatusFailed])
	case n[apply.StatusConflict] > 0:
		return fail.Conflictf("%d sender(s) need you (status conflict; see their lines)", n[apply.StatusConflict])
	}
	return nil
}
