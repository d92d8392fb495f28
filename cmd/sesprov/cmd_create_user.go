package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/progress"
	"github.com/sesprov/sesprov/internal/sandbox"
	"github.com/sesprov/sesprov/internal/tty"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/createuser"
	"github.com/urfave/cli/v2"
)

const (
	flgUserName            = "user-name"
	flgPath                = "path"
	flgTag                 = "tag"
	flgPermissionsBoundary = "permissions-boundary"
	flgGroup               = "group"
	flgPolicyName          = "policy-name"
	flgOutFile             = "out-file"
	flgIncludeSecretKey    = "include-secret-key"
	flgDryRun              = "dry-run"
	flgFrom                = "from"
	flgRepairPolicy        = "repair-policy"
	flgConcurrency         = "concurrency"
	flgDone                = "done"
)

// tagList collects repeated --tag K=V flags, each checked as it is parsed.
// It is not a StringSlice, which would split at commas and report a bad tag
// only later.
type tagList struct{ tags []provision.Tag }

func (l *tagList) Set(s string) error {
	t, err := provision.ParseTag(s)
	if err != nil {
		return err
	}
	l.tags = append(l.tags, t)
	return nil
}

func (l *tagList) String() string {
	if l == nil {
		return ""
	}
	parts := make([]string, len(l.tags))
	for i, t := range l.tags {
		parts[i] = t.Key + "=" + t.Value
	}
	return strings.Join(parts, ",")
}

func createCreateUserCommand() *cli.Command {
	flags := []cli.Flag{
		&cli.StringFlag{Name: flgUserName, Usage: "IAM user `NAME` (default ses-smtp-user.YYYYMMDD-HHMMSS, in UTC)"},
		&cli.StringFlag{Name: flgFrom, Usage: "make one user per line of `FILE` ('-' for stdin; # comments and blank lines skipped); every line is checked before any change"},
	}
	flags = append(flags, regionFlags()...)
	flags = append(flags,
		&cli.StringFlag{Name: flgPath, Value: "/", Usage: "IAM `PATH` of the user (e.g. /smtp/)"},
		&cli.GenericFlag{Name: flgTag, Value: &tagList{}, Usage: "tag the user with `KEY=VALUE` (repeatable); sesprov adds " + provision.TagCreatedBy + "=" + provision.TagCreatedByValue},
		&cli.StringFlag{Name: flgPermissionsBoundary, Usage: "managed policy `ARN` to set as the user's permissions boundary"},
		&cli.StringFlag{Name: flgGroup, Value: provision.DefaultGroupName, Usage: "sending `GROUP`"},
		&cli.StringFlag{Name: flgPolicyName, Value: provision.DefaultPolicyName, Usage: "managed sending `POLICY` name"},
		&cli.BoolFlag{Name: flgRepairPolicy, Usage: "if the managed policy's document has drifted from the standard one, make the standard one its default version"},
		allowFromFlag(),
		&cli.BoolFlag{Name: flgIncludeSecretKey, Usage: "also print the secret access key (by default only the SMTP passwords)"},
		&cli.BoolFlag{Name: flgDryRun, Usage: "print the plan; change nothing"},
		&cli.IntFlag{Name: flgConcurrency, Value: createuser.DefaultConcurrency, Usage: "with --from: work on `N` users at once (IAM's rate is respected whatever N)"},
		&cli.StringSliceFlag{Name: flgDone, Usage: "with --from: `FILE` holds an earlier run's output (any -o format); users whose access key ID it names were delivered and are reported done (repeatable)"},
	)
	flags = append(flags, deliverFlags()...)
	return &cli.Command{
		Name:      "create-user",
		Usage:     "make an SMTP user: IAM user in the sending group, access key, SMTP password per region",
		UsageText: "sesprov create-user --regions us-east-1,eu-west-1 [--user-name NAME] [options]",
		Description: "Makes the IAM user, ensures the managed policy " + provision.DefaultPolicyName + " and the group\n" +
			provision.DefaultGroupName + " (a group the SES console made is accepted as is), adds the\n" +
			"user to the group, creates an access key and derives the SMTP password of every region.\n" +
			"The regions are recorded on the user (tag sesprov:regions), so that 'sesprov rotate'\n" +
			"derives the same ones without --regions.\n" +
			"Safe to repeat: a user an earlier run left without a key is completed (missing --tag\n" +
			"tags are added; a different --path or --permissions-boundary is a conflict, exit 3);\n" +
			"a user that already has a key is a conflict (exit 3): use 'sesprov rotate'. In a batch\n" +
			"(--from), such a user is reported as already done (\"exists\") and the others go on,\n" +
			"unless sesprov made it and its only key is under an hour old and never used: that may\n" +
			"be a killed run's orphan, so it is a conflict (exit 3, see docs/batch.md), unless\n" +
			"--done names the earlier run's output holding its key ID. A partial batch exits 1\n" +
			"naming who failed: run the same command again with --done naming its output (the\n" +
			"command to run is printed) to finish it.\n" +
			"--out-file is written under a temporary name (.sesprov-outfile-*) in the same\n" +
			"directory and appears under its own name with the first credentials.\n\n" +
			"Examples:\n" +
			"   sesprov --sandbox create-user --regions us-east-1,eu-west-1\n" +
			"   sesprov -o csv create-user --user-name billing-mailer --regions eu-west-1 --out-file billing.csv\n" +
			"   sesprov create-user --regions us-east-1 --dry-run\n" +
			"   sesprov create-user --user-name news-mailer --regions eu-west-1 --allow-from news@example.com\n" +
			"   sesprov -o json create-user --from users.txt --regions eu-west-1 --out-file smtp.jsonl\n" +
			"   sesprov create-user --user-name app-mailer --regions eu-west-1 --deliver-to 'secretsmanager:ses/{user}'",
		Flags:  flags,
		Action: createUserAction,
	}
}

