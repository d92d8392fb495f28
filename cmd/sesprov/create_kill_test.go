package main

import (
	"bytes"
	"context"
	"encoding/json"
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

// sesprov is killed (SIGKILL) right after IAM made the access key, before
// the response reaches it: nothing can delete that key. The re-run is a
// conflict (exit 3) whose message names the key, says it was never used and
// is young, so almost certainly the orphan of a cut-short run, and gives the
// way out (rotate --old-key delete). (Found in review.)
func TestKilledAfterCreateAccessKeyRerunExplains(t *testing.T) {
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

	if len(keys) != 1 {
		t.Fatalf("keys after the kill: %v, want the one IAM made", keys)
	}
	re := exec.Command(bin, "--endpoint-url", hs.URL, "-o", "json", "create-user", "--user-name", "alice", "--regions", "us-east-1")
	out, err := re.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	for _, want := range []string{keys[0], "never used", "cut short", "did not receive", "sesprov rotate --user-name alice --regions us-east-1 --old-key delete"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("re-run's message lacks %q:\n%s", want, out)
		}
	}
	if code != 3 {
		t.Errorf("re-run after the kill: exit %d, want 3 (a decision: the key's secret is lost):\n%s", code, out)
	}
	// The advice must name a command that exists (rotate lands with the
	// lifecycle work; until then this part cannot be checked).
	if !hasCommand("rotate") {
		t.Log("no rotate command in this build: the advice's command is not checked")
		return
	}
	rot, err := exec.Command(bin, "rotate", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(rot), "--old-key") {
		t.Errorf("the conflict points to 'sesprov rotate --old-key delete', which this build does not offer: %v\n%s", err, rot)
	}
}

func hasCommand(name string) bool {
	for _, c := range commands() {
		if c.Name == name {
			return true
		}
	}
	return false
}

// An --out-file run killed before delivery leaves no file under the name
// (only an empty temporary one): the same command run again finishes.
// (Found in review: the empty file blocked the re-run with exit 2.)
func TestKilledOutFileRunDoesNotBlockRerun(t *testing.T) {
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
	var c credJSON
	if b, err := os.ReadFile(outFile); err != nil || json.Unmarshal(b, &c) != nil || c.UserName != "bob" {
		t.Errorf("out-file after the re-run: %v %q", err, b)
	}
}

// stdout is a pipe whose reader has gone (`sesprov … | true`): the write of
// the credentials fails with EPIPE (SIGPIPE is ignored) and the key is
// rolled back. (Found in review: SIGPIPE killed sesprov with the key made.)
func TestClosedStdoutPipeRollsKeyBack(t *testing.T) {
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
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr.String(), "was deleted") {
		t.Errorf("exit %d, want 1 with the key's deletion reported", code)
	}
}

// A signal while CreateAccessKey is in flight, IAM acting a moment later:
// the call is not cancelled, its answer names the key, and the key is
// deleted. SIGHUP (terminal closed, ssh dropped) is handled like SIGINT.
// (Found in review: SIGHUP killed sesprov with no rollback, and SIGINT's
// rollback listed the keys at once, missing the key IAM was making.)
func TestSignalDuringCreateAccessKeyLeavesNoKey(t *testing.T) {
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
			if code := cmd.ProcessState.ExitCode(); code != provision.ExitInterrupted {
				t.Errorf("%v: exit %d, want %d", sig, code, provision.ExitInterrupted)
			}
		})
	}
}
