package iamapi

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestLimiterWaitersFollowRateChanges: callers queued after a cut to a low
// rate must not keep the late start times of that rate when the limiter
// recovers (rate.Limiter's reservations did: with N callers queued at
// MinRate the last waited N/MinRate seconds whatever the rate became; a
// 64-slot batch under a 15/s limit took 12x the time,
// BenchmarkBatchRateLimit15Concurrency64).
func TestLimiterWaitersFollowRateChanges(t *testing.T) {
	l := NewAdaptiveLimiter()
	ctx := context.Background()
	if err := l.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	l.set(MinRate)
	l.mu.Unlock()
	start := time.Now()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); _ = l.Wait(ctx) }()
	}
	time.Sleep(100 * time.Millisecond)
	l.mu.Lock()
	l.set(1000) // recovered: 1000 calls a second
	l.mu.Unlock()
	wg.Wait()
	if d := time.Since(start); d > time.Second {
		t.Errorf("4 waiters took %s after the rate went back to 1000/s: queued waiters keep the start times reserved at %v/s", d.Round(time.Millisecond), MinRate)
	}
}
