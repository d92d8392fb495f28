package provision_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
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
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/migrate"
)

// The seed's document as the console wrote it, and variants that must count
// as the same.
const (
	migStandardDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*"}]}`
	migSpacedDoc   = "{\n  \"Statement\": [ {\"Resource\": \"*\", \"Action\": [\"SES:SendRawEmail\"],\n \"Effect\": \"Allow\", \"Sid\": \"x\"} ],\n  \"Version\": \"2012-10-17\"\n}"
	migExtraDoc    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*"},{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	migCondDoc     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*","Condition":{"StringEquals":{"ses:FromAddress":"a@example.com"}}}]}`
	migOtherActDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ses:SendRawEmail","ses:SendEmail"],"Resource":"*"}]}`
)

// migLab is an iamfake behind a checker that, after every mutating call,
// reads the whole account (SaveState: no call, no fault, no log) and records
// any watched user who then lacks ses:SendRawEmail as IAM's reads would show
// it: an inline policy granting it, or a visible membership of a group that
// grants it. Calls are served one at a time, so each snapshot is the state
// right after its call.
type migLab struct {
	t     testing.TB
	srv   *iamfake.Server
	iam   *iam.Client
	sts   *sts.Client
	ctx   context.Context
	mu    sync.Mutex
	watch map[string]bool // users that must never lose access

	violations []string
	failFor    map[string]string // "Action user" -> error code answered without acting

	inflight, maxInflight int
	fmu                   sync.Mutex

	served   int                // calls served
	cancelAt int                // cancel the run's context once this many calls were served (0: never)
	cancel   context.CancelFunc // of the run's context
}

func newMigLab(t testing.TB) *migLab {
	t.Helper()
	l := &migLab{t: t, srv: iamfake.New(iamfake.Options{}), watch: map[string]bool{}, failFor: map[string]string{}}
	hs := httptest.NewServer(l)
	t.Cleanup(hs.Close)
	cfg := iamfaketest.Config(hs.URL)
	l.iam, l.sts = iam.NewFromConfig(cfg), sts.NewFromConfig(cfg)
	l.ctx = iamapi.WithConsistencyTimeout(context.Background(), 3*time.Second)
	return l
}

