package iamapi

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// IAM publishes no request rate and its limits cannot be raised: the only
// signal is a Throttling answer. So every IAM call of a run goes through one
// AdaptiveLimiter, installed as middleware on the IAM client by NewClients:
// create-user's batches, list, migrate and delete-user share it, and a
// Throttling answer to one slows all of them.
//
// The limiter is AIMD over a one-call bucket: a call may start 1/rate after
// the previous one started. Waiting callers hold no reservation: each sleeps
// until the next free start (or until the rate changes, whichever is first)
// and then competes for it again. A reservation taken at a low rate (as
// golang.org/x/time/rate's Wait takes one) would keep its late start after
// the rate recovered: 64 callers queued at MinRate would wait 128 s whatever
// the rate became.
//
//   - it starts unlimited: until IAM throttles, the only bound is the
//     caller's concurrency (a slow distant endpoint is then used fully);
//   - on Throttling it halves: the new rate is half the rate calls were
//     actually started at over the last second (or half the current limit,
//     if lower). Throttling answers to calls that were already in flight
//     count once (one decrease per holdoff);
//   - on every answer that is not Throttling it recovers additively: fast
//     (half the rate IAM last throttled at, per second) up to 90% of that
//     rate, then slowly (a tenth of it per second) to probe for more. IAM's
//     limit is reached again in about a second, and the average rate stays
//     close to it instead of the 75% a plain sawtooth would give;
//   - past MaxRate it goes back to unlimited.
//
// The throttled call itself is sent again by the same middleware, through the
// limiter, with backoff when the same call is throttled again, for up to
// ThrottleBudget per call (and never beyond ctx), rather than by the SDK
// retryer. CreateAccessKey is the exception: its Throttling answer is
// returned (after the limiter slowed down) to CreateAccessKeyAfter, which
// lists the user's keys for one made anyway before it calls again, within
// the same budget. IAM is not known to act before it throttles, but if it
// ever did, a re-send here would make a second key and lose the first
// one's secret.
type AdaptiveLimiter struct {
	mu       sync.Mutex
	limit    float64       // current rate; +Inf = unlimited
	lastTake time.Time     // when the last call was let start
	nextFree time.Time     // when the next call may start (lastTake + 1/limit)
	changed  chan struct{} // closed (and replaced) when the rate changes
	ceiling  float64       // the rate IAM last throttled at (0: never)
	lastCut  time.Time
	lastGain time.Time
	starts   []time.Time // ring of recent call starts, to measure the rate
	next     int

	// stats
	calls, throttled, cuts int64
	minSeen                float64

	now func() time.Time
}

// Limiter tuning. MinRate keeps a run moving under heavy throttling (the
// per-call backoff then spaces the retries); MaxRate is where the limiter
// lets go.
const (
	MinRate          = 0.5  // calls a second
	MaxRate          = 2000 // calls a second; above: unlimited
	throttleHoldoff  = 250 * time.Millisecond
	calmPeriod       = 2 * time.Second
	unmeasuredRate   = 20 // calls a second, assumed when Throttling comes before any measure
	rateWindow       = time.Second
	startRing        = 4096
	wakeSlack        = 20 * time.Millisecond
	fastGainFraction = 0.5 // of the ceiling per second, below 90% of it
	slowGainFraction = 0.1 // of the ceiling per second, above
)

// ThrottleBudget bounds how long one call keeps being sent again while IAM
// answers Throttling. Past it the Throttling error is returned and not
// retried further by the SDK.
var ThrottleBudget = 5 * time.Minute

// NewAdaptiveLimiter returns an unlimited limiter that adapts to Throttling.
func NewAdaptiveLimiter() *AdaptiveLimiter {
	return &AdaptiveLimiter{
		limit:   math.Inf(1),
		changed: make(chan struct{}),
		starts:  make([]time.Time, startRing),
		now:     time.Now,
	}
}