func createUserAction(c *cli.Context) error {
	in, err := createUserInput(c)
	if err != nil {
		return err
	}
	g := globalsOf(c)
	if in.Dest.Kind == deliver.KindStdout && !in.DryRun {
		if err := refuseNullStdout(g.Stdout, "the new access key's secret and SMTP passwords", "--"+flgOutFile+" FILE"); err != nil {
			return err
		}
	}
	// The destination exists before IAM changes: a run that cannot deliver
	// a secret never makes it.
	d, err := openDeliverer(c, in.Dest, in.UserNames, in.IncludeSecretKey, in.DryRun)
	if err != nil {
		return err
	}
	clients, err := newClients(c)
	if err != nil {
		d.Abort()
		return err
	}
	err = runCreateUser(c, in, clients, d)
	if cerr := clients.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if g.Client.Sandbox && err == nil && !in.DryRun {
		state, _ := sandbox.StatePath(g.Client.SandboxState)
		fmt.Fprintf(g.Stderr, "sesprov: sandbox: no AWS account was used; these credentials work nowhere else (state: %s)\n", state)
	}
	return iamapi.WithHint(err)
}

// runCreateUser runs create-user and renders what it reports: notices and a
// batch's outcomes as they come (with its progress), then a dry run's plan
// or where the credentials went, and a batch's summary.
func runCreateUser(c *cli.Context, in createuser.Options, clients *iamapi.Clients, d *deliver.Deliverer) error {
	g := globalsOf(c)
	pal := tty.NewPalette(g.Stderr)
	every := time.Duration(-1) // no progress for one user, or a plan
	if in.Batch && !in.DryRun {
		every = 0 // progress.DefaultEvery
	}
	meter := progress.New(g.Stderr, progress.Options{Total: len(in.UserNames), Terminal: tty.IsTerminal(g.Stderr), Every: every})
	defer meter.Close()
	res, err := createuser.Run(c.Context, in, createuser.Deps{
		IAM: clients.IAM, STS: clients.STS, Deliver: d, Log: g.Log, Limiter: clients.Limiter,
		Notices: func(n provision.Notice) { meter.Printf("%s\n", noticeLine(n)) },
		Outcomes: func(o createuser.Outcome) {
			if line := o.Line(pal); line != "" {
				meter.Printf("sesprov: %s\n", line)
			}
			meter.Add(o.Status == createuser.StatusFailed || o.Status == createuser.StatusConflict)
		},
	})
	meter.Close()
	if res != nil && in.DryRun && res.Plan != nil {
		if perr := provision.WritePlan(g.Stdout, g.Output, res.Plan); perr != nil && err == nil {
			err = perr
		}
	}
	if cerr := d.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("write %s: %w", in.Dest, cerr)
	}
	reportDelivered(g.Stderr, d)
	if res != nil && res.Batch != nil {
		fmt.Fprintf(g.Stderr, "sesprov: %s\n", res.Batch.Line(pal))
	}
	return err
}

