package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/redact"

	"github.com/urfave/cli/v2"
)

// version is set by the Makefile (-ldflags "-X main.version=…").
var version = ""

// retryMaxBackoff is provision.ClientOptions.RetryMaxBackoff for every run:
// 0 (the default backoff) in sesprov; tests that run main in-process shorten
// it (shortRetryBackoff) so that calls retried after an injected fault do not
// wait seconds each.
var retryMaxBackoff time.Duration

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// globals holds the global flags, parsed once in the app's Before.
type globals struct {
	Client iamapi.ClientOptions
	Output output.Format
	Yes    bool
	Log    *slog.Logger

	unknownCommand bool   // urfave reports an unknown command without an error
	command        string // the command being run, for the interrupt message
	Stdin          io.Reader
	Stdout         io.Writer
	Stderr         io.Writer
}

// globalsOf returns the parsed global flags of a running command.
func globalsOf(c *cli.Context) *globals {
	return c.App.Metadata["globals"].(*globals)
}

// run builds the app, runs it and returns the exit code. Tests call it too:
// it never calls os.Exit.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := newApp(stdin, stdout, stderr)
	err := app.RunContext(ctx, args)
	if err == nil && app.Metadata["globals"].(*globals).unknownCommand {
		return fail.ExitUsage
	}
	if err == nil {
		return fail.ExitOK
	}
	// After Ctrl-C every error is the interrupt's: the run did not finish.
	// A failure keeps its message (what was being done); bad input or a
	// conflict reported then is a consequence (a read cut short looks like
	// empty input) and would mislead.
	if ctx.Err() != nil && fail.ExitCode(err) != fail.ExitInterrupted {
		if fail.KindOf(err) == fail.KindFailed {
			err = fmt.Errorf("%w: %w", context.Canceled, err)
		} else {
			err = fmt.Errorf("interrupted: %w", context.Canceled)
		}
	}
	msg := err.Error()
	code := fail.ExitCode(err)
	if code == fail.ExitInterrupted {
		if msg = interruptedAt(msg); !strings.Contains(msg, "interrupted") {
			msg = "interrupted at " + msg
		}
	}
	fmt.Fprintf(stderr, "sesprov: %s\n", strings.TrimSpace(msg))
	if code == fail.ExitInterrupted {
		fmt.Fprintln(stderr, interruptAdvice(app.Metadata["globals"].(*globals).command, args))
	}
	return code
}

// interruptedAt shortens an interrupted run's error to what was being done:
// the SDK's "operation error …, canceled, context canceled" and the
// "context canceled" around it say only that Ctrl-C was pressed. What a
// command adds (a key deleted, a cleanup that failed) is kept.
func interruptedAt(msg string) string {
	msg = strings.TrimPrefix(msg, context.Canceled.Error()+": ")
	if i := strings.Index(msg, ": operation error "); i >= 0 {
		msg = msg[:i]
	}
	msg = strings.ReplaceAll(msg, " ("+context.Canceled.Error()+")", "")
	return strings.ReplaceAll(msg, ": "+context.Canceled.Error(), "")
}

// readOnlyCommands change nothing in IAM: interrupting one loses nothing.
var readOnlyCommands = map[string]bool{
	"derive": true, "regions": true, "verify": true, "doctor": true, "list": true,
	"completion": true, "man": true,
}

// interruptAdvice is the last line of an interrupted run: what was lost
// (nothing) and what to run next. Every command that changes IAM is safe to
// repeat, so the advice is to repeat it; its command line is shown, as no
// command takes a secret in its arguments (derive's argv form is read-only
// and never repeated here).
func interruptAdvice(command string, args []string) string {
	if command == "" || readOnlyCommands[command] {
		return "sesprov: nothing was changed in IAM"
	}
	again := append([]string{"sesprov"}, args[1:]...)
	if i, file := outFileArg(again); file != "" {
		if _, err := os.Stat(file); err == nil {
			// Credentials were delivered before the interrupt, and the same
			// command would refuse the existing file.
			next := freshName(file)
			if strings.HasPrefix(again[i], "--"+flgOutFile+"=") {
				again[i] = "--" + flgOutFile + "=" + next
			} else {
				again[i] = next
			}
			return "sesprov: " + file + " holds credentials delivered before the interrupt: keep them. Every step is safe to repeat;\n" +
				"to finish, run the same command with a new --" + flgOutFile + " (users already done are reported, not made again):\n" +
				"    " + shellQuoteArgs(again)
		}
	}
	return "sesprov: nothing is lost and every step is safe to repeat; to finish, run the same command again:\n" +
		"    " + shellQuoteArgs(again)
}

