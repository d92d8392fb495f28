package provision_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/provision/rotate"
)

// rotateBudget is the IAM calls of one user's rotation in a fleet (rotate
// --all: list's discovery classified the users). The floor is three IAM
// calls and the delivery: CreateAccessKey, the record (TagUser
// delivered:<NEW>@<T>), retiring the old key (UpdateAccessKey). The others
// buy:
//
//	GetUser            the user's ARN for the credential set; "no such user" named
//	ListAccessKeys ×2  the plan: which keys exist, which is active, their age
//	                   (1); after writing started:, the keys are still those the
//	                   record names (another run may have made, delivered and
//	                   untagged a key since the plan read them: the tag alone
//	                   would look unchanged). A plan that deletes or retires a
//	                   key it read (make room, finish), or one from a caller's
//	                   read (--all), also checks them before the first change.
//	ListUserTags ×5    the record and regions (1); before the first change, after
//	                   writing started: (IAM has no compare-and-set, so the read
//	                   back is how two runs find out about each other), before
//	                   delivering and before recording the delivery (1 each)
//	TagUser started:   names the keys before CreateAccessKey, so a re-run after
//	                   a kill knows which key never got out
//	UntagUser          clears the record
var rotateBudget = map[string]int{
	"GetUser": 1, "ListAccessKeys": 2, "ListUserTags": 5, "TagUser": 2,
	"CreateAccessKey": 1, "UpdateAccessKey": 1, "UntagUser": 1,
}

// With --grace the rotation stops after the record (no UpdateAccessKey, no
// UntagUser), a run inside the grace period only reads, and the run after it
// reads the superseded key's last use once before retiring it.
var (
	// From the second rotation on, the key the one before deactivated is
	// deleted to make room (IAM allows two): DeleteAccessKey, once a
	// ListAccessKeys shows it still inactive (the plan may be minutes old).
	graceRotateBudget = map[string]int{"GetUser": 1, "ListAccessKeys": 3, "ListUserTags": 5, "TagUser": 2, "CreateAccessKey": 1, "DeleteAccessKey": 1}
	graceWaitBudget   = map[string]int{"GetUser": 1, "ListAccessKeys": 1, "ListUserTags": 1}
	graceRetireBudget = map[string]int{"GetUser": 1, "ListAccessKeys": 2, "ListUserTags": 2, "GetAccessKeyLastUsed": 1, "UpdateAccessKey": 1, "UntagUser": 1}
	freshBudget       = map[string]int{"GetUser": 1, "ListAccessKeys": 1, "ListUserTags": 1}
)

// perUser counts calls by action and divides by n, failing on a remainder.
func perUser(t *testing.T, calls []iamfake.Call, n int) map[string]int {
	t.Helper()
	total := map[string]int{}
	for _, c := range calls {
		total[c.Action]++
	}
	out := map[string]int{}
	for a, k := range total {
		if k%n != 0 {
			t.Fatalf("%s called %d times for %d users", a, k, n)
		}
		out[a] = k / n
	}
	return out
}

func checkBudget(t *testing.T, what string, got, want map[string]int) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Errorf("%s: IAM calls per user %v, budget %v", what, got, want)
	}
}

