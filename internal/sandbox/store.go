package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/sesprov/sesprov/iamfake"
)

// store keeps the sandbox's account on disk: a snapshot (path) and a
// journal beside it (path.journal) with one line per change, fsynced before
// the answer to that change leaves. A change costs its own size, not the
// account's; the journal is folded into the snapshot when the sandbox is
// opened and closed. Neither file holds a secret: iamfake keeps none.
type store struct {
	srv     *iamfake.Server
	path    string
	mu      sync.Mutex
	journal *os.File
	saved   uint64 // srv.Changes() at the last snapshot
	err     error  // the first failure to save; every later save reports it
}

func journalPath(path string) string { return path + ".journal" }

// openStore loads the snapshot and the journal into srv, folds them into a
// new snapshot, and opens an empty journal.
func openStore(srv *iamfake.Server, path string) (*store, error) {
	snap, err := openIfExists(path)
	if err != nil {
		return nil, err
	}
	jf, err := openIfExists(journalPath(path))
	if err != nil {
		closeIf(snap)
		return nil, err
	}
	err = srv.LoadStateJournal(reader(snap), reader(jf))
	closeIf(snap)
	closeIf(jf)
	if err != nil {
		return nil, err
	}
	s := &store{srv: srv, path: path}
	if err := s.compact(jf != nil); err != nil {
		return nil, err
	}
	s.saved = srv.Changes()
	return s, nil
}

func openIfExists(path string) (*os.File, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return f, err
}

// reader is f as a reader, or nil (not a nil *os.File in an interface).
func reader(f *os.File) io.Reader {
	if f == nil {
		return nil
	}
	return f
}

func closeIf(f *os.File) {
	if f != nil {
		f.Close()
	}
}

// compact writes a snapshot (when snapshot is true) and then starts an
// empty journal: a crash between the two replays lines the snapshot holds
// already, which changes nothing, since each line replaces whole entities.
func (s *store) compact(snapshot bool) error {
	if snapshot {
		if err := s.srv.SaveFile(s.path); err != nil {
			return err
		}
		s.saved = s.srv.Changes()
	}
	if s.journal != nil {
		s.journal.Close()
	}
	f, err := os.OpenFile(journalPath(s.path), os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("sandbox journal: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sandbox journal: %w", err)
	}
	s.journal = f
	return nil
}

// record persists what call c changed (its answer had status): a journal
// line for the calls whose entities it names, a snapshot for any other
// change. Reads save nothing.
func (s *store) record(c call, status int) error {
	if c.read() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	users, groups, policies, ok := c.entities()
	switch {
	case ok && status >= 300: // refused: nothing changed
	case ok:
		s.err = s.appendLine(users, groups, policies)
	case s.srv.Changes() != s.saved:
		s.err = s.compact(true)
	}
	return s.err
}

func (s *store) appendLine(users, groups, policies []string) error {
	var b bytes.Buffer
	if err := s.srv.SaveEntities(&b, users, groups, policies); err != nil {
		return err
	}
	if _, err := s.journal.Write(b.Bytes()); err != nil {
		return fmt.Errorf("sandbox journal: %w", err)
	}
	if err := s.journal.Sync(); err != nil {
		return fmt.Errorf("sandbox journal: %w", err)
	}
	return nil
}

// close folds the journal into the snapshot.
func (s *store) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = s.compact(true)
	}
	if s.journal != nil {
		s.journal.Close()
		s.journal = nil
	}
	return s.err
}

// call is an IAM or STS request, as far as saving it is concerned.
type call struct {
	action string
	form   url.Values
}

// readCall reads r's form and leaves r's body as it was.
func readCall(r *http.Request) (call, error) {
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return call{}, err
	}
	form, err := url.ParseQuery(string(b))
	if err != nil {
		return call{}, err
	}
	for k, v := range r.URL.Query() {
		form[k] = append(form[k], v...)
	}
	return call{action: form.Get("Action"), form: form}, nil
}

func (c call) read() bool {
	for _, p := range []string{"Get", "List", "Simulate"} {
		if strings.HasPrefix(c.action, p) {
			return true
		}
	}
	return false
}

// The changes whose entities a journal line can hold: the entities named
// by the call's parameters are all it changes (links between them are
// rebuilt on load).
var (
	userCalls = set("CreateUser", "DeleteUser", "TagUser", "UntagUser", "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey",
		"AttachUserPolicy", "DetachUserPolicy", "PutUserPolicy", "DeleteUserPolicy", "PutUserPermissionsBoundary",
		"DeleteUserPermissionsBoundary", "CreateLoginProfile", "UpdateLoginProfile", "DeleteLoginProfile")
	membershipCalls = set("AddUserToGroup", "RemoveUserFromGroup")
	groupCalls      = set("CreateGroup", "DeleteGroup", "AttachGroupPolicy", "DetachGroupPolicy", "PutGroupPolicy", "DeleteGroupPolicy")
	policyCalls     = set("DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion", "SetDefaultPolicyVersion", "TagPolicy", "UntagPolicy")
)

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// entities names what c changes; ok is false when a journal line cannot
// say (a rename, a call on the caller's own keys, anything else).
func (c call) entities() (users, groups, policies []string, ok bool) {
	user, group := c.form.Get("UserName"), c.form.Get("GroupName")
	switch {
	case userCalls[c.action] && user != "":
		return []string{user}, nil, nil, true
	case membershipCalls[c.action] && user != "" && group != "":
		return []string{user}, []string{group}, nil, true
	case groupCalls[c.action] && group != "":
		return nil, []string{group}, nil, true
	case c.action == "CreatePolicy" && c.form.Get("PolicyName") != "":
		return nil, nil, []string{c.form.Get("PolicyName")}, true
	case policyCalls[c.action]:
		if name, ok := customerPolicyName(c.form.Get("PolicyArn")); ok {
			return nil, nil, []string{name}, true
		}
	}
	return nil, nil, nil, false
}

// customerPolicyName is the name in a customer managed policy's ARN (AWS
// managed policies are not saved).
func customerPolicyName(arn string) (string, bool) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok || strings.HasPrefix(rest, "aws:") {
		return "", false
	}
	i := strings.LastIndex(rest, "/")
	if i < 0 || i == len(rest)-1 {
		return "", false
	}
	return rest[i+1:], true
}

// heldAnswer keeps an answer until the change it acknowledges is on disk.
type heldAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (h *heldAnswer) Header() http.Header { return h.header }
func (h *heldAnswer) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return h.body.Write(b)
}
func (h *heldAnswer) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}

func (h *heldAnswer) send(w http.ResponseWriter) {
	for k, v := range h.header {
		w.Header()[k] = v
	}
	if h.status == 0 {
		h.status = http.StatusOK
	}
	w.WriteHeader(h.status)
	w.Write(h.body.Bytes())
}
