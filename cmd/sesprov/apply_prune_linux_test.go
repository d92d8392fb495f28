//go:build linux

package main

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/internal/ptytest"
)

// On a terminal, apply --prune names the users it would delete and asks;
// "n" changes nothing (exit 2), "y" deletes them.
func TestApplyPruneAsksOnATerminal(t *testing.T) {
	srv := iamfake.New(iamfake.Options{})
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("all.yaml", "defaults:\n  regions: [eu-west-1]\n  deliver_to: 'cmd:cat > creds-{user}.json'\nsenders:\n  - name: keep\n  - name: gone\n")
	write("one.yaml", "defaults:\n  regions: [eu-west-1]\n  deliver_to: 'cmd:cat > creds-{user}.json'\nsenders:\n  - name: keep\n")
	if code, _, stderr := runAgainst(t, srv, dir, "apply", "-f", "all.yaml"); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, stderr)
	}
	answer := func(reply string) (int, string) {
		ctl, tty, err := ptytest.Open()
		if err != nil {
			t.Skipf("no pseudo-terminal on this machine: %v", err)
		}
		defer ctl.Close()
		defer tty.Close()
		hs := httptest.NewServer(srv)
		defer hs.Close()
		cmd := exec.Command("sesprov", "apply", "-f", "one.yaml", "--prune")
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
		if _, err := ctl.WriteString(reply + "\n"); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		return cmd.ProcessState.ExitCode(), stderr.String()
	}
	code, stderr := answer("n")
	if code != 2 || !strings.Contains(stderr, "  - gone\n") || !strings.Contains(stderr, "not confirmed: nothing was changed") {
		t.Fatalf("answered n: exit %d\n%s", code, stderr)
	}
	if keys := accessKeys(t, srv, "gone"); len(keys) != 1 {
		t.Fatalf("after n, gone has keys %v", keys)
	}
	if code, stderr = answer("y"); code != 0 || !strings.Contains(stderr, "1 pruned") {
		t.Fatalf("answered y: exit %d\n%s", code, stderr)
	}
	if code, out, _ := runAgainst(t, srv, dir, "list"); code != 0 || strings.Contains(out, "gone") || !strings.Contains(out, "keep") {
		t.Errorf("after y, list (exit %d):\n%s", code, out)
	}
}
