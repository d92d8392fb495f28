package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/provision"
)

// These tests run the real main (run) with the real SDK over HTTP against an
// iamfake on loopback: the fault matrix of create-user.

type fake struct {
	t   *testing.T
	srv *iamfake.Server
	url string
	iam *iam.Client
}

// startFake serves a fresh iamfake and isolates the process's AWS
// configuration (no profile, no real credentials, no instance metadata).
func startFake(t *testing.T) *fake {
	t.Helper()
	srv := iamfake.New(iamfake.Options{})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	isolateAWSEnv(t)
	return &fake{t: t, srv: srv, url: hs.URL, iam: iam.NewFromConfig(iamfaketest.Config(hs.URL))}
}

// shortRetryBackoff makes the SDK's retries in the runs of main this test
// makes wait 10ms instead of up to 2 s: the injected fault and what the run
// does after it are tested, not the SDK's backoff.
func shortRetryBackoff(t *testing.T) {
	old := retryMaxBackoff
	retryMaxBackoff = 10 * time.Millisecond
	t.Cleanup(func() { retryMaxBackoff = old })
}

func isolateAWSEnv(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIAOPERATOR00000000", "AWS_SECRET_ACCESS_KEY": "operator-secret",
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_IAM": "",
		"AWS_ENDPOINT_URL_STS": "", "SESPROV_SANDBOX": "", "SESPROV_OUTPUT": "", "SESPROV_ROLE_ARN": "",
		"XDG_STATE_HOME": filepath.Join(dir, "state"),
	} {
		t.Setenv(k, v)
	}
}

type result struct {
	code           int
	stdout, stderr string
}

// sesprov runs the real main against the fake (--endpoint-url first).
func (f *fake) sesprov(args ...string) result {
	f.t.Helper()
	return runMain(f.t, nil, append([]string{"--endpoint-url", f.url}, args...)...)
}

func runMain(t *testing.T, stdout interface{ Write([]byte) (int, error) }, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	if stdout == nil {
		stdout = &out
	}
	code := run(context.Background(), append([]string{"sesprov"}, args...), strings.NewReader(""), stdout, &errb)
	return result{code, out.String(), errb.String()}
}

type credJSON struct {
	UserName    string `json:"user_name"`
	AccessKeyID string `json:"access_key_id"`
	Secret      string `json:"secret_access_key"`
	Credentials []struct {
		Region       string `json:"region"`
		SMTPPassword string `json:"smtp_password"`
	} `json:"credentials"`
}

// create runs create-user -o json --include-secret-key for user.
func (f *fake) create(user string, extra ...string) result {
	f.t.Helper()
	args := append([]string{"-o", "json", "create-user", "--user-name", user, "--regions", "us-east-1,eu-west-1", "--include-secret-key"}, extra...)
	return f.sesprov(args...)
}