// Wait blocks until the next call may start (or ctx is done).
func (l *AdaptiveLimiter) Wait(ctx context.Context) error {
	for {
		l.mu.Lock()
		now := l.now()
		if !now.Before(l.nextFree) {
			l.take(now)
			l.mu.Unlock()
			return nil
		}
		wait, changed := l.nextFree.Sub(now), l.changed
		l.mu.Unlock()
		// Sleep until the free start, or until the rate changes (it is then
		// recomputed), and compete for it again: no start time is kept.
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-changed:
			t.Stop()
		case <-t.C:
		}
	}
}

// take lets a call start at now. A caller that woke up a little late keeps
// the schedule (timer slack would otherwise slow every paced run). Caller
// holds mu.
func (l *AdaptiveLimiter) take(now time.Time) {
	base := now
	if !l.nextFree.IsZero() && now.Sub(l.nextFree) < wakeSlack {
		base = l.nextFree
	}
	l.lastTake = base
	l.nextFree = base.Add(l.interval())
	l.starts[l.next] = now
	l.next = (l.next + 1) % len(l.starts)
	l.calls++
}

// interval is the time between two starts at the current rate. Caller
// holds mu.
func (l *AdaptiveLimiter) interval() time.Duration {
	if math.IsInf(l.limit, 1) || l.limit <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / l.limit)
}

// recentRate is the rate calls were started at over the last rateWindow
// (or since the first call, early in a run). Caller holds mu.
func (l *AdaptiveLimiter) recentRate(now time.Time) float64 {
	n := 0
	oldest := now
	for _, t := range l.starts {
		if !t.IsZero() && now.Sub(t) <= rateWindow {
			n++
			if t.Before(oldest) {
				oldest = t
			}
		}
	}
	if n < 2 {
		return 0
	}
	span := max(now.Sub(oldest), 50*time.Millisecond)
	return float64(n) / span.Seconds()
}

// Throttled records a Throttling answer: the rate halves (once per holdoff).
func (l *AdaptiveLimiter) Throttled() { l.throttledAt(time.Time{}) }

// throttledAt records a Throttling answer to a call started at start. The
// holdoff keeps the answers to calls sent before the last cut from cutting
// again; a call sent after it, at the lower rate, and still throttled says
// the rate is still too high and cuts at once. (With many calls in flight,
// a run that starts unlimited would otherwise send hundreds a second for
// the several holdoffs the halving takes to come down.)
func (l *AdaptiveLimiter) throttledAt(start time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.throttled++
	now := l.now()
	sentAfterCut := !start.IsZero() && start.After(l.lastCut)
	if !l.lastCut.IsZero() && now.Sub(l.lastCut) < throttleHoldoff && !sentAfterCut {
		return
	}
	// The rate calls really went at, when there were enough of them to
	// tell; else the limit; else (the very first calls) a modest guess.
	base := l.limit
	if observed := l.recentRate(now); observed > 0 && observed < base {
		base = observed
	}
	if math.IsInf(base, 1) {
		base = unmeasuredRate
	}
	l.ceiling = base
	l.set(math.Max(MinRate, base/2))
	l.lastCut, l.lastGain = now, now
	l.cuts++
}

// Succeeded records an answer that was not Throttling: the rate recovers.
func (l *AdaptiveLimiter) Succeeded() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if math.IsInf(l.limit, 1) {
		return
	}
	now := l.now()
	dt := now.Sub(l.lastGain).Seconds()
	l.lastGain = now
	if dt <= 0 {
		return
	}
	gain := slowGainFraction
	if l.limit < 0.9*l.ceiling {
		gain = fastGainFraction
	}
	// A rate that has held for a while is the new reference: the probe
	// then grows with it (about 10% a second) instead of creeping.
	if now.Sub(l.lastCut) > calmPeriod && l.limit > l.ceiling {
		l.ceiling, l.lastCut = l.limit, now
	}
	next := l.limit + gain*math.Max(l.ceiling, 2*MinRate)*dt
	if l.limit < 0.9*l.ceiling {
		next = math.Min(next, 0.9*l.ceiling)
	}
	if next > MaxRate {
		next = math.Inf(1)
	}
	l.set(next)
}

