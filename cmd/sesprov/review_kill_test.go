package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/provision"
)

// buildSesprov builds the real binary once per test.
func buildSesprov(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sesprov")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Review: sesprov is killed (SIGKILL) right after IAM made the access key,
// before the response reaches it. What does the re-run do?
func TestReviewKilledAfterCreateAccessKey(t *testing.T) {
	bin := buildSesprov(t)
	isolateAWSEnv(t)
	srv := iamfake.New(iamfake.Options{})
	var mu sync.Mutex
	var victim *os.Process
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if strings.Contains(string(body), "Action=CreateAccessKey") {
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, r) // IAM acts
			mu.Lock()
			victim.Kill() // kill -9 before the answer arrives
			mu.Unlock()
			return
		}
		srv.ServeHTTP(w, r)
	}))
	defer hs.Close()
	cmd := exec.Command(bin, "--endpoint-url", hs.URL, "-o", "json", "create-user", "--user-name", "alice", "--regions", "us-east-1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	mu.Lock()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	victim = cmd.Process
	mu.Unlock()
	err := cmd.Wait()
	t.Logf("first run: %v, stdout %q", err, stdout.String())
	api := iam.NewFromConfig(iamfaketest.Config(hs.URL))
	keys, _ := provision.ListAccessKeyIDs(context.Background(), api, "alice")
	t.Logf("keys after the kill: %v", keys)

	re := exec.Command(bin, "--endpoint-url", hs.URL, "-o", "json", "create-user", "--user-name", "alice", "--regions", "us-east-1")
	out, err := re.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != 0 {
		t.Errorf("re-run after the kill: exit %d (does not converge):\n%s", code, out)
	}
	rot, _ := exec.Command(bin, "rotate", "--help").CombinedOutput()
	if strings.Contains(string(rot), "unknown command") || strings.Contains(string(rot), "No help topic") {
		t.Errorf("the conflict points to 'sesprov rotate', which does not exist: %s", rot)
	}
}

// Review: an --out-file run killed before delivery leaves an empty file; the
// same command run again refuses it (exit 2) instead of finishing.
func TestReviewKilledOutFileBlocksRerun(t *testing.T) {
	bin := buildSesprov(t)
	isolateAWSEnv(t)
	srv := iamfake.New(iamfake.Options{})
	var mu sync.Mutex
	var victim *os.Process
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if strings.Contains(string(body), "Action=CreateUser") {
			mu.Lock()
			if victim != nil {
				victim.Kill()
				victim = nil
				mu.Unlock()
				return
			}
			mu.Unlock()
		}
		srv.ServeHTTP(w, r)
	}))
	defer hs.Close()
	outFile := filepath.Join(t.TempDir(), "creds.json")
	args := []string{"--endpoint-url", hs.URL, "-o", "json", "create-user", "--user-name", "bob", "--regions", "us-east-1", "--out-file", outFile}
	cmd := exec.Command(bin, args...)
	mu.Lock()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	victim = cmd.Process
	mu.Unlock()
	cmd.Wait()
	if st, err := os.Stat(outFile); err == nil {
		t.Logf("after kill: %s exists, %d bytes", outFile, st.Size())
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Errorf("re-run of the same command: %v\n%s", err, out)
	}
}

// Review: stdout is a pipe whose reader has gone (`sesprov … | true`). The
// write of the credentials must fail with EPIPE and the key be rolled back;
// instead Go's default SIGPIPE handling kills sesprov with the key made.
func TestReviewClosedStdoutPipeOrphansKey(t *testing.T) {
	bin := buildSesprov(t)
	f := startFake(t)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	pr.Close() // the reader is gone
	cmd := exec.Command(bin, "--endpoint-url", f.url, "-o", "json", "create-user", "--user-name", "alice", "--regions", "us-east-1")
	cmd.Stdout = pw
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	pw.Close()
	t.Logf("run: %v; stderr: %s", err, stderr.String())
	keys, _ := provision.ListAccessKeyIDs(context.Background(), f.iam, "alice")
	if len(keys) != 0 {
		t.Errorf("stdout closed: key %v left behind, its secret went nowhere (process state: %v)", keys, cmd.ProcessState)
	}
}

// Review: a signal while CreateAccessKey is in flight, IAM acting a moment
// later than the client gives up (the request is already on its way).
// SIGHUP (terminal closed, ssh dropped) is not handled at all: sesprov dies
// with no rollback. SIGINT is handled, but the rollback lists the keys once,
// at once, misses the key IAM is making, and says "safe to repeat".
func TestReviewSignalDuringCreateAccessKey(t *testing.T) {
	bin := buildSesprov(t)
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			isolateAWSEnv(t)
			srv := iamfake.New(iamfake.Options{})
			var mu sync.Mutex
			var victim *os.Process
			served := make(chan struct{})
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				if strings.Contains(string(body), "Action=CreateAccessKey") {
					mu.Lock()
					victim.Signal(sig)
					mu.Unlock()
					time.Sleep(200 * time.Millisecond) // IAM acts a moment later
					srv.ServeHTTP(w, r)
					close(served)
					return
				}
				srv.ServeHTTP(w, r)
			}))
			defer hs.Close()
			cmd := exec.Command(bin, "--endpoint-url", hs.URL, "-o", "json", "create-user", "--user-name", "alice", "--regions", "us-east-1")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			mu.Lock()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			victim = cmd.Process
			mu.Unlock()
			err := cmd.Wait()
			<-served
			t.Logf("run: %v; stderr: %s", err, stderr.String())
			api := iam.NewFromConfig(iamfaketest.Config(hs.URL))
			keys, _ := provision.ListAccessKeyIDs(context.Background(), api, "alice")
			if len(keys) != 0 {
				t.Errorf("%v during CreateAccessKey: key %v left behind, its secret went nowhere", sig, keys)
			}
		})
	}
}
