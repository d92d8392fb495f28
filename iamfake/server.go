// Package iamfake is an in-memory AWS IAM (with STS GetCallerIdentity and
// AssumeRole) that speaks IAM's Query wire protocol, so the real AWS SDKs can
// be pointed at it: for sesprov's tests, for users' own tests (see
// iamfaketest) and as the state behind sesprov --sandbox. It follows AWS's
// recorded answers where they differ from its documentation; docs/iamfake.md
// lists where.
package iamfake

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Server. The zero value is a usable account.
type Options struct {
	AccountID string           // default "123456789012"
	Now       func() time.Time // default time.Now

	// Quotas default to IAM's default account quotas; set one to -1 for no
	// limit (benchmarks with more than 5,000 users need that).
	UsersQuota    int // default 5000
	GroupsQuota   int // default 300
	PoliciesQuota int // default 1500
}

const defaultAccountID = "123456789012"

// Server is an in-memory IAM account served over IAM's Query protocol,
// with STS GetCallerIdentity on the same endpoint. All methods are safe
// for concurrent use.
type Server struct {
	opts    Options
	started time.Time

	mu      sync.Mutex
	st      *state
	faults  []*faultState
	delay   time.Duration
	denied  map[string]bool
	calls   []Call
	counts  map[string]int
	changes uint64
	limiter tokenBucket

	sessions map[string]*session // AssumeRole's temporary keys; not saved
	peers    peerAccounts        // other accounts served on the same endpoint (accounts.go)

	latency atomic.Int64 // nanoseconds
}

// New returns a server with an empty account.
func New(opts Options) *Server {
	if opts.AccountID == "" {
		opts.AccountID = defaultAccountID
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.UsersQuota == 0 {
		opts.UsersQuota = 5000
	}
	if opts.GroupsQuota == 0 {
		opts.GroupsQuota = 300
	}
	if opts.PoliciesQuota == 0 {
		opts.PoliciesQuota = 1500
	}
	s := &Server{
		opts:     opts,
		st:       newState(),
		denied:   map[string]bool{},
		counts:   map[string]int{},
		sessions: map[string]*session{},
	}
	s.started = opts.Now()
	return s
}

// AccountID is the account the server answers for.
func (s *Server) AccountID() string { return s.opts.AccountID }

// Changes counts the mutating calls that succeeded so far: a caller that
// persists state (cmd/iamfake, sesprov --sandbox) saves when it moves.
func (s *Server) Changes() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changes
}

// Call is one request as the server saw it.
type Call struct {
	Action string
	Params map[string]string // request parameters; secret-free (passwords are redacted)
	Code   string            // error code answered, "" on success
	At     time.Time
}

// Calls returns the calls received, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallCount is the number of calls of action received ("" counts all).
func (s *Server) CallCount(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if action == "" {
		return len(s.calls)
	}
	return s.counts[action]
}

// ResetCalls forgets the calls received so far.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
	s.counts = map[string]int{}
}

// SetLatency adds d to every call (slept without holding the server's lock).
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// SetConsistencyDelay makes users, groups, access keys, policies, inline
// policies and group memberships created from now on unseen by reads for d,
// as IAM's eventual consistency can. Creating the same name again still
// conflicts. 0 turns it off.
func (s *Server) SetConsistencyDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// DenyActions makes SimulatePrincipalPolicy answer implicitDeny for the
// actions (as "iam:CreateUser"; case-insensitive). Everything else is allowed.
func (s *Server) DenyActions(actions ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range actions {
		s.denied[lower(a)] = true
	}
}

// AllowAllActions undoes DenyActions.
func (s *Server) AllowAllActions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied = map[string]bool{}
}

// SetRateLimit throttles the server to perSecond calls a second with bursts
// of burst: calls beyond it answer 400 Throttling "Rate exceeded". 0 is off.
func (s *Server) SetRateLimit(perSecond float64, burst int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if burst < 1 {
		burst = 1
	}
	s.limiter = tokenBucket{rate: perSecond, burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

type tokenBucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func (b *tokenBucket) allow(now time.Time) bool {
	if b.rate <= 0 {
		return true
	}
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// Fault makes calls fail. See Inject.
type Fault struct {
	Action       string // e.g. "CreateAccessKey"; "" = any action
	Nth          int    // fire on the Nth call (1-based) of Action counted from Inject; 0 = next call
	Times        int    // consecutive calls it fires on (0 means 1; -1 = forever)
	Code         string // IAM wire code: "Throttling", "ServiceFailure", "AccessDenied", "NoSuchEntity", ...
	Message      string
	Status       int  // HTTP status; 0 = the code's usual status
	DropResponse bool // perform the action, then drop the connection with no response (lost response)
	Before       bool // with DropResponse=false and Code set: fail without acting (the default)
	After        bool // perform the action, then answer with Code anyway (IAM did it, the client is told it failed)
}

type faultState struct {
	Fault
	seen, fired int
}

// Inject adds a fault. Faults fire in the order injected; a call matched by
// several fires the first, but counts toward all.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Nth <= 0 {
		f.Nth = 1
	}
	if f.Times == 0 {
		f.Times = 1
	}
	if f.Code == "" && !f.DropResponse {
		f.Code = string(ServiceFailure)
	}
	s.faults = append(s.faults, &faultState{Fault: f})
}

// ClearFaults removes every fault not yet spent.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Server) matchFault(action string) *Fault {
	var hit *Fault
	keep := s.faults[:0]
	for _, f := range s.faults {
		if f.Action == "" || f.Action == action {
			f.seen++
			if hit == nil && f.seen >= f.Nth && (f.Times < 0 || f.fired < f.Times) {
				f.fired++
				hit = &f.Fault
			}
		}
		if f.Times < 0 || f.fired < f.Times {
			keep = append(keep, f)
		}
	}
	for i := len(keep); i < len(s.faults); i++ {
		s.faults[i] = nil
	}
	s.faults = keep
	return hit
}

