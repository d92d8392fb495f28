package createuser_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/createuser"
)

// batchEnv is an iamfake and the real SDK clients, the IAM one paced by an
// AdaptiveLimiter as NewClients installs it.
type batchEnv struct {
	t   testing.TB
	srv *iamfake.Server
	iam *iam.Client
	sts *sts.Client
	lim *iamapi.AdaptiveLimiter
	ctx context.Context
	now func() time.Time // the batch's clock (nil: time.Now)
}

func newBatchEnv(t testing.TB) *batchEnv {
	t.Helper()
	srv, cfg := iamfaketest.Start(t)
	lim := iamapi.NewAdaptiveLimiter()
	return &batchEnv{
		t: t, srv: srv, lim: lim,
		iam: iam.NewFromConfig(cfg, lim.IAMOption()),
		sts: sts.NewFromConfig(cfg, iamapi.NewAdaptiveLimiter().STSOption()),
		ctx: iamapi.WithConsistencyTimeout(context.Background(), 2*time.Second),
	}
}

type batchLine struct {
	UserName     string   `json:"user_name"`
	Status       string   `json:"status"`
	AccessKeyID  string   `json:"access_key_id"`
	AccessKeyIDs []string `json:"access_key_ids"`
	Error        string   `json:"error"`
	Credentials  []struct {
		SMTPPassword string `json:"smtp_password"`
	} `json:"credentials"`
}

// batch runs create-user --from NAMES -o json and returns each stdout line
// by user, stderr and the error.
func (e *batchEnv) batch(concurrency int, names ...string) (map[string]batchLine, string, error) {
	e.t.Helper()
	var stdout, stderr bytes.Buffer
	err := runCLI(e.ctx, createuser.Options{
		UserNames: names, Batch: true, Concurrency: concurrency,
		Regions: benchRegions(e.t)[:1], Format: output.FormatJSON,
	}, createuser.Deps{IAM: e.iam, STS: e.sts, Limiter: e.lim, Now: e.now}, &stdout, &stderr)
	got := map[string]batchLine{}
	for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if l == "" {
			continue
		}
		var b batchLine
		if jerr := json.Unmarshal([]byte(l), &b); jerr != nil {
			e.t.Fatalf("stdout line is not a JSON object: %v: %s", jerr, l)
		}
		if _, dup := got[b.UserName]; dup {
			e.t.Errorf("user %s reported twice", b.UserName)
		}
		got[b.UserName] = b
	}
	return got, stderr.String(), err
}

func userNames(prefix string, n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s%03d", prefix, i)
	}
	return names
}

// A batch on a fresh account: 3 calls per user (CreateUser, AddUserToGroup,
// CreateAccessKey) plus the batch's constant, the sending access ensured once:
// ListAttachedGroupPolicies, GetCallerIdentity, GetPolicy, CreatePolicy,
// CreateGroup, AttachGroupPolicy.
func TestBatchCallBudget(t *testing.T) {
	const n, constant = 40, 6
	e := newBatchEnv(t)
	got, stderr, err := e.batch(6, userNames("u", n)...)
	if err != nil {
		t.Fatalf("batch: %v\n%s", err, stderr)
	}
	if len(got) != n {
		t.Fatalf("%d users reported, want %d", len(got), n)
	}
	for name, b := range got {
		if b.Status != createuser.StatusCreated || b.AccessKeyID == "" || len(b.Credentials) != 1 {
			t.Errorf("%s: %+v", name, b)
		}
	}
	calls := e.srv.Calls()
	if len(calls) > 3*n+constant {
		t.Errorf("%d calls for %d users, want at most 3N+%d = %d", len(calls), n, constant, 3*n+constant)
	}
	for _, a := range []string{"CreateUser", "AddUserToGroup", "CreateAccessKey"} {
		if c := e.srv.CallCount(a); c != n {
			t.Errorf("%s called %d times, want %d", a, c, n)
		}
	}
	for _, a := range []string{"CreateGroup", "CreatePolicy", "AttachGroupPolicy"} {
		if c := e.srv.CallCount(a); c != 1 {
			t.Errorf("%s called %d times, want once for the batch", a, c)
		}
	}
	for _, name := range userNames("u", n) {
		keys, err := e.iam.ListAccessKeys(e.ctx, &iam.ListAccessKeysInput{UserName: aws.String(name)})
		if err != nil || len(keys.AccessKeyMetadata) != 1 || aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId) != got[name].AccessKeyID {
			t.Errorf("%s: keys %v (%v), printed %s", name, keys, err, got[name].AccessKeyID)
		}
	}
	if !strings.Contains(stderr, "40 created, 0 completed, 0 already done, 0 failed") {
		t.Errorf("summary: %s", stderr)
	}
	if strings.Contains(stderr, "[1/") {
		t.Errorf("progress lines on a stderr that is not a terminal: %s", stderr)
	}
}

