package provision_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/provision/rotate"
)

// store is a fleet's destination: it keeps what each user was handed.
type store struct {
	mu        sync.Mutex
	delivered map[string][]string // user -> keys, in delivery order
	refuse    string              // a user whose delivery fails
}

func newStore() *store { return &store{delivered: map[string][]string{}} }

func (s *store) deliver(_ context.Context, set creds.CredentialSet) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if set.UserName == s.refuse {
		return errRefused
	}
	s.delivered[set.UserName] = append(s.delivered[set.UserName], set.AccessKeyID)
	return nil
}

type refusedErr struct{}

func (refusedErr) Error() string { return "the store refused the write (test)" }

var errRefused = refusedErr{}

func (s *store) last(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.delivered[user]
	if len(d) == 0 {
		return ""
	}
	return d[len(d)-1]
}

func (s *store) has(user, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.delivered[user], id)
}

func fleetOpts(t testing.TB, users []string, now func() time.Time) rotate.FleetOptions {
	return rotate.FleetOptions{Users: users, Options: rotate.Options{Regions: testRegions(t), Now: now}}
}

func statuses(rs []rotate.UserResult) map[string]string {
	m := map[string]string{}
	for _, r := range rs {
		m[r.UserName] = r.Status
	}
	return m
}

func (l *lab) activeKeys(user string) []string {
	var out []string
	for id, st := range l.keys(user) {
		if st == types.StatusTypeActive {
			out = append(out, id)
		}
	}
	return out
}

// TestRotateFleetStatuses: each user of a fleet gets its own status; a
// conflict or failure on one leaves the others rotated.
func TestRotateFleetStatuses(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	old := l.smtpUser("old", 1)[0]
	l.smtpUser("two", 2)
	_, err := l.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("stranger")})
	l.must(err)
	l.smtpUser("refused", 1)
	l.clock.Advance(100 * 24 * time.Hour)
	l.smtpUser("fresh", 1)
	now := l.clock.Now

	s := newStore()
	s.refuse = "refused"
	fo := fleetOpts(t, []string{"old", "two", "stranger", "refused", "fresh", "missing"}, now)
	fo.OlderThan = 90 * 24 * time.Hour
	var reported []string
	res := rotate.RunFleet(ctx, l.iam, fo, s.deliver, nil, func(r rotate.UserResult) { reported = append(reported, r.UserName) })
	want := map[string]string{"old": "rotated", "two": "conflict", "stranger": "conflict", "refused": "failed", "fresh": "fresh", "missing": "failed"}
	if got := statuses(res); !maps.Equal(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	if len(reported) != len(fo.Users) {
		t.Fatalf("reported %v", reported)
	}
	if a := l.activeKeys("old"); len(a) != 1 || a[0] != s.last("old") || a[0] == old {
		t.Fatalf("old: active %v, delivered %v", a, s.delivered["old"])
	}
	if a := l.activeKeys("refused"); len(a) != 1 || len(l.keys("refused")) != 1 {
		t.Fatalf("refused: the undelivered key must be gone and the old one active: %v", l.keys("refused"))
	}
	for _, r := range res {
		if r.Status == "conflict" || r.Status == "failed" {
			if r.Error == "" {
				t.Errorf("%s: %s without a reason", r.UserName, r.Status)
			}
		}
	}
}

// graceRun rotates user at now with a grace period.
func graceRun(t *testing.T, l *lab, s *store, user string, now time.Time, force bool) rotate.UserResult {
	t.Helper()
	fo := fleetOpts(t, []string{user}, func() time.Time { return now })
	fo.Grace, fo.Force = 24*time.Hour, force
	return rotate.RunFleet(context.Background(), l.iam, fo, s.deliver, nil, nil)[0]
}

