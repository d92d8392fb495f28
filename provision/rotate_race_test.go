package provision_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/provision/rotate"
)

// Two scheduled runs of the same rotation that both read the user
// before either wrote the "started" tag (two hosts' cron at the same minute,
// a CronJob with concurrencyPolicy Allow). The second run's CreateAccessKey
// hits LimitExceeded and its rollback deletes "every key but OLD" — the first
// run's new key, which that run then delivers and keeps, retiring OLD.
// Nothing may leave the user without a working active key.
func TestRotateRunsPlannedTogetherKeepAnActiveKey(t *testing.T) {
	l := newLab(t)
	old := l.smtpUser("race", 1)[0]
	ctx := context.Background()
	in := rotate.Options{UserName: "race", Regions: testRegions(t), Now: time.Now}

	pA, err := rotate.Plan(ctx, l.iam, in)
	l.must(err)
	pB, err := rotate.Plan(ctx, l.iam, in)
	l.must(err)

	inDeliver := make(chan struct{})
	release := make(chan struct{})
	var deliveredA string
	doneA := make(chan error, 1)
	go func() {
		_, err := pA.Execute(ctx, l.iam, func(_ context.Context, set creds.CredentialSet) error {
			deliveredA = set.AccessKeyID
			close(inDeliver)
			<-release
			return nil
		}, nil)
		doneA <- err
	}()
	<-inDeliver
	c := &consumer{t: t}
	_, errB := pB.Execute(ctx, l.iam, c.deliver, nil)
	t.Logf("run B: %v", errB)
	close(release)
	errA := <-doneA
	t.Logf("run A: %v (delivered %s)", errA, deliveredA)

	keys := l.keys("race")
	t.Logf("keys after both runs: %v (old %s)", keys, old)
	active := 0
	for _, s := range keys {
		if s == types.StatusTypeActive {
			active++
		}
	}
	if active == 0 {
		t.Fatalf("no active key left: A delivered %s (now %v), old key %s is %v", deliveredA, keys[deliveredA], old, keys[old])
	}
	if errA == nil && keys[deliveredA] != types.StatusTypeActive {
		t.Fatalf("run A succeeded and delivered %s, but that key is %q", deliveredA, keys[deliveredA])
	}
}

// A user whose only key is inactive (an operator switched it off to
// test, or a previous rotation's old key after the new one was deleted by
// hand) is rotated with "started:none@T". Killed after CreateAccessKey, the
// re-run deletes every key but "none" — the pre-existing inactive key too,
// reporting it as "made by an interrupted rotation, its secret never got
// out", which is false: that key existed before and could be reactivated.
func TestRotateCutWithOnlyAnInactiveKeyKeepsIt(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	pre := l.smtpUser("solo", 1)[0]
	u := iamUpdateKey{"solo", pre}.input()
	_, err := l.iam.UpdateAccessKey(ctx, &u)
	l.must(err)

	k := &killer{action: "CreateAccessKey", nth: 1}
	c := &consumer{t: t}
	if _, err := rotateUser(t, k.client(l.cfg), "solo", rotate.OldKeyDeactivate, c); err == nil {
		t.Fatal("killed run reported success")
	}
	t.Logf("tag after kill: %q keys %v", l.tags("solo")[rotate.TagKey], l.keys("solo"))
	res, err := rotateUser(t, l.iam, "solo", rotate.OldKeyDeactivate, c)
	l.must(err)
	t.Logf("re-run: lost %v deleted %v; keys %v", res.Lost, res.Deleted, l.keys("solo"))
	for _, id := range res.Lost {
		if id == pre {
			t.Fatalf("pre-existing inactive key %s was deleted as a key whose secret never got out", pre)
		}
	}
}

