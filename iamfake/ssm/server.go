// Package ssm is an in-memory AWS Systems Manager Parameter Store served
// over SSM's JSON 1.1 protocol (POST with X-Amz-Target: AmazonSSM.<Op>), for
// the same tests and sandbox as iamfake. Parameters are kept per region,
// the region being the one the caller's SigV4 credential scope names.
//
// SecureString values are kept as given (there is no KMS here), and saved
// by SaveState: a state file holds them in the clear, mode 0600. Without
// WithDecryption they come back as an opaque stand-in ciphertext.
package ssm

import (
	"net/http"
	"sync"
	"time"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

// TargetPrefix starts the X-Amz-Target header of every SSM call.
const TargetPrefix = "AmazonSSM."

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

// New returns a server with no parameters.
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

// call is what an operation sees: the region's parameters and the time.
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

// ServeHTTP answers one SSM call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	awsjson.Serve(w, r, TargetPrefix, "message", &s.faults,
		func(name string) bool { _, ok := operations[name]; return ok },
		func(name string, body []byte) (any, *awsjson.Error) {
			return s.run(operations[name], awsjson.Region(r), body)
		})
}

func (s *Server) run(op operation, regionName string, body []byte) (any, *awsjson.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &call{s: s, reg: s.region(regionName), region: regionName, now: s.opts.Now()}
	out, err := op.run(c, body)
	if err == nil && op.mut {
		s.changes++
	}
	return out, err
}

func (s *Server) region(name string) *region {
	r, ok := s.regions[name]
	if !ok {
		r = &region{Params: map[string]*param{}}
		s.regions[name] = r
	}
	return r
}

var operations map[string]operation

func init() {
	op := func(f func(*call, []byte) (any, *awsjson.Error), mut bool) operation { return operation{f, mut} }
	operations = map[string]operation{
		"PutParameter":           op(awsjson.Op(putParameter), true),
		"GetParameter":           op(awsjson.Op(getParameter), false),
		"GetParameters":          op(awsjson.Op(getParameters), false),
		"GetParametersByPath":    op(awsjson.Op(getParametersByPath), false),
		"DeleteParameter":        op(awsjson.Op(deleteParameter), true),
		"DeleteParameters":       op(awsjson.Op(deleteParameters), true),
		"DescribeParameters":     op(awsjson.Op(describeParameters), false),
		"GetParameterHistory":    op(awsjson.Op(getParameterHistory), false),
		"LabelParameterVersion":  op(awsjson.Op(labelParameterVersion), true),
		"AddTagsToResource":      op(awsjson.Op(addTags), true),
		"RemoveTagsFromResource": op(awsjson.Op(removeTags), true),
		"ListTagsForResource":    op(awsjson.Op(listTags), false),
	}
}