func (f *Fault) err() *apiError {
	msg := f.Message
	if msg == "" {
		msg = "injected fault"
	}
	return &apiError{Code: ErrorCode(f.Code), Message: msg, status: f.Status}
}

// request is one decoded call.
type request struct {
	action string
	form   url.Values
	now    time.Time
	key    string // access key id the request was signed with, if any
	region string
	svc    string
}

func (q *request) get(name string) string { return q.form.Get(name) }

func (q *request) has(name string) bool {
	_, ok := q.form[name]
	return ok
}

// need returns a required parameter (field is its name in IAM's model, for
// the ValidationError message).
func (q *request) need(name, field string) (string, *apiError) {
	v, ok := q.form[name]
	if !ok || len(v) == 0 {
		return "", required(field)
	}
	return v[0], nil
}

// list reads a Query-protocol list: Name.member.1, Name.member.2, …
func (q *request) list(name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := q.form[name+".member."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

func (q *request) tags() []tag {
	var out []tag
	for i := 1; ; i++ {
		p := "Tags.member." + strconv.Itoa(i)
		k, ok := q.form[p+".Key"]
		if !ok {
			return out
		}
		out = append(out, tag{Key: k[0], Value: q.get(p + ".Value")})
	}
}

func (q *request) boolean(name string) bool { return q.get(name) == "true" }

// paging reads MaxItems (1..1000, default 100) and Marker.
func (q *request) paging() (max int, marker string, err *apiError) {
	max = 100
	if v := q.get("MaxItems"); v != "" {
		n, e := strconv.Atoi(v)
		if e != nil || n < 1 || n > 1000 {
			return 0, "", constraint("maxItems", v, "Member must have value between 1 and 1000")
		}
		max = n
	}
	marker = q.get("Marker")
	if q.has("Marker") && marker == "" {
		return 0, "", constraint("marker", marker, "Member must have length greater than or equal to 1")
	}
	return max, marker, nil
}

// nameAndPath reads the name (parameter param, named field in IAM's model)
// and the Path ("/" when absent) of an entity to create.
func (q *request) nameAndPath(param, field string, maxLen int) (name, path string, err *apiError) {
	if name, err = q.need(param, field); err != nil {
		return "", "", err
	}
	if err := checkName(field, name, maxLen); err != nil {
		return "", "", err
	}
	path = "/"
	if q.has("Path") {
		path = q.get("Path")
		if err := checkPath("path", path); err != nil {
			return "", "", err
		}
	}
	return name, path, nil
}

// renaming reads the new name (parameter param, named field in IAM's
// model) and NewPath of an update: each the current one when absent.
func (q *request) renaming(param, field string, maxLen int, name, path string) (newName, newPath string, err *apiError) {
	newName, newPath = name, path
	if q.has(param) {
		newName = q.get(param)
		if err := checkName(field, newName, maxLen); err != nil {
			return "", "", err
		}
	}
	if q.has("NewPath") {
		newPath = q.get("NewPath")
		if err := checkPath("newPath", newPath); err != nil {
			return "", "", err
		}
	}
	return newName, newPath, nil
}

// pagingPrefix reads MaxItems, Marker and PathPrefix, checked in that order.
func (q *request) pagingPrefix() (max int, marker, prefix string, err *apiError) {
	if max, marker, err = q.paging(); err != nil {
		return 0, "", "", err
	}
	prefix = q.get("PathPrefix")
	if err := checkPathPrefix("pathPrefix", prefix); err != nil {
		return 0, "", "", err
	}
	return max, marker, prefix, nil
}

type handler func(s *Server, q *request, w *xmlw) *apiError

type action struct {
	h   handler
	mut bool // changes state
}

// ResetPath is where moto's server mode takes a reset; suites written for
// moto call it between tests, and iamfake answers it alike.
const ResetPath = "/moto-api/reset"

// Reset empties the account and forgets sessions, faults and the call
// log; latency, rate limit, consistency delay and denied actions stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = newState()
	s.sessions = map[string]*session{}
	s.faults = nil
	s.calls = nil
	s.counts = map[string]int{}
	s.changes++
}

// ServeHTTP answers one IAM (or STS) Query request, or a POST to ResetPath.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == ResetPath && r.Method == http.MethodPost {
		s.Reset()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status": "ok"}`))
		return
	}
	if err := r.ParseForm(); err != nil {
		s.write(w, errf(InvalidInput, "could not parse the request: %v", err), newRequestID())
		return
	}
	q := &request{action: r.Form.Get("Action"), form: r.Form}
	q.key, q.region, q.svc = credentialScope(r.Header.Get("Authorization"))
	if peer := s.peerFor(q.key); peer != nil {
		peer.ServeHTTP(w, r) // temporary credentials of another account act there
		return
	}
	if d := time.Duration(s.latency.Load()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	reqID := newRequestID()
	buf := getBuf()
	defer putBuf(buf)
	apiErr, drop := s.dispatch(q, buf, reqID)
	if drop {
		dropConnection(w)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("x-amzn-RequestId", reqID)
	if apiErr != nil {
		w.WriteHeader(apiErr.httpStatus())
		w.Write(errorBody(apiErr, reqID))
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(buf.b)))
	w.Write(buf.b)
}