// The lease is measured with the writer's clock against the
// reader's. A host whose clock runs 15 minutes slow writes a "started" record
// that a correct host sees as stale at once and takes over: it deletes the
// live run's new key (as "lost") while that run is delivering it; the live
// run then records it delivered and retires the old key.
func TestRotateSlowClockRunTakenOverDoesNotSucceed(t *testing.T) {
	l := newLab(t)
	old := l.smtpUser("skew", 1)[0]
	ctx := context.Background()
	slow := func() time.Time { return time.Now().Add(-15 * time.Minute) }
	pA, err := rotate.Plan(ctx, l.iam, rotate.Options{UserName: "skew", Regions: testRegions(t), Now: slow})
	l.must(err)
	inDeliver, release := make(chan struct{}), make(chan struct{})
	var deliveredA string
	doneA := make(chan error, 1)
	go func() {
		_, err := pA.Execute(ctx, l.iam, func(_ context.Context, set creds.CredentialSet) error {
			deliveredA = set.AccessKeyID
			close(inDeliver)
			<-release
			return nil
		}, nil)
		doneA <- err
	}()
	<-inDeliver
	c := &consumer{t: t}
	pB, errB := rotate.Plan(ctx, l.iam, rotate.Options{UserName: "skew", Regions: testRegions(t), Now: time.Now})
	if errB == nil {
		_, errB = pB.Execute(ctx, l.iam, c.deliver, nil)
	}
	t.Logf("run B (correct clock): %v", errB)
	close(release)
	errA := <-doneA
	keys := l.keys("skew")
	t.Logf("run A (slow clock): %v; delivered %s; keys %v (old %s); B delivered %v", errA, deliveredA, keys, old, c.delivered)
	if errA == nil && keys[deliveredA] != types.StatusTypeActive {
		t.Fatalf("run A reported success for %s, but the key is %q (B took the rotation over within A's lease)", deliveredA, keys[deliveredA])
	}
}

// tagHook calls before ahead of its first TagUser and after behind it.
type tagHook struct {
	iamapi.IAM
	before, after func()
}

func (h *tagHook) TagUser(ctx context.Context, in *iam.TagUserInput, opts ...func(*iam.Options)) (*iam.TagUserOutput, error) {
	before, after := h.before, h.after
	h.before, h.after = nil, nil
	if before != nil {
		before()
	}
	out, err := h.IAM.TagUser(ctx, in, opts...)
	if after != nil {
		after()
	}
	return out, err
}

// Both runs pass the check before writing "started" (neither sees a tag),
// then A writes it and B overwrites it (TagUser cannot compare-and-swap): the
// last writer owns the rotation; A stops before CreateAccessKey, having
// delivered nothing and left the tag to B.
func TestRotateSimultaneousStartsLastWriterOwns(t *testing.T) {
	// One active key, no inactive one: neither run makes room (a key
	// deleted to make room is a change of keys, which stops the other run
	// before it writes anything: TestRotateRunPlannedBeforeAnotherFinishedStops).
	l := newLab(t)
	old := l.smtpUser("cron", 1)[0]
	l.srv.ResetCalls()
	ctx := context.Background()
	pA, pB := planTwice(t, l)
	cA, cB := &consumer{t: t}, &consumer{t: t}
	aWrote, bWrote := make(chan struct{}), make(chan struct{})
	errA := make(chan error, 1)
	hookA := &tagHook{IAM: l.iam, after: func() { close(aWrote); <-bWrote }}
	hookB := &tagHook{IAM: l.iam,
		before: func() {
			go func() {
				_, err := pA.Execute(ctx, hookA, cA.deliver, nil)
				errA <- err
			}()
			<-aWrote
		},
		after: func() { close(bWrote) },
	}
	_, errB := pB.Execute(ctx, hookB, cB.deliver, nil)
	l.must(errB)
	err := <-errA
	if err == nil || fail.ExitCode(err) != fail.ExitFailed || !strings.Contains(err.Error(), "before CreateAccessKey") {
		t.Fatalf("run A: %v (exit %d), want exit 1: another run owns the rotation", err, fail.ExitCode(err))
	}
	if len(cA.delivered) != 0 {
		t.Fatalf("run A delivered %v", cA.delivered)
	}
	checkRotated(t, l, cB, old, rotate.OldKeyDeactivate)
}

