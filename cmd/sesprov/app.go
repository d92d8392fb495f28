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

// retryMaxBackoff is iamapi.ClientOptions.RetryMaxBackoff for every run:
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
	command := app.Metadata["globals"].(*globals).command
	if code == fail.ExitInterrupted {
		fmt.Fprintln(stderr, interruptAdvice(command, args))
	} else if advice := batchRerunAdvice(command, args, code); advice != "" {
		fmt.Fprintln(stderr, advice)
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
				"    " + shellQuoteArgs(withDone(command, again, file))
		}
	}
	if isBatch(command, again) {
		return "sesprov: every step is safe to repeat; to finish, run the same command again, adding --" + flgDone + " FILE if credentials were\n" +
			"printed (FILE holding them: users whose key ID it names are reported done, not re-keyed):\n" +
			"    " + shellQuoteArgs(again)
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
		Reader:                stdin,
		Writer:                stdout,
		ErrWriter:             stderr,
		EnableBashCompletion:  true,
		BashComplete:          completeApp,
		Suggest:               true,
		HideHelpCommand:       true,
		Metadata:              map[string]any{"globals": g},
		Flags:                 globalFlags(),
		CustomAppHelpTemplate: strings.Replace(cli.AppHelpTemplate, "\n\nGLOBAL OPTIONS:", "\n\n"+globalFlagCategory+" (before or after the command):", -1),
		Commands:              commands(),
		// A command reads the global flags in its Before (setupCommand),
		// where the values after the command are known too; without one,
		// they are checked here.
		Before: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return g.parse(c)
			}
			return nil
		},
		// Errors are printed and mapped to exit codes once, in run.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return fail.AsUsage(unknownFlagHint(err, c.App.VisibleFlags()))
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
			fmt.Fprintf(c.App.ErrWriter, "sesprov: %s\n", commandHint(c.App, name))
		},
	}
	for _, cmd := range app.Commands {
		setupCommand(cmd, g)
	}
	return app
}

// setupCommand gives cmd what every command has: the global flags after its
// name (in the GLOBAL OPTIONS section of its --help), the global flags read
// before it runs, the usage hints, and flag completion.
func setupCommand(cmd *cli.Command, g *globals) {
	cmd.Flags = append(cmd.Flags, commandGlobalFlags(cmd.Flags)...)
	if cmd.CustomHelpTemplate == "" && len(cmd.Subcommands) == 0 {
		cmd.CustomHelpTemplate = commandHelpTemplate
	}
	setUsageErrorHandler(cmd)
	before := cmd.Before
	cmd.Before = func(c *cli.Context) error {
		if err := g.parse(c); err != nil {
			return err
		}
		if err := argsHint(c); err != nil {
			return err
		}
		if err := regionFlagHint(c); err != nil {
			return err
		}
		if before != nil {
			return before(c)
		}
		return nil
	}
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

// commandHelpTemplate is urfave's command help with the global flags in a
// section of their own, after the command's options, each section in the
// order the flags are defined. (urfave's flag categories would sort the
// flags by name and leave out --help.)
const commandHelpTemplate = `NAME:
   {{template "helpNameTemplate" .}}

USAGE:
   {{template "usageTemplate" .}}{{if .Category}}

CATEGORY:
   {{.Category}}{{end}}{{if .Description}}

DESCRIPTION:
   {{template "descriptionTemplate" .}}{{end}}

OPTIONS:{{range .VisibleFlags}}{{if not .GetCategory}}
   {{wrap .String 6}}{{end}}{{end}}

` + globalFlagCategory + ` (before or after the command):{{range .VisibleFlags}}{{if .GetCategory}}
   {{wrap .String 6}}{{end}}{{end}}
`

// commands lists every subcommand, in the order --help shows them.
func commands() []*cli.Command {
	return []*cli.Command{
		createCreateUserCommand(),
		createRotateCommand(),
		createApplyCommand(),
		createDeleteUserCommand(),
		createScopeCommand(),
		createListCommand(),
		createAuditCommand(),
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
		cmd.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
			return fail.AsUsage(unknownFlagHint(err, cmd.VisibleFlags()))
		}
	}
	for _, sub := range cmd.Subcommands {
		setUsageErrorHandler(sub)
	}
}

