package iamfake

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// A journal lets a caller persist each change in time proportional to the
// change, not to the account: SaveEntities writes the saved form of the
// entities a call touched, one line each time, and LoadStateJournal applies
// those lines over a state SaveState wrote. Derived links (a group's members,
// a policy's attachments) are left out of the lines: loading rebuilds them
// from the users and groups, as LoadState does.

type rawState struct {
	Format    int                        `json:"format"`
	AccountID string                     `json:"account_id"`
	Users     map[string]json.RawMessage `json:"users"`
	Groups    map[string]json.RawMessage `json:"groups"`
	Policies  map[string]json.RawMessage `json:"policies"`
	MFA       map[string]json.RawMessage `json:"virtual_mfa_devices"`
}

// fragment is one journal line: entities by key (lower-case name); null
// means the entity no longer exists.
type fragment struct {
	Users    map[string]json.RawMessage `json:"users,omitempty"`
	Groups   map[string]json.RawMessage `json:"groups,omitempty"`
	Policies map[string]json.RawMessage `json:"policies,omitempty"`
}

// SaveEntities writes one journal line (ending in a newline) with the
// current saved form of the users, groups and customer managed policies
// named (by name, any case); one that does not exist is written as deleted.
func (s *Server) SaveEntities(w io.Writer, users, groups, policies []string) error {
	f := fragment{Users: map[string]json.RawMessage{}, Groups: map[string]json.RawMessage{}, Policies: map[string]json.RawMessage{}}
	s.mu.Lock()
	err := s.fillFragment(&f, users, groups, policies)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encode iamfake journal: %w", err)
	}
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode iamfake journal: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func (s *Server) fillFragment(f *fragment, users, groups, policies []string) error {
	var err error
	for _, n := range users {
		k := lower(n)
		u, ok := s.st.Users.get(k)
		if f.Users[k], err = entityJSON(u, ok); err != nil {
			return err
		}
	}
	for _, n := range groups {
		k := lower(n)
		g, ok := s.st.Groups.get(k)
		if ok { // without its members, rebuilt from the users on load
			c := *g
			c.Members = index[*membership]{}
			g = &c
		}
		if f.Groups[k], err = entityJSON(g, ok); err != nil {
			return err
		}
	}
	for _, n := range policies {
		k := lower(n)
		p, ok := s.st.Policies.get(k)
		if ok { // without its attachments, rebuilt on load
			c := *p
			c.Users, c.Groups, c.Boundaries = index[string]{}, index[string]{}, 0
			p = &c
		}
		if f.Policies[k], err = entityJSON(p, ok); err != nil {
			return err
		}
	}
	return nil
}

// entityJSON is v's saved form without the derived fields, or null.
func entityJSON(v any, ok bool, derived ...string) (json.RawMessage, error) {
	if !ok {
		return json.RawMessage("null"), nil
	}
	b, err := json.Marshal(v)
	if err != nil || len(derived) == 0 {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for _, d := range derived {
		delete(m, d)
	}
	return json.Marshal(m)
}

// LoadStateJournal replaces the account with the state SaveState wrote
// (nil or empty: an empty account) followed by the journal's lines. A last
// line cut short (a crash while it was written) is ignored: its change was
// never acknowledged.
func (s *Server) LoadStateJournal(state, journal io.Reader) error {
	st := rawState{Format: stateFormat, AccountID: s.opts.AccountID}
	if state != nil {
		b, err := io.ReadAll(state)
		if err != nil {
			return fmt.Errorf("read iamfake state: %w", err)
		}
		if len(bytes.TrimSpace(b)) > 0 {
			if err := json.Unmarshal(b, &st); err != nil {
				return fmt.Errorf("decode iamfake state: %w", err)
			}
		}
	}
	if err := applyJournal(&st, journal); err != nil {
		return err
	}
	for k, g := range st.Groups { // members are rebuilt from the users
		if st.Groups[k], _ = entityJSON(g, true, "Members"); st.Groups[k] == nil {
			return fmt.Errorf("iamfake state: group %s is not an object", k)
		}
	}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode iamfake state: %w", err)
	}
	return s.LoadState(bytes.NewReader(b))
}

func applyJournal(st *rawState, journal io.Reader) error {
	if journal == nil {
		return nil
	}
	r := bufio.NewReader(journal)
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var f fragment
			if jerr := json.Unmarshal(line, &f); jerr != nil {
				if errors.Is(err, io.EOF) { // the last line, cut short
					return nil
				}
				return fmt.Errorf("iamfake journal line %d: %w", n, jerr)
			}
			st.Users = merge(st.Users, f.Users)
			st.Groups = merge(st.Groups, f.Groups)
			st.Policies = merge(st.Policies, f.Policies)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read iamfake journal: %w", err)
		}
	}
}

func merge(into, from map[string]json.RawMessage) map[string]json.RawMessage {
	if into == nil {
		into = map[string]json.RawMessage{}
	}
	for k, v := range from {
		if string(v) == "null" {
			delete(into, k)
		} else {
			into[k] = v
		}
	}
	return into
}
