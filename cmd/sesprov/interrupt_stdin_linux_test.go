//go:build linux

package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/internal/ptytest"
)

// readingStdin reports whether a thread of process pid is blocked in
// read(0, …): the process is waiting for its input.
func readingStdin(t *testing.T, pid int) bool {
	t.Helper()
	tasks, err := filepath.Glob("/proc/" + itoa(pid) + "/task/*/syscall")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			if os.IsPermission(err) {
				t.Skipf("cannot read %s (%v): the test cannot see when sesprov waits for input", f, err)
			}
			continue
		}
		if strings.HasPrefix(string(b), "0 0x0 ") { // read(2) on fd 0
			return true
		}
	}
	return false
}

// Ctrl-C while a command waits for its input on a pipe that stays open: it
// ends at once with exit 130 and "interrupted", not after the pipe closes
// with a message about empty or invalid input (exit 2).
func TestInterruptWaitingForStdin(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		last string
	}{
		{"derive", []string{"derive", "--regions", "eu-west-1"}, "sesprov: nothing was changed in IAM"},
		{"verify", []string{"verify"}, "sesprov: nothing was changed in IAM"},
		{"create-user --from -", []string{"--sandbox", "create-user", "--from", "-", "--regions", "eu-west-1"}, "    sesprov --sandbox create-user --from - --regions eu-west-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command("sesprov", tc.args...)
			cmd.Dir = dir
			cmd.Env = append(interruptEnv(dir, "http://127.0.0.1:1"), "SESPROV_SANDBOX_STATE="+filepath.Join(dir, "sandbox.json"))
			stdin, err := cmd.StdinPipe() // kept open: no input, no end of input
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second) // a safety net, not a timing assertion
			for !readingStdin(t, cmd.Process.Pid) {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("sesprov %v never waited for stdin\n%s", tc.args, stderr.String())
				}
				time.Sleep(5 * time.Millisecond)
			}
			cmd.Process.Signal(syscall.SIGINT)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("sesprov %v did not end after SIGINT while waiting for stdin\n%s", tc.args, stderr.String())
			}
			if code := cmd.ProcessState.ExitCode(); code != 130 {
				t.Errorf("exit %d, want 130\n%s", code, stderr.String())
			}
			lines := strings.Split(strings.TrimRight(stderr.String(), "\n"), "\n")
			if len(lines) < 2 || !strings.HasPrefix(lines[0], "sesprov: interrupted") || lines[len(lines)-1] != tc.last {
				t.Errorf("stderr:\n%s\nwant a first line 'sesprov: interrupted…' and a last line %q", stderr.String(), tc.last)
			}
		})
	}
}

// Ctrl-C at delete-user's confirmation question (stdin a terminal) ends the
// wait at once: exit 130, the user untouched.
func TestInterruptAtConfirmation(t *testing.T) {
	srv := iamfake.New(iamfake.Options{})
	dir := t.TempDir()
	if code, _, stderr := runAgainst(t, srv, dir, "-o", "json", "create-user", "--user-name", "mailer", "--regions", "eu-west-1"); code != 0 {
		t.Fatalf("create-user: exit %d\n%s", code, stderr)
	}
	ctl, tty, err := ptytest.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal on this machine: %v", err)
	}
	defer ctl.Close()
	defer tty.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	cmd := exec.Command("sesprov", "delete-user", "--user-name", "mailer")
	cmd.Dir = dir
	cmd.Env = interruptEnv(dir, hs.URL)
	cmd.Stdin = tty
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second) // a safety net, not a timing assertion
	for !strings.Contains(stderr.String(), "[y/N] ") {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no confirmation question:\n%s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("delete-user did not end after SIGINT at its question\n%s", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit %d, want 130\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "sesprov: interrupted at the question") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	if keys := accessKeys(t, srv, "mailer"); len(keys) != 1 {
		t.Errorf("after the interrupted question the user has keys %v, want its one key untouched", keys)
	}
}