// One user fails (AccessDenied on its access key: nothing made for it); the
// others are done, the batch fails naming it; the same batch again finishes
// it and reports the others as done, without a new key for them.
func TestBatchPartialThenRerun(t *testing.T) {
	e := newBatchEnv(t)
	names := userNames("p", 10)
	e.srv.Inject(iamfake.Fault{Action: "CreateAccessKey", Nth: 4, Code: "AccessDenied", Message: "not allowed"})
	got, stderr, err := e.batch(3, names...)
	if err == nil || fail.ExitCode(err) != 1 {
		t.Fatalf("partial batch: err %v (exit %d), want exit 1", err, fail.ExitCode(err))
	}
	var failed string
	for name, b := range got {
		if b.Status == createuser.StatusFailed {
			if failed != "" {
				t.Errorf("two failed users: %s, %s", failed, name)
			}
			failed = name
			if !strings.Contains(b.Error, "CreateAccessKey") || !strings.Contains(b.Error, "AccessDenied") {
				t.Errorf("failed line does not say why: %+v", b)
			}
		} else if b.Status != createuser.StatusCreated {
			t.Errorf("%s: status %s", name, b.Status)
		}
	}
	if failed == "" || len(got) != len(names) {
		t.Fatalf("got %d lines, failed %q", len(got), failed)
	}
	if !strings.Contains(err.Error(), failed) || !strings.Contains(stderr, "failed "+failed+": ") || !strings.Contains(stderr, "9 created, 0 completed, 0 already done, 1 failed") {
		t.Errorf("error/stderr do not name %s: %v\n%s", failed, err, stderr)
	}

	// The failed user was made by this run: it was deleted again, nothing
	// half-made stays.
	if _, gerr := e.iam.GetUser(e.ctx, &iam.GetUserInput{UserName: aws.String(failed)}); iamapi.ErrorCode(gerr) != "NoSuchEntity" {
		t.Errorf("failed user %s: GetUser %v, want NoSuchEntity", failed, gerr)
	}

	// Re-run two hours later: the done users' keys are then too old to be
	// a killed run's orphans (within the hour, never used, they would be
	// conflicts: TestBatchRerunYoungKeyIsConflict).
	e.srv.ResetCalls()
	e.now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	got, stderr, err = e.batch(3, names...)
	if err != nil {
		t.Fatalf("re-run: %v\n%s", err, stderr)
	}
	for name, b := range got {
		want := createuser.StatusExists
		if name == failed {
			want = createuser.StatusCreated
		}
		if b.Status != want {
			t.Errorf("re-run %s: status %s, want %s", name, b.Status, want)
		}
		if want == createuser.StatusExists && len(b.AccessKeyIDs) != 1 {
			t.Errorf("re-run %s: key ids %v", name, b.AccessKeyIDs)
		}
	}
	if c := e.srv.CallCount("CreateAccessKey"); c != 1 {
		t.Errorf("re-run made %d keys, want 1 (for %s only)", c, failed)
	}
	if !strings.Contains(stderr, "1 created, 0 completed, 9 already done, 0 failed") {
		t.Errorf("re-run summary: %s", stderr)
	}
}