// TestRotateGraceKeepsOldKeyThenRetires walks the timeline: delivery (both
// keys active, recorded with the time), a run inside the grace period
// (nothing changes), a run after it (the old key retired, no new key).
func TestRotateGraceKeepsOldKeyThenRetires(t *testing.T) {
	l := newLab(t)
	old := l.smtpUser("app", 1)[0]
	s := newStore()
	t0 := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)

	r := graceRun(t, l, s, "app", t0, false)
	if r.Status != rotate.StatusRotated || r.WaitUntil == nil || !r.WaitUntil.Equal(t0.Add(24*time.Hour-rotate.SchedulerSlack)) {
		t.Fatalf("first run: %+v", r)
	}
	if a := l.activeKeys("app"); len(a) != 2 {
		t.Fatalf("during the grace period both keys stay active: %v", l.keys("app"))
	}
	if tag := l.tags("app")[rotate.TagKey]; tag != "delivered:"+r.NewKeyID+"@2026-03-01T02:00:00Z@24h0m0s" {
		t.Fatalf("record %q", tag)
	}

	l.srv.ResetCalls()
	if r := graceRun(t, l, s, "app", t0.Add(time.Hour), false); r.Status != rotate.StatusWaiting {
		t.Fatalf("inside the grace period: %+v", r)
	}
	if m := mutations(l.srv.Calls()); len(m) != 0 {
		t.Fatalf("a waiting run changed IAM: %v", m)
	}

	// A daily schedule fires a few seconds short of 24 h: the slack counts it.
	r = graceRun(t, l, s, "app", t0.Add(24*time.Hour-time.Minute), false)
	if r.Status != rotate.StatusRetired || !slices.Equal(r.Retired, []string{old}) {
		t.Fatalf("after the grace period: %+v", r)
	}
	if a := l.activeKeys("app"); len(a) != 1 || a[0] != s.last("app") || len(s.delivered["app"]) != 1 {
		t.Fatalf("after retiring: active %v, delivered %v", a, s.delivered["app"])
	}
	if _, ok := l.tags("app")[rotate.TagKey]; ok {
		t.Fatal("record left after retiring")
	}
}

// TestRotateGraceInUseIsAConflict: the old key used late in the grace
// period (as IAM reports it) is left active and reported with when, where
// and by what; --force retires it.
func TestRotateGraceInUseIsAConflict(t *testing.T) {
	l := newLab(t)
	old := l.smtpUser("app", 1)[0]
	s := newStore()
	t0 := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	graceRun(t, l, s, "app", t0, false)

	// A use early in the grace period is a sender switching over: fine.
	l.must(l.srv.SetKeyLastUsed(old, t0.Add(2*time.Hour), "ses", "eu-west-1"))
	l.must(l.srv.SetKeyLastUsed(old, t0.Add(21*time.Hour), "ses", "eu-west-1"))
	r := graceRun(t, l, s, "app", t0.Add(25*time.Hour), false)
	if r.Status != rotate.StatusConflict {
		t.Fatalf("a key used late in the grace period: %+v", r)
	}
	for _, want := range []string{old, "2026-03-01T23:00:00Z", "eu-west-1", "ses", "--force"} {
		if !strings.Contains(r.Error, want) {
			t.Errorf("conflict does not say %q: %s", want, r.Error)
		}
	}
	if l.keys("app")[old] != types.StatusTypeActive {
		t.Fatal("the key in use was retired")
	}
	if r := graceRun(t, l, s, "app", t0.Add(25*time.Hour), true); r.Status != rotate.StatusRetired {
		t.Fatalf("--force: %+v", r)
	}
	if l.keys("app")[old] != types.StatusTypeInactive {
		t.Fatal("--force did not retire the old key")
	}
}

