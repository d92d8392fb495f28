// Package organizations is an in-memory AWS Organizations served over its
// JSON 1.1 protocol (POST with X-Amz-Target:
// AWSOrganizationsV20161128.<Op>), for the tests and sandbox that use
// iamfake: enough of it to find every account of an organization
// (DescribeOrganization, ListAccounts, DescribeAccount,
// ListDelegatedAdministrators).
//
// The organization is not made by API calls but by Go controls
// (CreateOrganization, AddAccount, SetAccountState,
// RegisterDelegatedAdministrator), as a test or `iamfake --org-accounts`
// sets the scene. Who calls is decided by the access key the request is
// signed with (SetKeyAccount); any other key is the fake's own account
// (Options.AccountID), as in iamfake. Organizations is a global service:
// there is one organization whatever the region.
package organizations

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

// TargetPrefix starts the X-Amz-Target header of every Organizations call.
const TargetPrefix = "AWSOrganizationsV20161128."

// Options configure a Server. The zero value is usable.
type Options struct {
	AccountID string           // the account callers are by default; "123456789012", as iamfake's
	Now       func() time.Time // default time.Now
}

// Fault is an injected failure (see Server.Inject).
type Fault = awsjson.Fault

// Server is the fake. All methods are safe for concurrent use.
type Server struct {
	opts   Options
	faults awsjson.Faults

	mu      sync.Mutex
	st      *state
	changes uint64
}

// New returns a server with no organization: every call answers
// AWSOrganizationsNotInUseException until CreateOrganization.
func New(opts Options) *Server {
	if opts.AccountID == "" {
		opts.AccountID = "123456789012"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Server{opts: opts, st: newState()}
}

// Changes counts the changes made so far (all by controls: the operations
// served only read): save when it moves.
func (s *Server) Changes() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changes
}

// Inject makes the next call of f.Op fail as f says.
func (s *Server) Inject(f Fault) { s.faults.Inject(f) }

// CallCount is the number of calls of op received ("" counts all).
func (s *Server) CallCount(op string) int { return s.faults.CallCount(op) }

// call is what an operation sees: the state, the caller's account and
// the time.
type call struct {
	s      *Server
	st     *state
	caller string
	now    time.Time
}

var operations = map[string]func(*call, []byte) (any, *apiError){
	"DescribeOrganization":        op(describeOrganization),
	"ListAccounts":                op(listAccounts),
	"DescribeAccount":             op(describeAccount),
	"ListDelegatedAdministrators": op(listDelegatedAdministrators),
}

// ServeHTTP answers one Organizations call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, _ := awsjson.Target(r, TargetPrefix)
	run, ok := operations[name]
	if !ok {
		write(w, nil, &apiError{Code: "UnknownOperationException", Message: "Unknown operation " + name})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	f, faulted := s.faults.Next(name)
	if faulted && !f.DropResponse {
		e := f.Err()
		write(w, nil, &apiError{Code: e.Code, Message: e.Message, status: e.Status})
		return
	}
	s.mu.Lock()
	c := &call{s: s, st: s.st, caller: s.callerAccount(r), now: s.opts.Now()}
	out, apiErr := run(c, body)
	s.mu.Unlock()
	if faulted {
		awsjson.Drop(w)
		return
	}
	write(w, out, apiErr)
}

// callerAccount is the account of the key the request is signed with.
func (s *Server) callerAccount(r *http.Request) string {
	_, rest, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if ok {
		key, _, _ := strings.Cut(rest, "/")
		if a, ok := s.st.Keys[key]; ok {
			return a
		}
	}
	return s.opts.AccountID
}

// op adapts a handler of a typed input to the raw body.
func op[In any](f func(c *call, in *In) (any, *apiError)) func(*call, []byte) (any, *apiError) {
	return func(c *call, body []byte) (any, *apiError) {
		in := new(In)
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := json.Unmarshal(body, in); err != nil {
				return nil, &apiError{Code: "SerializationException", Message: "could not parse the request: " + err.Error()}
			}
		}
		return f(c, in)
	}
}

// write answers a JSON 1.1 call: v, or the error with its code in
// `__type` (and, for InvalidInputException, its Reason).
func write(w http.ResponseWriter, v any, e *apiError) {
	h := w.Header()
	h.Set("Content-Type", awsjson.ContentType11)
	h.Set("x-amzn-RequestId", awsjson.RequestID())
	var b []byte
	if e != nil {
		m := map[string]string{"__type": e.Code, "Message": e.Message}
		if e.Reason != "" {
			m["Reason"] = e.Reason
		}
		b, _ = json.Marshal(m)
		w.WriteHeader(e.httpStatus())
		w.Write(b)
		return
	}
	if v == nil {
		v = struct{}{}
	}
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}
