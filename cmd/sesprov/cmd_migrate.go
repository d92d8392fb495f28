package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/migrate"
	"github.com/urfave/cli/v2"
)

const (
	flgAll                = "all"
	flgMigrateConcurrency = "concurrency"
)

func createMigrateCommand() *cli.Command {
	return &cli.Command{
		Name:      "migrate",
		Usage:     "move SMTP users made before September 2024 from their inline policy to the sending group",
		UsageText: "sesprov migrate (--user-name NAME | --all) [--dry-run] [--yes] [--force]\n   sesprov migrate --all --dry-run --org [--accounts ID,…] [--role-name NAME]",
		Description: "The SES console gave each SMTP user it made before 6 September 2024 an inline\n" +
			"policy " + provision.DefaultPolicyName + " and the tag " + provision.TagConsoleKey + "=" + provision.TagConsoleValue + "; AWS asks owners\n" +
			"to move them to the group " + provision.DefaultGroupName + ". migrate does AWS's manual\n" +
			"steps: it ensures the group and its policy (a group the console made is accepted),\n" +
			"adds the user to the group, waits until the membership and the group's grant are\n" +
			"seen, only then deletes the inline policy, and removes the " + provision.TagConsoleKey + " tag (other\n" +
			"tags are kept). No user is ever without ses:SendRawEmail; a run cut short, or\n" +
			"failing for one user, leaves that user as it was or further along: run it again.\n\n" +
			"An inline policy holding more than the standard statement is kept, the user skipped\n" +
			"(exit 3) unless --force; so is a tagged user with no SES access at all (--force adds\n" +
			"it to the group). With --all you are asked to confirm on a terminal (--yes skips it).\n\n" +
			"Exit codes: 0 every user migrated or already done; 1 an IAM call failed for a user\n" +
			"(run again); 2 bad input, nothing changed; 3 a user needs a decision (see SKIPPED);\n" +
			"130 interrupted (143 by\n" +
			"SIGTERM).\n\n" +
			"With --org (only with --all --dry-run), the plan covers every ACTIVE account of\n" +
			"the AWS Organization (see 'sesprov audit --help'); each line names its account\n" +
			"(json: account_id). Migrate each account on its own, without --org.\n\n" +
			"Examples:\n" +
			"   sesprov migrate --all --dry-run\n" +
			"   sesprov migrate --user-name ses-smtp-user.20230412-101500\n" +
			"   sesprov --yes -o json migrate --all\n" +
			"   sesprov migrate --all --dry-run --org",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: flgUserName, Usage: "migrate the IAM user `NAME`"},
			&cli.BoolFlag{Name: flgAll, Usage: "migrate every user with the inline policy or the " + provision.TagConsoleKey + "=" + provision.TagConsoleValue + " tag"},
			&cli.BoolFlag{Name: flgDryRun, Usage: "print what would change, per user; change nothing"},
			&cli.BoolFlag{Name: flgForce, Usage: "also delete an inline policy that holds more than the standard statement (Allow ses:SendRawEmail on \"*\"), and add tagged users with no SES access to the group"},
			&cli.StringFlag{Name: flgGroup, Value: provision.DefaultGroupName, Usage: "sending `GROUP`"},
			&cli.StringFlag{Name: flgPolicyName, Value: provision.DefaultPolicyName, Usage: "`NAME` of the users' inline policy and of the group's managed policy"},
			&cli.BoolFlag{Name: flgRepairPolicy, Usage: "if the group's managed policy has drifted from the standard document, make the standard one its default version"},
			&cli.BoolFlag{Name: flgYes, Aliases: []string{"y"}, Usage: "do not ask for confirmation (the same as the global --yes, accepted after the command too)"},
			&cli.IntFlag{Name: flgMigrateConcurrency, Value: migrate.DefaultConcurrency, Usage: "users migrated at once (`N`, 1 to 32)"},
		}, orgFlags()...),
		Action: migrateAction,
	}
}

