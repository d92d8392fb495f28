package main

import (
	"bytes"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/internal/ptytest"
)

// A batch with stderr on a terminal shows its progress as one line
// rewritten in place, not a line per user; the summary stays.
func TestBatchProgressOnTerminal(t *testing.T) {
	srv := iamfake.New(iamfake.Options{})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "users.txt"), []byte("a1\na2\na3\na4\na5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctl, tty, err := ptytest.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal on this machine: %v", err)
	}
	defer ctl.Close()
	cmd := exec.Command("sesprov", "-o", "json", "create-user", "--from", "users.txt", "--regions", "eu-west-1")
	cmd.Dir = dir
	cmd.Env = colorEnv(append(interruptEnv(dir, hs.URL), "NO_COLOR=1")...)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, tty
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	var screen bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&screen, ctl); close(done) }() // ends with EIO when the program exits
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v\n%q", err, screen.String())
	}
	<-done
	got := screen.String()
	if !strings.Contains(got, "\r\x1b[Ksesprov: 5/5 users done, 0 failed") {
		t.Errorf("no line in place:\n%q", got)
	}
	if strings.Contains(got, "[1/5]") || strings.Count(got, "users done") < 5 {
		t.Errorf("not one line per user rewritten in place:\n%q", got)
	}
	if !strings.Contains(got, "5 created, 0 completed, 0 already done, 0 failed") {
		t.Errorf("no summary:\n%q", got)
	}
	if strings.Count(stdout.String(), "\n") != 5 {
		t.Errorf("stdout: %q", stdout.String())
	}
}
