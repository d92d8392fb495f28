package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets testscript run the real sesprov main as the `sesprov`
// command of each script: a separate process, real argv, stdin, stdout,
// stderr and exit code.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"sesprov": func() { os.Exit(run(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs testdata/script/*.txtar: CLI behaviour as a user's session.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:   "testdata/script",
		Setup: setupScriptEnv,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":       cmdExits,
			"smtpd":       cmdSMTPD,
			"smtpd-stats": cmdSMTPDStats,
		},
	})
}

// setupScriptEnv isolates each script: no AWS configuration from the machine
// running the tests, and a sandbox state of its own.
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
	return nil
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
