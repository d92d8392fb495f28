//go:build unix

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Read-only commands whose reader has gone (sesprov regions | head -1) stop
// quietly with exit 0. The pipe's read end is closed before the command
// starts, so its first write meets EPIPE whatever the pipe's buffer holds.
func TestReadOnlyCommandsQuietOnClosedPipe(t *testing.T) {
	dir := t.TempDir()
	env := []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "SESPROV_SANDBOX=1",
		"SESPROV_SANDBOX_STATE=" + filepath.Join(dir, "sandbox.json"), "AWS_EC2_METADATA_DISABLED=true"}
	mk := exec.Command("sesprov", "-o", "json", "create-user", "--user-name", "piped", "--regions", "eu-west-1", "--out-file", filepath.Join(dir, "creds.json"))
	mk.Env = env
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("create-user: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		args  []string
		stdin string
	}{
		{args: []string{"regions"}},
		{args: []string{"-o", "json", "regions"}},
		{args: []string{"-o", "csv", "regions"}},
		{args: []string{"list"}},
		{args: []string{"-o", "json", "list"}},
		{args: []string{"doctor"}},
		{args: []string{"doctor", "--policy", "--account-id", "123456789012", "--user-path", "/ses-smtp/"}},
		{args: []string{"derive", "--regions", "us-east-1,eu-west-1"}, stdin: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			r.Close()
			defer w.Close()
			cmd := exec.Command("sesprov", tc.args...)
			cmd.Env = env
			cmd.Stdin = strings.NewReader(tc.stdin)
			cmd.Stdout = w
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err = cmd.Run()
			if err != nil || stderr.Len() > 0 {
				t.Errorf("sesprov %s into a closed pipe: %v, stderr:\n%s", strings.Join(tc.args, " "), err, stderr.String())
			}
		})
	}
}
