package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/awsfake"
)

// The examples a user can paste, and how TestExamples runs them.
//
// Where examples are:
//   - --help: in the Description of the app and of every command, the indented
//     lines that follow a line starting "Example" and ending ":" ("Examples:",
//     "Example (…):"), up to the next line that is not indented. The lines of
//     one command are one session.
//   - README.md: in ```sh fences, the lines that start with "$ "; the lines
//     under one are its output, which must be what it prints, up to key IDs,
//     passwords, default user names, the state path and column widths
//     (normalizeOutput). The whole README is one session, read top to
//     bottom, as a user following it would.
//
// How a session runs: its lines run in order, each with bash, in a fresh
// directory, and each must exit 0, or N when the line ends with "# exit N"
// (an example of a refusal). A line "export NAME=VALUE" sets NAME for the
// session's later lines. `go run ./cmd/sesprov` is the sesprov
// under test, as is `sesprov` (the real main, from testscript's PATH). The
// environment never reaches AWS:
//   - `--sandbox` (or SESPROV_SANDBOX=1) uses a fresh sandbox state;
//   - anything else talks to a fresh iamfake standing in for AWS, through
//     AWS_ENDPOINT_URL, with dummy credentials for the default profile and
//     the profiles named in exampleProfiles.
//
// What a session finds (conventions examples may rely on):
//   - secret.txt holds a dummy secret access key, and $SECRET the same; the
//     word SECRET alone on a line is replaced by "$SECRET";
//   - users.txt names two users (for --from users.txt);
//   - the account (the iamfake, and the sandbox) has a plain IAM user
//     legacy-app owning the long-term key AKIAIOSFODNN7EXAMPLE (AWS's
//     documented example key ID), for convert;
//   - HOME is the session's directory, with the usual per-user install
//     directories (~/.local/share/man/man1, ~/.config/fish/completions,
//     ~/.local/share/bash-completion/completions, ~/.zsh/completions);
//   - a user named by --user-name in a command other than create-user exists
//     already (made with create-user first), unless an earlier line of the
//     session makes it.
//
// Examples that cannot run here are listed in exampleSkips with the reason;
// a line whose pipeline needs a program that is not installed (jq, man) is
// not run either. The test logs each line it does not run, and why. Every command must have at least one
// example that runs.

// exampleSkips lists what is not run and why: lines starting with prefix,
// lines running command, lines with flag.
var exampleSkips = []struct{ prefix, command, flag, reason string }{
	{prefix: "make test", reason: "it is the test suite this test belongs to"},
	{prefix: "go install ", reason: "needs the network"},
	{prefix: "aws ", reason: "the AWS CLI against real AWS"},
	{command: "verify", reason: "logs in to SES's SMTP endpoints; verify is exercised against an SES-like server (smtpauthtest) in testdata/script/verify_*.txtar"},
	{flag: "--org", reason: "needs an AWS Organization (the sandbox has none); --org is exercised against iamfake's organization in TestAuditOrg"},
	{prefix: "sesprov doctor --regions", reason: "exits 1 here, as it should: the stand-in account is in the SES sandbox, as a new account is; doctor --regions runs against awsfake in doctor_ses_test.go"},
	{flag: "--verify", reason: "logs in to SES's SMTP endpoints; rotate --verify is exercised against smtpauthtest in testdata/script/rotate_verify.txtar"},
}

// commandsWithoutRunnableExample may lack an example that runs here; each
// with the reason.
var commandsWithoutRunnableExample = map[string]string{
	"verify": "needs SES's SMTP endpoints (see exampleSkips)",
}

// exampleProfiles are the shared-config profiles examples may name.
var exampleProfiles = []string{"default", "ops", "prod", "staging"}

const exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

type exampleSession struct {
	name    string // where it comes from: "--help create-user", "README.md"
	lines   []string
	outputs [][]string // README: the output shown under each line (checked)
}

// helpExamples returns the example lines of a --help description.
func helpExamples(desc string) []string {
	var out []string
	in := false
	for _, line := range strings.Split(desc, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "Example") && strings.HasSuffix(t, ":"):
			in = true
		case in && t == "":
			// a blank line inside the block is allowed
		case in && (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")):
			if n := len(out); n > 0 && strings.HasSuffix(out[n-1], "\\") {
				out[n-1] = strings.TrimSuffix(out[n-1], "\\") + t
				continue
			}
			out = append(out, t)
		default:
			in = false
		}
	}
	return out
}