// parse reads the global flags of the command c runs, each from the level
// that gave it (flagLevelsOf): after the command, before it, its environment
// variable, its default.
func (g *globals) parse(c *cli.Context) error {
	lv := flagLevelsOf(c)
	out := lv.String(flgOutput)
	if out == "" { // SESPROV_OUTPUT= (empty) means the default
		out = string(output.FormatTable)
	}
	f, err := output.ParseFormat(out)
	if err != nil {
		return err
	}
	g.Output = f
	g.Yes = lv.Bool(flgYes)
	level := slog.LevelWarn
	switch {
	case lv.Bool(flgDebug):
		level = slog.LevelDebug
	case lv.Bool(flgVerbose):
		level = slog.LevelInfo
	}
	g.Log = redact.NewLogger(g.Stderr, level)
	g.Client = iamapi.ClientOptions{
		Profile:      lv.String(flgProfile),
		Region:       lv.String(flgRegion),
		EndpointURL:  lv.String(flgEndpointURL),
		RoleARN:      lv.String(flgRoleARN),
		ExternalID:   lv.String(flgExternalID),
		SandboxState: lv.String(flgSandboxState),
		Debug:        lv.Bool(flgDebug),

		RetryMaxBackoff: retryMaxBackoff,
	}
	if g.Client.Sandbox, err = sandboxOf(lv); err != nil {
		return err
	}
	if g.Client.Sandbox {
		// The AWS environment is ignored (sandboxflags.go); flags conflict.
		g.Client.Profile, g.Client.RoleARN, g.Client.ExternalID, g.Client.EndpointURL = "", "", "", ""
		return sandboxConflicts(lv)
	}
	if g.Client.ExternalID != "" && g.Client.RoleARN == "" {
		return fail.Usagef("--%s needs --%s", flgExternalID, flgRoleARN)
	}
	return nil
}

// flagLevels reads a global flag from the level that gave it. A value after
// the command (`sesprov list -o json`) wins over one before it (`sesprov -o
// csv list -o json` prints JSON); the app level holds the value before the
// command, else the environment variable's (read there only), else the
// default.
type flagLevels struct {
	cmd *cli.Context // nil outside a command
	app *cli.Context
}

func flagLevelsOf(c *cli.Context) flagLevels {
	lv := flagLevels{app: c}
	for _, x := range c.Lineage() {
		if x.Command != nil { // the root command's context is the last
			lv.app = x
		}
	}
	if lv.app != c {
		lv.cmd = c
	}
	return lv
}

// from returns the context whose value of flag name counts.
func (lv flagLevels) from(name string) *cli.Context {
	if lv.cmd != nil && lv.cmd.IsSet(name) {
		return lv.cmd
	}
	return lv.app
}

func (lv flagLevels) String(name string) string { return lv.from(name).String(name) }
func (lv flagLevels) Bool(name string) bool     { return lv.from(name).Bool(name) }

// given reports whether flag name was given on the command line, on either
// side of the command, rather than by its environment variable env (or not
// at all).
func (lv flagLevels) given(name, env string) bool {
	if lv.cmd != nil && definesFlag(lv.cmd.Command, name) && lv.cmd.IsSet(name) {
		return true
	}
	// urfave counts a value from the environment as set: one that differs
	// from the variable's came from the command line.
	if v, ok := os.LookupEnv(env); ok && env != "" && v == lv.app.String(name) {
		return false
	}
	return lv.app.IsSet(name)
}

// definesFlag reports whether cmd takes flag name itself.
func definesFlag(cmd *cli.Command, name string) bool {
	if cmd == nil {
		return false
	}
	for _, f := range cmd.Flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}