// checkDone checks a successful create: one key in IAM, the one printed, the
// user in the group, the passwords derived from the printed secret.
func (f *fake) checkDone(r result, user string) {
	f.t.Helper()
	if r.code != 0 {
		f.t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	var c credJSON
	if err := json.Unmarshal([]byte(r.stdout), &c); err != nil {
		f.t.Fatalf("stdout: %v\n%s", err, r.stdout)
	}
	keys, err := iamapi.ListAccessKeyIDs(context.Background(), f.iam, user)
	if err != nil {
		f.t.Fatal(err)
	}
	if !slices.Equal(keys, []string{c.AccessKeyID}) {
		f.t.Errorf("keys in IAM %v, printed %q", keys, c.AccessKeyID)
	}
	g, err := f.iam.ListGroupsForUser(context.Background(), &iam.ListGroupsForUserInput{UserName: aws.String(user)})
	if err != nil || len(g.Groups) != 1 || aws.ToString(g.Groups[0].GroupName) != provision.DefaultGroupName {
		f.t.Errorf("groups of %s: %+v %v", user, g, err)
	}
	for _, cr := range c.Credentials {
		if cr.SMTPPassword != derive.Password(c.Secret, cr.Region) {
			f.t.Errorf("%s: printed password does not derive from the printed secret", cr.Region)
		}
	}
	if len(c.Credentials) != 2 {
		f.t.Errorf("credentials for %d regions, want 2", len(c.Credentials))
	}
}

// freshAccountActions is the order of calls create-user makes on a fresh
// account (TestCreateUserCallBudget in provision prints it).
var freshAccountActions = []string{
	"ListAttachedGroupPolicies", "GetCallerIdentity", "GetPolicy", "CreatePolicy", "CreateGroup",
	"AttachGroupPolicy", "CreateUser", "AddUserToGroup", "CreateAccessKey",
}

// Every step failing in turn with a permanent error: exit 1, a message naming
// the action, no key left behind; the re-run completes.
func TestCreateUserEachStepFailsPermanently(t *testing.T) {
	for _, action := range freshAccountActions {
		t.Run(action, func(t *testing.T) {
			f := startFake(t)
			f.srv.Inject(iamfake.Fault{Action: action, Code: "AccessDenied", Message: "not authorized to perform " + action})
			r := f.create("alice")
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
			}
			prefix := "iam:"
			if action == "GetCallerIdentity" {
				prefix = "sts:"
			}
			if !strings.Contains(r.stderr, prefix+action) || !strings.Contains(r.stderr, "AccessDenied") {
				t.Errorf("stderr does not name %s%s:\n%s", prefix, action, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout on failure: %q", r.stdout)
			}
			if keys, _ := iamapi.ListAccessKeyIDs(context.Background(), f.iam, "alice"); len(keys) != 0 {
				t.Errorf("a key was left behind: %v", keys)
			}
			f.checkDone(f.create("alice"), "alice")
		})
	}
}

// Transient errors (throttling, 5xx) are retried and the run succeeds.
func TestCreateUserTransientErrorsRetried(t *testing.T) {
	shortRetryBackoff(t)
	for _, tc := range []struct{ action, code string }{
		{"CreateUser", "Throttling"},
		{"AttachGroupPolicy", "ServiceFailure"},
		{"CreateAccessKey", "Throttling"},
		{"CreateAccessKey", "ServiceFailure"},
	} {
		t.Run(tc.action+"/"+tc.code, func(t *testing.T) {
			f := startFake(t)
			f.srv.Inject(iamfake.Fault{Action: tc.action, Code: tc.code})
			f.checkDone(f.create("alice"), "alice")
			if n := f.srv.CallCount(tc.action); n != 2 {
				t.Errorf("%s called %d times, want 2 (one failure, one retry)", tc.action, n)
			}
		})
	}
}

// A CreateAccessKey whose response is lost after IAM made the key: the key
// whose secret was never seen is deleted; at the end the user has one key,
// the one printed.
func TestCreateUserDroppedCreateAccessKeyResponse(t *testing.T) {
	f := startFake(t)
	f.srv.Inject(iamfake.Fault{Action: "CreateAccessKey", DropResponse: true})
	r := f.create("alice")
	f.checkDone(r, "alice")
	if n := f.srv.CallCount("CreateAccessKey"); n != 2 {
		t.Errorf("CreateAccessKey called %d times, want 2", n)
	}
	if n := f.srv.CallCount("DeleteAccessKey"); n != 1 {
		t.Errorf("DeleteAccessKey called %d times, want 1 (the orphan)", n)
	}
}

// The same with a lagging listing: right after the lost response the orphan
// is not listed yet; it is found and deleted after the retry succeeds.
func TestCreateUserDroppedResponseWithLaggingList(t *testing.T) {
	f := startFake(t)
	f.srv.SetConsistencyDelay(300 * time.Millisecond)
	f.srv.Inject(iamfake.Fault{Action: "CreateAccessKey", DropResponse: true})
	r := f.create("alice")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	time.Sleep(400 * time.Millisecond) // let IAM's reads catch up before checking
	f.checkDone(r, "alice")
}

// IAM's eventual consistency (a new user or group unseen for a moment) is
// waited out.
func TestCreateUserEventualConsistency(t *testing.T) {
	f := startFake(t)
	f.srv.SetConsistencyDelay(500 * time.Millisecond)
	r := f.create("alice")
	time.Sleep(600 * time.Millisecond)
	f.checkDone(r, "alice")
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// Delivery fails (stdout is gone): the new key is deleted, not orphaned, and
// the re-run completes.
func TestCreateUserDeliveryFailureRollsBackKey(t *testing.T) {
	f := startFake(t)
	r := runMain(t, failingWriter{}, "--endpoint-url", f.url, "create-user", "--user-name", "alice", "--regions", "us-east-1")
	if r.code != 1 || !strings.Contains(r.stderr, "was deleted") || !strings.Contains(r.stderr, "broken pipe") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if keys, _ := iamapi.ListAccessKeyIDs(context.Background(), f.iam, "alice"); len(keys) != 0 {
		t.Errorf("orphaned key %v", keys)
	}
	f.checkDone(f.create("alice"), "alice")
}

// Re-running on a user that has its key: exit 3 pointing to rotate, and no
// change.
func TestCreateUserRerunIsConflict(t *testing.T) {
	f := startFake(t)
	f.checkDone(f.create("alice"), "alice")
	f.srv.ResetCalls()
	r := f.create("alice")
	if r.code != 3 || !strings.Contains(r.stderr, "sesprov rotate --user-name alice") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, c := range f.srv.Calls() {
		if c.Action != "CreateUser" && !strings.HasPrefix(c.Action, "Get") && !strings.HasPrefix(c.Action, "List") {
			t.Errorf("conflict made the change %s", c.Action)
		}
	}
}

// Bad input exits 2 with no IAM call at all.
func TestCreateUserBadInputNoCall(t *testing.T) {
	f := startFake(t)
	dir := t.TempDir()
	existing := filepath.Join(dir, "exists.csv")
	os.WriteFile(existing, []byte("x"), 0o600)
	from := filepath.Join(dir, "users.txt")
	os.WriteFile(from, []byte("# users\ngood\n\nbad name\n"), 0o600)
	for _, args := range [][]string{
		{"create-user", "--user-name", "bad name", "--regions", "us-east-1"},
		{"create-user", "--user-name", "a", "--regions", "xx-nowhere-1"},
		{"create-user", "--user-name", "a"},
		{"create-user", "--user-name", "a", "--regions", "us-east-1", "--tag", "novalue"},
		{"create-user", "--user-name", "a", "--regions", "us-east-1", "--tag", "aws:x=y"},
		{"create-user", "--user-name", "a", "--regions", "us-east-1", "--path", "nopath"},
		{"create-user", "--user-name", "a", "--regions", "us-east-1", "--permissions-boundary", "arn:nope"},
		{"create-user", "--user-name", "a", "--regions", "us-east-1", "--group", "bad group"},
		{"create-user", "--user-name", "a", "--regions", "us-east-1", "--out-file", existing},
		{"create-user", "--user-name", "a", "--regions", "us-east-1", "--out-file", filepath.Join(dir, "no/such/dir/f")},
		{"create-user", "--from", from, "--regions", "us-east-1"},
		{"create-user", "--from", from, "--user-name", "x", "--regions", "us-east-1"},
	} {
		r := f.sesprov(args...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, r.code, r.stderr)
		}
	}
	if n := len(f.srv.Calls()); n != 0 {
		t.Errorf("bad input made %d IAM calls", n)
	}
	if b, _ := os.ReadFile(existing); string(b) != "x" {
		t.Error("an existing --out-file was touched")
	}
}

// The SDK's own endpoint variables still work without --endpoint-url.
func TestCreateUserHonoursAWSEndpointURLVariables(t *testing.T) {
	for _, vars := range [][]string{{"AWS_ENDPOINT_URL"}, {"AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS"}} {
		t.Run(strings.Join(vars, "+"), func(t *testing.T) {
			f := startFake(t)
			for _, v := range vars {
				t.Setenv(v, f.url)
			}
			r := runMain(t, nil, "-o", "json", "create-user", "--user-name", "envuser", "--regions", "us-east-1,eu-west-1", "--include-secret-key")
			f.checkDone(r, "envuser")
		})
	}
}

// --out-file: created 0600, exclusively, holding the credentials; stdout has
// no secret.
func TestCreateUserOutFile(t *testing.T) {
	f := startFake(t)
	path := filepath.Join(t.TempDir(), "creds.csv")
	r := f.sesprov("-o", "csv", "create-user", "--user-name", "alice", "--regions", "us-east-1,eu-west-1", "--out-file", path)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("out-file: %v %v", st, err)
	}
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 || lines[0] != "IAM User Name,Smtp Username,Smtp Password,Region,SMTP Endpoint" {
		t.Errorf("csv:\n%s", b)
	}
	if r.stdout != "" {
		t.Errorf("stdout with --out-file: %q", r.stdout)
	}
	if !strings.Contains(r.stderr, path) {
		t.Errorf("stderr does not say where the credentials went: %s", r.stderr)
	}
}