// set changes the rate: the next free start is recomputed from the last
// start, and every waiter wakes up to see it. Caller holds mu.
func (l *AdaptiveLimiter) set(r float64) {
	l.limit = r
	if !math.IsInf(r, 1) && (l.minSeen == 0 || r < l.minSeen) {
		l.minSeen = r
	}
	next := l.lastTake.Add(l.interval())
	if l.lastTake.IsZero() {
		next = time.Time{}
	}
	// Waiters are woken only when the start moved clearly earlier: a later
	// one they find when they wake, and the small steps of the recovery
	// (one per answer) are not worth waking every waiter for.
	earlier := l.nextFree.Sub(next)
	l.nextFree = next
	if earlier > time.Millisecond && earlier >= l.interval()/8 {
		close(l.changed)
		l.changed = make(chan struct{})
	}
}

// LimiterStats describe what a limiter did in a run.
type LimiterStats struct {
	Calls     int64   // attempts sent (throttled ones included)
	Throttled int64   // Throttling answers
	Cuts      int64   // rate decreases
	Rate      float64 // current rate in calls a second; +Inf when unlimited
	MinRate   float64 // the lowest rate set (0: never limited)
}

// Stats returns a snapshot of the limiter's counters.
func (l *AdaptiveLimiter) Stats() LimiterStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return LimiterStats{Calls: l.calls, Throttled: l.throttled, Cuts: l.cuts, Rate: l.limit, MinRate: l.minSeen}
}

// String describes the stats for a person.
func (s LimiterStats) String() string {
	if s.Throttled == 0 {
		return fmt.Sprintf("%d IAM calls, never throttled", s.Calls)
	}
	r := "unlimited again"
	if !math.IsInf(s.Rate, 1) {
		r = fmt.Sprintf("%.1f calls/s", s.Rate)
	}
	return fmt.Sprintf("%d IAM calls; IAM throttled %d of them (each sent again), the client slowed down %d time(s), now at %s", s.Calls, s.Throttled, s.Cuts, r)
}

// IsThrottle reports whether err is a throttling answer (IAM's Throttling, or
// any of the SDK's throttle codes).
func IsThrottle(err error) bool {
	if err == nil {
		return false
	}
	_, ok := retry.DefaultThrottleErrorCodes[ErrorCode(err)]
	return ok
}

// throttleBudgetKey carries a call's deadline for throttle retries from
// the Initialize step (once per call) to the per-attempt middleware.
type throttleBudgetKey struct{}

// Middleware returns the API option that puts every IAM call through l: a
// first middleware fixes the call's throttle budget, a second one, inside
// the SDK's retry loop and before signing (so each send is signed afresh),
// waits for the limiter and sends the call again while IAM throttles it.
func (l *AdaptiveLimiter) Middleware() func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		budget := middleware.InitializeMiddlewareFunc("sesprovThrottleBudget",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if _, ok := ctx.Value(throttleBudgetKey{}).(time.Time); !ok {
					ctx = context.WithValue(ctx, throttleBudgetKey{}, time.Now().Add(ThrottleBudget))
				}
				return next.HandleInitialize(ctx, in)
			})
		if err := stack.Initialize.Add(budget, middleware.Before); err != nil {
			return err
		}
		send := middleware.FinalizeMiddlewareFunc("sesprovRateLimit", l.handleFinalize)
		if err := stack.Finalize.Insert(send, "Retry", middleware.After); err != nil {
			return stack.Finalize.Add(send, middleware.Before)
		}
		return nil
	}
}