// outFileArg finds --out-file's value in args: the index of the argument
// holding it, and the file.
func outFileArg(args []string) (int, string) {
	for i, a := range args {
		switch {
		case (a == "--"+flgOutFile || a == "-"+flgOutFile) && i+1 < len(args):
			return i + 1, args[i+1]
		case strings.HasPrefix(a, "--"+flgOutFile+"="):
			return i, strings.TrimPrefix(a, "--"+flgOutFile+"=")
		}
	}
	return 0, ""
}

// freshName returns a name like file that does not exist: creds.json ->
// creds-2.json, creds-3.json …
func freshName(file string) string {
	ext := filepath.Ext(file)
	base := strings.TrimSuffix(file, ext)
	for n := 2; ; n++ {
		name := base + "-" + strconv.Itoa(n) + ext
		if _, err := os.Lstat(name); os.IsNotExist(err) {
			return name
		}
	}
}

// shellQuoteArgs joins args into a line a POSIX shell reads back as args.
func shellQuoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=,./:@+%") == "" {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	g := &globals{Stdin: stdin, Stdout: stdout, Stderr: stderr}
	app := &cli.App{
		Name:    "sesprov",
		Usage:   "provision Amazon SES SMTP credentials safely",
		Version: buildVersion(),
		Description: "sesprov makes the IAM user, the sending group and policy, the access key and the\n" +
			"per-region SMTP passwords in one command that is safe to repeat, and rotates,\n" +
			"lists, migrates, verifies and deletes SMTP users afterwards.\n\n" +
			"Examples (--sandbox needs no AWS account: it is an embedded IAM):\n" +
			"   sesprov --sandbox create-user --regions us-east-1,eu-west-1\n" +
			"   sesprov create-user --user-name billing-mailer --regions eu-west-1 --out-file billing.csv\n" +
			"   sesprov create-user --help",
		Reader:               stdin,
		Writer:               stdout,
		ErrWriter:            stderr,
		EnableBashCompletion: true,
		BashComplete:         completeApp,
		Suggest:              true,
		HideHelpCommand:      true,
		Metadata:             map[string]any{"globals": g},
		Flags:                globalFlags(),
		Commands:             commands(),
		Before: func(c *cli.Context) error {
			return g.parse(c)
		},
		// Errors are printed and mapped to exit codes once, in run.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return fail.AsUsage(err)
		},
		CommandNotFound: func(c *cli.Context, name string) {
			// The help command is hidden (HideHelpCommand), but
			// `sesprov help [COMMAND]` still works as people expect.
			if name == "help" {
				if topic := c.Args().Get(1); topic != "" {
					if err := cli.ShowCommandHelp(c, topic); err != nil {
						g.unknownCommand = true
						fmt.Fprintf(c.App.ErrWriter, "sesprov: no help for %q: it is not a command; run 'sesprov --help' for the list\n", topic)
					}
					return
				}
				_ = cli.ShowAppHelp(c)
				return
			}
			g.unknownCommand = true
			fmt.Fprintf(c.App.ErrWriter, "sesprov: unknown command %q; run 'sesprov --help' for the list\n", name)
		},
	}
	for _, cmd := range app.Commands {
		setUsageErrorHandler(cmd)
		if action, name := cmd.Action, cmd.Name; action != nil {
			cmd.Action = func(c *cli.Context) error {
				g.command = name
				return action(c)
			}
		}
		if len(cmd.Subcommands) == 0 && cmd.BashComplete == nil {
			cmd.BashComplete = completeFlags(cmd)
		}
	}
	return app
}

