package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkDeriveProcess is `sesprov derive --regions us-east-1 < secret` as a
// whole process: exec, runtime start, flag parsing, one derivation, exit
// (docs/performance.md). The binary is built once, like `make build`.
func BenchmarkDeriveProcess(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "sesprov")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	const want = "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9" // gen_vectors.py
	var stdout bytes.Buffer
	for b.Loop() {
		stdout.Reset()
		cmd := exec.Command(bin, "derive", "--regions", "us-east-1")
		cmd.Stdin = strings.NewReader("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n")
		cmd.Stdout = &stdout
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		if got := strings.TrimSpace(stdout.String()); got != want {
			b.Fatalf("got %q, want %q", got, want)
		}
	}
}