// readmeSession returns README.md's ```sh blocks' "$ " lines.
func readmeSession(t *testing.T, path string) exampleSession {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := exampleSession{name: "README.md"}
	// A block's lines without "$ " are the output of the "$ " line above them
	// in the same block; a block with no "$ " line (e.g. a plain `make test`)
	// is not a session step.
	in, cur := false, -1
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in && strings.TrimSpace(line) == "```sh":
			in, cur = true, -1
		case in && strings.TrimSpace(line) == "```":
			in = false
		case in && strings.HasPrefix(line, "$ "):
			s.lines = append(s.lines, strings.TrimPrefix(line, "$ "))
			s.outputs = append(s.outputs, nil)
			cur = len(s.lines) - 1
		case in && cur >= 0 && strings.HasSuffix(s.lines[cur], "\\"):
			s.lines[cur] = strings.TrimSuffix(s.lines[cur], "\\") + strings.TrimSpace(line)
		case in && cur >= 0:
			s.outputs[cur] = append(s.outputs[cur], line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(s.lines) == 0 {
		t.Fatalf("%s has no example (```sh block with \"$ \" lines)", path)
	}
	return s
}

var (
	goRunPrefix = regexp.MustCompile(`(^|[|;&(]\s*)go run \./cmd/sesprov\b`)
	userNameArg = regexp.MustCompile(`--user-name[= ]([\w+=,.@-]+)`)
	secretWord  = regexp.MustCompile(`(^|\s)SECRET(\s|$)`)
	exportLine  = regexp.MustCompile(`^export ([A-Z_][A-Z0-9_]*)=(\S*)$`)
	exitComment = regexp.MustCompile(`#\s*exit (\d+)\s*$`)
	shellWords  = regexp.MustCompile(`[|;&()<>]+|[^\s|;&()<>]+`)
)

// exampleCommands returns the sesprov commands an example line runs: the
// first word after `sesprov` and its global flags (and their values).
func exampleCommands(line string) []string {
	takesValue := map[string]bool{}
	for _, f := range globalFlags() {
		if df, ok := f.(interface{ TakesValue() bool }); ok && df.TakesValue() {
			for _, n := range f.Names() {
				takesValue["-"+n], takesValue["--"+n] = true, true
			}
		}
	}
	words := shellWords.FindAllString(shellCode(line), -1)
	var cmds []string
	for i := 0; i < len(words); i++ {
		if words[i] != "sesprov" || (i > 0 && !strings.ContainsAny(words[i-1], "|;&()<")) {
			continue
		}
		for i++; i < len(words); i++ {
			w := words[i]
			if !strings.HasPrefix(w, "-") {
				cmds = append(cmds, w)
				break
			}
			if takesValue[w] {
				i++
			}
		}
	}
	return cmds
}

// absoluteRedirect returns the target of a redirection of line's output to
// an absolute path other than /dev/…, or "" if there is none. A variable
// that expands to nothing (${fpath[1]}/x outside zsh) counts as absolute.
func absoluteRedirect(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] != '>' {
			continue
		}
		rest := strings.TrimLeft(line[i+1:], ">& \t\"'")
		target, _, _ := strings.Cut(rest, " ")
		if (strings.HasPrefix(target, "/") && !strings.HasPrefix(target, "/dev/")) || strings.HasPrefix(target, "$") {
			return target
		}
	}
	return ""
}