// commands lists every subcommand, in the order --help shows them.
func commands() []*cli.Command {
	return []*cli.Command{
		createCreateUserCommand(),
		createRotateCommand(),
		createDeleteUserCommand(),
		createListCommand(),
		createMigrateCommand(),
		createConvertCommand(),
		createDeriveCommand(),
		createVerifyCommand(),
		createDoctorCommand(),
		createRegionsCommand(),
		createCompletionCommand(),
		createManCommand(),
	}
}

func setUsageErrorHandler(cmd *cli.Command) {
	if cmd.OnUsageError == nil {
		name := cmd.Name
		cmd.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
			return fail.AsUsage(globalFlagHint(name, err))
		}
	}
	for _, sub := range cmd.Subcommands {
		setUsageErrorHandler(sub)
	}
}

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flgProfile, EnvVars: []string{envProfile}, Usage: "shared-config `PROFILE` (SSO and assume-role profiles included)"},
		&cli.StringFlag{Name: flgRegion, EnvVars: []string{envRegion}, Usage: "`REGION` of the IAM/STS clients (default us-east-1 when nothing is configured)"},
		&cli.StringFlag{Name: flgEndpointURL, Usage: "IAM/STS endpoint `URL` override (the SDK's AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL_STS also work)"},
		&cli.StringFlag{Name: flgRoleARN, EnvVars: []string{envRoleARN}, Usage: "assume role `ARN` first (provision into another account)"},
		&cli.StringFlag{Name: flgExternalID, Usage: "external `ID` for --role-arn"},
		&cli.BoolFlag{Name: flgSandbox, EnvVars: []string{envSandbox}, Usage: "use the embedded iamfake instead of AWS (no account needed; state kept between runs)"},
		&cli.StringFlag{Name: flgSandboxState, EnvVars: []string{envSandboxState}, Usage: "sandbox state `FILE` (default $XDG_STATE_HOME/sesprov/sandbox.json)"},
		&cli.StringFlag{Name: flgOutput, Aliases: []string{"o"}, EnvVars: []string{envOutput}, Value: string(output.FormatTable), Usage: "output `FORMAT`: table, json, csv or env"},
		&cli.BoolFlag{Name: flgVerbose, Usage: "log each step on stderr (secrets are always redacted)"},
		&cli.BoolFlag{Name: flgDebug, Usage: "log every AWS call on stderr (secrets are always redacted)"},
		&cli.BoolFlag{Name: flgYes, Aliases: []string{"y"}, Usage: "do not ask for confirmation (prompts appear only on a terminal)"},
	}
}

func (g *globals) parse(c *cli.Context) error {
	out := c.String(flgOutput)
	if out == "" { // SESPROV_OUTPUT= (empty) means the default
		out = string(output.FormatTable)
	}
	f, err := output.ParseFormat(out)
	if err != nil {
		return err
	}
	g.Output = f
	g.Yes = c.Bool(flgYes)
	level := slog.LevelWarn
	switch {
	case c.Bool(flgDebug):
		level = slog.LevelDebug
	case c.Bool(flgVerbose):
		level = slog.LevelInfo
	}
	g.Log = redact.NewLogger(g.Stderr, level)
	g.Client = iamapi.ClientOptions{
		Profile:      c.String(flgProfile),
		Region:       c.String(flgRegion),
		EndpointURL:  c.String(flgEndpointURL),
		RoleARN:      c.String(flgRoleARN),
		ExternalID:   c.String(flgExternalID),
		Sandbox:      c.Bool(flgSandbox),
		SandboxState: c.String(flgSandboxState),
		Debug:        c.Bool(flgDebug),

		RetryMaxBackoff: retryMaxBackoff,
	}
	if g.Client.ExternalID != "" && g.Client.RoleARN == "" {
		return fail.Usagef("--external-id needs --role-arn")
	}
	if g.Client.Sandbox && (g.Client.EndpointURL != "" || g.Client.RoleARN != "" || g.Client.Profile != "") {
		return fail.Usagef("--sandbox cannot be combined with --endpoint-url, --role-arn or --profile")
	}
	return nil
}
