package iamapi

import (
	"context"
	"math"
	"testing"
	"time"
)

// fakeClockLimiter is an AdaptiveLimiter on a clock the test moves.
func fakeClockLimiter(t *testing.T) (*AdaptiveLimiter, *time.Time) {
	t.Helper()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewAdaptiveLimiter()
	l.now = func() time.Time { return now }
	return l, &now
}

func TestAdaptiveLimiterAIMD(t *testing.T) {
	l, now := fakeClockLimiter(t)
	if r := l.Stats().Rate; !math.IsInf(r, 1) {
		t.Fatalf("starts at %v, want unlimited", r)
	}
	// 100 calls over one second: 100 calls/s observed.
	for range 100 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		*now = now.Add(10 * time.Millisecond)
	}
	l.Throttled()
	if r := l.Stats().Rate; math.Abs(r-50) > 1.5 {
		t.Fatalf("after Throttling at ~100/s: %v, want about half", r)
	}
	r0 := l.Stats().Rate
	// Calls that were in flight answer Throttling too: one decrease.
	*now = now.Add(throttleHoldoff / 2)
	l.Throttled()
	if s := l.Stats(); s.Rate != r0 || s.Throttled != 2 || s.Cuts != 1 {
		t.Fatalf("a second Throttling within the holdoff: %+v", s)
	}
	// Fast recovery, up to 90% of the rate IAM throttled at.
	*now = now.Add(time.Second)
	l.Succeeded()
	if r := l.Stats().Rate; math.Abs(r-0.9*l.ceiling) > 0.01 {
		t.Fatalf("after 1 s of answers: %v, want 90%% of %v", r, l.ceiling)
	}
	// Then slowly: a tenth of the ceiling a second.
	r1 := l.Stats().Rate
	*now = now.Add(500 * time.Millisecond)
	l.Succeeded()
	if r := l.Stats().Rate; math.Abs(r-(r1+0.05*l.ceiling)) > 0.01 {
		t.Fatalf("slow probe: %v, want %v", r, r1+0.05*l.ceiling)
	}
	// Throttled again, at the current limit (lower than observed): halves it.
	*now = now.Add(time.Second)
	r2 := l.Stats().Rate
	l.Throttled()
	if r := l.Stats().Rate; math.Abs(r-r2/2) > 0.01 {
		t.Fatalf("second cut: %v, want %v", r, r2/2)
	}
	// Long calm: the limiter lets go.
	for range 200 {
		*now = now.Add(time.Second)
		l.Succeeded()
	}
	if r := l.Stats().Rate; !math.IsInf(r, 1) {
		t.Fatalf("after 200 s without Throttling: %v, want unlimited again", r)
	}
}

func TestAdaptiveLimiterFloor(t *testing.T) {
	l, now := fakeClockLimiter(t)
	for range 40 {
		l.Throttled()
		*now = now.Add(time.Second)
	}
	if r := l.Stats().Rate; r != MinRate {
		t.Fatalf("after many cuts: %v, want the floor %v", r, MinRate)
	}
}

// The limit is enforced: at 20 calls/s, 11 calls take about half a second.
func TestAdaptiveLimiterPaces(t *testing.T) {
	l := NewAdaptiveLimiter()
	l.mu.Lock()
	l.ceiling = 20
	l.set(20)
	l.mu.Unlock()
	start := time.Now()
	for range 11 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 450*time.Millisecond {
		t.Fatalf("11 calls at 20/s took %s", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Wait(ctx); err == nil {
		t.Fatal("Wait ignores a cancelled context")
	}
}
