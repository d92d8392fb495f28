package provision_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/smtpauth/smtpauthtest"
	"github.com/sesprov/sesprov/provision/rotate"
	"github.com/sesprov/sesprov/provision/verify"
)

// consumer is where rotate delivers: it records every key it was handed and
// checks each password against the reference derivation.
type consumer struct {
	t         testing.TB
	delivered []string
	// onDeliver, when set, runs after the credentials arrived (a test kills
	// the process there).
	onDeliver func()
}

func (c *consumer) deliver(_ context.Context, set creds.CredentialSet) error {
	if set.AccessKeyID == "" || set.SecretAccessKey.IsZero() || len(set.Credentials) == 0 {
		return fmt.Errorf("incomplete credential set %+v", set)
	}
	for _, rc := range set.Credentials {
		if want := derive.Password(set.SecretAccessKey.Reveal(), rc.Region); rc.Password.Reveal() != want {
			c.t.Errorf("password for %s does not derive from the new secret", rc.Region)
		}
	}
	c.delivered = append(c.delivered, set.AccessKeyID)
	if c.onDeliver != nil {
		c.onDeliver()
	}
	return nil
}

func (c *consumer) last() string {
	if len(c.delivered) == 0 {
		return ""
	}
	return c.delivered[len(c.delivered)-1]
}

