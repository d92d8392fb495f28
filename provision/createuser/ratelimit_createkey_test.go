package createuser_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/provision/createuser"
)

// TestLimiterNeverReSendsCreateAccessKey: the limiter middleware
// (installed by NewClients on every command) sends calls answered
// Throttling again, but not CreateAccessKey: should IAM ever have acted
// before it throttled (iamfake's After), a re-send would make a second key
// and lose the first one's secret. CreateAccessKeyAfter gets the Throttling
// answer, deletes the key made anyway, and calls again: the user ends with
// one key, the delivered one.
func TestLimiterNeverReSendsCreateAccessKey(t *testing.T) {
	e := newEnv(t)
	lim := iamapi.NewAdaptiveLimiter()
	e.iam = iam.New(e.iam.Options(), lim.IAMOption())
	e.srv.Inject(iamfake.Fault{Action: "CreateAccessKey", Code: "Throttling", After: true})
	out, stderr, err := e.create(createuser.Options{UserNames: []string{"alice"}})
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if keys := e.keys("alice"); len(keys) != 1 || keys[0] != out.AccessKeyID {
		t.Fatalf("alice has keys %v; delivered %s: a key whose secret went nowhere remains", keys, out.AccessKeyID)
	}
}

// TestCreateAccessKeyThrottledBeyondKeyAttempts: Throttling answers to
// CreateAccessKey (not acted on) come back to CreateAccessKeyAfter, which
// keeps calling, paced by the limiter, for ThrottleBudget: more of them
// than its own attempts for other errors, and the user ends with one key,
// the delivered one. Each is the limiter's cue to slow down.
func TestCreateAccessKeyThrottledBeyondKeyAttempts(t *testing.T) {
	e := newEnv(t)
	lim := iamapi.NewAdaptiveLimiter()
	e.iam = iam.New(e.iam.Options(), lim.IAMOption())
	e.srv.Inject(iamfake.Fault{Action: "CreateAccessKey", Code: "Throttling", Times: 8})
	out, stderr, err := e.create(createuser.Options{UserNames: []string{"alice"}})
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if keys := e.keys("alice"); len(keys) != 1 || keys[0] != out.AccessKeyID {
		t.Fatalf("alice has keys %v; delivered %s", keys, out.AccessKeyID)
	}
	if n := e.srv.CallCount("CreateAccessKey"); n != 9 {
		t.Errorf("CreateAccessKey sent %d times; want 9 (8 throttled, then made)", n)
	}
	if st := lim.Stats(); st.Throttled != 8 || st.Cuts == 0 {
		t.Errorf("limiter %+v; want 8 throttled answers and a slow-down", st)
	}
}