// The same slow writer, with IAM's clock right (iamfake's clock set to now):
// the new key's CreateDate, IAM's time, shows the rotation is fresh, so the
// run with the correct clock leaves it alone and the slow one completes.
func TestRotateSlowClockWriterKeepsItsLeaseByKeyCreateDate(t *testing.T) {
	l := newLab(t)
	l.clock.Advance(time.Since(l.clock.Now()))
	old := l.smtpUser("skew", 1)[0]
	ctx := context.Background()
	slow := func() time.Time { return time.Now().Add(-15 * time.Minute) }
	pA, err := rotate.Plan(ctx, l.iam, rotate.Options{UserName: "skew", Regions: testRegions(t), Now: slow})
	l.must(err)
	inDeliver, release := make(chan struct{}), make(chan struct{})
	cA := &consumer{t: t, onDeliver: func() { close(inDeliver); <-release }}
	doneA := make(chan error, 1)
	go func() {
		_, err := pA.Execute(ctx, l.iam, cA.deliver, nil)
		doneA <- err
	}()
	<-inDeliver
	_, errB := rotate.Plan(ctx, l.iam, rotate.Options{UserName: "skew", Regions: testRegions(t), Now: time.Now})
	close(release)
	l.must(<-doneA)
	if errB == nil || fail.ExitCode(errB) != fail.ExitFailed || !strings.Contains(errB.Error(), "may still be running") {
		t.Fatalf("run with the correct clock: %v (exit %d), want it to leave the fresh rotation alone", errB, fail.ExitCode(errB))
	}
	if keys := l.keys("skew"); keys[cA.last()] != types.StatusTypeActive || keys[old] != types.StatusTypeInactive {
		t.Fatalf("keys %v: want %s (delivered) active, %s inactive", keys, cA.last(), old)
	}
}

// Two runs plan together; the first completes its whole rotation (new key
// delivered, old one retired, its record removed) before the second starts
// changing anything. The tag reads as it did when the second run planned
// (none), so only the keys show that the plan is stale: the second run must
// stop, making no key and leaving no record, rather than make a second key
// beside the first run's delivered one (both active, the user then in
// conflict; a scheduled apply whose plan was printed minutes earlier hits
// this, as did two applies at once under load).
func TestRotateRunPlannedBeforeAnotherFinishedStops(t *testing.T) {
	l, old := rotationScenario(t)
	ctx := context.Background()
	pA, pB := planTwice(t, l)
	cA, cB := &consumer{t: t}, &consumer{t: t}
	_, err := pA.Execute(ctx, l.iam, cA.deliver, nil)
	l.must(err)
	_, err = pB.Execute(ctx, l.iam, cB.deliver, nil)
	if err == nil || fail.ExitCode(err) != fail.ExitFailed || !strings.Contains(err.Error(), "access keys changed since this run read them") {
		t.Fatalf("run B: %v (exit %d), want exit 1: the keys changed since it planned", err, fail.ExitCode(err))
	}
	if len(cB.delivered) != 0 {
		t.Fatalf("run B delivered %v", cB.delivered)
	}
	if tags := l.tags("cron"); tags[rotate.TagKey] != "" {
		t.Fatalf("run B left tag %s=%s", rotate.TagKey, tags[rotate.TagKey])
	}
	checkRotated(t, l, cA, old, rotate.OldKeyDeactivate)
}

// laggingKeys answers ListAccessKeys as a lagging IAM replica can just after
// a DeleteAccessKey: the deleted key is still listed.
type laggingKeys struct {
	iamapi.IAM
	deleted []types.AccessKeyMetadata
}

func (h *laggingKeys) DeleteAccessKey(ctx context.Context, in *iam.DeleteAccessKeyInput, opts ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error) {
	out, err := h.IAM.DeleteAccessKey(ctx, in, opts...)
	if err == nil {
		h.deleted = append(h.deleted, types.AccessKeyMetadata{UserName: in.UserName, AccessKeyId: in.AccessKeyId, Status: types.StatusTypeInactive, CreateDate: aws.Time(time.Now())})
	}
	return out, err
}