// shellCode is line without its comment and with quoted text replaced by
// "q", so that separators inside quotes or comments are not taken for
// the shell's.
func shellCode(line string) string {
	var b strings.Builder
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
			b.WriteByte('q')
		case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return b.String()
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// missingTool returns the first program of line's pipeline (other than
// sesprov and shell builtins) that is not installed, or "".
func missingTool(line string) string {
	words := shellWords.FindAllString(shellCode(line), -1)
	for i, w := range words {
		if i > 0 && !strings.ContainsAny(words[i-1], "|;&(") {
			continue
		}
		if strings.ContainsAny(w, "|;&()<>") || w == "sesprov" || w == "source" || w == "echo" || w == "export" || w == "cd" {
			continue
		}
		if _, err := exec.LookPath(w); err != nil {
			return w
		}
	}
	return ""
}

func skipReason(line string) string {
	cmds := exampleCommands(line)
	words := shellWords.FindAllString(line, -1)
	for _, s := range exampleSkips {
		switch {
		case s.prefix != "" && strings.HasPrefix(line, s.prefix):
			return s.reason
		case s.command != "" && slices.Contains(cmds, s.command):
			return s.reason
		case s.flag != "" && slices.Contains(words, s.flag):
			return s.reason
		}
	}
	return ""
}

// TestExamples runs every example of README.md and of --help (see the
// conventions above) and checks that every command has one that works.
func TestExamples(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed: the examples (shell command lines) cannot run")
	}
	app := newApp(nil, &bytes.Buffer{}, &bytes.Buffer{})
	sessions := []exampleSession{{name: "--help (sesprov)", lines: helpExamples(app.Description)}}
	for _, cmd := range app.Commands {
		ex := helpExamples(cmd.Description)
		if len(ex) == 0 {
			t.Errorf("sesprov %s --help has no example: add an Examples: block to its Description", cmd.Name)
			continue
		}
		sessions = append(sessions, exampleSession{name: "--help " + cmd.Name, lines: ex})
	}
	sessions = append(sessions, readmeSession(t, filepath.Join(repoRoot, "README.md")))

	ran := map[string]bool{}
	for _, s := range sessions {
		t.Run(s.name, func(t *testing.T) {
			for _, c := range runExampleSession(t, s) {
				ran[c] = true
			}
		})
	}
	for _, cmd := range app.Commands {
		if !ran[cmd.Name] {
			if why, ok := commandsWithoutRunnableExample[cmd.Name]; ok {
				t.Logf("sesprov %s: no example runs here: %s", cmd.Name, why)
				continue
			}
			t.Errorf("sesprov %s: no example of it ran successfully (in --help or README.md)", cmd.Name)
		}
	}
}

// runExampleSession runs a session's lines in order in a fresh directory and
// returns the sesprov commands that ran successfully.
func runExampleSession(t *testing.T, s exampleSession) []string {
	dir := t.TempDir()
	env := exampleEnv(t, dir)
	var ran []string
	made := map[string]bool{}
	for i, line := range s.lines {
		var shownOutput []string
		if i < len(s.outputs) {
			shownOutput = s.outputs[i]
		}
		if m := exportLine.FindStringSubmatch(line); m != nil {
			env = append(env, m[1]+"="+m[2])
			continue
		}
		if why := skipReason(line); why != "" {
			t.Logf("not run: %s (%s)", line, why)
			continue
		}
		run := goRunPrefix.ReplaceAllString(line, "${1}sesprov")
		run = secretWord.ReplaceAllString(run, `${1}"$$SECRET"${2}`)
		if why := skipReason(run); why != "" {
			t.Logf("not run: %s (%s)", line, why)
			continue
		}
		if tool := missingTool(run); tool != "" {
			t.Logf("not run: %s (%s is not installed here)", line, tool)
			continue
		}
		if target := absoluteRedirect(run); target != "" {
			t.Errorf("%s: example %q writes to %s: examples write under the current directory or ~, where the test can contain them", s.name, line, target)
			continue
		}
		cmds := exampleCommands(run)
		if len(cmds) == 0 {
			t.Errorf("%s: example %q runs no sesprov command", s.name, line)
			continue
		}
		for _, c := range cmds {
			if c == "create-user" {
				for _, m := range userNameArg.FindAllStringSubmatch(run, -1) {
					made[m[1]] = true
				}
				continue
			}
			for _, m := range userNameArg.FindAllStringSubmatch(run, -1) {
				if made[m[1]] {
					continue
				}
				made[m[1]] = true
				// Not > /dev/null: create-user refuses to print a secret there.
				pre := "sesprov -o json create-user --user-name " + m[1] + " --regions us-east-1 > setup-credentials.json"
				if strings.Contains(run, "--sandbox") {
					pre = "sesprov --sandbox -o json create-user --user-name " + m[1] + " --regions us-east-1 > setup-credentials.json"
				}
				runExampleLine(t, dir, env, pre, "setup for "+line, nil)
			}
		}
		if runExampleLine(t, dir, env, run, line, shownOutput) {
			ran = append(ran, cmds...)
		}
	}
	return ran
}