// TestRotateFleetCallBudget asserts the IAM calls per user of each kind of
// fleet run, counted in iamfake's call log.
func TestRotateFleetCallBudget(t *testing.T) {
	const n = 5
	l := newLab(t)
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("u%d", i))
		l.smtpUser(names[i], 1)
	}
	ctx := context.Background()
	run := func(now time.Time, grace, olderThan time.Duration) []rotate.UserResult {
		l.srv.ResetCalls()
		fo := fleetOpts(t, names, func() time.Time { return now })
		fo.Classified, fo.Grace, fo.OlderThan = true, grace, olderThan
		return rotate.RunFleet(ctx, l.iam, fo, newStore().deliver, nil, nil)
	}
	// The fake's clock moves with the runs: keys are made when they run.
	t0 := fleetT0.Add(100 * 24 * time.Hour)
	l.clock.Advance(t0.Sub(fleetT0))
	wantStatus(t, run(t0, 0, 90*24*time.Hour), rotate.StatusRotated)
	checkBudget(t, "rotate", perUser(t, l.srv.Calls(), n), rotateBudget)
	// The floor: CreateAccessKey, TagUser delivered:, UpdateAccessKey.
	t.Logf("rotate: %d IAM calls per user (floor 3 and the delivery)", sum(rotateBudget))

	wantStatus(t, run(t0.Add(time.Hour), 0, 90*24*time.Hour), rotate.StatusFresh)
	checkBudget(t, "fresh", perUser(t, l.srv.Calls(), n), freshBudget)

	t1 := t0.Add(200 * 24 * time.Hour)
	l.clock.Advance(t1.Sub(t0))
	wantStatus(t, run(t1, 24*time.Hour, 90*24*time.Hour), rotate.StatusRotated)
	checkBudget(t, "rotate --grace", perUser(t, l.srv.Calls(), n), graceRotateBudget)
	wantStatus(t, run(t1.Add(time.Hour), 24*time.Hour, 90*24*time.Hour), rotate.StatusWaiting)
	checkBudget(t, "inside the grace period", perUser(t, l.srv.Calls(), n), graceWaitBudget)
	wantStatus(t, run(t1.Add(25*time.Hour), 24*time.Hour, 90*24*time.Hour), rotate.StatusRetired)
	checkBudget(t, "after the grace period", perUser(t, l.srv.Calls(), n), graceRetireBudget)
}

// TestRotateAllCallBudget is the same runs for users found by Discover
// (rotate --all): the plan takes what list read (ARN, keys, tags), so a
// rotation reads none of it again, and a user with nothing due, or inside
// its grace period, costs no call beyond discovery.
func TestRotateAllCallBudget(t *testing.T) {
	const n = 5
	l := newLab(t)
	for i := range n {
		l.smtpUser(fmt.Sprintf("u%d", i), 1)
	}
	ctx := context.Background()
	run := func(now time.Time, grace, olderThan time.Duration) []rotate.UserResult {
		found, err := rotate.Discover(ctx, l.iam, "", "", 4)
		l.must(err)
		if len(found.Names) != n || len(found.Known) != n {
			t.Fatalf("discovered %v, %d read whole", found.Names, len(found.Known))
		}
		l.srv.ResetCalls() // discovery's calls are list's (TestScanCallBudget)
		fo := fleetOpts(t, found.Names, func() time.Time { return now })
		fo.Known, fo.Classified, fo.Grace, fo.OlderThan = found.Known, true, grace, olderThan
		return rotate.RunFleet(ctx, l.iam, fo, newStore().deliver, nil, nil)
	}
	t0 := fleetT0.Add(100 * 24 * time.Hour)
	l.clock.Advance(t0.Sub(fleetT0))
	wantStatus(t, run(t0, 0, 90*24*time.Hour), rotate.StatusRotated)
	checkBudget(t, "rotate", perUser(t, l.srv.Calls(), n), allRotateBudget)
	t.Logf("rotate --all: %d IAM calls per user after discovery (%d without it)", sum(allRotateBudget), sum(rotateBudget))

	wantStatus(t, run(t0.Add(time.Hour), 0, 90*24*time.Hour), rotate.StatusFresh)
	checkBudget(t, "fresh", perUser(t, l.srv.Calls(), n), map[string]int{})

	t1 := t0.Add(200 * 24 * time.Hour)
	l.clock.Advance(t1.Sub(t0))
	wantStatus(t, run(t1, 24*time.Hour, 90*24*time.Hour), rotate.StatusRotated)
	checkBudget(t, "rotate --grace", perUser(t, l.srv.Calls(), n), allGraceRotateBudget)
	wantStatus(t, run(t1.Add(time.Hour), 24*time.Hour, 90*24*time.Hour), rotate.StatusWaiting)
	checkBudget(t, "inside the grace period", perUser(t, l.srv.Calls(), n), map[string]int{})
	wantStatus(t, run(t1.Add(25*time.Hour), 24*time.Hour, 90*24*time.Hour), rotate.StatusRetired)
	checkBudget(t, "after the grace period", perUser(t, l.srv.Calls(), n), allGraceRetireBudget)
}