func (h *laggingKeys) ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, opts ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	out, err := h.IAM.ListAccessKeys(ctx, in, opts...)
	if err == nil {
		out.AccessKeyMetadata = append(out.AccessKeyMetadata, h.deleted...)
	}
	return out, err
}

// The key a rotation deletes to make room may still be listed when the run
// reads the keys back after writing its record (IAM's reads lag its
// writes): that is this run's own change, not another run's, and the
// rotation goes on.
func TestRotateReadBackIgnoresTheKeyItDeleted(t *testing.T) {
	l, old := rotationScenario(t)
	ctx := context.Background()
	c := &consumer{t: t}
	api := &laggingKeys{IAM: l.iam}
	p, err := rotate.Plan(ctx, api, rotate.Options{UserName: "cron", Regions: testRegions(t), Now: time.Now})
	l.must(err)
	if p.MakeRoom == "" {
		t.Fatal("the scenario's inactive key should make room")
	}
	res, err := p.Execute(ctx, api, c.deliver, nil)
	l.must(err)
	if !slices.Equal(res.Deleted, []string{p.MakeRoom}) {
		t.Fatalf("deleted %v, want the inactive key %s", res.Deleted, p.MakeRoom)
	}
	checkRotated(t, l, c, old, rotate.OldKeyDeactivate)
}

// A plan decides to delete the inactive key to make room; by the time it
// runs (apply and rotate --all plan from a read minutes old) someone has
// switched that key back on. The run deletes no key in use: it stops with
// nothing changed.
func TestRotateMakeRoomSparesAKeySwitchedBackOn(t *testing.T) {
	l, old := rotationScenario(t)
	ctx := context.Background()
	p, err := rotate.Plan(ctx, l.iam, rotate.Options{UserName: "cron", Regions: testRegions(t), Now: time.Now})
	l.must(err)
	if p.MakeRoom == "" {
		t.Fatal("the scenario's inactive key should make room")
	}
	_, err = l.iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("cron"), AccessKeyId: aws.String(p.MakeRoom), Status: types.StatusTypeActive})
	l.must(err)
	c := &consumer{t: t}
	_, err = p.Execute(ctx, l.iam, c.deliver, nil)
	if err == nil || fail.ExitCode(err) != fail.ExitFailed || !strings.Contains(err.Error(), "is Active now") || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("run: %v (exit %d), want exit 1: the key to delete is active again", err, fail.ExitCode(err))
	}
	keys := l.keys("cron")
	if keys[p.MakeRoom] != types.StatusTypeActive || keys[old] != types.StatusTypeActive || len(keys) != 2 {
		t.Fatalf("keys %v, want %s and %s both active, untouched", keys, p.MakeRoom, old)
	}
	if len(c.delivered) != 0 {
		t.Fatalf("delivered %v", c.delivered)
	}
	if tags := l.tags("cron"); tags[rotate.TagKey] != "" {
		t.Fatalf("tag %s=%s left", rotate.TagKey, tags[rotate.TagKey])
	}
}

// The narrow window expectKeys guards: run B passed its check before the
// first change, then run A rotated the user from start to end, then B wrote
// its record — whose KEYS do not name A's delivered key. B must stop and
// remove that record, even when its read of the keys fails: left behind, a
// run after the lease would take A's key, the one in use, for lost.
func TestRotateRecordNamingTooFewKeysIsRemoved(t *testing.T) {
	for _, failList := range []bool{false, true} {
		t.Run(fmt.Sprintf("keys read fails %v", failList), func(t *testing.T) {
			l, _ := rotationScenario(t)
			ctx := context.Background()
			in := rotate.Options{UserName: "cron", Regions: testRegions(t), Now: time.Now}
			pB, err := rotate.Plan(ctx, l.iam, in)
			l.must(err)
			cA, cB := &consumer{t: t}, &consumer{t: t}
			hook := &listFailHook{tagHook: tagHook{IAM: l.iam, before: func() {
				pA, err := rotate.Plan(ctx, l.iam, in)
				l.must(err)
				_, err = pA.Execute(ctx, l.iam, cA.deliver, nil)
				l.must(err)
			}}}
			if failList {
				hook.failListAfterTag = true
			}
			_, err = pB.Execute(ctx, hook, cB.deliver, nil)
			if err == nil || fail.ExitCode(err) != fail.ExitFailed {
				t.Fatalf("run B: %v (exit %d), want exit 1", err, fail.ExitCode(err))
			}
			t.Logf("run B: %v", err)
			if len(cB.delivered) != 0 {
				t.Fatalf("run B delivered %v", cB.delivered)
			}
			if tags := l.tags("cron"); tags[rotate.TagKey] != "" {
				t.Fatalf("run B left its record %s=%s", rotate.TagKey, tags[rotate.TagKey])
			}
			keyA := cA.delivered[0]
			if got := l.activeKeys("cron"); !slices.Equal(got, []string{keyA}) {
				t.Fatalf("active keys %v, want only A's delivered %s", got, keyA)
			}
		})
	}
}