func migrateAction(c *cli.Context) error {
	g := globalsOf(c)
	if c.Args().Present() {
		return fail.Usagef("migrate takes no arguments (got %q): pass --%s NAME or --%s", c.Args().First(), flgUserName, flgAll)
	}
	in := migrate.Options{
		UserName:     c.String(flgUserName),
		All:          c.Bool(flgAll),
		GroupName:    c.String(flgGroup),
		PolicyName:   c.String(flgPolicyName),
		RepairPolicy: c.Bool(flgRepairPolicy),
		Force:        c.Bool(flgForce),
		DryRun:       c.Bool(flgDryRun),
		Concurrency:  c.Int(flgMigrateConcurrency),
		Notices:      migrateWarnings(g.Stderr),
		Log:          g.Log,
	}
	if c.IsSet(flgMigrateConcurrency) && in.Concurrency == 0 {
		return fail.Usagef("--%s 0: give 1 to 32", flgMigrateConcurrency)
	}
	if err := in.Validate(); err != nil {
		return err
	}
	scope, err := orgScopeOf(c)
	if err != nil {
		return err
	}
	if scope.org {
		if err := checkMigrateOrg(in); err != nil {
			return err
		}
	}
	format := cmp.Or(g.Output, output.FormatTable)
	if format != output.FormatTable && format != output.FormatJSON {
		return fail.Usagef("migrate prints table or json, not %s", format)
	}
	if in.All && !g.Yes && !c.Bool(flgYes) && stdinTerminal(g.Stdin) {
		in.Confirm = func(users []string) (bool, error) {
			shown := users
			if len(shown) > 20 {
				shown = shown[:20]
			}
			fmt.Fprintf(g.Stderr, "sesprov found %s with the console's inline policy or %s tag: %s", usersCount(len(users)), provision.TagConsoleKey, strings.Join(shown, ", "))
			if len(users) > len(shown) {
				fmt.Fprintf(g.Stderr, " and %d more", len(users)-len(shown))
			}
			fmt.Fprintln(g.Stderr)
			return confirm(c.Context, g, fmt.Sprintf("Migrate them to group %s (users needing a decision are left as they are)?", in.GroupName))
		}
	}
	clients, err := newClients(c)
	if err != nil {
		return err
	}
	mr := newMigrateReport(g.Stdout, format, in.DryRun)
	if scope.org {
		err = runMigrateOrg(c.Context, scope, clients, in, mr, g)
	} else {
		in.Report = mr
		_, err = migrate.Run(c.Context, in, migrate.Deps{IAM: clients.IAM, STS: clients.STS})
	}
	if cerr := clients.Close(); cerr != nil && err == nil {
		err = cerr
	}
	return iamapi.WithHint(err)
}

func usersCount(n int) string {
	if n == 1 {
		return "1 user"
	}
	return fmt.Sprintf("%d users", n)
}

// migrateWarnings prints migrate's warnings for a person on w.
func migrateWarnings(w io.Writer) provision.Notices {
	var mu sync.Mutex
	return func(n provision.Notice) {
		if n.Level != provision.NoticeWarning {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "sesprov: warning: %s\n", n.Text)
	}
}

// migrateReport prints migrate's report: a line per user as it finishes,
// then the summary. JSON: one object per user per line, then
// {"summary":{…}}.
type migrateReport struct {
	w      io.Writer
	format output.Format
}

func newMigrateReport(w io.Writer, f output.Format, dryRun bool) *migrateReport {
	if dryRun && f == output.FormatTable {
		fmt.Fprintln(w, "dry run: nothing was changed. What migrate would do:")
	}
	return &migrateReport{w: w, format: f}
}

func (mr *migrateReport) Group(group string, changes []string) error {
	if mr.format == output.FormatJSON {
		return nil // in the summary's group_changes
	}
	_, err := fmt.Fprintf(mr.w, "group %s: %s\n", group, strings.Join(changes, "; "))
	return err
}

var outcomeLabel = map[migrate.Outcome]string{
	migrate.Migrated:     "migrated",
	migrate.WouldMigrate: "would migrate",
	migrate.AlreadyDone:  "already done",
	migrate.Skipped:      "SKIPPED",
	migrate.Failed:       "FAILED",
}

func (mr *migrateReport) User(r migrate.UserResult) error {
	if mr.format == output.FormatJSON {
		return mr.json(r)
	}
	detail := strings.Join(r.Changes, "; ")
	switch {
	case r.Outcome == migrate.Failed && r.Reason != "":
		detail = r.Reason
	case r.Reason != "" && detail != "":
		detail += "; " + r.Reason
	case r.Reason != "":
		detail = r.Reason
	}
	_, err := fmt.Fprintf(mr.w, "%s: %s: %s\n", r.UserName, outcomeLabel[r.Outcome], detail)
	return err
}

func (mr *migrateReport) Summary(s migrate.Summary) error {
	if mr.format == output.FormatJSON {
		if s.GroupChanges == nil {
			s.GroupChanges = []string{}
		}
		return mr.json(struct {
			Summary migrate.Summary `json:"summary"`
		}{s})
	}
	migrated := "migrated"
	if s.DryRun {
		migrated = "would migrate"
	}
	_, err := fmt.Fprintf(mr.w, "summary: %s %d, already done %d, skipped %d, failed %d\n", migrated, s.Migrated, s.AlreadyDone, s.Skipped, s.Failed)
	return err
}

func (mr *migrateReport) json(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = mr.w.Write(append(b, '\n'))
	return err
}
