// Package secretsmanager is an in-memory AWS Secrets Manager served over
// its JSON 1.1 protocol (POST with X-Amz-Target: secretsmanager.<Op>), for
// the same tests and sandbox as iamfake. State is kept per region, the
// region being the one the caller's SigV4 credential scope names.
//
// Unlike iamfake, this store keeps secrets: the values given to
// CreateSecret and PutSecretValue are held, and saved by SaveState.
package secretsmanager

import (
	"net/http"
	"sync"
	"time"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

// TargetPrefix starts the X-Amz-Target header of every Secrets Manager call.
const TargetPrefix = "secretsmanager."

// Options configure a Server. The zero value is usable.
type Options struct {
	AccountID string           // default "123456789012", as iamfake's
	Now       func() time.Time // default time.Now
}

// Fault is an injected failure (see Server.Inject).
type Fault = awsjson.Fault

// Server is the fake. All methods are safe for concurrent use.
type Server struct {
	opts   Options
	faults awsjson.Faults

	mu      sync.Mutex
	regions map[string]*region
	changes uint64
}

// New returns a server with no secrets.
func New(opts Options) *Server {
	if opts.AccountID == "" {
		opts.AccountID = "123456789012"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Server{opts: opts, regions: map[string]*region{}}
}

// Changes counts the successful mutating calls: save when it moves.
func (s *Server) Changes() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changes
}

// Inject makes the next call of f.Op fail as f says.
func (s *Server) Inject(f Fault) { s.faults.Inject(f) }

// CallCount is the number of calls of op received ("" counts all).
func (s *Server) CallCount(op string) int { return s.faults.CallCount(op) }

// call is what an operation sees: the region's secrets and the time.
type call struct {
	s      *Server
	reg    *region
	region string
	now    time.Time
}

type operation struct {
	run func(*call, []byte) (any, *awsjson.Error)
	mut bool
}

// ServeHTTP answers one Secrets Manager call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	awsjson.Serve(w, r, TargetPrefix, "Message", &s.faults,
		func(name string) bool { _, ok := operations[name]; return ok },
		func(name string, body []byte) (any, *awsjson.Error) {
			return s.run(operations[name], awsjson.Region(r), body)
		})
}

func (s *Server) run(op operation, regionName string, body []byte) (any, *awsjson.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &call{s: s, reg: s.region(regionName), region: regionName, now: s.opts.Now()}
	c.reg.purge(c.now)
	out, err := op.run(c, body)
	if err == nil && op.mut {
		s.changes++
	}
	return out, err
}

func (s *Server) region(name string) *region {
	r, ok := s.regions[name]
	if !ok {
		r = &region{Secrets: map[string]*secret{}}
		s.regions[name] = r
	}
	return r
}

var operations map[string]operation

func init() {
	op := func(f func(*call, []byte) (any, *awsjson.Error), mut bool) operation { return operation{f, mut} }
	operations = map[string]operation{
		"CreateSecret":         op(awsjson.Op(createSecret), true),
		"PutSecretValue":       op(awsjson.Op(putSecretValue), true),
		"GetSecretValue":       op(awsjson.Op(getSecretValue), false),
		"DescribeSecret":       op(awsjson.Op(describeSecret), false),
		"ListSecrets":          op(awsjson.Op(listSecrets), false),
		"DeleteSecret":         op(awsjson.Op(deleteSecret), true),
		"RestoreSecret":        op(awsjson.Op(restoreSecret), true),
		"UpdateSecret":         op(awsjson.Op(updateSecret), true),
		"TagResource":          op(awsjson.Op(tagResource), true),
		"UntagResource":        op(awsjson.Op(untagResource), true),
		"ListSecretVersionIds": op(awsjson.Op(listSecretVersionIds), false),
	}
}
