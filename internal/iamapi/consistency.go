package iamapi

import (
	"context"
	"time"
)

// IAM is eventually consistent: a user, group, policy or key made a moment ago
// can be unseen by the next call, which then answers NoSuchEntity. The few
// calls that follow a create retry that answer within a bound.

// DefaultConsistencyTimeout bounds how long sesprov waits out IAM's eventual
// consistency for one call.
const DefaultConsistencyTimeout = 20 * time.Second

const consistencyFirstDelay = 200 * time.Millisecond

type consistencyKey struct{}

// WithConsistencyTimeout returns a context whose calls wait out NoSuchEntity
// right after a create for at most d (0 means: do not wait). Tests use it to
// keep the bound short.
func WithConsistencyTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, consistencyKey{}, d)
}

func consistencyTimeout(ctx context.Context) time.Duration {
	if d, ok := ctx.Value(consistencyKey{}).(time.Duration); ok {
		return d
	}
	return DefaultConsistencyTimeout
}

// WaitConsistent calls fn until it returns an error other than one of codes
// (NoSuchEntity by default), or the bound of ctx runs out; it then returns
// fn's last error. The delay doubles from 200 ms, capped at 2 s.
func WaitConsistent(ctx context.Context, fn func() error, codes ...string) error {
	if len(codes) == 0 {
		codes = []string{"NoSuchEntity"}
	}
	deadline := time.Now().Add(consistencyTimeout(ctx))
	delay := consistencyFirstDelay
	for {
		err := fn()
		if err == nil || !HasCode(err, codes...) || time.Now().Add(delay).After(deadline) {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		delay = min(delay*2, 2*time.Second)
	}
}