// A name taken by a user that is not an SMTP user is a conflict for that
// line only: exit 3 when nothing else failed.
func TestBatchForeignUserConflict(t *testing.T) {
	e := newBatchEnv(t)
	if _, err := e.iam.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam.CreateAccessKey(e.ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ops")}); err != nil {
		t.Fatal(err)
	}
	got, stderr, err := e.batch(2, "a1", "ops", "a2")
	if fail.ExitCode(err) != 3 {
		t.Fatalf("err %v (exit %d), want 3\n%s", err, fail.ExitCode(err), stderr)
	}
	if got["ops"].Status != createuser.StatusConflict || got["a1"].Status != createuser.StatusCreated || got["a2"].Status != createuser.StatusCreated {
		t.Errorf("statuses: %+v", got)
	}
	if n := e.srv.CallCount("CreateAccessKey"); n != 3 { // ours: a1, a2; the setup's: ops
		t.Errorf("CreateAccessKey called %d times", n)
	}
}

// Under IAM's rate limit every user is made: Throttling answers are sent
// again (through the limiter), never a failure, and each user ends with
// exactly one key.
func TestBatchUnderRateLimit(t *testing.T) {
	e := newBatchEnv(t)
	e.srv.SetRateLimit(200, 5)
	names := userNames("r", 30)
	got, stderr, err := e.batch(8, names...)
	if err != nil {
		t.Fatalf("batch: %v\n%s", err, stderr)
	}
	if len(got) != len(names) {
		t.Fatalf("%d lines", len(got))
	}
	st := e.lim.Stats()
	throttled, answered, keyThrottled := 0, 0, 0
	for _, c := range e.srv.Calls() {
		switch {
		case c.Code != "Throttling":
			answered++
		case c.Action != "GetCallerIdentity": // STS has a limiter of its own
			throttled++
			if c.Action == "CreateAccessKey" {
				keyThrottled++
			}
		}
	}
	if throttled == 0 || st.Throttled != int64(throttled) || st.Cuts == 0 {
		t.Errorf("iamfake throttled %d calls; limiter saw %+v", throttled, st)
	}
	// A throttled CreateAccessKey costs two ListAccessKeys (a key made
	// anyway is looked for before calling again, and after the key came).
	if c := answered; c > 3*len(names)+6+2*keyThrottled {
		counts := map[string]int{}
		for _, c := range e.srv.Calls() {
			counts[c.Action+" "+c.Code]++
		}
		t.Errorf("%d answered calls: %v", c, counts)
	}
	for _, name := range names {
		keys, err := e.iam.ListAccessKeys(e.ctx, &iam.ListAccessKeysInput{UserName: aws.String(name)})
		if err != nil || len(keys.AccessKeyMetadata) != 1 {
			t.Errorf("%s: %d keys (%v)", name, len(keys.AccessKeyMetadata), err)
		}
	}
	if !strings.Contains(stderr, "IAM throttled") {
		t.Errorf("summary does not mention throttling: %s", stderr)
	}
}

// CreateAccessKey throttled more times than CreateAccessKeyAfter's attempts
// for other errors (6): Throttling has its own budget there (ThrottleBudget,
// the limiter does not send CreateAccessKey again), and no second key is
// made.
func TestThrottledCreateAccessKeyIsResent(t *testing.T) {
	e := newBatchEnv(t)
	e.srv.Inject(iamfake.Fault{Action: "CreateAccessKey", Code: "Throttling", Times: 8})
	got, stderr, err := e.batch(1, "k1")
	if err != nil || got["k1"].Status != createuser.StatusCreated {
		t.Fatalf("err %v, %+v\n%s", err, got, stderr)
	}
	if c := e.srv.CallCount("CreateAccessKey"); c != 9 {
		t.Errorf("CreateAccessKey called %d times, want 9 (8 throttled)", c)
	}
	keys, _ := e.iam.ListAccessKeys(e.ctx, &iam.ListAccessKeysInput{UserName: aws.String("k1")})
	if len(keys.AccessKeyMetadata) != 1 {
		t.Errorf("%d keys", len(keys.AccessKeyMetadata))
	}
}