// runExampleLine runs one line with bash; it reports a failure and returns
// false unless the line exits 0.
// When shownOutput is given (README), the output must be the one shown, up
// to what changes from run to run (see normalizeOutput): stdout's lines in
// order, and stderr's (the lines starting "sesprov:") in order.
func runExampleLine(t *testing.T, dir string, env []string, line, shown string, shownOutput []string) bool {
	t.Helper()
	want := 0
	if m := exitComment.FindStringSubmatch(line); m != nil {
		want, _ = strconv.Atoi(m[1])
	}
	cmd := exec.Command("bash", "--norc", "--noprofile", "-o", "pipefail", "-c", line)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = strings.NewReader("")
	var out lockedBuffer // both streams, in the order they came
	var stdout, stderr bytes.Buffer
	cmd.Stdout = io.MultiWriter(&out, &stdout)
	cmd.Stderr = io.MultiWriter(&out, &stderr)
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Errorf("example failed: %s\n$ %s\n%v", shown, line, err)
		return false
	}
	if got := cmd.ProcessState.ExitCode(); got != want {
		t.Errorf("example failed: %s\n$ %s\nexit %d, want %d\n%s", shown, line, got, want, out.String())
		return false
	}
	t.Logf("$ %s\n%s", line, out.String())
	if shownOutput != nil {
		var wantOut, wantErr []string
		for _, l := range shownOutput {
			if strings.HasPrefix(l, "sesprov:") {
				wantErr = append(wantErr, l)
			} else {
				wantOut = append(wantOut, l)
			}
		}
		for _, c := range []struct {
			name       string
			want       []string
			got        string
			onlyPrefix bool
		}{{"stdout", wantOut, stdout.String(), false}, {"stderr", wantErr, stderr.String(), true}} {
			var got []string
			for _, l := range strings.Split(strings.TrimRight(c.got, "\n"), "\n") {
				if l != "" && (!c.onlyPrefix || strings.HasPrefix(l, "sesprov:")) {
					got = append(got, normalizeOutput(l))
				}
			}
			var want []string
			for _, l := range c.want {
				if l != "" {
					want = append(want, normalizeOutput(l))
				}
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s: the %s shown for\n$ %s\nis not what it prints; update the README with the real output (run it in the sandbox).\nshown (normalized):\n%s\nprinted (normalized):\n%s",
					shown, c.name, line, strings.Join(want, "\n"), strings.Join(got, "\n"))
				return false
			}
		}
	}
	return true
}

var (
	volatileKeyID    = regexp.MustCompile(`AKIA[0-9A-Z]{16}`)
	volatilePassword = regexp.MustCompile(`\bB[A-Za-z0-9+/]{43}`)
	volatileUserName = regexp.MustCompile(`ses-smtp-user\.\d{8}-\d{6}`)
	volatileTime     = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	volatileState    = regexp.MustCompile(`\(state: [^)]*\)`)
	blanks           = regexp.MustCompile(`\s+`)
)

// normalizeOutput removes from a line what changes from run to run: key IDs,
// passwords, default user names, timestamps, the state file's path, column
// widths.
func normalizeOutput(l string) string {
	l = volatileKeyID.ReplaceAllString(l, "AKIA…")
	l = volatilePassword.ReplaceAllString(l, "PASSWORD")
	l = volatileUserName.ReplaceAllString(l, "ses-smtp-user.DATE")
	l = volatileTime.ReplaceAllString(l, "TIME")
	l = volatileState.ReplaceAllString(l, "(state: …)")
	return strings.TrimSpace(blanks.ReplaceAllString(l, " "))
}