// --from makes each user; a batch prints one JSON object per line.
func TestCreateUserFrom(t *testing.T) {
	f := startFake(t)
	from := filepath.Join(t.TempDir(), "users.txt")
	os.WriteFile(from, []byte("# mailers\nm1\n\n  m2  \n"), 0o600)
	r := f.sesprov("-o", "json", "create-user", "--from", from, "--regions", "us-east-1")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// Lines come as users finish: in any order.
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 || !strings.Contains(r.stdout, `"user_name":"m1"`) || !strings.Contains(r.stdout, `"user_name":"m2"`) {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	// Again, once the keys were used (the credentials arrived): both already
	// done (reported, not re-keyed), exit 0. (Never used and less than an
	// hour old, they would be conflicts: create_batch_rerun_orphan.txtar.)
	for _, l := range lines {
		var c credJSON
		if err := json.Unmarshal([]byte(l), &c); err != nil {
			t.Fatal(err)
		}
		cfg := iamfaketest.Config(f.url)
		cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: "unused-by-iamfake"}, nil
		})
		if _, err := iam.NewFromConfig(cfg).GetUser(context.Background(), &iam.GetUserInput{}); err != nil {
			t.Fatalf("use key %s: %v", c.AccessKeyID, err)
		}
	}
	r = f.sesprov("-o", "json", "create-user", "--from", from, "--regions", "us-east-1")
	if r.code != 0 || strings.Count(r.stdout, `"status":"exists"`) != 2 || f.srv.CallCount("CreateAccessKey") != 2 {
		t.Errorf("re-run: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
}

// --debug logs every call (operation, duration, code) and never a secret.
func TestCreateUserDebugLogHasNoSecret(t *testing.T) {
	f := startFake(t)
	f.srv.Inject(iamfake.Fault{Action: "CreateAccessKey", DropResponse: true})
	r := f.sesprov("--debug", "-o", "json", "create-user", "--user-name", "alice", "--regions", "us-east-1,eu-west-1", "--include-secret-key")
	f.checkDone(r, "alice")
	var c credJSON
	json.Unmarshal([]byte(r.stdout), &c)
	for _, s := range []string{c.Secret, c.Credentials[0].SMTPPassword, c.Credentials[1].SMTPPassword, "operator-secret"} {
		if s == "" || strings.Contains(r.stderr, s) {
			t.Errorf("secret %q missing from stdout or present in the debug log", s)
		}
	}
	for _, want := range []string{"op=CreateAccessKey", "code=NetworkError", "op=DeleteAccessKey", "service=STS op=GetCallerIdentity"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("debug log lacks %q:\n%s", want, r.stderr)
		}
	}
}

// --profile reads the shared config (region, endpoint_url, credentials).
func TestCreateUserProfile(t *testing.T) {
	f := startFake(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	os.WriteFile(os.Getenv("AWS_CONFIG_FILE"), []byte("[profile mail]\nregion = eu-west-1\nendpoint_url = "+f.url+"\n"), 0o600)
	os.WriteFile(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"), []byte("[mail]\naws_access_key_id = AKIAPROFILE000000000\naws_secret_access_key = profile-secret\n"), 0o600)
	r := runMain(t, nil, "--profile", "mail", "-o", "json", "create-user", "--user-name", "p1", "--regions", "us-east-1,eu-west-1", "--include-secret-key")
	f.checkDone(r, "p1")
	// Without the profile there are no credentials: a configuration problem,
	// exit 2 (retrying cannot help).
	r = runMain(t, nil, "--endpoint-url", f.url, "create-user", "--user-name", "p2", "--regions", "us-east-1")
	if r.code != 2 || !strings.Contains(strings.ToLower(r.stderr), "credentials") {
		t.Errorf("no credentials: exit %d: %s", r.code, r.stderr)
	}
}