func (s *Server) write(w http.ResponseWriter, e *apiError, reqID string) {
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("x-amzn-RequestId", reqID)
	w.WriteHeader(e.httpStatus())
	w.Write(errorBody(e, reqID))
}

// dispatch runs one call under the lock: rate limit, faults, the action,
// and the call log.
func (s *Server) dispatch(q *request, w *xmlw, reqID string) (apiErr *apiError, drop bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q.now = s.opts.Now()
	defer func() {
		s.log(q, apiErr)
	}()

	a, ok := actions[q.action]
	if !ok {
		if q.action == "" {
			return errf(MissingAction, "Missing Action"), false
		}
		return errf(InvalidAction, "Could not find operation %s for version %s", q.action, iamVersion), false
	}
	if !s.limiter.allow(time.Now()) {
		return errf(Throttling, "Rate exceeded"), false
	}
	f := s.matchFault(q.action)
	if f != nil && !f.DropResponse && !f.After {
		return f.err(), false
	}
	if e := s.authenticate(q); e != nil {
		return e, false
	}
	ns := iamNamespace
	if stsActions[q.action] {
		ns = stsNamespace
	}
	w.startEnvelope(q.action, ns)
	apiErr = a.h(s, q, w)
	w.endEnvelope(q.action, reqID)
	if apiErr == nil && a.mut {
		s.changes++
	}
	if f != nil {
		if f.DropResponse {
			return nil, true
		}
		return f.err(), false
	}
	return apiErr, false
}

// authenticate records the use of a key the account holds (for
// GetAccessKeyLastUsed) and refuses an inactive one, as AWS does. Keys the
// account does not hold are the operator's: accepted.
func (s *Server) authenticate(q *request) *apiError {
	if q.key == "" {
		return nil
	}
	if se, ok := s.sessions[q.key]; ok && !q.now.Before(se.Expires) {
		return &apiError{Code: "ExpiredToken", Message: "The security token included in the request is expired"}
	}
	k, ok := s.st.Keys[q.key]
	if !ok {
		return nil
	}
	if k.Status != "Active" {
		return &apiError{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid.", status: 403}
	}
	k.LastUsed = q.now
	k.LastService = q.svc
	k.LastRegion = q.region
	return nil
}

var secretParams = map[string]bool{"Password": true, "NewPassword": true, "OldPassword": true}

func (s *Server) log(q *request, e *apiError) {
	params := make(map[string]string, len(q.form))
	for k, v := range q.form {
		if k == "Action" || k == "Version" || len(v) == 0 {
			continue
		}
		if secretParams[k] {
			params[k] = "[REDACTED]"
			continue
		}
		params[k] = v[0]
	}
	c := Call{Action: q.action, Params: params, At: q.now}
	if e != nil {
		c.Code = string(e.Code)
	}
	s.calls = append(s.calls, c)
	s.counts[q.action]++
}

// credentialScope reads the access key id, region and service from a
// SigV4 Authorization header. The signature itself is not checked.
func credentialScope(auth string) (key, region, svc string) {
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return "", "", ""
	}
	if i := strings.IndexAny(rest, ", "); i >= 0 {
		rest = rest[:i]
	}
	parts := strings.Split(rest, "/")
	if len(parts) >= 4 {
		return parts[0], parts[2], parts[3]
	}
	return parts[0], "", ""
}

// dropConnection closes the client's connection without an answer: the
// action happened, the response is lost.
func dropConnection(w http.ResponseWriter) {
	if d, ok := w.(interface{ drop() }); ok {
		d.drop()
		return
	}
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], h[16:20], h[20:])
}

// randomID returns prefix followed by n characters of IAM's unique-ID
// alphabet (upper-case letters and the digits 2-7).
func randomID(prefix string, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[b[i]&31]
	}
	return prefix + string(b)
}

// visible reports whether an entity created with this VisibleAt can be read.
func (q *request) visible(at time.Time) bool { return !q.now.Before(at) }

func (s *Server) visibleAt(now time.Time) time.Time { return now.Add(s.delay) }