// TestRotateGraceEarlyUseAndOldRecord: a use early in the grace period is
// not a conflict; an older record without a time is finished, checking the
// last ReportingMargin.
func TestRotateGraceEarlyUseAndOldRecord(t *testing.T) {
	l := newLab(t)
	old := l.smtpUser("app", 1)[0]
	s := newStore()
	t0 := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	first := graceRun(t, l, s, "app", t0, false)
	l.must(l.srv.SetKeyLastUsed(old, t0.Add(3*time.Hour), "ses", "us-east-1"))
	if r := graceRun(t, l, s, "app", t0.Add(24*time.Hour), false); r.Status != rotate.StatusRetired {
		t.Fatalf("used only early in the grace period: %+v", r)
	}

	// The older form delivered:<NEW>: retired unless used in the last margin.
	_, err := l.iam.UpdateAccessKey(context.Background(), &iam.UpdateAccessKeyInput{UserName: aws.String("app"), AccessKeyId: aws.String(old), Status: types.StatusTypeActive})
	l.must(err)
	_, err = l.iam.TagUser(context.Background(), tagInput("app", rotate.TagKey, "delivered:"+first.NewKeyID))
	l.must(err)
	at := t0.Add(48 * time.Hour)
	l.must(l.srv.SetKeyLastUsed(old, at.Add(-time.Hour), "ses", "us-east-1"))
	if r := graceRun(t, l, s, "app", at, false); r.Status != rotate.StatusConflict {
		t.Fatalf("old record, key used an hour ago: %+v", r)
	}
	l.must(l.srv.SetKeyLastUsed(old, at.Add(-5*time.Hour), "ses", "us-east-1"))
	if r := graceRun(t, l, s, "app", at, false); r.Status != rotate.StatusRetired {
		t.Fatalf("old record, key unused for 5 h: %+v", r)
	}
}

// TestRotateFleetOneUserFailingAtEveryCall makes each IAM call of one user's
// rotation fail in turn (the others go on), then runs the fleet again.
func TestRotateFleetOneUserFailingAtEveryCall(t *testing.T) {
	users := []string{"a", "b", "c"}
	ref := newLab(t)
	for _, u := range users {
		ref.smtpUser(u, 1)
	}
	ref.srv.ResetCalls()
	fo := fleetOpts(t, users, laterThanLastRun)
	fo.Concurrency = 1
	rotate.RunFleet(context.Background(), ref.iam, fo, newStore().deliver, nil, nil)
	for _, p := range userCallPoints(ref.srv.Calls(), "b") {
		t.Run(p.String(), func(t *testing.T) {
			l := newLab(t)
			olds := map[string]string{}
			for _, u := range users {
				olds[u] = l.smtpUser(u, 1)[0]
			}
			s := newStore()
			// Counted from the fleet's first call: the Nth call is b's.
			l.srv.Inject(iamfake.Fault{Action: p.Action, Nth: p.Nth, Code: "AccessDenied", Message: "injected"})
			res := rotate.RunFleet(context.Background(), l.iam, fo, s.deliver, nil, nil)
			if st := statuses(res); st["a"] != "rotated" || st["c"] != "rotated" {
				t.Fatalf("the other users: %v", st)
			}
			checkFleetSafe(t, l, s, users, olds)
			l.srv.ClearFaults()
			res = rotate.RunFleet(context.Background(), l.iam, fleetOpts(t, users, laterThanLastRun), s.deliver, nil, nil)
			checkFleetDone(t, l, s, users, olds, res)
		})
	}
}

// TestRotateFleetKilledAtEveryCall kills the process right after each IAM
// call of a fleet rotation (no rollback runs), and once right after a
// delivery, then runs the fleet again: with no grace period, and with one
// (the rotation, then the run that retires the superseded keys).
func TestRotateFleetKilledAtEveryCall(t *testing.T) {
	users := []string{"a", "b"}
	t0 := fleetT0
	for _, grace := range []time.Duration{0, 24 * time.Hour} {
		for _, phase := range []time.Duration{0, 25 * time.Hour} {
			if grace == 0 && phase > 0 {
				continue
			}
			killFleetPhase(t, users, grace, t0, t0.Add(phase))
		}
	}
}

