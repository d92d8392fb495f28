//go:build unix

package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A reader that goes away after the write (create-user … | head -1) does
// not fail it: the credentials fit the pipe's buffer, the write succeeded,
// and sesprov cannot know the reader saw only the first line. The run exits
// 0 with the key made and its password unseen. docs/security.md and
// docs/operations.md say so, and point automation at --deliver-to, which
// counts a delivery only once it is stored. (A reader gone before the
// write is a failed write: TestClosedStdoutPipeRollsKeyBack.)
func TestReaderGoneAfterWriteIsNotSeen(t *testing.T) {
	isolateAWSEnv(t)
	dir := t.TempDir()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sesprovBinary(t), "--sandbox", "--sandbox-state", filepath.Join(dir, "sandbox.json"),
		"create-user", "--user-name", "piped", "--regions", "us-east-1,eu-west-1")
	cmd.Stdout = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	first, err := bufio.NewReader(r).ReadString('\n') // head -1
	r.Close()
	if err != nil || !strings.HasPrefix(first, "USER") {
		t.Fatalf("first line %q: %v", first, err)
	}
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit %d: the write had already succeeded", code)
	}
	docs := readDoc(t, "security.md") + readDoc(t, "operations.md")
	for _, want := range []string{"pipe's buffer", "--deliver-to"} {
		if !strings.Contains(docs, want) {
			t.Errorf("the docs do not say %q", want)
		}
	}
}

func readDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
