package main

import (
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/sesprov/sesprov/iamfake"
)

// TestMain lets testscript run the real sesprov main as the `sesprov`
// command of each script: a separate process, real argv, stdin, stdout,
// stderr, signals and exit code. It also puts that command on $PATH, where
// the tests that start sesprov themselves find it (sesprovBinary).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"sesprov": func() { os.Exit(mainCode()) },
	})
}

// TestScripts runs testdata/script/*.txtar: CLI behaviour as a user's session.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:   "testdata/script",
		Setup: setupScriptEnv,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":               cmdExits,
			"iamfake-fault":       cmdIAMFakeFault,
			"iamfake-calls":       cmdIAMFakeCalls,
			"iamfake-reset":       cmdIAMFakeReset,
			"iamfake-deny":        cmdIAMFakeDeny,
			"smtpd":               cmdSMTPD,
			"smtpd-stats":         cmdSMTPDStats,
			"smtpd-messages":      cmdSMTPDMessages,
			"iamfake-call":        cmdIAMFakeCall,
			"iamfake-consistency": cmdIAMFakeConsistency,
			"iamfake-clock":       cmdIAMFakeClock,
			"iamfake-key-var":     cmdIAMFakeKeyVar,
		},
	})
}

// setupScriptEnv isolates each script: no AWS configuration from the machine
// running the tests, and a sandbox state of its own. Each script also gets an
// iamfake of its own on loopback, which AWS_ENDPOINT_URL (the SDK's own
// variable) points every command at, with dummy credentials: a script never
// reaches AWS. $IAMFAKE_URL is its address; iamfake-fault, iamfake-calls and
// iamfake-reset control it.
func setupScriptEnv(env *testscript.Env) error {
	for _, k := range []string{
		"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID",
		"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
		"AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS", "SESPROV_ROLE_ARN",
		"SESPROV_SANDBOX", "SESPROV_OUTPUT", "NO_COLOR",
	} {
		env.Setenv(k, "")
	}
	env.Setenv("HOME", env.WorkDir)
	env.Setenv("XDG_STATE_HOME", env.WorkDir+"/.state")
	env.Setenv("AWS_CONFIG_FILE", env.WorkDir+"/.aws/config")
	env.Setenv("AWS_SHARED_CREDENTIALS_FILE", env.WorkDir+"/.aws/credentials")

	clock := &scriptClock{}
	env.Values[scriptClockKey{}] = clock
	srv := iamfake.New(iamfake.Options{Now: clock.now})
	hs := httptest.NewServer(srv)
	env.Defer(hs.Close)
	env.Values[iamfakeKey{}] = srv
	env.Setenv("IAMFAKE_URL", hs.URL)
	env.Setenv("AWS_ENDPOINT_URL", hs.URL)
	env.Setenv("AWS_ACCESS_KEY_ID", "AKIASCRIPTOPERATOR00")
	env.Setenv("AWS_SECRET_ACCESS_KEY", "script-operator-secret")
	env.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return nil
}

type iamfakeKey struct{}

func scriptFake(ts *testscript.TestScript) *iamfake.Server {
	return ts.Value(iamfakeKey{}).(*iamfake.Server)
}

// cmdIAMFakeFault injects a fault into the script's iamfake:
// `iamfake-fault ACTION CODE [NTH]` fails the NTH (default next) call of
// ACTION with the IAM error CODE without acting; CODE "drop" performs the call
// and drops the connection (a lost response); CODE "after:X" performs it and
// answers X anyway.
func cmdIAMFakeFault(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: iamfake-fault ACTION CODE|drop|after:CODE [NTH]")
	}
	f := iamfake.Fault{Action: args[0]}
	switch code := args[1]; {
	case code == "drop":
		f.DropResponse = true
	case strings.HasPrefix(code, "after:"):
		f.Code, f.After = strings.TrimPrefix(code, "after:"), true
	default:
		f.Code = code
	}
	if len(args) == 3 {
		n, err := strconv.Atoi(args[2])
		if err != nil {
			ts.Fatalf("iamfake-fault: bad NTH %q", args[2])
		}
		f.Nth = n
	}
	scriptFake(ts).Inject(f)
}

// cmdIAMFakeCalls asserts the number of calls the iamfake received:
// `iamfake-calls ACTION N` (ACTION "*" counts all; "mutating" counts every
// call that is not a Get, List or Simulate).
func cmdIAMFakeCalls(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: iamfake-calls ACTION|*|mutating N")
	}
	want, err := strconv.Atoi(args[1])
	if err != nil {
		ts.Fatalf("iamfake-calls: bad count %q", args[1])
	}
	calls := scriptFake(ts).Calls()
	got := 0
	var names []string
	for _, c := range calls {
		names = append(names, c.Action)
		switch args[0] {
		case "*":
			got++
		case "mutating":
			if !strings.HasPrefix(c.Action, "Get") && !strings.HasPrefix(c.Action, "List") && !strings.HasPrefix(c.Action, "Simulate") {
				got++
			}
		default:
			if c.Action == args[0] {
				got++
			}
		}
	}
	if (got == want) == neg {
		ts.Fatalf("iamfake-calls %s: got %d, want %s%d (calls: %s)", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want, strings.Join(names, " "))
	}
}

// cmdIAMFakeReset clears the call log and any pending fault.
func cmdIAMFakeReset(ts *testscript.TestScript, neg bool, args []string) {
	scriptFake(ts).ResetCalls()
	scriptFake(ts).ClearFaults()
}

// cmdExits runs `exits CODE PROGRAM ARGS...`: PROGRAM must exit with exactly
// CODE (sesprov's exit codes are a contract schedulers rely on). Its stdout and
// stderr are then matched by the usual stdout/stderr commands.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}