// killFleetPhase kills the fleet run at at after each of its calls; with a
// grace period and at past it, the users were rotated (at t0) beforehand.
func killFleetPhase(t *testing.T, users []string, grace time.Duration, t0, at time.Time) {
	setup := func(t *testing.T) (*lab, *store, map[string]string) {
		l := newLab(t)
		olds := map[string]string{}
		for _, u := range users {
			olds[u] = l.smtpUser(u, 1)[0]
		}
		s := newStore()
		if at.After(t0) {
			for _, r := range rotate.RunFleet(context.Background(), l.iam, graceFleet(t, users, grace, t0), s.deliver, nil, nil) {
				if r.Status != rotate.StatusRotated {
					t.Fatalf("setup: %+v", r)
				}
			}
		}
		l.srv.ResetCalls()
		return l, s, olds
	}
	ref, refStore, _ := setup(t)
	rotate.RunFleet(context.Background(), ref.iam, graceFleet(t, users, grace, at), refStore.deliver, nil, nil)
	points := append(callPoints(ref.srv.Calls()), callPoint{Action: "deliver"})
	for _, p := range points {
		t.Run(fmt.Sprintf("grace=%s/at=%s/%s", grace, at.Sub(t0), p), func(t *testing.T) {
			l, s, olds := setup(t)
			k := &killer{action: p.Action, nth: p.Nth}
			deliver := s.deliver
			if p.Action == "deliver" {
				deliver = func(ctx context.Context, set creds.CredentialSet) error {
					err := s.deliver(ctx, set)
					k.kill()
					return err
				}
			}
			rotate.RunFleet(context.Background(), k.client(l.cfg), graceFleet(t, users, grace, at), deliver, nil, nil)
			checkFleetSafe(t, l, s, users, olds)
			// The re-run comes later than the started record's lease, and
			// (with a grace period) past the grace of any delivery.
			later := at.Add(time.Hour)
			if grace > 0 {
				res := rotate.RunFleet(context.Background(), l.iam, graceFleet(t, users, grace, later), s.deliver, nil, nil)
				checkFleetSafe(t, l, s, users, olds)
				for _, r := range res {
					if r.Status == rotate.StatusFailed || r.Status == rotate.StatusConflict {
						t.Fatalf("re-run: %+v", r)
					}
				}
				later = later.Add(25 * time.Hour)
			}
			res := rotate.RunFleet(context.Background(), l.iam, graceFleet(t, users, grace, later), s.deliver, nil, nil)
			checkFleetDone(t, l, s, users, olds, res)
		})
	}
}

// fleetT0 is the lab's clock: the users' keys are made then.
var fleetT0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// graceFleet is a fleet run at now, one user at a time. Past fleetT0 with a
// grace period it rotates keys older than 90 days only, as a scheduled run
// does: the runs after a rotation retire, they do not rotate again.
func graceFleet(t testing.TB, users []string, grace time.Duration, now time.Time) rotate.FleetOptions {
	fo := fleetOpts(t, users, func() time.Time { return now })
	fo.Grace, fo.Concurrency = grace, 1
	if grace > 0 && now.After(fleetT0) {
		fo.OlderThan = 90 * 24 * time.Hour
	}
	return fo
}

