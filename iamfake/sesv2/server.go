// Package sesv2 is an in-memory Amazon SES (API v2) served over its
// REST-JSON protocol (paths under /v2/email/), for the same tests and
// sandbox as iamfake: the account's sending status and quota, and the
// email identities (addresses and domains) it may send from.
//
// SES is regional: each region (the one the caller's SigV4 credential
// scope names) has its own identities and its own place in or out of the
// SES sandbox. A new region starts in the sandbox, as a new AWS account
// does, unless Options.ProductionAccess says otherwise; identities start
// unverified (PENDING) unless Options.AutoVerify. The controls
// SetProductionAccess and VerifyIdentity stand in for AWS's review and
// for clicking the verification link or publishing the DKIM records.
package sesv2

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

// PathPrefix starts the path of every SES v2 call.
const PathPrefix = "/v2/email/"

// Options configure a Server. The zero value is usable.
type Options struct {
	AccountID        string           // default "123456789012", as iamfake's
	Now              func() time.Time // default time.Now
	ProductionAccess bool             // regions start out of the SES sandbox
	AutoVerify       bool             // new identities are verified at once
}

// Fault is an injected failure (see Server.Inject); Op is the SES
// operation name, e.g. "GetAccount".
type Fault = awsjson.Fault

// Server is the fake. All methods are safe for concurrent use.
type Server struct {
	opts   Options
	faults awsjson.Faults

	mu      sync.Mutex
	regions map[string]*account
	changes uint64
}

// New returns a server whose regions have no identities yet.
func New(opts Options) *Server {
	if opts.AccountID == "" {
		opts.AccountID = "123456789012"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Server{opts: opts, regions: map[string]*account{}}
}

// Changes counts the successful mutating calls and control changes: save
// when it moves.
func (s *Server) Changes() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changes
}

// Inject makes the next call of f.Op fail as f says.
func (s *Server) Inject(f Fault) { s.faults.Inject(f) }

// CallCount is the number of calls of op received ("" counts all).
func (s *Server) CallCount(op string) int { return s.faults.CallCount(op) }

// call is what an operation sees.
type call struct {
	s      *Server
	acct   *account
	region string
	now    time.Time
	r      *http.Request
	id     string // the {EmailIdentity} of the path, unescaped
	body   []byte
}

type handler func(*call) (any, *awsjson.Error)

// route finds the operation for a method and path (below PathPrefix).
func route(method, rest string) (name string, h handler, mut bool, id string) {
	switch {
	case rest == "account" && method == http.MethodGet:
		return "GetAccount", getAccount, false, ""
	case rest == "account/sending" && method == http.MethodPut:
		return "PutAccountSendingAttributes", putSending, true, ""
	case rest == "account/details" && method == http.MethodPost:
		return "PutAccountDetails", putDetails, true, ""
	case rest == "identities" && method == http.MethodPost:
		return "CreateEmailIdentity", createIdentity, true, ""
	case (rest == "identities" && method == http.MethodGet) || (rest == "list-identities" && method == http.MethodPost):
		return "ListEmailIdentities", listIdentities, false, ""
	}
	id, ok := strings.CutPrefix(rest, "identities/")
	if !ok || id == "" || strings.Contains(id, "/") {
		return "", nil, false, ""
	}
	switch method {
	case http.MethodGet:
		return "GetEmailIdentity", getIdentity, false, id
	case http.MethodDelete:
		return "DeleteEmailIdentity", deleteIdentity, true, id
	}
	return "", nil, false, ""
}

// ServeHTTP answers one SES v2 call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.EscapedPath(), PathPrefix)
	name, h, mut, rawID := route(r.Method, rest)
	if h == nil {
		awsjson.WriteREST(w, nil, awsjson.Errorf(404, "UnknownOperationException", "no SES v2 operation %s %s", r.Method, r.URL.Path))
		return
	}
	id, err := url.PathUnescape(rawID)
	body, rerr := io.ReadAll(r.Body)
	if err != nil || rerr != nil {
		awsjson.WriteREST(w, nil, awsjson.Errorf(400, BadRequest, "could not read the request"))
		return
	}
	f, faulted := s.faults.Next(name)
	if faulted && !f.DropResponse {
		awsjson.WriteREST(w, nil, f.Err())
		return
	}
	out, apiErr := s.run(h, mut, &call{region: awsjson.Region(r), r: r, id: id, body: body})
	if faulted {
		awsjson.Drop(w)
		return
	}
	awsjson.WriteREST(w, out, apiErr)
}

func (s *Server) run(h handler, mut bool, c *call) (any, *awsjson.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.s, c.acct, c.now = s, s.account(c.region), s.opts.Now()
	out, err := h(c)
	if err == nil && mut {
		s.changes++
	}
	return out, err
}

// account is a region's SES account, made on first use.
func (s *Server) account(region string) *account {
	a, ok := s.regions[region]
	if !ok {
		a = &account{Production: s.opts.ProductionAccess, SendingEnabled: true, Identities: map[string]*identity{}}
		s.regions[region] = a
	}
	return a
}
