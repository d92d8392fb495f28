//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/iamfake"
)

// heldResponses serves an iamfake that acts on every call at once but holds
// back the answer to one call (the nth of an action) until a second after
// the test has sent the signal, or until the client gives up: the moment of
// a Ctrl-C that comes after IAM has acted and before sesprov has heard (the
// hardest place to be interrupted). The second counts from the signal, not
// from the call, so a test slow to see the call and send it (a loaded
// machine) still interrupts before the answer.
type heldResponses struct {
	srv       *iamfake.Server
	action    string
	nth       int           // hold the answer to the nth call of action only
	seen      *atomic.Int64 // calls of action received
	signalled chan struct{} // closed once the test has sent the signal
}

func (h heldResponses) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Form.Get("Action") != h.action || h.seen.Add(1) != int64(h.nth) {
		h.srv.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	h.srv.ServeHTTP(rec, r.WithContext(context.WithoutCancel(r.Context())))
	// The answer is late: a client that gives up on Ctrl-C leaves first. A
	// client that waits on purpose (a record that must be written even when
	// interrupted) gets it after a while, as from IAM on a slow day.
	select {
	case <-r.Context().Done():
		return
	case <-h.signalled:
	}
	select {
	case <-r.Context().Done():
	case <-time.After(time.Second):
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}
}

// interruptEnv is the environment of a sesprov process talking to url.
func interruptEnv(dir, url string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "SESPROV_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+dir, "AWS_ENDPOINT_URL="+url, "AWS_ACCESS_KEY_ID=AKIAINTERRUPTTEST000",
		"AWS_SECRET_ACCESS_KEY=interrupt-test-operator", "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"))
}

// interruptAt starts `sesprov args...` against srv, whose answers to action
// are held back, sends SIGINT once the call log shows that action was
// performed, and returns the exit code, stdout and stderr.
func interruptAt(t *testing.T, srv *iamfake.Server, action, dir string, args ...string) (int, string, string) {
	t.Helper()
	return interruptAtNth(t, srv, action, 1, dir, args...)
}

// interruptAtNth is interruptAt at the nth call of action.
func interruptAtNth(t *testing.T, srv *iamfake.Server, action string, nth int, dir string, args ...string) (int, string, string) {
	t.Helper()
	return interruptAtNthIn(t, srv, action, nth, dir, "", args...)
}