// exampleEnv builds a session's directory and environment: no AWS
// configuration of the machine's, a fresh iamfake (with the stores beside
// it: the examples deliver to Secrets Manager) as AWS, a fresh sandbox.
func exampleEnv(t *testing.T, dir string) []string {
	all := awsfake.New(awsfake.Options{})
	srv := all.IAM
	hs := httptest.NewServer(all)
	t.Cleanup(hs.Close)
	seedLegacyKey(t, srv, hs.URL, filepath.Join(dir, exampleStateFile))

	for _, d := range []string{".local/share/man/man1", ".config/fish/completions", ".local/share/bash-completion/completions", ".zsh/completions", ".aws"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	var creds, config strings.Builder
	for _, p := range exampleProfiles {
		creds.WriteString("[" + p + "]\naws_access_key_id = AKIAEXAMPLEOPERATOR0\naws_secret_access_key = example-operator-secret\n")
		if p == "default" {
			config.WriteString("[default]\nregion = us-east-1\n")
		} else {
			config.WriteString("[profile " + p + "]\nregion = us-east-1\n")
		}
	}
	files := map[string]string{
		"secret.txt":       exampleSecret + "\n",
		"users.txt":        "# one user per line\nmailer-a\nmailer-b\n",
		"senders.yaml":     "defaults:\n  regions: [us-east-1, eu-west-1]\n  deliver_to: secretsmanager:ses/{user}\n  max_key_age: 90d\n  grace: 24h\nsenders:\n  - name: billing-mailer\n    allow_from: [billing@example.com]\n  - name: alerts\n    regions: [eu-west-1]\n    deliver_to: ssm:/mail/{user}\n",
		".aws/credentials": creds.String(),
		".aws/config":      config.String(),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "SESPROV_") || k == "HOME" || k == "XDG_STATE_HOME" || k == "NO_COLOR" || k == "CLICOLOR_FORCE" {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"HOME="+dir,
		"XDG_STATE_HOME="+filepath.Join(dir, ".local/state"),
		"SESPROV_SANDBOX_STATE="+filepath.Join(dir, exampleStateFile),
		"AWS_CONFIG_FILE="+filepath.Join(dir, ".aws/config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, ".aws/credentials"),
		"AWS_ENDPOINT_URL="+hs.URL,
		"AWS_EC2_METADATA_DISABLED=true",
		"SECRET="+exampleSecret,
		"MANPAGER=cat", "PAGER=cat", "MANWIDTH=100",
	)
}

// The long-term key examples may convert: AWS's documented example key ID,
// owned by a plain IAM user, its secret in secret.txt.
const (
	exampleKeyID     = "AKIAIOSFODNN7EXAMPLE"
	exampleKeyOwner  = "legacy-app"
	exampleStateFile = "sandbox.json"
)

// seedLegacyKey gives the iamfake and the sandbox state at sandboxState a
// user legacy-app with the access key AKIAIOSFODNN7EXAMPLE. IAM picks key IDs
// itself, so the key is made through the API and renamed in the saved state.
func seedLegacyKey(t *testing.T, srv *iamfake.Server, url, sandboxState string) {
	t.Helper()
	ctx := context.Background()
	client := iam.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIAEXAMPLEOPERATOR0", "example-operator-secret", ""),
	}, func(o *iam.Options) { o.BaseEndpoint = aws.String(url) })
	if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(exampleKeyOwner)}); err != nil {
		t.Fatal(err)
	}
	key, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(exampleKeyOwner)})
	if err != nil {
		t.Fatal(err)
	}
	var state bytes.Buffer
	if err := srv.SaveState(&state); err != nil {
		t.Fatal(err)
	}
	renamed := strings.ReplaceAll(state.String(), aws.ToString(key.AccessKey.AccessKeyId), exampleKeyID)
	if err := srv.LoadState(strings.NewReader(renamed)); err != nil {
		t.Fatal(err)
	}
	srv.ResetCalls()
	if err := os.WriteFile(sandboxState, []byte(renamed), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestMissingTool(t *testing.T) {
	if got := missingTool("sesprov -o json list | no-such-tool-here -r . | tee x"); got != "no-such-tool-here" {
		t.Errorf("missingTool = %q", got)
	}
	for _, line := range []string{
		"source <(sesprov completion bash)",
		"sesprov derive SECRET us-east-1    # AWS's script's form; warns: argv is visible",
		"sesprov regions | grep -E '^(REGION|eu-south-1) '",
	} {
		if got := missingTool(line); got != "" {
			t.Errorf("missingTool(%q) = %q", line, got)
		}
	}
}

func TestAbsoluteRedirect(t *testing.T) {
	for line, want := range map[string]string{
		"sesprov man > ~/.local/share/man/man1/sesprov.1":   "",
		"sesprov -o json list > /dev/null 2>&1":             "",
		`sesprov completion zsh > "${fpath[1]}/_sesprov"`:   "${fpath[1]}/_sesprov\"",
		"sesprov completion bash >/etc/bash_completion.d/x": "/etc/bash_completion.d/x",
		"sesprov regions | tee out.txt":                     "",
	} {
		if got := absoluteRedirect(line); got != want {
			t.Errorf("absoluteRedirect(%q) = %q, want %q", line, got, want)
		}
	}
}

func TestHelpExamplesParse(t *testing.T) {
	desc := "Text.\n\nExamples:\n   sesprov a --x 1\n\n   sesprov b | sesprov c\nMore text.\n   indented but not an example\n"
	got := helpExamples(desc)
	if strings.Join(got, ";") != "sesprov a --x 1;sesprov b | sesprov c" {
		t.Errorf("helpExamples = %q", got)
	}
	for line, want := range map[string]string{
		"sesprov --sandbox create-user --regions us-east-1":                     "create-user",
		"sesprov -o json --profile ops doctor":                                  "doctor",
		"echo x | sesprov --output=json derive --regions eu-west-1":             "derive",
		"sesprov -o json create-user --regions x | tee c.json | sesprov verify": "create-user verify",
		"source <(sesprov completion bash)":                                     "completion",
	} {
		if got := strings.Join(exampleCommands(line), " "); got != want {
			t.Errorf("exampleCommands(%q) = %q, want %q", line, got, want)
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