// userCallPoints are the call points of a fleet run (one user at a time)
// from the first call naming user to the last.
func userCallPoints(calls []iamfake.Call, user string) []callPoint {
	first, last := -1, -1
	for i, c := range calls {
		if c.Params["UserName"] == user {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	return callPoints(calls)[first : last+1]
}

// checkFleetSafe: after any cut, every user has a working key (its old one
// or one it was handed) and no active key whose secret reached no one.
func checkFleetSafe(t *testing.T, l *lab, s *store, users []string, olds map[string]string) {
	t.Helper()
	for _, u := range users {
		active := l.activeKeys(u)
		if len(active) == 0 {
			t.Fatalf("user %s has no working key: %v", u, l.keys(u))
		}
		working := false
		for _, id := range active {
			if id == olds[u] || s.has(u, id) {
				working = true
			}
		}
		if !working {
			t.Fatalf("user %s: no active key was delivered or was its own: %v, delivered %v", u, l.keys(u), s.delivered[u])
		}
	}
}

// checkFleetDone: the re-run leaves each user exactly one active key, the
// last delivered (or its own, if none was), no record, and never more than two keys made per user.
func checkFleetDone(t *testing.T, l *lab, s *store, users []string, olds map[string]string, res []rotate.UserResult) {
	t.Helper()
	for _, r := range res {
		if r.Status != rotate.StatusRotated && r.Status != rotate.StatusRetired && r.Status != rotate.StatusFresh {
			t.Fatalf("re-run: %+v", r)
		}
	}
	made := map[string]int{}
	for _, c := range l.srv.Calls() {
		if c.Action == "CreateAccessKey" && c.Code == "" {
			made[c.Params["UserName"]]++
		}
	}
	for _, u := range users {
		want := s.last(u)
		if want == "" {
			want = olds[u] // never rotated (fresh at the re-run): its own key
		}
		if a := l.activeKeys(u); len(a) != 1 || a[0] != want {
			t.Fatalf("user %s: active %v, delivered %v", u, a, s.delivered[u])
		}
		if _, ok := l.tags(u)[rotate.TagKey]; ok {
			t.Fatalf("user %s: record left", u)
		}
		if made[u] > 3 {
			t.Fatalf("user %s: %d keys made (its own, a lost one, the re-run's at most)", u, made[u])
		}
	}
}

var _ iamapi.IAM = (*iam.Client)(nil)

// rotate --all plans from what discovery read, which can be minutes old by
// the time a user's turn comes. A user rotated by another run in between
// (its record written and removed again) must not get a second key: its
// rotation stops with nothing changed, and the others are rotated.
func TestRotateAllStaleDiscoveryChangesNothing(t *testing.T) {
	l := newLab(t)
	names := []string{"a", "b", "c"}
	for _, n := range names {
		l.smtpUser(n, 1)
	}
	ctx := context.Background()
	found, err := rotate.Discover(ctx, l.iam, "", "", 4)
	l.must(err)
	if len(found.Known) != len(names) {
		t.Fatalf("discovered %d users whole, want %d", len(found.Known), len(names))
	}
	// Another run rotates b after discovery.
	other := newStore()
	p, err := rotate.Plan(ctx, l.iam, rotate.Options{UserName: "b", Regions: testRegions(t), Now: time.Now})
	l.must(err)
	_, err = p.Execute(ctx, l.iam, other.deliver, nil)
	l.must(err)

	s := newStore()
	fo := fleetOpts(t, found.Names, time.Now)
	fo.Known, fo.Classified = found.Known, true
	rs := rotate.RunFleet(ctx, l.iam, fo, s.deliver, nil, nil)
	got := statuses(rs)
	if want := map[string]string{"a": rotate.StatusRotated, "b": rotate.StatusFailed, "c": rotate.StatusRotated}; !maps.Equal(got, want) {
		t.Fatalf("statuses %v, want %v (%+v)", got, want, rs)
	}
	if !strings.Contains(rs[1].Error, "access keys changed since this run read them") {
		t.Errorf("b: %s", rs[1].Error)
	}
	if s.last("b") != "" {
		t.Errorf("b was delivered %s", s.last("b"))
	}
	if got := l.activeKeys("b"); !slices.Equal(got, []string{other.last("b")}) {
		t.Errorf("b: active keys %v, want only the other run's %s", got, other.last("b"))
	}
	if tags := l.tags("b"); tags[rotate.TagKey] != "" {
		t.Errorf("b: tag %s=%s left", rotate.TagKey, tags[rotate.TagKey])
	}
	for _, n := range []string{"a", "c"} {
		if got := l.activeKeys(n); !slices.Equal(got, []string{s.last(n)}) {
			t.Errorf("%s: active keys %v, stored %s", n, got, s.last(n))
		}
	}
}