// interruptAtNthIn is interruptAtNth with stdin.
func interruptAtNthIn(t *testing.T, srv *iamfake.Server, action string, nth int, dir, stdin string, args ...string) (int, string, string) {
	t.Helper()
	signalled := make(chan struct{})
	hs := httptest.NewServer(heldResponses{srv, action, nth, new(atomic.Int64), signalled})
	defer hs.Close()
	cmd := exec.Command("sesprov", args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = interruptEnv(dir, hs.URL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Bounded by the call log, not by time: the deadline only keeps a broken
	// build from hanging the test.
	deadline := time.Now().Add(30 * time.Second)
	for srv.CallCount(action) < nth {
		select {
		case err := <-exited:
			t.Fatalf("sesprov %v ended before %s was called: %v\n%s%s", args, action, err, stdout.String(), stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("sesprov %v never called %s; calls: %v", args, action, srv.Calls())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	close(signalled)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("sesprov %v did not end after SIGINT\n%s", args, stderr.String())
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// runAgainst runs sesprov to the end against srv.
func runAgainst(t *testing.T, srv *iamfake.Server, dir string, args ...string) (int, string, string) {
	t.Helper()
	return runAgainstIn(t, srv, dir, "", args...)
}

// runAgainstIn is runAgainst with stdin.
func runAgainstIn(t *testing.T, srv *iamfake.Server, dir, stdin string, args ...string) (int, string, string) {
	t.Helper()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	cmd := exec.Command("sesprov", args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = interruptEnv(dir, hs.URL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Run()
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// accessKeys lists a user's keys through the SDK.
func accessKeys(t *testing.T, srv *iamfake.Server, user string) []string {
	t.Helper()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	client := iam.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIAINTERRUPTTEST000", "interrupt-test-operator", ""),
	}, func(o *iam.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	out, err := client.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String(user)})
	var missing *types.NoSuchEntityException
	if errors.As(err, &missing) {
		return nil // no user, no key
	}
	if err != nil {
		t.Fatalf("ListAccessKeys %s: %v", user, err)
	}
	var ids []string
	for _, k := range out.AccessKeyMetadata {
		ids = append(ids, aws.ToString(k.AccessKeyId))
	}
	return ids
}

// Ctrl-C at each IAM call of create-user: exit 130, no credentials printed,
// no key left whose secret nobody saw, no out-file left to block the re-run,
// and a last line naming the command to run again, which then finishes.
func TestInterruptCreateUser(t *testing.T) {
	for _, action := range []string{"CreatePolicy", "CreateGroup", "AttachGroupPolicy", "CreateUser", "AddUserToGroup", "CreateAccessKey"} {
		t.Run(action, func(t *testing.T) {
			srv := iamfake.New(iamfake.Options{})
			dir := t.TempDir()
			args := []string{"-o", "json", "create-user", "--user-name", "mailer", "--regions", "eu-west-1", "--out-file", "creds.json"}
			code, stdout, stderr := interruptAt(t, srv, action, dir, args...)
			if code != 130 {
				t.Fatalf("exit %d, want 130\n%s", code, stderr)
			}
			t.Logf("stderr after SIGINT at %s:\n%s", action, stderr)
			if stdout != "" {
				t.Errorf("stdout after the interrupt: %q", stdout)
			}
			want := "run the same command again:\n    sesprov -o json create-user --user-name mailer --regions eu-west-1 --out-file creds.json\n"
			if !strings.HasSuffix(stderr, want) {
				t.Errorf("stderr does not end with the command to run again:\n%s", stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, "creds.json")); !os.IsNotExist(err) {
				t.Errorf("out-file left after the interrupt (the re-run would refuse it): %v", err)
			}
			if action == "CreateAccessKey" && srv.CallCount("DeleteAccessKey") != 1 {
				t.Errorf("the key IAM made while sesprov was interrupted was not deleted (DeleteAccessKey calls: %d)", srv.CallCount("DeleteAccessKey"))
			}
			if action == "CreateUser" || action == "AddUserToGroup" || action == "CreateAccessKey" {
				if keys := accessKeys(t, srv, "mailer"); len(keys) != 0 {
					t.Errorf("keys left after the interrupt, their secret seen by nobody: %v", keys)
				}
			}
			code, _, stderr = runAgainst(t, srv, dir, args...)
			if code != 0 {
				t.Fatalf("re-run: exit %d\n%s", code, stderr)
			}
			b, err := os.ReadFile(filepath.Join(dir, "creds.json"))
			if err != nil || !strings.Contains(string(b), `"smtp_password":"B`) {
				t.Errorf("re-run delivered no credentials (%v): %s", err, b)
			}
			if keys := accessKeys(t, srv, "mailer"); len(keys) != 1 {
				t.Errorf("after the re-run the user has keys %v, want exactly one", keys)
			}
		})
	}
}

// A read-only command interrupted says nothing was changed.
func TestInterruptReadOnly(t *testing.T) {
	srv := iamfake.New(iamfake.Options{})
	code, _, stderr := interruptAt(t, srv, "SimulatePrincipalPolicy", t.TempDir(), "doctor")
	if code != 130 {
		t.Fatalf("exit %d, want 130\n%s", code, stderr)
	}
	if !strings.HasSuffix(stderr, "\nsesprov: nothing was changed in IAM\n") || !strings.Contains(stderr, "sesprov: interrupted at ") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// verify interrupted while an SMTP server is silent: exit 130 at once (not
// after --timeout), nothing changed. The signal is sent once the server has
// accepted verify's connection.
func TestInterruptVerify(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c // never greets
		}
	}()
	dir := t.TempDir()
	creds := `{"user_name":"alice","access_key_id":"AKIAEXAMPLEKEY000001","smtp_username":"AKIAEXAMPLEKEY000001","credentials":[{"region":"eu-central-1","smtp_endpoint":"email-smtp.eu-central-1.amazonaws.com","smtp_password":"BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2"}]}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "creds.json"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sesprov", "verify", "--in", "creds.json", "--smtp-endpoint", ln.Addr().String(), "--timeout", "10m")
	cmd.Dir = dir
	cmd.Env = interruptEnv(dir, "http://127.0.0.1:1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-accepted:
		defer c.Close()
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("verify never connected\n%s", stderr.String())
	}
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("verify did not end after SIGINT\n%s", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit %d, want 130\n%s", code, stderr.String())
	}
	if !strings.HasSuffix(stderr.String(), "sesprov: nothing was changed in IAM\n") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

// A batch (--from) with --out-file interrupted at its second user: whatever
// was delivered before the interrupt stays in the file, no user keeps a key
// whose credentials are nowhere, and the advice, followed, finishes the
// batch (with a fresh --out-file when the first one holds credentials,
// since the same command would refuse it). A batch may run users
// concurrently, so which users were done is not assumed.
func TestInterruptBatchOutFile(t *testing.T) {
	srv := iamfake.New(iamfake.Options{})
	dir := t.TempDir()
	users := []string{"mailer-a", "mailer-b", "mailer-c"}
	if err := os.WriteFile(filepath.Join(dir, "users.txt"), []byte(strings.Join(users, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-o", "json", "create-user", "--from", "users.txt", "--regions", "eu-west-1", "--out-file", "creds.json"}
	code, _, stderr := interruptAtNth(t, srv, "CreateUser", 2, dir, args...)
	t.Logf("stderr:\n%s", stderr)
	if code != 130 {
		t.Fatalf("exit %d, want 130\n%s", code, stderr)
	}
	delivered := deliveredUsers(t, filepath.Join(dir, "creds.json"))
	for _, u := range users {
		if keys := accessKeys(t, srv, u); len(keys) > 0 && !delivered[u] {
			t.Errorf("%s has keys %v but its credentials are not in creds.json", u, keys)
		}
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	again := lines[len(lines)-1]
	if !strings.HasPrefix(again, "    sesprov ") {
		t.Fatalf("the last line is not a command to run: %q", again)
	}
	wantFile := "creds.json"
	if len(delivered) > 0 {
		wantFile = "creds-2.json"
		if !strings.Contains(stderr, "creds.json holds credentials delivered before the interrupt: keep them") {
			t.Errorf("the advice does not say to keep creds.json:\n%s", stderr)
		}
	}
	want := "    sesprov -o json create-user --from users.txt --regions eu-west-1 --out-file " + wantFile
	if len(delivered) > 0 {
		// The delivered users' keys are young and never used: --done says
		// they were delivered, so the re-run reports them done (exit 0).
		want += " --done creds.json"
	}
	if again != want {
		t.Fatalf("advice %q, want %q", again, want)
	}
	// The advice, followed, ends the job: every user has one key, and its
	// credentials are in one of the two files.
	code, _, stderr = runAgainst(t, srv, dir, strings.Fields(strings.TrimPrefix(again, "    sesprov "))...)
	t.Logf("re-run: exit %d\n%s", code, stderr)
	if code != 0 {
		t.Fatalf("re-run: exit %d", code)
	}
	second := deliveredUsers(t, filepath.Join(dir, wantFile))
	for _, u := range users {
		if keys := accessKeys(t, srv, u); len(keys) != 1 {
			t.Errorf("%s has keys %v after the re-run, want one", u, keys)
		}
		if !delivered[u] && !second[u] {
			t.Errorf("%s's credentials are in neither file", u)
		}
	}
}

// deliveredUsers reads the users of a JSON-lines credentials file (none if
// it does not exist).
func deliveredUsers(t *testing.T, path string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return map[string]bool{}
	}
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var set struct {
			UserName    string `json:"user_name"`
			Credentials []struct {
				Password string `json:"smtp_password"`
			} `json:"credentials"`
		}
		if line == "" {
			continue
		}
		if err := json.Unmarshal([]byte(line), &set); err != nil {
			t.Fatalf("%s: %v: %q", path, err, line)
		}
		if len(set.Credentials) == 0 || set.Credentials[0].Password == "" {
			t.Errorf("%s: %s has no password", path, set.UserName)
		}
		users[set.UserName] = true
	}
	return users
}

// iamClient is an SDK client of srv (served while the test runs).
func iamClient(t *testing.T, srv *iamfake.Server) *iam.Client {
	t.Helper()
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return iam.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIAINTERRUPTTEST000", "interrupt-test-operator", ""),
	}, func(o *iam.Options) { o.BaseEndpoint = aws.String(hs.URL) })
}

// iamState is what the lifecycle checks look at.
type iamState struct {
	exists    bool
	active    []string // active key IDs
	keys      int
	inGroup   bool
	hasInline bool
}

func stateOf(t *testing.T, c *iam.Client, user string) iamState {
	t.Helper()
	ctx := context.Background()
	var st iamState
	if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(user)}); err != nil {
		var missing *types.NoSuchEntityException
		if errors.As(err, &missing) {
			return st
		}
		t.Fatal(err)
	}
	st.exists = true
	keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys.AccessKeyMetadata {
		st.keys++
		if k.Status == types.StatusTypeActive {
			st.active = append(st.active, aws.ToString(k.AccessKeyId))
		}
	}
	groups, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups.Groups {
		st.inGroup = st.inGroup || aws.ToString(g.GroupName) == "AWSSESSendingGroupDoNotRename"
	}
	pols, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	st.hasInline = slices.Contains(pols.PolicyNames, "AmazonSesSendingAccess")
	return st
}

// Ctrl-C at each IAM change of rotate, migrate, convert and delete-user: exit
// 130, a state that loses nothing (no active key whose credentials went
// nowhere, a migrating user never unable to send), a last line naming the
// command to run again, and that command, run, finishes the job.
func TestInterruptLifecycle(t *testing.T) {
	const sendingPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*"}]}`
	type at struct {
		action string
		nth    int
	}
	for _, tc := range []struct {
		name  string
		user  string
		setup func(t *testing.T, srv *iamfake.Server, c *iam.Client, dir string) (args []string, stdin string)
		at    []at
		// during checks the state after the interrupt; delivered is what the
		// interrupted run printed on stdout.
		during func(t *testing.T, st iamState, delivered string)
		after  func(t *testing.T, st iamState, delivered string)
	}{{
		name: "rotate", user: "mailer",
		setup: func(t *testing.T, srv *iamfake.Server, c *iam.Client, dir string) ([]string, string) {
			if code, _, stderr := runAgainst(t, srv, dir, "-o", "json", "create-user", "--user-name", "mailer", "--regions", "eu-west-1"); code != 0 {
				t.Fatalf("create-user: exit %d\n%s", code, stderr)
			}
			return []string{"-o", "json", "rotate", "--user-name", "mailer", "--regions", "eu-west-1"}, ""
		},
		at: []at{{"CreateAccessKey", 1}, {"TagUser", 2}, {"UpdateAccessKey", 1}, {"UntagUser", 1}},
		during: func(t *testing.T, st iamState, delivered string) {
			if st.keys > 2 {
				t.Errorf("%d keys: IAM allows 2", st.keys)
			}
			for i, k := range st.active {
				if i > 0 && !strings.Contains(delivered, k) {
					t.Errorf("active key %s (of %v) was made by the interrupted rotation and delivered nowhere", k, st.active)
				}
			}
		},
		after: func(t *testing.T, st iamState, delivered string) {
			if len(st.active) != 1 || !strings.Contains(delivered, st.active[0]) {
				t.Errorf("after the re-run: active keys %v, want one whose credentials were delivered (%s)", st.active, delivered)
			}
		},
	}, {
		name: "migrate", user: "legacy",
		setup: func(t *testing.T, srv *iamfake.Server, c *iam.Client, dir string) ([]string, string) {
			ctx := context.Background()
			if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("legacy"), Tags: []types.Tag{{Key: aws.String("InvokedBy"), Value: aws.String("SESConsole")}}}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("legacy"), PolicyName: aws.String("AmazonSesSendingAccess"), PolicyDocument: aws.String(sendingPolicy)}); err != nil {
				t.Fatal(err)
			}
			return []string{"--yes", "migrate", "--user-name", "legacy"}, ""
		},
		at: []at{{"CreatePolicy", 1}, {"AddUserToGroup", 1}, {"DeleteUserPolicy", 1}},
		during: func(t *testing.T, st iamState, _ string) {
			if !st.inGroup && !st.hasInline {
				t.Error("the interrupted migration left the user unable to send (no group, no inline policy)")
			}
		},
		after: func(t *testing.T, st iamState, _ string) {
			if !st.inGroup || st.hasInline {
				t.Errorf("after the re-run: in group %v, inline policy %v; want in the group, no inline policy", st.inGroup, st.hasInline)
			}
		},
	}, {
		name: "convert", user: "app",
		setup: func(t *testing.T, srv *iamfake.Server, c *iam.Client, dir string) ([]string, string) {
			ctx := context.Background()
			if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("app")}); err != nil {
				t.Fatal(err)
			}
			k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("app")})
			if err != nil {
				t.Fatal(err)
			}
			return []string{"-o", "json", "convert", "--access-key-id", aws.ToString(k.AccessKey.AccessKeyId), "--regions", "eu-west-1"},
				aws.ToString(k.AccessKey.SecretAccessKey) + "\n"
		},
		at:     []at{{"AddUserToGroup", 1}},
		during: func(t *testing.T, st iamState, _ string) {},
		after: func(t *testing.T, st iamState, delivered string) {
			if !st.inGroup || len(st.active) != 1 || !strings.Contains(delivered, `"smtp_password":"B`) {
				t.Errorf("after the re-run: in group %v, active %v, output %q", st.inGroup, st.active, delivered)
			}
		},
	}, {
		name: "delete-user", user: "mailer",
		setup: func(t *testing.T, srv *iamfake.Server, c *iam.Client, dir string) ([]string, string) {
			if code, _, stderr := runAgainst(t, srv, dir, "-o", "json", "create-user", "--user-name", "mailer", "--regions", "eu-west-1"); code != 0 {
				t.Fatalf("create-user: exit %d\n%s", code, stderr)
			}
			return []string{"--yes", "delete-user", "--user-name", "mailer"}, ""
		},
		at:     []at{{"DeleteAccessKey", 1}, {"RemoveUserFromGroup", 1}, {"DeleteUser", 1}},
		during: func(t *testing.T, st iamState, _ string) {},
		after: func(t *testing.T, st iamState, _ string) {
			if st.exists {
				t.Errorf("after the re-run the user still exists: %+v", st)
			}
		},
	}} {
		for _, a := range tc.at {
			t.Run(tc.name+"/"+a.action, func(t *testing.T) {
				srv := iamfake.New(iamfake.Options{})
				c := iamClient(t, srv)
				dir := t.TempDir()
				args, stdin := tc.setup(t, srv, c, dir)
				srv.ResetCalls()
				code, stdout, stderr := interruptAtNthIn(t, srv, a.action, a.nth, dir, stdin, args...)
				if code != 130 {
					t.Fatalf("exit %d, want 130\n%s", code, stderr)
				}
				lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
				if want := "    " + shellQuoteArgs(append([]string{"sesprov"}, args...)); lines[len(lines)-1] != want {
					t.Fatalf("last line %q, want %q\n%s", lines[len(lines)-1], want, stderr)
				}
				t.Logf("stderr after SIGINT:\n%s", stderr)
				tc.during(t, stateOf(t, c, tc.user), stdout)
				code, stdout2, stderr2 := runAgainstIn(t, srv, dir, stdin, args...)
				// delete-user cut short after IAM deleted the user: the re-run
				// finds nothing to delete and says so with exit 2 (lifecycle's
				// choice); the state is what the command was for.
				gone := tc.name == "delete-user" && code == 2 && strings.Contains(stderr2, "does not exist")
				if code != 0 && !gone {
					t.Fatalf("re-run: exit %d\n%s", code, stderr2)
				}
				if gone {
					t.Logf("re-run of an interrupted delete-user whose user is gone: exit 2: %s", stderr2)
				}
				tc.after(t, stateOf(t, c, tc.user), stdout+stdout2)
			})
		}
	}
}