func (l *migLab) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.fmu.Lock()
	l.inflight++
	l.maxInflight = max(l.maxInflight, l.inflight)
	l.fmu.Unlock()
	defer func() {
		l.fmu.Lock()
		l.inflight--
		l.fmu.Unlock()
	}()

	l.mu.Lock()
	defer l.mu.Unlock()
	if err := r.ParseForm(); err == nil {
		if code, ok := l.failFor[r.Form.Get("Action")+" "+r.Form.Get("UserName")]; ok {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>injected for one user</Message></Error><RequestId>x</RequestId></ErrorResponse>`, code)
			return
		}
	}
	action := r.Form.Get("Action")
	defer func() {
		if mutating(action) {
			l.check(action + " " + r.Form.Get("UserName"))
		}
		l.served++
		if l.cancelAt > 0 && l.served == l.cancelAt && l.cancel != nil {
			l.cancel()
		}
	}()
	l.srv.ServeHTTP(w, r)
}

func mutating(action string) bool {
	return action != "" && !strings.HasPrefix(action, "Get") && !strings.HasPrefix(action, "List") && action != "SimulatePrincipalPolicy"
}

// fakeState is the part of iamfake's saved state the checker reads.
type fakeState struct {
	Users map[string]struct {
		Name   string
		Groups map[string]struct {
			Group     string
			VisibleAt time.Time
		}
		Inline map[string]struct{ Name, Document string }
		Tags   []struct{ Key, Value string }
	} `json:"users"`
	Groups map[string]struct {
		Name      string
		VisibleAt time.Time
		Inline    map[string]struct{ Name, Document string }
		Attached  map[string]string
	} `json:"groups"`
	Policies map[string]struct {
		ARN       string
		Default   string
		VisibleAt time.Time
		Versions  []struct{ ID, Document string }
	} `json:"policies"`
}

func (l *migLab) state() fakeState {
	var b bytes.Buffer
	if err := l.srv.SaveState(&b); err != nil {
		l.t.Fatal(err)
	}
	var st fakeState
	if err := json.Unmarshal(b.Bytes(), &st); err != nil {
		l.t.Fatal(err)
	}
	return st
}

// canSend says whether user has ses:SendRawEmail as reads show it now: the
// documents of its inline policies, of its visible groups' inline policies
// and of their attached policies' default versions, judged together by the
// lab's own evaluator (labGrantsSend), not by the code under test.
func (st fakeState) canSend(user string) bool {
	u, ok := st.Users[strings.ToLower(user)]
	if !ok {
		return false
	}
	var docs []string
	for _, p := range u.Inline {
		docs = append(docs, p.Document)
	}
	now := time.Now()
	for gk, m := range u.Groups {
		if m.VisibleAt.After(now) {
			continue
		}
		g, ok := st.Groups[gk]
		if !ok || g.VisibleAt.After(now) {
			continue
		}
		for _, p := range g.Inline {
			docs = append(docs, p.Document)
		}
		for _, arn := range g.Attached {
			for _, p := range st.Policies {
				if p.ARN != arn || p.VisibleAt.After(now) {
					continue
				}
				for _, v := range p.Versions {
					if v.ID == p.Default {
						docs = append(docs, v.Document)
					}
				}
			}
		}
	}
	return labGrantsSend(docs...)
}

// labGrantsSend is the lab's own, deliberately plain, reading of IAM's
// rules for ses:SendRawEmail over a set of documents: granted when some
// Allow statement covers it and no Deny statement (in any document)
// does. A statement covers it through Action (a string or a list) matching
// it, or NotAction not matching it; * and ? are wildcards, case does not
// matter. Conditions and resources are ignored (a conditional Allow counts:
// the lab asks whether the user keeps the access it was meant to have).
// Documents may be URL-encoded; one that does not parse grants nothing.
func labGrantsSend(docs ...string) bool {
	allowed := false
	for _, doc := range docs {
		if d, err := url.PathUnescape(doc); err == nil && !strings.HasPrefix(strings.TrimSpace(doc), "{") {
			doc = d
		}
		var p struct{ Statement json.RawMessage }
		if json.Unmarshal([]byte(doc), &p) != nil {
			continue
		}
		var sts []map[string]json.RawMessage
		if json.Unmarshal(p.Statement, &sts) != nil {
			var one map[string]json.RawMessage
			if json.Unmarshal(p.Statement, &one) != nil {
				continue
			}
			sts = []map[string]json.RawMessage{one}
		}
		for _, st := range sts {
			var effect string
			_ = json.Unmarshal(st["Effect"], &effect)
			covers := false
			if a, ok := st["Action"]; ok {
				covers = labMatchAny(a, "ses:SendRawEmail")
			} else if na, ok := st["NotAction"]; ok {
				covers = !labMatchAny(na, "ses:SendRawEmail")
			}
			switch {
			case covers && effect == "Deny":
				return false
			case covers && effect == "Allow":
				allowed = true
			}
		}
	}
	return allowed
}

// labMatchAny: whether a JSON string or list of strings holds a pattern
// matching action (regular expressions built from IAM's * and ?).
func labMatchAny(raw json.RawMessage, action string) bool {
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		var one string
		if json.Unmarshal(raw, &one) != nil {
			return false
		}
		list = []string{one}
	}
	for _, p := range list {
		re := "(?i)^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(p)) + "$"
		if ok, _ := regexp.MatchString(re, action); ok {
			return true
		}
	}
	return false
}

// TestLabGrantsSend: the lab's evaluator on its own, so the invariant it
// checks does not rest on a mistake in it.
func TestLabGrantsSend(t *testing.T) {
	deny := `{"Statement":{"Effect":"Deny","NotAction":["ses:SendEmail"],"Resource":"*"}}`
	for _, c := range []struct {
		docs []string
		want bool
	}{
		{[]string{migStandardDoc}, true},
		{[]string{migSpacedDoc}, true},
		{[]string{migCondDoc}, true},
		{[]string{url.PathEscape(migStandardDoc)}, true},
		{[]string{`{"Statement":[{"Effect":"Allow","Action":"SES:*","Resource":"*"}]}`}, true},
		{[]string{`{"Statement":[{"Effect":"Allow","Action":"ses:Send?awEmail","Resource":"*"}]}`}, true},
		{[]string{`{"Statement":[{"Effect":"Allow","Action":"ses:SendEmail","Resource":"*"}]}`}, false},
		{[]string{`{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`}, true},
		{[]string{migStandardDoc, deny}, false},
		{[]string{migStandardDoc, `{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`}, false},
		{[]string{migStandardDoc, `{"Statement":[{"Effect":"Deny","NotAction":"ses:SendRawEmail","Resource":"*"}]}`}, true},
		{[]string{`{`}, false},
		{nil, false},
	} {
		if got := labGrantsSend(c.docs...); got != c.want {
			t.Errorf("labGrantsSend(%q) = %v, want %v", c.docs, got, c.want)
		}
	}
}

func (l *migLab) check(after string) {
	st := l.state()
	for u := range l.watch {
		if !st.canSend(u) {
			l.violations = append(l.violations, fmt.Sprintf("after %s: user %s cannot send", after, u))
		}
	}
}

func (l *migLab) assertInvariant() {
	l.t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.violations) > 0 {
		l.t.Fatalf("the invariant broke:\n%s", strings.Join(l.violations, "\n"))
	}
	st := l.state()
	for u := range l.watch {
		if !st.canSend(u) {
			l.t.Fatalf("user %s cannot send", u)
		}
	}
}

// seed makes a legacy console user: the inline policy (when doc is set),
// the console's tag (when tagged) and a tag of the owner's.
func (l *migLab) seed(name, doc string, tagged bool) {
	l.t.Helper()
	tags := []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("mail")}}
	if tagged {
		tags = append(tags, iamtypes.Tag{Key: aws.String(provision.TagConsoleKey), Value: aws.String(provision.TagConsoleValue)})
	}
	if _, err := l.iam.CreateUser(l.ctx, &iam.CreateUserInput{UserName: aws.String(name), Tags: tags}); err != nil {
		l.t.Fatal(err)
	}
	if doc != "" {
		if _, err := l.iam.PutUserPolicy(l.ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String(provision.DefaultPolicyName), PolicyDocument: aws.String(doc)}); err != nil {
			l.t.Fatal(err)
		}
		if labGrantsSend(doc) {
			l.mu.Lock()
			l.watch[strings.ToLower(name)] = true
			l.mu.Unlock()
		}
	}
}

// consoleGroup makes the group as today's console does: an inline group
// policy, no managed policy.
func (l *migLab) consoleGroup() {
	l.t.Helper()
	if _, err := l.iam.CreateGroup(l.ctx, &iam.CreateGroupInput{GroupName: aws.String(provision.DefaultGroupName)}); err != nil {
		l.t.Fatal(err)
	}
	if _, err := l.iam.PutGroupPolicy(l.ctx, &iam.PutGroupPolicyInput{GroupName: aws.String(provision.DefaultGroupName), PolicyName: aws.String(provision.DefaultPolicyName), PolicyDocument: aws.String(migStandardDoc)}); err != nil {
		l.t.Fatal(err)
	}
}

type migOut struct {
	results []migrate.UserResult
	summary migrate.Summary
	stderr  string
	err     error
}

func (l *migLab) migrate(in migrate.Options) migOut {
	l.t.Helper()
	var out migOut
	var stderr strings.Builder
	in.Report = migReport{&out}
	in.Notices = func(n provision.Notice) { fmt.Fprintf(&stderr, "sesprov: warning: %s\n", n.Text) }
	_, out.err = migrate.Run(l.ctx, in, migrate.Deps{IAM: l.iam, STS: l.sts})
	out.stderr = stderr.String()
	return out
}

// migReport collects migrate's report.
type migReport struct{ out *migOut }

func (migReport) Group(string, []string) error { return nil }
func (r migReport) User(u migrate.UserResult) error {
	r.out.results = append(r.out.results, u)
	return nil
}
func (r migReport) Summary(s migrate.Summary) error {
	r.out.summary = s
	return nil
}

func (o migOut) outcome(user string) migrate.Outcome {
	for _, r := range o.results {
		if r.UserName == user {
			return r.Outcome
		}
	}
	return ""
}

// assertMigrated checks a user's final state: in the group, no inline
// policy, no InvokedBy tag, every other tag kept.
func (l *migLab) assertMigrated(user string) {
	l.t.Helper()
	st := l.state()
	u, ok := st.Users[strings.ToLower(user)]
	if !ok {
		l.t.Fatalf("user %s is gone", user)
	}
	if _, ok := u.Groups[strings.ToLower(provision.DefaultGroupName)]; !ok {
		l.t.Errorf("%s is not in the group", user)
	}
	if len(u.Inline) != 0 {
		l.t.Errorf("%s still has inline policies %v", user, u.Inline)
	}
	var tags []string
	for _, tg := range u.Tags {
		tags = append(tags, tg.Key+"="+tg.Value)
	}
	if !slices.Equal(tags, []string{"team=mail"}) {
		l.t.Errorf("%s tags %v, want only team=mail", user, tags)
	}
	if !st.canSend(user) {
		l.t.Errorf("%s cannot send", user)
	}
}

// assertOrder checks from the call log that no DeleteUserPolicy of a user
// came before a successful AddUserToGroup of it and then a successful read
// showing the membership (ListGroupsForUser), unless it was already a
// member (alreadyMember).
func (l *migLab) assertOrder(alreadyMember map[string]bool) {
	l.t.Helper()
	added := map[string]bool{}
	confirmed := map[string]bool{}
	for i, c := range l.srv.Calls() {
		u := strings.ToLower(c.Params["UserName"])
		switch {
		case c.Action == "AddUserToGroup" && c.Code == "":
			added[u] = true
		case c.Action == "ListGroupsForUser" && c.Code == "" && (added[u] || alreadyMember[u]):
			confirmed[u] = true
		case c.Action == "DeleteUserPolicy":
			if !confirmed[u] {
				l.t.Errorf("call %d: DeleteUserPolicy of %s before its membership was added and seen", i, u)
			}
		}
	}
}

func TestMigrateOneUserFreshAccount(t *testing.T) {
	l := newMigLab(t)
	l.seed("alice", migStandardDoc, true)
	l.seed("bystander", "", false)
	l.srv.ResetCalls()

	out := l.migrate(migrate.Options{UserName: "alice"})
	if out.err != nil {
		t.Fatalf("%v\n%s", out.err, out.stderr)
	}
	if out.outcome("alice") != migrate.Migrated || out.summary.Migrated != 1 {
		t.Fatalf("%+v", out)
	}
	if len(out.summary.GroupChanges) != 3 {
		t.Errorf("group changes %v, want policy, group, attachment", out.summary.GroupChanges)
	}
	l.assertMigrated("alice")
	l.assertInvariant()
	l.assertOrder(nil)

	// The seed's order, exactly, in the mutations.
	var muts []string
	for _, c := range l.srv.Calls() {
		if mutating(c.Action) {
			muts = append(muts, c.Action)
		}
	}
	want := []string{"CreatePolicy", "CreateGroup", "AttachGroupPolicy", "AddUserToGroup", "DeleteUserPolicy", "UntagUser"}
	if !slices.Equal(muts, want) {
		t.Errorf("mutations %v, want %v", muts, want)
	}
	// Only the InvokedBy key was untagged.
	for _, c := range l.srv.Calls() {
		if c.Action == "UntagUser" && c.Params["TagKeys.member.1"] != provision.TagConsoleKey {
			t.Errorf("UntagUser %v", c.Params)
		}
	}

	// Again: already done, no mutation.
	l.srv.ResetCalls()
	out = l.migrate(migrate.Options{UserName: "alice"})
	if out.err != nil || out.outcome("alice") != migrate.AlreadyDone {
		t.Fatalf("re-run: %+v", out)
	}
	for _, c := range l.srv.Calls() {
		if mutating(c.Action) {
			t.Errorf("re-run made %s", c.Action)
		}
	}
}

// TestMigrateFaultAtEveryCall fails each call of a user's migration in turn
// (refused without acting, and carried out but answered with an error),
// checks the user could send after every call, re-runs, and checks the
// final state.
func TestMigrateFaultAtEveryCall(t *testing.T) {
	for _, setup := range []struct {
		name  string
		group bool
	}{{"fresh account", false}, {"console group", true}} {
		prepare := func(l *migLab) {
			if setup.group {
				l.consoleGroup()
			}
			l.seed("alice", migStandardDoc, true)
			l.srv.ResetCalls()
		}
		ref := newMigLab(t)
		prepare(ref)
		if out := ref.migrate(migrate.Options{UserName: "alice"}); out.err != nil {
			t.Fatal(out.err)
		}
		calls := ref.srv.Calls()
		if len(calls) < 6 {
			t.Fatalf("%s: only %d calls", setup.name, len(calls))
		}
		for k, c := range calls {
			nth := 0
			for _, p := range calls[:k+1] {
				if p.Action == c.Action {
					nth++
				}
			}
			for _, mode := range []string{"before", "after"} {
				t.Run(fmt.Sprintf("%s/%d-%s-%s", setup.name, k+1, c.Action, mode), func(t *testing.T) {
					l := newMigLab(t)
					prepare(l)
					l.srv.Inject(iamfake.Fault{Action: c.Action, Nth: nth, Code: "AccessDenied", After: mode == "after"})
					out := l.migrate(migrate.Options{UserName: "alice"})
					if out.err == nil && mode == "before" {
						t.Fatalf("no error with %s #%d refused: %+v", c.Action, nth, out)
					}
					if out.err != nil {
						if fail.ExitCode(out.err) != fail.ExitFailed {
							t.Errorf("exit %d: %v", fail.ExitCode(out.err), out.err)
						}
						if !strings.Contains(out.err.Error()+out.stderr+fmt.Sprint(out.results), c.Action) {
							t.Errorf("the error does not name %s: %v %+v", c.Action, out.err, out.results)
						}
					}
					l.assertInvariant()
					l.assertOrder(map[string]bool{})

					l.srv.ClearFaults()
					l.srv.ResetCalls()
					out = l.migrate(migrate.Options{UserName: "alice"})
					if out.err != nil {
						t.Fatalf("re-run: %v %+v", out.err, out.results)
					}
					l.assertMigrated("alice")
					l.assertInvariant()
				})
			}
		}
	}
}

// TestMigrateLostResponses drops the answer of every mutating call (IAM
// acted; the SDK retries): the run still ends right.
func TestMigrateLostResponses(t *testing.T) {
	for _, action := range []string{"CreatePolicy", "CreateGroup", "AttachGroupPolicy", "AddUserToGroup", "DeleteUserPolicy", "UntagUser"} {
		t.Run(action, func(t *testing.T) {
			l := newMigLab(t)
			l.seed("alice", migStandardDoc, true)
			l.srv.Inject(iamfake.Fault{Action: action, DropResponse: true})
			out := l.migrate(migrate.Options{UserName: "alice"})
			if out.err != nil {
				// Allowed only if it says to run again; then the re-run finishes.
				out = l.migrate(migrate.Options{UserName: "alice"})
				if out.err != nil {
					t.Fatal(out.err)
				}
			}
			l.assertMigrated("alice")
			l.assertInvariant()
		})
	}
}

// TestMigrateWaitsForMembership: with IAM's eventual consistency the new
// membership is not seen at first; migrate waits, and deletes the inline
// policy only once it is seen.
func TestMigrateWaitsForMembership(t *testing.T) {
	l := newMigLab(t)
	l.consoleGroup()
	l.seed("alice", migStandardDoc, true)
	l.srv.ResetCalls()
	l.srv.SetConsistencyDelay(700 * time.Millisecond)
	start := time.Now()
	out := l.migrate(migrate.Options{UserName: "alice"})
	if out.err != nil {
		t.Fatal(out.err)
	}
	if time.Since(start) < 700*time.Millisecond {
		t.Errorf("took %v: did not wait for the membership", time.Since(start))
	}
	reads := 0
	for _, c := range l.srv.Calls() {
		if c.Action == "ListGroupsForUser" {
			reads++
		}
	}
	if reads < 3 { // the observation, and at least one read that did not see it yet
		t.Errorf("%d ListGroupsForUser calls: expected polling", reads)
	}
	l.assertInvariant()
	l.assertOrder(nil)
	time.Sleep(800 * time.Millisecond)
	l.srv.SetConsistencyDelay(0)
	l.assertMigrated("alice")
}

// TestMigrateMembershipNeverSeen: a membership that stays unseen past the
// bound keeps the inline policy, fails the user, and the re-run finishes.
func TestMigrateMembershipNeverSeen(t *testing.T) {
	l := newMigLab(t)
	l.consoleGroup()
	l.seed("alice", migStandardDoc, true)
	l.srv.SetConsistencyDelay(2 * time.Second)
	ctx := l.ctx
	l.ctx = iamapi.WithConsistencyTimeout(context.Background(), 500*time.Millisecond)
	out := l.migrate(migrate.Options{UserName: "alice"})
	if out.err == nil || l.srv.CallCount("DeleteUserPolicy") != 0 {
		t.Fatalf("err %v, DeleteUserPolicy %d", out.err, l.srv.CallCount("DeleteUserPolicy"))
	}
	if !strings.Contains(fmt.Sprint(out.results), "inline policy AmazonSesSendingAccess was kept") {
		t.Errorf("%+v", out.results)
	}
	l.assertInvariant()
	l.srv.SetConsistencyDelay(0)
	time.Sleep(2 * time.Second) // the membership made is seen by now
	l.ctx = ctx
	if out = l.migrate(migrate.Options{UserName: "alice"}); out.err != nil {
		t.Fatal(out.err)
	}
	l.assertMigrated("alice")
}

func TestMigratePolicyShapes(t *testing.T) {
	l := newMigLab(t)
	l.seed("spaced", migSpacedDoc, true)
	l.seed("extra", migExtraDoc, true)
	l.seed("cond", migCondDoc, true)
	l.seed("sendemail", migOtherActDoc, false)
	l.seed("tagonly", "", true)
	out := l.migrate(migrate.Options{All: true})
	if fail.ExitCode(out.err) != fail.ExitConflict {
		t.Fatalf("exit %d (%v), want 3", fail.ExitCode(out.err), out.err)
	}
	want := map[string]migrate.Outcome{
		"spaced": migrate.Migrated, "extra": migrate.Skipped, "cond": migrate.Skipped,
		"sendemail": migrate.Skipped, "tagonly": migrate.Skipped,
	}
	for u, o := range want {
		if got := out.outcome(u); got != o {
			t.Errorf("%s: %s, want %s", u, got, o)
		}
	}
	if s := out.summary; s.Migrated != 1 || s.Skipped != 4 || s.Failed != 0 {
		t.Errorf("summary %+v", s)
	}
	// Skipped users are untouched: policy and tags as they were.
	st := l.state()
	for _, u := range []string{"extra", "cond", "sendemail"} {
		if len(st.Users[u].Inline) != 1 || len(st.Users[u].Groups) != 0 {
			t.Errorf("%s changed: %+v", u, st.Users[u])
		}
	}
	if len(st.Users["tagonly"].Tags) != 2 || len(st.Users["tagonly"].Groups) != 0 {
		t.Errorf("tagonly changed: %+v", st.Users["tagonly"])
	}
	l.assertMigrated("spaced")
	l.assertInvariant()

	// --force: every one migrated, the tag-only user added to the group.
	out = l.migrate(migrate.Options{All: true, Force: true})
	if out.err != nil {
		t.Fatal(out.err)
	}
	for _, u := range []string{"extra", "cond", "sendemail", "tagonly"} {
		if out.outcome(u) != migrate.Migrated {
			t.Errorf("%s: %s", u, out.outcome(u))
		}
	}
	st = l.state()
	for _, u := range []string{"extra", "cond", "tagonly"} {
		l.assertMigrated(u)
	}
	if s := out.summary; s.Migrated != 4 || s.AlreadyDone != 1 {
		t.Errorf("summary %+v", s)
	}
	l.assertInvariant()
}

func TestMigrateDryRunChangesNothing(t *testing.T) {
	l := newMigLab(t)
	l.seed("alice", migStandardDoc, true)
	l.seed("bob", migExtraDoc, true)
	l.srv.ResetCalls()
	out := l.migrate(migrate.Options{All: true, DryRun: true})
	if fail.ExitCode(out.err) != fail.ExitConflict {
		t.Errorf("exit %d: %v", fail.ExitCode(out.err), out.err)
	}
	for _, c := range l.srv.Calls() {
		if mutating(c.Action) && c.Action != "GetCallerIdentity" {
			t.Errorf("dry run made %s", c.Action)
		}
	}
	if out.outcome("alice") != migrate.WouldMigrate || !slices.Equal(out.results[0].Changes, []string{
		"add to group AWSSESSendingGroupDoNotRename", "delete inline policy AmazonSesSendingAccess", "remove tag InvokedBy=SESConsole",
	}) {
		t.Errorf("%+v", out.results)
	}
	if !out.summary.DryRun || out.summary.Migrated != 1 || out.summary.Skipped != 1 || len(out.summary.GroupChanges) != 3 {
		t.Errorf("%+v", out.summary)
	}
}

// TestMigrateOneFailureDoesNotStopOthers: several users at once; one user's
// AddUserToGroup is refused. The others are migrated, that one keeps its
// inline policy, the error is exit 1; the re-run finishes it.
func TestMigrateOneFailureDoesNotStopOthers(t *testing.T) {
	l := newMigLab(t)
	var names []string
	for i := range 12 {
		n := fmt.Sprintf("ses-smtp-user.2023010%d-0000%02d", i%9, i)
		names = append(names, n)
		l.seed(n, migStandardDoc, true)
	}
	bad := names[5]
	l.failFor["AddUserToGroup "+bad] = "AccessDenied"
	l.srv.SetLatency(5 * time.Millisecond)
	out := l.migrate(migrate.Options{All: true, Concurrency: 4})
	if fail.ExitCode(out.err) != fail.ExitFailed || !strings.Contains(out.err.Error(), bad) {
		t.Fatalf("exit %d: %v", fail.ExitCode(out.err), out.err)
	}
	if out.summary.Migrated != 11 || out.summary.Failed != 1 || out.outcome(bad) != migrate.Failed {
		t.Fatalf("%+v", out.summary)
	}
	// Results are printed in discovery order whatever order they finished in.
	var got []string
	for _, r := range out.results {
		got = append(got, r.UserName)
	}
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	if !slices.Equal(got, sorted) {
		t.Errorf("order %v", got)
	}
	if l.maxInflight < 2 || l.maxInflight > provision.DefaultDiscoverConcurrency {
		t.Errorf("at most %d calls in flight; want 2..%d", l.maxInflight, provision.DefaultDiscoverConcurrency)
	}
	st := l.state()
	if len(st.Users[strings.ToLower(bad)].Inline) != 1 {
		t.Errorf("%s lost its inline policy", bad)
	}
	l.assertInvariant()
	l.assertOrder(nil)

	delete(l.failFor, "AddUserToGroup "+bad)
	out = l.migrate(migrate.Options{All: true})
	if out.err != nil || out.summary.Migrated != 1 || out.summary.AlreadyDone != 11 {
		t.Fatalf("re-run: %v %+v", out.err, out.summary)
	}
	for _, n := range names {
		l.assertMigrated(n)
	}
	l.assertInvariant()
}

// TestMigrateGroupThatGrantsNothing: the group exists but its managed policy
// was changed to allow nothing; no user may be touched (migrating them would
// cut them off) unless --repair-policy restores it.
func TestMigrateGroupThatGrantsNothing(t *testing.T) {
	l := newMigLab(t)
	l.seed("alice", migStandardDoc, true)
	if out := l.migrate(migrate.Options{UserName: "alice"}); out.err != nil {
		t.Fatal(out.err)
	}
	l.seed("bob", migStandardDoc, true)
	l.mu.Lock()
	delete(l.watch, "alice") // its access is taken away by the operator's hand, not migrate's
	l.mu.Unlock()
	arn := "arn:aws:iam::123456789012:policy/" + provision.DefaultPolicyName
	if _, err := l.iam.CreatePolicyVersion(l.ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), SetAsDefault: true,
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	l.srv.ResetCalls()
	out := l.migrate(migrate.Options{UserName: "bob"})
	if fail.ExitCode(out.err) != fail.ExitConflict || !strings.Contains(out.err.Error(), "--repair-policy") {
		t.Fatalf("exit %d: %v", fail.ExitCode(out.err), out.err)
	}
	for _, c := range l.srv.Calls() {
		if mutating(c.Action) && c.Action != "GetCallerIdentity" {
			t.Errorf("made %s", c.Action)
		}
	}
	l.assertInvariant()
	out = l.migrate(migrate.Options{UserName: "bob", RepairPolicy: true})
	if out.err != nil {
		t.Fatal(out.err)
	}
	l.assertMigrated("bob")
	l.assertInvariant()
}

// TestMigrateAlreadyMemberWithInline: a half-done manual migration (in the
// group, inline policy still there, tag still there) is finished; other
// InvokedBy values and tags are kept.
func TestMigrateAlreadyMemberWithInline(t *testing.T) {
	l := newMigLab(t)
	l.consoleGroup()
	l.seed("alice", migStandardDoc, true)
	if _, err := l.iam.AddUserToGroup(l.ctx, &iam.AddUserToGroupInput{UserName: aws.String("alice"), GroupName: aws.String(provision.DefaultGroupName)}); err != nil {
		t.Fatal(err)
	}
	l.seed("carol", migStandardDoc, false)
	if _, err := l.iam.TagUser(l.ctx, &iam.TagUserInput{UserName: aws.String("carol"), Tags: []iamtypes.Tag{{Key: aws.String("InvokedBy"), Value: aws.String("Terraform")}}}); err != nil {
		t.Fatal(err)
	}
	l.srv.ResetCalls()
	out := l.migrate(migrate.Options{All: true})
	if out.err != nil {
		t.Fatal(out.err)
	}
	if l.srv.CallCount("AddUserToGroup") != 1 { // carol only
		t.Errorf("AddUserToGroup %d", l.srv.CallCount("AddUserToGroup"))
	}
	l.assertMigrated("alice")
	st := l.state()
	if tags := st.Users["carol"].Tags; len(tags) != 2 {
		t.Errorf("carol's tags %v: InvokedBy=Terraform is not the console's and must stay", tags)
	}
	l.assertInvariant()
	l.assertOrder(map[string]bool{"alice": true})
}

func TestMigrateBadInputMakesNoCall(t *testing.T) {
	l := newMigLab(t)
	for _, in := range []migrate.Options{
		{},
		{UserName: "a", All: true},
		{UserName: "bad name!"},
		{All: true, GroupName: strings.Repeat("g", 129)},
		{All: true, PolicyName: "no/slash"},
		{All: true, Concurrency: 99},
	} {
		_, err := migrate.Run(l.ctx, in, migrate.Deps{IAM: l.iam, STS: l.sts})
		if fail.ExitCode(err) != fail.ExitUsage {
			t.Errorf("%+v: exit %d (%v)", in, fail.ExitCode(err), err)
		}
	}
	out := l.migrate(migrate.Options{UserName: "nobody"})
	if fail.ExitCode(out.err) != fail.ExitUsage {
		t.Errorf("missing user: %v", out.err)
	}
	for _, c := range l.srv.Calls() {
		if mutating(c.Action) {
			t.Errorf("made %s", c.Action)
		}
	}
}

func TestMigrateDeclinedChangesNothing(t *testing.T) {
	l := newMigLab(t)
	l.seed("alice", migStandardDoc, true)
	l.srv.ResetCalls()
	var asked []string
	_, err := migrate.Run(l.ctx, migrate.Options{All: true, Confirm: func(users []string) (bool, error) {
		asked = users
		return false, nil
	}}, migrate.Deps{IAM: l.iam, STS: l.sts})
	if err != migrate.ErrDeclined || !slices.Equal(asked, []string{"alice"}) {
		t.Fatalf("%v %v", err, asked)
	}
	for _, c := range l.srv.Calls() {
		if mutating(c.Action) {
			t.Errorf("made %s", c.Action)
		}
	}
}

// TestMigrateDiscoveryStreamsPages: more users than a ListUsers page (100),
// few of them legacy; one user's reads fail and is reported, not fatal.
func TestMigrateDiscoveryStreamsPages(t *testing.T) {
	l := newMigLab(t)
	for i := range 250 {
		n := fmt.Sprintf("user%03d", i)
		switch {
		case i%50 == 7:
			l.seed(n, migStandardDoc, true)
		default:
			if _, err := l.iam.CreateUser(l.ctx, &iam.CreateUserInput{UserName: aws.String(n)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	l.failFor["ListUserTags user100"] = "AccessDenied"
	// The paged scan denied: discovery falls back to reading user by user,
	// and says so once.
	l.srv.Inject(iamfake.Fault{Action: "GetAccountAuthorizationDetails", Code: "AccessDenied", Times: -1})
	l.srv.ResetCalls()
	var found, notices []string
	opts := provision.DiscoverOptions{Notices: func(n provision.Notice) { notices = append(notices, n.Text) }}
	err := provision.DiscoverLegacyUsers(l.ctx, l.iam, opts, func(u provision.LegacyUser, err error) error {
		if err != nil {
			found = append(found, "error:"+u.UserName)
			return nil
		}
		found = append(found, u.UserName)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"user007", "user057", "error:user100", "user107", "user157", "user207"}
	if !slices.Equal(found, want) {
		t.Errorf("found %v, want %v", found, want)
	}
	// Three pages (the SDK may send one again: count the markers).
	pages := map[string]bool{}
	for _, c := range l.srv.Calls() {
		if c.Action == "ListUsers" {
			pages[c.Params["Marker"]] = true
		}
	}
	if len(pages) != 3 {
		t.Errorf("ListUsers pages %v, want 3", pages)
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "GetAccountAuthorizationDetails") {
		t.Errorf("notices %q, want one naming the denied scan", notices)
	}
	out := l.migrate(migrate.Options{All: true})
	if fail.ExitCode(out.err) != fail.ExitFailed || out.summary.Migrated != 5 || out.summary.Failed != 1 {
		t.Fatalf("%v %+v", out.err, out.summary)
	}
	l.assertInvariant()
}

// TestMigrateCutShortAfterEveryCall interrupts the run (Ctrl-C) after each
// call in turn: the user can send at every moment, the error is an
// interruption (exit 130) unless the run had finished, and the re-run ends
// right.
func TestMigrateCutShortAfterEveryCall(t *testing.T) {
	ref := newMigLab(t)
	ref.seed("alice", migStandardDoc, true)
	ref.seed("bob", migStandardDoc, false)
	ref.srv.ResetCalls()
	if out := ref.migrate(migrate.Options{All: true, Concurrency: 1}); out.err != nil {
		t.Fatal(out.err)
	}
	n := len(ref.srv.Calls())
	for k := 1; k <= n; k++ {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			l := newMigLab(t)
			l.seed("alice", migStandardDoc, true)
			l.seed("bob", migStandardDoc, false)
			ctx, cancel := context.WithCancel(iamapi.WithConsistencyTimeout(context.Background(), 3*time.Second))
			defer cancel()
			saved := l.ctx
			l.mu.Lock()
			l.served, l.cancelAt, l.cancel, l.ctx = 0, k, cancel, ctx
			l.mu.Unlock()
			out := l.migrate(migrate.Options{All: true, Concurrency: 1})
			if out.err != nil && fail.ExitCode(out.err) != fail.ExitInterrupted {
				t.Errorf("cut after call %d: exit %d: %v", k, fail.ExitCode(out.err), out.err)
			}
			l.assertInvariant()
			l.mu.Lock()
			l.cancelAt, l.ctx = 0, saved
			l.mu.Unlock()
			if out := l.migrate(migrate.Options{All: true}); out.err != nil {
				t.Fatalf("re-run: %v", out.err)
			}
			l.assertMigrated("alice")
			l.assertInvariant()
		})
	}
}

// TestMigrateUnderThrottling: IAM throttles beyond 120 calls a second; with
// the adaptive limiter NewClients installs, 30 users are migrated and none
// lacks access at any moment.
func TestMigrateUnderThrottling(t *testing.T) {
	l := newMigLab(t)
	var names []string
	for i := range 30 {
		n := fmt.Sprintf("legacy%02d", i)
		names = append(names, n)
		l.seed(n, migStandardDoc, true)
	}
	lim := iamapi.NewAdaptiveLimiter()
	l.iam = iam.New(l.iam.Options(), lim.IAMOption())
	l.srv.SetRateLimit(120, 5)
	out := l.migrate(migrate.Options{All: true, Concurrency: 8})
	if out.err != nil || out.summary.Migrated != 30 {
		t.Fatalf("%v %+v", out.err, out.summary)
	}
	throttled := 0
	for _, c := range l.srv.Calls() {
		if c.Code == "Throttling" {
			throttled++
		}
	}
	if throttled == 0 {
		t.Errorf("IAM never throttled: the test does not test pacing")
	}
	l.srv.SetRateLimit(0, 0)
	for _, n := range names {
		l.assertMigrated(n)
	}
	l.assertInvariant()
}

// TestGroupGrantsSend: the grant is found through a managed or an inline
// group policy; a policy that does not grant is no grant; another policy the
// caller may not read is passed over.
func TestGroupGrantsSend(t *testing.T) {
	l := newMigLab(t)
	g := aws.String("senders")
	if _, err := l.iam.CreateGroup(l.ctx, &iam.CreateGroupInput{GroupName: g}); err != nil {
		t.Fatal(err)
	}
	other, err := l.iam.CreatePolicy(l.ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Other"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.iam.AttachGroupPolicy(l.ctx, &iam.AttachGroupPolicyInput{GroupName: g, PolicyArn: other.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := migrate.GroupGrantsSend(l.ctx, l.iam, "senders", provision.DefaultPolicyName); ok || err != nil {
		t.Fatalf("a group with only s3 grants sending? %v %v", ok, err)
	}
	if _, err := l.iam.PutGroupPolicy(l.ctx, &iam.PutGroupPolicyInput{GroupName: g, PolicyName: aws.String("console"), PolicyDocument: aws.String(migSpacedDoc)}); err != nil {
		t.Fatal(err)
	}
	l.srv.Inject(iamfake.Fault{Action: "GetPolicy", Code: "AccessDenied"})
	via, ok, err := migrate.GroupGrantsSend(l.ctx, l.iam, "senders", provision.DefaultPolicyName)
	if !ok || err != nil || via != "inline group policy console" {
		t.Fatalf("%q %v %v", via, ok, err)
	}
	if _, err := migrate.WaitForGroupGrant(l.ctx, l.iam, "nosuchgroup", provision.DefaultPolicyName); err == nil || !strings.Contains(err.Error(), "ListAttachedGroupPolicies") {
		t.Errorf("missing group: %v", err)
	}
}

// TestMigrateCallBudget: nine IAM calls per legacy user in a console
// group (found by the paged scan, two to observe, four to act and confirm, three to
// see the group's grant again right before the inline policy goes), plus a
// fixed few for the group and the pages.
func TestMigrateCallBudget(t *testing.T) {
	l := newMigLab(t)
	l.consoleGroup()
	for i := range 20 {
		l.seed(fmt.Sprintf("legacy%02d", i), migStandardDoc, true)
	}
	l.srv.ResetCalls()
	out := l.migrate(migrate.Options{All: true})
	if out.err != nil || out.summary.Migrated != 20 {
		t.Fatalf("%v %+v", out.err, out.summary)
	}
	perAction := map[string]int{}
	for _, c := range l.srv.Calls() {
		perAction[c.Action]++
	}
	// GetAccountAuthorizationDetails 1, group: ListAttachedGroupPolicies,
	// ListGroupPolicies, GetGroupPolicy twice (ensure, then confirm), GetGroup 1.
	if n := len(l.srv.Calls()); n > 9*20+8 {
		t.Errorf("%d calls for 20 users: %v", n, perAction)
	}
	for _, a := range []string{"ListUserPolicies", "ListUserTags"} {
		if perAction[a] != 0 {
			t.Errorf("%s %d times, want 0 (the paged scan read them)", a, perAction[a])
		}
	}
	for _, a := range []string{"GetUserPolicy", "AddUserToGroup", "DeleteUserPolicy", "UntagUser"} {
		if perAction[a] != 20 {
			t.Errorf("%s %d times, want 20", a, perAction[a])
		}
	}
	if perAction["ListGroupsForUser"] != 40 {
		t.Errorf("ListGroupsForUser %d times, want 40 (observe, confirm)", perAction["ListGroupsForUser"])
	}
}

// BenchmarkMigrate100Users: --all over 100 legacy users against iamfake on
// loopback (no checker in the way), default concurrency.
func BenchmarkMigrate100Users(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		l := newMigLab(b)
		l.consoleGroup()
		for i := range 100 {
			l.seed(fmt.Sprintf("legacy%03d", i), migStandardDoc, true)
		}
		srv, cfg := iamfaketest.Start(b)
		var state bytes.Buffer
		if err := l.srv.SaveState(&state); err != nil {
			b.Fatal(err)
		}
		if err := srv.LoadState(&state); err != nil {
			b.Fatal(err)
		}
		api := iam.NewFromConfig(cfg)
		b.StartTimer()
		sum, err := migrate.Run(l.ctx, migrate.Options{All: true}, migrate.Deps{IAM: api, STS: sts.NewFromConfig(cfg)})
		if err != nil || sum.Migrated != 100 {
			b.Fatal(err, sum)
		}
	}
}

// TestMigrateFreshAccountEventualConsistency: the policy, the group, the
// attachment and the memberships made by the run are all unseen at first.
func TestMigrateFreshAccountEventualConsistency(t *testing.T) {
	l := newMigLab(t)
	l.seed("alice", migStandardDoc, true)
	l.seed("bob", migStandardDoc, false)
	time.Sleep(10 * time.Millisecond)
	l.srv.SetConsistencyDelay(400 * time.Millisecond)
	l.srv.ResetCalls()
	out := l.migrate(migrate.Options{All: true})
	if out.err != nil || out.summary.Migrated != 2 {
		t.Fatalf("%v %+v %s", out.err, out.results, out.stderr)
	}
	l.assertInvariant()
	l.assertOrder(nil)
	time.Sleep(500 * time.Millisecond)
	l.assertMigrated("alice")
	l.assertMigrated("bob")
}