// noticeLine is how a workflow's notice reads on stderr.
func noticeLine(n provision.Notice) string {
	if n.Level == provision.NoticeWarning {
		return "sesprov: warning: " + n.Text
	}
	return "sesprov: " + n.Text
}

// createUserInput binds and checks the flags; every error is a usage error
// and comes before any AWS call.
func createUserInput(c *cli.Context) (createuser.Options, error) {
	if c.NArg() > 0 {
		return createuser.Options{}, fail.Usagef("create-user takes no arguments (got %q): use --user-name", c.Args().First())
	}
	regions, err := resolveRegions(c)
	if err != nil {
		return createuser.Options{}, err
	}
	in := createuser.Options{
		Regions:             regions,
		Path:                c.String(flgPath),
		PermissionsBoundary: c.String(flgPermissionsBoundary),
		GroupName:           c.String(flgGroup),
		PolicyName:          c.String(flgPolicyName),
		RepairPolicy:        c.Bool(flgRepairPolicy),
		DryRun:              c.Bool(flgDryRun),
		IncludeSecretKey:    c.Bool(flgIncludeSecretKey),
		Format:              globalsOf(c).Output,
	}
	if in.Dest, err = destinationOf(c); err != nil {
		return in, err
	}
	if in.AllowFrom, err = allowFromOf(c); err != nil {
		return in, err
	}
	if tl, ok := c.Generic(flgTag).(*tagList); ok && tl != nil {
		in.Tags = tl.tags
	}
	switch from := c.String(flgFrom); {
	case from != "" && c.IsSet(flgUserName):
		return in, fail.Usagef("--%s and --%s exclude each other", flgUserName, flgFrom)
	case from != "":
		names, err := readUserNames(c, from)
		if err != nil {
			return in, err
		}
		in.UserNames, in.Batch, in.Concurrency = names, true, c.Int(flgConcurrency)
		if in.Done, err = readDoneFiles(c.StringSlice(flgDone)); err != nil {
			return in, err
		}
		if in.Concurrency < 1 {
			return in, fail.Usagef("--%s %d: give 1 to %d", flgConcurrency, in.Concurrency, createuser.MaxConcurrency)
		}
	case c.IsSet(flgConcurrency):
		return in, fail.Usagef("--%s applies to a batch: use it with --%s FILE", flgConcurrency, flgFrom)
	case c.IsSet(flgDone):
		return in, fail.Usagef("--%s applies to a batch: use it with --%s FILE", flgDone, flgFrom)
	case c.IsSet(flgUserName):
		in.UserNames = []string{c.String(flgUserName)}
	}
	return in, in.Validate()
}

// readUserNames reads --from (see createuser.ReadUserNames): every line is
// checked, and every bad one named, before any change.
func readUserNames(c *cli.Context, path string) ([]string, error) {
	if path == "-" {
		// Ctrl-C ends a wait on a pipe that has not closed.
		return createuser.ReadUserNames(tty.ContextReader(c.Context, globalsOf(c).Stdin), "-")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fail.Usagef("--%s: %v", flgFrom, err)
	}
	defer f.Close()
	return createuser.ReadUserNames(f, path)
}

// readDoneFiles reads --done files: the access key IDs earlier runs
// delivered (see createuser.ReadDoneKeys).
func readDoneFiles(paths []string) (map[string]bool, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	keys := map[string]bool{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fail.Usagef("--%s: %v", flgDone, err)
		}
		err = createuser.ReadDoneKeys(f, p, keys)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return keys, nil
}