// listFailHook is a tagHook whose ListAccessKeys fails once this run wrote
// its record (failListAfterTag): a read lost to the network at that moment.
type listFailHook struct {
	tagHook
	failListAfterTag bool
	tagged           bool
}

func (h *listFailHook) TagUser(ctx context.Context, in *iam.TagUserInput, opts ...func(*iam.Options)) (*iam.TagUserOutput, error) {
	out, err := h.tagHook.TagUser(ctx, in, opts...)
	h.tagged = true
	return out, err
}

func (h *listFailHook) ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, opts ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	if h.failListAfterTag && h.tagged {
		h.failListAfterTag = false
		return nil, errors.New("connection reset (test)")
	}
	return h.tagHook.ListAccessKeys(ctx, in, opts...)
}

// A plan from a caller's read (apply's scan, rotate --all's discovery) whose
// tags were read before a rotation started and whose keys after it made its
// key sees two active keys. Before reporting a conflict ("deactivate the one
// no longer used", wrong while the other run delivers), Plan reads the user
// afresh and finds the rotation under way.
func TestRotatePlanFromStaleReadLooksAgainBeforeAConflict(t *testing.T) {
	l, _ := rotationScenario(t)
	ctx := context.Background()
	u, err := l.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("cron")})
	l.must(err)
	staleTags := u.User.Tags // read before the other run started
	// Another run is between CreateAccessKey and its delivery.
	hold := make(chan struct{})
	inDeliver := make(chan struct{})
	done := make(chan error, 1)
	pA, err := rotate.Plan(ctx, l.iam, rotate.Options{UserName: "cron", Regions: testRegions(t), Now: time.Now})
	l.must(err)
	go func() {
		_, err := pA.Execute(ctx, l.iam, func(context.Context, creds.CredentialSet) error { close(inDeliver); <-hold; return nil }, nil)
		done <- err
	}()
	<-inDeliver
	keys, err := iamapi.ListAccessKeys(ctx, l.iam, "cron") // read after it made its key
	l.must(err)
	_, err = rotate.Plan(ctx, l.iam, rotate.Options{UserName: "cron", Regions: testRegions(t), Now: time.Now, Classified: true,
		Known: &rotate.Known{ARN: aws.ToString(u.User.Arn), Keys: keys, Tags: staleTags}})
	close(hold)
	l.must(<-done)
	if err == nil || !strings.Contains(err.Error(), "may still be running") || strings.Contains(err.Error(), "two active access keys") {
		t.Fatalf("plan from the stale read: %v; want the rotation under way named", err)
	}
}

// planTwice plans the rotation of user cron twice, as two runs that read it
// at the same moment.
func planTwice(t *testing.T, l *lab) (a, b *rotate.Rotation) {
	t.Helper()
	in := rotate.Options{UserName: "cron", Regions: testRegions(t), Now: time.Now}
	a, err := rotate.Plan(context.Background(), l.iam, in)
	l.must(err)
	b, err = rotate.Plan(context.Background(), l.iam, in)
	l.must(err)
	return a, b
}
