//go:build linux

package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/internal/ptytest"
)

// colorEnv is the test's environment without the variables that decide
// colour, plus extra.
func colorEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "NO_COLOR" || k == "CLICOLOR_FORCE" || k == "TERM" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// runOnTerminal runs the real sesprov with stdout on a pseudo-terminal and
// returns what the terminal showed.
func runOnTerminal(t *testing.T, env []string, args ...string) string {
	return runOnTerminalSized(t, env, 0, args...)
}

// runOnTerminalSized is runOnTerminal on a terminal cols wide (0: the
// pseudo-terminal's default, which is unknown).
func runOnTerminalSized(t *testing.T, env []string, cols int, args ...string) string {
	t.Helper()
	ctl, tty, err := ptytest.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal on this machine: %v", err)
	}
	defer ctl.Close()
	if cols > 0 {
		if err := ptytest.SetSize(tty, cols, 40); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("sesprov", args...)
	cmd.Env = env
	cmd.Stdout = tty
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	var out bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&out, ctl); close(done) }() // ends with EIO when the program exits
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("sesprov %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		t.Logf("sesprov %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	<-done
	return out.String()
}

// Colour appears on a terminal, never with NO_COLOR or TERM=dumb, never in
// a pipe; the piped table is the terminal's table without the escapes.
func TestColorOnlyOnTerminal(t *testing.T) {
	onTTY := runOnTerminal(t, colorEnv("TERM=xterm"), "regions")
	if !strings.Contains(onTTY, "\x1b[32mavailable\x1b[0m") {
		t.Errorf("regions on a terminal: no green 'available'; got:\n%.400q", onTTY)
	}
	for _, env := range [][]string{colorEnv("TERM=xterm", "NO_COLOR="), colorEnv("TERM=xterm", "NO_COLOR=1"), colorEnv("TERM=dumb")} {
		if out := runOnTerminal(t, env, "regions"); strings.Contains(out, "\x1b[") {
			t.Errorf("regions with %v: escape sequences on the terminal:\n%.400q", env[len(env)-1], out)
		}
	}
	cmd := exec.Command("sesprov", "regions")
	cmd.Env = colorEnv("TERM=xterm")
	piped, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(piped, []byte("\x1b[")) {
		t.Errorf("regions into a pipe has escape sequences:\n%.400q", piped)
	}
	// The terminal turns \n into \r\n; without escapes and \r both tables are equal.
	stripped := strings.ReplaceAll(onTTY, "\r\n", "\n")
	for _, sgr := range []string{"\x1b[01m", "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[39m", "\x1b[0m"} {
		stripped = strings.ReplaceAll(stripped, sgr, "")
	}
	if stripped != string(piped) {
		t.Errorf("the terminal's table without colour differs from the piped table:\n%s\n---\n%s", stripped, piped)
	}
}

// A table wider than the terminal is cut at its width, not wrapped; the
// same table into a pipe is whole.
func TestWideTableFitsTerminal(t *testing.T) {
	const cols = 100
	out := runOnTerminalSized(t, colorEnv("TERM=xterm"), cols, "regions")
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(out, "\r\n", "\n"), "\n"), "\n")
	cut := 0
	for _, l := range lines {
		plain := l
		for _, sgr := range []string{"\x1b[01m", "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[39m", "\x1b[0m"} {
			plain = strings.ReplaceAll(plain, sgr, "")
		}
		if n := len([]rune(plain)); n > cols {
			t.Errorf("line of %d characters on a %d-column terminal: %q", n, cols, plain)
		}
		if strings.HasSuffix(plain, "…") {
			cut++
		}
	}
	if cut == 0 || len(lines) < 20 {
		t.Errorf("no line cut (%d lines) on a %d-column terminal:\n%s", len(lines), cols, out)
	}
	cmd := exec.Command("sesprov", "regions")
	cmd.Env = colorEnv("TERM=xterm")
	piped, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(piped, []byte("…\n")) || !bytes.Contains(piped, []byte("its example script, the later source (November 2023), lists it")) {
		t.Errorf("piped table was cut:\n%s", piped)
	}
}