// The budgets of users found by Discover: rotateBudget and its kin less the
// plan's reads (GetUser, ListAccessKeys, ListUserTags).
var (
	allRotateBudget = map[string]int{
		"ListAccessKeys": 2, "ListUserTags": 4, "TagUser": 2,
		"CreateAccessKey": 1, "UpdateAccessKey": 1, "UntagUser": 1,
	}
	allGraceRotateBudget = map[string]int{"ListAccessKeys": 2, "ListUserTags": 4, "TagUser": 2, "CreateAccessKey": 1, "DeleteAccessKey": 1}
	allGraceRetireBudget = map[string]int{"ListAccessKeys": 1, "ListUserTags": 1, "GetAccessKeyLastUsed": 1, "UpdateAccessKey": 1, "UntagUser": 1}
)

func wantStatus(t *testing.T, rs []rotate.UserResult, want string) {
	t.Helper()
	for _, r := range rs {
		if r.Status != want {
			t.Fatalf("%s: %s (%s), want %s", r.UserName, r.Status, r.Error, want)
		}
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, k := range m {
		n += k
	}
	return n
}

// BenchmarkRotateAllLatency20ms is rotate --all (list's discovery, then the
// fleet) of 200 users at 20 ms per IAM call, default concurrency, over
// loopback HTTP with the AdaptiveLimiter installed as NewClients does.
// x_ideal is the elapsed time over (IAM calls answered × 20 ms / concurrency).
// Target: ≤ 1.2.
func BenchmarkRotateAllLatency20ms(b *testing.B) {
	const users, latency = 200, 20 * time.Millisecond
	conc := rotate.DefaultConcurrency
	var ratio float64
	for range b.N {
		srv, cfg := iamfaketest.Start(b)
		lab := &lab{t: b, srv: srv, cfg: cfg, iam: iam.NewFromConfig(cfg)}
		for i := range users {
			lab.smtpUser(fmt.Sprintf("bench-%03d", i), 1)
		}
		lim := iamapi.NewAdaptiveLimiter()
		client := iam.NewFromConfig(cfg, lim.IAMOption())
		srv.ResetCalls()
		srv.SetLatency(latency)
		ctx := context.Background()
		start := time.Now()
		found, err := rotate.Discover(ctx, client, "", "", conc)
		if err != nil || len(found.Names) != users || len(found.Known) != users {
			b.Fatalf("discover: %d users (%d read whole), %v", len(found.Names), len(found.Known), err)
		}
		discovered := len(srv.Calls())
		discoverTook := time.Since(start)
		fo := rotate.FleetOptions{Users: found.Names, Known: found.Known, Options: rotate.Options{Regions: testRegions(b), Classified: true}}
		res := rotate.RunFleet(ctx, client, fo, newStore().deliver, nil, nil)
		elapsed := time.Since(start)
		wantStatusB(b, res)
		calls := len(srv.Calls())
		ideal := time.Duration(calls) * latency / time.Duration(conc)
		ratio += float64(elapsed) / float64(ideal)
		rotateTook := elapsed - discoverTook
		rotateIdeal := time.Duration(calls-discovered) * latency / time.Duration(conc)
		b.ReportMetric(float64(rotateTook)/float64(rotateIdeal), "x_ideal_rotate")
		b.ReportMetric(float64(calls-discovered)/users, "rotate_calls/user")
		b.ReportMetric(float64(discovered)/users, "discover_calls/user")
		b.Logf("%d users, concurrency %d, 20 ms/call: %s for %d calls, ideal %s; discovery %s for %d calls; rotation %s, ideal %s; calls by action %v",
			users, conc, elapsed.Round(time.Millisecond), calls, ideal.Round(time.Millisecond), discoverTook.Round(time.Millisecond), discovered,
			rotateTook.Round(time.Millisecond), rotateIdeal.Round(time.Millisecond), actions(srv.Calls()))
	}
	b.ReportMetric(ratio/float64(b.N), "x_ideal")
}

func wantStatusB(b *testing.B, rs []rotate.UserResult) {
	for _, r := range rs {
		if r.Status != rotate.StatusRotated {
			b.Fatalf("%s: %s %s", r.UserName, r.Status, r.Error)
		}
	}
}

func actions(calls []iamfake.Call) string {
	m := map[string]int{}
	for _, c := range calls {
		m[c.Action]++
	}
	var out string
	for _, a := range slices.Sorted(maps.Keys(m)) {
		out += fmt.Sprintf("%s=%d ", a, m[a])
	}
	return out
}