// Throttling beyond ThrottleBudget fails the call (Throttling, named), and the
// SDK's retryer does not start over.
func TestThrottleBudgetBounds(t *testing.T) {
	old := iamapi.ThrottleBudget
	iamapi.ThrottleBudget = 300 * time.Millisecond
	t.Cleanup(func() { iamapi.ThrottleBudget = old })
	e := newBatchEnv(t)
	e.srv.Inject(iamfake.Fault{Action: "GetUser", Code: "Throttling", Times: -1})
	start := time.Now()
	_, err := e.iam.GetUser(e.ctx, &iam.GetUserInput{UserName: aws.String("x")})
	if iamapi.ErrorCode(err) != "Throttling" || !strings.Contains(err.Error(), "kept throttling") {
		t.Fatalf("err %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %s", d)
	}
	n := e.srv.CallCount("GetUser")
	if n < 2 || n > 40 {
		t.Errorf("GetUser sent %d times", n)
	}
}

func TestReadUserNamesNamesEveryBadLine(t *testing.T) {
	in := "# team\nalice\n\nbad name\n  bob  \nAlice\n" + strings.Repeat("x", 65) + "\nok@x.com\nbob\n"
	_, err := createuser.ReadUserNames(strings.NewReader(in), "users.txt")
	if fail.ExitCode(err) != 2 {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{"4 bad line(s)", "line 4:", `line 6: user "Alice" is already on line 2 (IAM names are case-insensitive)`, "line 7:", `line 9: user "bob" is already on line 5`, "nothing was changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "line 5 (IAM") {
		t.Errorf("an exact duplicate is not a case question:\n%v", err)
	}
	names, err := createuser.ReadUserNames(strings.NewReader("# x\n a \nb\n"), "f")
	if err != nil || strings.Join(names, ",") != "a,b" {
		t.Errorf("names %v, err %v", names, err)
	}
	if _, err := createuser.ReadUserNames(strings.NewReader("# only\n\n"), "f"); fail.ExitCode(err) != 2 {
		t.Errorf("empty file: %v", err)
	}
}

// A user an earlier run left key-less (it was cut short and could not clean
// up) is completed; a failure of the sending access (CreateGroup refused)
// fails the batch and leaves no user it made behind.
func TestBatchCompletesAndRollsBack(t *testing.T) {
	e := newBatchEnv(t)
	_, err := e.iam.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("left"), Tags: []iamtypes.Tag{{Key: aws.String(provision.TagCreatedBy), Value: aws.String(provision.TagCreatedByValue)}}})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Inject(iamfake.Fault{Action: "CreateGroup", Code: "AccessDenied"})
	got, stderr, err := e.batch(4, "left", "n1", "n2")
	if err == nil || !strings.Contains(err.Error(), "iam:CreateGroup") || !strings.Contains(err.Error(), "deleted again") {
		t.Fatalf("err %v\n%s", err, stderr)
	}
	for _, n := range []string{"n1", "n2"} {
		if _, gerr := e.iam.GetUser(e.ctx, &iam.GetUserInput{UserName: aws.String(n)}); iamapi.ErrorCode(gerr) != "NoSuchEntity" {
			t.Errorf("%s left behind: %v (%+v)", n, gerr, got[n])
		}
	}
	if e.srv.CallCount("CreateAccessKey") != 0 {
		t.Error("a key was made without the group")
	}
	// With more users than slots, the batch stops making users once the
	// access has failed: the rest are not started.
	e.srv.ResetCalls()
	e.srv.Inject(iamfake.Fault{Action: "CreateGroup", Code: "AccessDenied"})
	_, stderr, err = e.batch(2, userNames("late", 50)...)
	if err == nil || !strings.Contains(stderr, "not started") {
		t.Errorf("err %v\n%s", err, stderr)
	}
	if c := e.srv.CallCount("CreateUser"); c > 20 {
		t.Errorf("%d users made (and deleted) after the access failed", c)
	}
	if c, d := e.srv.CallCount("CreateUser"), e.srv.CallCount("DeleteUser"); c != d {
		t.Errorf("%d users made, %d deleted", c, d)
	}
	got, stderr, err = e.batch(4, "left", "n1", "n2")
	if err != nil {
		t.Fatalf("re-run: %v\n%s", err, stderr)
	}
	if got["left"].Status != createuser.StatusCompleted || got["n1"].Status != createuser.StatusCreated {
		t.Errorf("statuses %+v", got)
	}
}