func (l *AdaptiveLimiter) handleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	deadline, ok := ctx.Value(throttleBudgetKey{}).(time.Time)
	if !ok {
		deadline = time.Now().Add(ThrottleBudget)
	}
	var lastThrottle error
	for attempt := 1; ; attempt++ {
		if attempt == 1 {
			if err := l.Wait(ctx); err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, err
			}
		} else {
			// A re-send that could not start before the budget runs out
			// is not waited for.
			wctx, cancel := context.WithDeadline(ctx, deadline)
			err := l.Wait(wctx)
			cancel()
			if ctx.Err() != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, ctx.Err()
			}
			if err != nil {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, &throttleExhausted{err: lastThrottle, budget: ThrottleBudget, attempts: attempt - 1}
			}
		}
		// Each send gets its own copy of the request (signing writes its
		// headers into it), as the SDK's retry loop does.
		sent := l.now()
		ain := in
		ain.Request = smithyhttp.RequestCloner(in.Request)
		if attempt > 1 {
			if r, ok := ain.Request.(interface{ RewindStream() error }); ok {
				if err := r.RewindStream(); err != nil {
					return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("rewind the request to send it again after Throttling: %w", err)
				}
			}
		}
		out, md, err := next.HandleFinalize(ctx, ain)
		if !IsThrottle(err) {
			l.Succeeded()
			return out, md, err
		}
		l.throttledAt(sent)
		if awsmiddleware.GetOperationName(ctx) == opCreateAccessKey {
			// Never sent again here: should IAM ever have acted before it
			// throttled, a second key would be made and the first one's
			// secret lost. CreateAccessKeyAfter checks for a key made
			// anyway, then calls again (through this limiter).
			return out, md, &throttledOnce{err: err}
		}
		lastThrottle = err
		wait := time.Duration(0)
		if attempt > 1 {
			// Throttled again: the limiter's new rate was not enough yet.
			// A mild, linear backoff: the limiter does the pacing.
			wait = jitter(min(50*time.Millisecond*time.Duration(attempt-1), time.Second))
		}
		if time.Now().Add(wait).After(deadline) {
			return out, md, &throttleExhausted{err: err, budget: ThrottleBudget, attempts: attempt}
		}
		if wait > 0 {
			if serr := SleepCtx(ctx, wait); serr != nil {
				return out, md, serr
			}
		}
	}
}

func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// throttleExhausted is a Throttling answer that outlasted ThrottleBudget.
// It tells the SDK's retryer not to retry (RetryableError false): the budget
// is the bound. It unwraps to IAM's error, so ErrorCode still says Throttling.
type throttleExhausted struct {
	err      error
	budget   time.Duration
	attempts int
}

func (e *throttleExhausted) Error() string {
	return fmt.Sprintf("IAM kept throttling for %s (%d attempts): %v; run again later, or with a lower --concurrency", e.budget, e.attempts, e.err)
}

func (e *throttleExhausted) Unwrap() error { return e.err }

func (e *throttleExhausted) RetryableError() bool { return false }

var _ interface{ RetryableError() bool } = (*throttleExhausted)(nil)

// opCreateAccessKey is the one IAM operation the limiter never sends again.
const opCreateAccessKey = "CreateAccessKey"

// throttledOnce is a Throttling answer to a call the limiter does not send
// again (CreateAccessKey). Not retryable by the SDK either; it unwraps to
// IAM's error, so IsThrottle still says so.
type throttledOnce struct{ err error }

func (e *throttledOnce) Error() string        { return e.err.Error() }
func (e *throttledOnce) Unwrap() error        { return e.err }
func (e *throttledOnce) RetryableError() bool { return false }

// IAMOption installs l on an IAM client: iam.NewFromConfig(cfg, l.IAMOption()).
func (l *AdaptiveLimiter) IAMOption() func(*iam.Options) {
	return func(o *iam.Options) { o.APIOptions = append(o.APIOptions, l.Middleware()) }
}

// STSOption installs l on an STS client. STS has limits of its own, so it
// gets a limiter of its own; what matters for a run's one or two STS calls
// is that Throttling is sent again rather than failing the command.
func (l *AdaptiveLimiter) STSOption() func(*sts.Options) {
	return func(o *sts.Options) { o.APIOptions = append(o.APIOptions, l.Middleware()) }
}