// doctor paints its STATUS column: ok green, DENIED red; NO_COLOR none.
func TestDoctorColors(t *testing.T) {
	srv := iamfake.New(iamfake.Options{})
	srv.DenyActions("iam:DeleteUser")
	hs := httptest.NewServer(srv)
	defer hs.Close()
	env := append(interruptEnv(t.TempDir(), hs.URL), "TERM=xterm")
	env = colorEnv(env...)
	out := runOnTerminal(t, env, "doctor")
	if !strings.Contains(out, "\x1b[32mok\x1b[0m") || !strings.Contains(out, "\x1b[31mDENIED\x1b[0m") {
		t.Errorf("doctor on a terminal: no green ok and red DENIED:\n%q", out)
	}
	if out := runOnTerminal(t, append(env, "NO_COLOR=1"), "doctor"); strings.Contains(out, "\x1b[") {
		t.Errorf("doctor with NO_COLOR: escapes:\n%q", out)
	}
}

// list paints key status (Active green, Inactive yellow); the painted
// table, without its escapes, is the piped one, aligned the same.
func TestListColors(t *testing.T) {
	dir := t.TempDir()
	env := colorEnv("TERM=xterm", "SESPROV_SANDBOX=1", "SESPROV_SANDBOX_STATE="+filepath.Join(dir, "sandbox.json"), "HOME="+dir)
	for _, args := range [][]string{
		{"-o", "json", "create-user", "--user-name", "mailer-with-a-long-name", "--regions", "eu-west-1"},
		{"-o", "json", "rotate", "--user-name", "mailer-with-a-long-name", "--regions", "eu-west-1"},
		{"-o", "json", "create-user", "--user-name", "m2", "--regions", "eu-west-1"},
	} {
		cmd := exec.Command("sesprov", args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sesprov %v: %v\n%s", args, err, out)
		}
	}
	onTTY := runOnTerminal(t, env, "list")
	if !strings.Contains(onTTY, "\x1b[32mActive\x1b[0m") || !strings.Contains(onTTY, "\x1b[33mInactive\x1b[0m") {
		t.Errorf("list on a terminal: no green Active and yellow Inactive:\n%q", onTTY)
	}
	cmd := exec.Command("sesprov", "list")
	cmd.Env = env
	piped, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	stripped := strings.ReplaceAll(onTTY, "\r\n", "\n")
	for _, sgr := range []string{"\x1b[01m", "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[39m", "\x1b[0m"} {
		stripped = strings.ReplaceAll(stripped, sgr, "")
	}
	if stripped != string(piped) || bytes.Contains(piped, []byte("\x1b[")) {
		t.Errorf("list on a terminal without colour differs from the piped list:\n%s\n---\n%s", stripped, piped)
	}
	if out := runOnTerminal(t, append(env, "NO_COLOR="), "list"); strings.Contains(out, "\x1b[") {
		t.Errorf("list with NO_COLOR: escapes:\n%q", out)
	}
}

// A batch's summary on stderr paints failures red and conflicts yellow when
// colour is on (CLICOLOR_FORCE stands in for a terminal), never with NO_COLOR.
func TestBatchSummaryColors(t *testing.T) {
	srv := iamfake.New(iamfake.Options{})
	c := iamClient(t, srv)
	if _, err := c.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String("plain")}); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "users.txt"), []byte("plain\nmailer\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(extra ...string) string {
		cmd := exec.Command("sesprov", "-o", "json", "create-user", "--from", "users.txt", "--regions", "eu-west-1")
		cmd.Dir = dir
		cmd.Env = colorEnv(append(interruptEnv(dir, hs.URL), extra...)...)
		var stdout, stderr bytes.Buffer // a stdout on /dev/null is refused
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.Run()
		return stderr.String()
	}
	if got := run("CLICOLOR_FORCE=1"); !strings.Contains(got, "\x1b[33m1 conflict(s)\x1b[0m") {
		t.Errorf("no yellow conflict count:\n%q", got)
	}
	// Run again: mailer's key, made by the first run a moment ago and never
	// used, may be a killed run's orphan: a second conflict.
	if got := run("CLICOLOR_FORCE=1", "NO_COLOR=1"); strings.Contains(got, "\x1b[") || !strings.Contains(got, "2 conflict(s)") {
		t.Errorf("NO_COLOR: escapes or no summary:\n%q", got)
	}
}