// Every command's clients come from NewClients: a Throttling answer to any
// IAM call (here the first pages of list's and migrate's discovery,
// ListUsers and ListGroupsForUser, and STS's GetCallerIdentity) is sent
// again through the run's limiter instead of failing after the SDK's attempts.
func TestNewClientsShareTheLimiter(t *testing.T) {
	srv, cfg := iamfaketest.Start(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAOPERATOR00000000")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "operator")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_MAX_ATTEMPTS", "2")
	ctx := context.Background()
	c, err := iamapi.NewClients(ctx, iamapi.ClientOptions{EndpointURL: aws.ToString(cfg.BaseEndpoint)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, a := range []string{"ListUsers", "ListGroupsForUser", "GetCallerIdentity"} {
		srv.Inject(iamfake.Fault{Action: a, Code: "Throttling", Times: 3})
	}
	if _, err := c.IAM.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Errorf("ListUsers throttled 3 times: %v", err)
	}
	if _, err := c.IAM.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("nobody")}); iamapi.ErrorCode(err) != "NoSuchEntity" {
		t.Errorf("ListGroupsForUser throttled 3 times: %v", err)
	}
	if _, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("GetCallerIdentity throttled 3 times: %v", err)
	}
	if st := c.Limiter.Stats(); st.Throttled != 6 {
		t.Errorf("the IAM limiter saw %d Throttling answers, want 6", st.Throttled)
	}
}

// Interrupted mid-batch (Ctrl-C): every user ends either done (one key, the
// one printed) or absent; none is left half-made. The error says how many
// were not started, and exits 130.
func TestBatchInterruptLeavesNothingHalfMade(t *testing.T) {
	e := newBatchEnv(t)
	e.srv.SetLatency(5 * time.Millisecond)
	names := userNames("i", 60)
	ctx, cancel := context.WithCancel(e.ctx)
	time.AfterFunc(150*time.Millisecond, cancel)
	var stdout, stderr bytes.Buffer
	err := runCLI(ctx, createuser.Options{
		UserNames: names, Batch: true, Concurrency: 4, Regions: benchRegions(t)[:1], Format: output.FormatJSON,
	}, createuser.Deps{IAM: e.iam, STS: e.sts, Limiter: e.lim}, &stdout, &stderr)
	if fail.ExitCode(err) != 130 || !strings.Contains(err.Error(), "not started") {
		t.Fatalf("err %v (exit %d)\n%s", err, fail.ExitCode(err), stderr.String())
	}
	printed := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var b batchLine
		if l != "" && json.Unmarshal([]byte(l), &b) == nil && b.AccessKeyID != "" {
			printed[b.UserName] = b.AccessKeyID
		}
	}
	done := 0
	for _, n := range names {
		keys, lerr := e.iam.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String(n)})
		switch {
		case iamapi.ErrorCode(lerr) == "NoSuchEntity":
			if printed[n] != "" {
				t.Errorf("%s: printed but does not exist", n)
			}
		case lerr != nil:
			t.Fatal(lerr)
		case len(keys.AccessKeyMetadata) != 1 || aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId) != printed[n]:
			t.Errorf("%s: half-made: keys %v, printed %q", n, keys.AccessKeyMetadata, printed[n])
		default:
			done++
		}
	}
	if done == 0 || done == len(names) {
		t.Errorf("%d of %d done: the interruption did not fall mid-batch", done, len(names))
	}
}