func testRegions(t testing.TB) []derive.Region {
	t.Helper()
	rs, err := derive.ResolveRegions([]string{"us-east-1", "eu-west-1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// rotationClock makes each rotateUser() of a test run later than the lease of
// the one before, as a scheduler's retry would: a re-run may then take over
// a started rotation whose process is gone.
var rotationClock atomic.Int64

func laterThanLastRun() time.Time {
	return time.Now().Add(time.Duration(rotationClock.Add(1)) * (rotate.DefaultStaleAfter + time.Minute))
}

func rotateUser(t testing.TB, client iamapi.IAM, user string, mode rotate.OldKeyAction, c *consumer) (*rotate.Result, error) {
	t.Helper()
	ctx := context.Background()
	plan, err := rotate.Plan(ctx, client, rotate.Options{UserName: user, Regions: testRegions(t), OldKey: mode, Now: laterThanLastRun})
	if err != nil {
		return nil, err
	}
	return plan.Execute(ctx, client, c.deliver, nil)
}

// mutations returns the calls that change IAM.
func mutations(calls []iamfake.Call) []string {
	var out []string
	for _, c := range calls {
		if !strings.HasPrefix(c.Action, "Get") && !strings.HasPrefix(c.Action, "List") {
			out = append(out, c.Action)
		}
	}
	return out
}

func TestRotateDeactivatesThenMakesRoom(t *testing.T) {
	l := newLab(t)
	old := l.smtpUser("mailer", 1)[0]
	c := &consumer{t: t}

	res, err := rotateUser(t, l.iam, "mailer", rotate.OldKeyDeactivate, c)
	l.must(err)
	first := c.last()
	if res.NewKeyID != first || first == old {
		t.Fatalf("new key %q, delivered %v, old %s", res.NewKeyID, c.delivered, old)
	}
	if got := l.keys("mailer"); got[old] != types.StatusTypeInactive || got[first] != types.StatusTypeActive || len(got) != 2 {
		t.Fatalf("after first rotation: %v", got)
	}
	if _, ok := l.tags("mailer")[rotate.TagKey]; ok {
		t.Fatal("rotation tag left behind")
	}

	// Second rotation: the inactive old key makes room for the new one.
	_, err = rotateUser(t, l.iam, "mailer", rotate.OldKeyDeactivate, c)
	l.must(err)
	second := c.last()
	if got := l.keys("mailer"); len(got) != 2 || got[first] != types.StatusTypeInactive || got[second] != types.StatusTypeActive {
		t.Fatalf("after second rotation: %v (first %s, second %s)", got, first, second)
	}
	if n := l.srv.CallCount("CreateAccessKey"); n != 3 { // 1 seed + 2 rotations
		t.Fatalf("CreateAccessKey called %d times, want 3", n)
	}
}

func TestRotateOldKeyDeleteAndKeep(t *testing.T) {
	l := newLab(t)
	old := l.smtpUser("del", 1)[0]
	c := &consumer{t: t}
	_, err := rotateUser(t, l.iam, "del", rotate.OldKeyDelete, c)
	l.must(err)
	if got := l.keys("del"); len(got) != 1 || got[c.last()] != types.StatusTypeActive {
		t.Fatalf("--old-key delete: %v (old %s)", got, old)
	}

	old = l.smtpUser("keep", 1)[0]
	_, err = rotateUser(t, l.iam, "keep", rotate.OldKeyKeep, c)
	l.must(err)
	if got := l.keys("keep"); len(got) != 2 || got[old] != types.StatusTypeActive || got[c.last()] != types.StatusTypeActive {
		t.Fatalf("--old-key keep: %v", got)
	}
	// Kept active, the old key now makes two active keys: the next rotation
	// is a conflict that changes nothing.
	l.srv.ResetCalls()
	_, err = rotateUser(t, l.iam, "keep", rotate.OldKeyDeactivate, c)
	if fail.ExitCode(err) != fail.ExitConflict {
		t.Fatalf("rotate with two active keys: %v (exit %d), want exit 3", err, fail.ExitCode(err))
	}
	if m := mutations(l.srv.Calls()); len(m) != 0 {
		t.Fatalf("a conflict changed IAM: %v", m)
	}
}

func TestRotateTwoActiveKeysIsAConflict(t *testing.T) {
	l := newLab(t)
	keys := l.smtpUser("two", 2)
	l.srv.ResetCalls()
	c := &consumer{t: t}
	_, err := rotateUser(t, l.iam, "two", rotate.OldKeyDeactivate, c)
	if fail.ExitCode(err) != fail.ExitConflict {
		t.Fatalf("got %v (exit %d), want a conflict", err, fail.ExitCode(err))
	}
	for _, k := range keys {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("error does not name key %s: %v", k, err)
		}
	}
	if m := mutations(l.srv.Calls()); len(m) != 0 || len(c.delivered) != 0 {
		t.Fatalf("a conflict changed IAM %v or delivered %v", m, c.delivered)
	}
}

func TestRotateMissingUserAndBadInput(t *testing.T) {
	l := newLab(t)
	c := &consumer{t: t}
	_, err := rotateUser(t, l.iam, "nobody", rotate.OldKeyDeactivate, c)
	if fail.ExitCode(err) != fail.ExitUsage || !strings.Contains(err.Error(), "GetUser") {
		t.Fatalf("missing user: %v (exit %d)", err, fail.ExitCode(err))
	}
	_, err = rotateUser(t, l.iam, "bad/name", rotate.OldKeyDeactivate, c)
	if fail.ExitCode(err) != fail.ExitUsage {
		t.Fatalf("bad name: %v", err)
	}
	if _, err := rotate.ParseOldKeyAction("shred"); fail.ExitCode(err) != fail.ExitUsage {
		t.Fatalf("--old-key shred: %v", err)
	}
}

func TestRotateDryRunChangesNothing(t *testing.T) {
	l := newLab(t)
	l.smtpUser("dry", 1)
	l.srv.ResetCalls()
	ctx := context.Background()
	plan, err := rotate.Plan(ctx, l.iam, rotate.Options{UserName: "dry", Regions: testRegions(t), DryRun: true})
	l.must(err)
	c := &consumer{t: t}
	res, err := plan.Execute(ctx, l.iam, c.deliver, nil)
	l.must(err)
	if m := mutations(l.srv.Calls()); len(m) != 0 || len(c.delivered) != 0 {
		t.Fatalf("dry run changed IAM %v or delivered %v", m, c.delivered)
	}
	var text []string
	for _, it := range res.Plan {
		text = append(text, it.Text)
	}
	joined := strings.Join(text, "\n")
	for _, want := range []string{"create a new access key", "deliver", "deactivate old access key"} {
		if !strings.Contains(joined, want) {
			t.Errorf("plan lacks %q:\n%s", want, joined)
		}
	}
}

func TestRotateDeliveryFailureDeletesTheNewKey(t *testing.T) {
	l := newLab(t)
	old := l.smtpUser("fail", 1)[0]
	ctx := context.Background()
	plan, err := rotate.Plan(ctx, l.iam, rotate.Options{UserName: "fail", Regions: testRegions(t)})
	l.must(err)
	_, err = plan.Execute(ctx, l.iam, func(context.Context, creds.CredentialSet) error {
		return errors.New("disk full")
	}, nil)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("got %v", err)
	}
	if got := l.keys("fail"); len(got) != 1 || got[old] != types.StatusTypeActive {
		t.Fatalf("after a failed delivery: %v, want only the old key, active", got)
	}
	if _, ok := l.tags("fail")[rotate.TagKey]; ok {
		t.Fatal("rotation tag left after a clean rollback")
	}
}

func TestRotateVerifyFailureKeepsOldKey(t *testing.T) {
	l := newLab(t)
	old := l.smtpUser("ver", 1)[0]
	ctx := context.Background()
	plan, err := rotate.Plan(ctx, l.iam, rotate.Options{UserName: "ver", Regions: testRegions(t)})
	l.must(err)
	c := &consumer{t: t}
	_, err = plan.Execute(ctx, l.iam, c.deliver, func(context.Context, creds.CredentialSet) error {
		return errors.New("535 Authentication Credentials Invalid")
	})
	if err == nil || len(c.delivered) != 0 {
		t.Fatalf("verify failure: err %v, delivered %v", err, c.delivered)
	}
	if got := l.keys("ver"); len(got) != 1 || got[old] != types.StatusTypeActive {
		t.Fatalf("after a failed verification: %v", got)
	}
}

// rotationScenario is the starting point of the cut-short tests: one active
// key in use and an inactive one that must make room.
func rotationScenario(t *testing.T) (*lab, string) {
	l := newLab(t)
	keys := l.smtpUser("cron", 2)
	_, err := l.iam.UpdateAccessKey(context.Background(), ptr(iamUpdateKey{"cron", keys[0]}.input()))
	l.must(err)
	l.srv.ResetCalls()
	return l, keys[1]
}

// checkRotated asserts the end state of a finished rotation: exactly one
// active key, the one delivered last; the old key retired as asked; no
// rotation tag; never more than two keys made in all.
func checkRotated(t *testing.T, l *lab, c *consumer, old string, mode rotate.OldKeyAction) {
	t.Helper()
	got := l.keys("cron")
	var active []string
	for id, st := range got {
		if st == types.StatusTypeActive {
			active = append(active, id)
		}
	}
	if len(active) != 1 || active[0] != c.last() {
		t.Fatalf("active keys %v, delivered %v: want exactly the last delivered", active, c.delivered)
	}
	switch mode {
	case rotate.OldKeyDeactivate:
		if got[old] != types.StatusTypeInactive || len(got) != 2 {
			t.Fatalf("old key %s should be inactive: %v", old, got)
		}
	case rotate.OldKeyDelete:
		if len(got) != 1 {
			t.Fatalf("old key %s should be deleted: %v", old, got)
		}
	}
	if v, ok := l.tags("cron")[rotate.TagKey]; ok {
		t.Fatalf("rotation tag left: %s", v)
	}
	if n := l.madeKeys(); n > 2 {
		t.Fatalf("%d keys made in IAM; a cut-short rotation and its re-run make at most 2", n)
	}
}

// checkOldKeySafe asserts what must hold after any cut: the old key is
// retired only once the key left active was delivered.
func checkOldKeySafe(t *testing.T, l *lab, c *consumer, old string) {
	t.Helper()
	got := l.keys("cron")
	if got[old] == types.StatusTypeActive {
		return
	}
	for id, st := range got {
		if st == types.StatusTypeActive && slices.Contains(c.delivered, id) {
			return
		}
	}
	t.Fatalf("old key %s retired but no delivered key is active: keys %v, delivered %v", old, got, c.delivered)
}

// referenceCalls is the call sequence of an uninterrupted rotation.
func referenceCalls(t *testing.T, mode rotate.OldKeyAction) []callPoint {
	l, _ := rotationScenario(t)
	c := &consumer{t: t}
	_, err := rotateUser(t, l.iam, "cron", mode, c)
	l.must(err)
	return callPoints(l.srv.Calls())
}

// TestRotateKilledAfterEveryCall kills the process right after each IAM call
// of a rotation in turn (the call took effect, nothing after it ran, not even
// a rollback), and once right after delivery; then runs rotate again.
func TestRotateKilledAfterEveryCall(t *testing.T) {
	for _, mode := range []rotate.OldKeyAction{rotate.OldKeyDeactivate, rotate.OldKeyDelete} {
		points := referenceCalls(t, mode)
		points = append(points, callPoint{Action: "deliver"})
		for _, p := range points {
			t.Run(string(mode)+"/"+p.String(), func(t *testing.T) {
				l, old := rotationScenario(t)
				k := &killer{action: p.Action, nth: p.Nth}
				c := &consumer{t: t}
				if p.Action == "deliver" {
					c.onDeliver = k.kill
				}
				_, err := rotateUser(t, k.client(l.cfg), "cron", mode, c)
				if err == nil {
					t.Fatal("a killed run reported success")
				}
				checkOldKeySafe(t, l, c, old)
				tag := l.tags("cron")[rotate.TagKey]
				madeBefore := l.madeKeys()

				// Killed after its last call, the run had finished: the re-run
				// is a new rotation, retiring the key the first one delivered.
				wantOld := old
				if _, oldLeft := l.keys("cron")[old]; tag == "" && (!oldLeft || l.keys("cron")[old] != types.StatusTypeActive) {
					wantOld = c.last()
				}
				res, err := rotateUser(t, l.iam, "cron", mode, c)
				if err != nil {
					t.Fatalf("re-run: %v", err)
				}
				checkRotated(t, l, c, wantOld, mode)
				if strings.HasPrefix(tag, "delivered:") {
					// The delivered key is kept: the re-run makes none.
					if !res.Finished || l.madeKeys() != madeBefore || len(c.delivered) != 1 {
						t.Fatalf("re-run after delivery made a key: finished=%v made %d→%d delivered %v", res.Finished, madeBefore, l.madeKeys(), c.delivered)
					}
				}
			})
		}
	}
}

// TestRotateFailureAtEveryCall makes each IAM call of a rotation fail in
// turn (AccessDenied: the process lives and rolls back), then runs again.
func TestRotateFailureAtEveryCall(t *testing.T) {
	points := referenceCalls(t, rotate.OldKeyDeactivate)
	for _, p := range points {
		t.Run(p.String(), func(t *testing.T) {
			l, old := rotationScenario(t)
			l.srv.Inject(iamfake.Fault{Action: p.Action, Nth: p.Nth, Code: "AccessDenied", Message: "injected"})
			c := &consumer{t: t}
			if _, err := rotateUser(t, l.iam, "cron", rotate.OldKeyDeactivate, c); err == nil {
				t.Fatal("an injected failure went unnoticed")
			}
			checkOldKeySafe(t, l, c, old)
			l.srv.ClearFaults()
			if _, err := rotateUser(t, l.iam, "cron", rotate.OldKeyDeactivate, c); err != nil {
				t.Fatalf("re-run: %v", err)
			}
			checkRotated(t, l, c, old, rotate.OldKeyDeactivate)
		})
	}
}

// TestRotateLostResponseAtEveryCall lets each call take effect and drops its
// answer: the retries and CreateAccessKeyAfter must absorb it in one run.
func TestRotateLostResponseAtEveryCall(t *testing.T) {
	points := referenceCalls(t, rotate.OldKeyDeactivate)
	for _, p := range points {
		t.Run(p.String(), func(t *testing.T) {
			l, old := rotationScenario(t)
			l.srv.Inject(iamfake.Fault{Action: p.Action, Nth: p.Nth, DropResponse: true})
			c := &consumer{t: t}
			if _, err := rotateUser(t, l.iam, "cron", rotate.OldKeyDeactivate, c); err != nil {
				// Acceptable only if a re-run then finishes the job.
				checkOldKeySafe(t, l, c, old)
				l.srv.ClearFaults()
				if _, err := rotateUser(t, l.iam, "cron", rotate.OldKeyDeactivate, c); err != nil {
					t.Fatalf("re-run: %v", err)
				}
			}
			checkRotated(t, l, c, old, rotate.OldKeyDeactivate)
		})
	}
}

// A rotation tag that sesprov did not write (or a stale one) must not make
// sesprov guess.
func TestRotateForeignOrStaleTag(t *testing.T) {
	l := newLab(t)
	keys := l.smtpUser("odd", 1)
	ctx := context.Background()
	tag := func(v string) {
		_, err := l.iam.TagUser(ctx, tagInput("odd", rotate.TagKey, v))
		l.must(err)
	}
	c := &consumer{t: t}

	tag("something-else")
	if _, err := rotateUser(t, l.iam, "odd", rotate.OldKeyDeactivate, c); fail.ExitCode(err) != fail.ExitConflict {
		t.Fatalf("unknown tag value: %v", err)
	}
	// "started" naming a key that is gone: cannot tell whose the others are.
	tag("started:AKIAGONEGONEGONEGONE")
	if _, err := rotateUser(t, l.iam, "odd", rotate.OldKeyDeactivate, c); fail.ExitCode(err) != fail.ExitConflict {
		t.Fatalf("started tag naming a missing key: %v", err)
	}
	// "delivered" naming a key that is gone is stale: rotate afresh.
	tag("delivered:AKIAGONEGONEGONEGONE")
	if _, err := rotateUser(t, l.iam, "odd", rotate.OldKeyDeactivate, c); err != nil {
		t.Fatalf("stale delivered tag: %v", err)
	}
	if got := l.keys("odd"); got[keys[0]] != types.StatusTypeInactive || got[c.last()] != types.StatusTypeActive {
		t.Fatalf("after rotating past a stale tag: %v", got)
	}
}

// rotate with the real SMTP verifier: the new password must log in (here on
// an SES-like test server that learns the new key) before delivery; a key
// still propagating (first login refused) is waited for.
func TestRotateVerifiedBySMTPLogin(t *testing.T) {
	l := newLab(t)
	old := l.smtpUser("v", 1)[0]
	ctx := context.Background()
	regions, err := derive.ResolveRegions([]string{"us-east-1"}, nil)
	l.must(err)
	plan, err := rotate.Plan(ctx, l.iam, rotate.Options{UserName: "v", Regions: regions})
	l.must(err)
	var logins int
	verify := func(ctx context.Context, set creds.CredentialSet) error {
		srv := smtpauthtest.Start(t, smtpauthtest.Config{
			Accounts:    map[string]string{set.AccessKeyID: set.SecretAccessKey.Reveal()},
			RejectFirst: 1,
		})
		results, err := verify.Set(ctx, set, verify.Options{
			Endpoint: srv.Addr, RootCAs: srv.RootCAs, Wait: 10 * time.Second, RetryInitial: 10 * time.Millisecond,
		})
		if err != nil {
			return err
		}
		logins = srv.Stats().AuthAttempts
		if !verify.AllAccepted(results) {
			return fmt.Errorf("not accepted: %+v", results)
		}
		return nil
	}
	c := &consumer{t: t}
	_, err = plan.Execute(ctx, l.iam, c.deliver, verify)
	l.must(err)
	if logins != 2 || len(c.delivered) != 1 {
		t.Fatalf("logins %d, delivered %v", logins, c.delivered)
	}
	if got := l.keys("v"); got[old] != types.StatusTypeInactive || got[c.last()] != types.StatusTypeActive {
		t.Fatalf("keys: %v", got)
	}
}

// Ctrl-C right after the credentials went out: the delivery is still
// recorded, the run exits 130, and the re-run finishes without a new key.
func TestRotateInterruptedAfterDelivery(t *testing.T) {
	l, old := rotationScenario(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	plan, err := rotate.Plan(ctx, l.iam, rotate.Options{UserName: "cron", Regions: testRegions(t)})
	l.must(err)
	c := &consumer{t: t, onDeliver: cancel}
	_, err = plan.Execute(ctx, l.iam, c.deliver, nil)
	if fail.ExitCode(err) != fail.ExitInterrupted {
		t.Fatalf("got %v (exit %d), want 130", err, fail.ExitCode(err))
	}
	if tag := l.tags("cron")[rotate.TagKey]; !strings.HasPrefix(tag, "delivered:"+c.last()+"@") {
		t.Fatalf("tag %q after an interrupted delivery", tag)
	}
	res, err := rotateUser(t, l.iam, "cron", rotate.OldKeyDeactivate, c)
	l.must(err)
	if !res.Finished || len(c.delivered) != 1 {
		t.Fatalf("re-run: finished=%v delivered=%v", res.Finished, c.delivered)
	}
	checkRotated(t, l, c, old, rotate.OldKeyDeactivate)
}

// A user that is not an SMTP user is refused (its key may serve something
// else) unless Force.
func TestRotateRefusesNonSMTPUser(t *testing.T) {
	l := newLab(t)
	id, _ := l.plainUserWithKey("deploy-bot")
	l.srv.ResetCalls()
	c := &consumer{t: t}
	_, err := rotateUser(t, l.iam, "deploy-bot", rotate.OldKeyDeactivate, c)
	if fail.ExitCode(err) != fail.ExitConflict || !strings.Contains(err.Error(), "not an SMTP user") {
		t.Fatalf("got %v", err)
	}
	if m := mutations(l.srv.Calls()); len(m) != 0 {
		t.Fatalf("refusal changed IAM: %v", m)
	}
	plan, err := rotate.Plan(context.Background(), l.iam, rotate.Options{UserName: "deploy-bot", Regions: testRegions(t), Force: true})
	l.must(err)
	_, err = plan.Execute(context.Background(), l.iam, c.deliver, nil)
	l.must(err)
	if got := l.keys("deploy-bot"); got[id] != types.StatusTypeInactive || got[c.last()] != types.StatusTypeActive {
		t.Fatalf("--force: %v", got)
	}
}

// Two rotations of one user at once: the second finds the first's fresh
// "started" record, changes nothing and exits 1 (retry later); the first
// completes undisturbed.
func TestRotateConcurrentRunLeavesTheFirstAlone(t *testing.T) {
	l, old := rotationScenario(t)
	ctx := context.Background()
	plan, err := rotate.Plan(ctx, l.iam, rotate.Options{UserName: "cron", Regions: testRegions(t)})
	l.must(err)
	inDelivery, release := make(chan struct{}), make(chan struct{})
	c := &consumer{t: t, onDeliver: func() { close(inDelivery); <-release }}
	done := make(chan error, 1)
	go func() {
		_, err := plan.Execute(ctx, l.iam, c.deliver, nil)
		done <- err
	}()
	<-inDelivery
	before := l.keys("cron")
	second, err := rotate.Plan(ctx, l.iam, rotate.Options{UserName: "cron", Regions: testRegions(t)})
	if err == nil || fail.ExitCode(err) != fail.ExitFailed || !strings.Contains(err.Error(), "may still be running") {
		t.Fatalf("second run: plan %+v, err %v (exit %d)", second, err, fail.ExitCode(err))
	}
	if after := l.keys("cron"); len(after) != len(before) {
		t.Fatalf("the second run changed keys: %v -> %v", before, after)
	}
	close(release)
	l.must(<-done)
	c.onDeliver = nil
	checkRotated(t, l, c, old, rotate.OldKeyDeactivate)

	// A record without a time (or from an older sesprov) is taken as stale.
	_, err = l.iam.TagUser(ctx, tagInput("cron", rotate.TagKey, "started:"+c.last()))
	l.must(err)
	if _, err := rotateUser(t, l.iam, "cron", rotate.OldKeyDeactivate, c); err != nil {
		t.Fatalf("timeless started record: %v", err)
	}
}
