package iamfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Persistence: the account as JSON. It holds only what IAM would later
// return: no secret access key, password, service password or MFA seed
// is ever kept, so none can be saved.

const stateFormat = 1

type stateFile struct {
	Format    int                   `json:"format"`
	AccountID string                `json:"account_id"`
	Users     map[string]*user      `json:"users"`
	Groups    map[string]*group     `json:"groups"`
	Policies  map[string]*policy    `json:"policies"`
	Roles     map[string]*role      `json:"roles,omitempty"`
	MFA       map[string]*mfaDevice `json:"virtual_mfa_devices"`
}

// An index is saved as a JSON object (key -> value) and loaded back in order.
func (ix index[T]) MarshalJSON() ([]byte, error) {
	if ix.m == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(ix.m)
}

func (ix *index[T]) UnmarshalJSON(b []byte) error {
	var m map[string]T
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*ix = index[T]{}
	for k, v := range m {
		ix.put(k, v)
	}
	return nil
}

// SaveState writes the account as JSON.
func (s *Server) SaveState(w io.Writer) error {
	s.mu.Lock()
	b, err := json.MarshalIndent(stateFile{
		Format: stateFormat, AccountID: s.opts.AccountID,
		Users: s.st.Users.m, Groups: s.st.Groups.m, Policies: s.st.Policies.m, Roles: s.st.Roles.m, MFA: s.st.MFA.m,
	}, "", "  ")
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encode iamfake state: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// LoadState replaces the account with one SaveState wrote.
func (s *Server) LoadState(r io.Reader) error {
	var f stateFile
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		return fmt.Errorf("decode iamfake state: %w", err)
	}
	if f.Format != stateFormat {
		return fmt.Errorf("iamfake state format %d, want %d", f.Format, stateFormat)
	}
	st := newState()
	for k, u := range f.Users {
		st.Users.put(k, u)
		for _, key := range u.Keys {
			st.Keys[key.ID] = key
		}
	}
	for k, g := range f.Groups {
		st.Groups.put(k, g)
	}
	for k, p := range f.Policies {
		st.Policies.put(k, p)
	}
	for k, r := range f.Roles {
		st.Roles.put(k, r)
	}
	for k, d := range f.MFA {
		st.MFA.put(k, d)
	}
	// Memberships and MFA devices are shared between two owners: make them
	// one object again.
	for _, u := range st.Users.m {
		for gk, m := range u.Groups.m {
			g, ok := st.Groups.get(gk)
			if !ok {
				return fmt.Errorf("iamfake state: user %s is in missing group %s", u.Name, gk)
			}
			g.Members.put(lower(u.Name), m)
		}
		for serial := range u.MFA.m {
			if d, ok := st.MFA.get(serial); ok {
				u.MFA.put(serial, d)
			}
		}
	}
	// Attachments are recorded on both sides; the entities' side is the
	// truth (AWS managed policies are not saved at all).
	for _, ix := range []*index[*policy]{&st.Policies, &st.AWS} {
		ix.each(func(p *policy) {
			p.Users, p.Groups, p.Roles, p.Boundaries = index[string]{}, index[string]{}, index[string]{}, 0
		})
	}
	find := func(arn string) *policy {
		account, _, name, ok := parsePolicyARN(arn)
		if !ok {
			return nil
		}
		ix := &st.Policies
		if account == "aws" {
			ix = &st.AWS
		}
		if p, ok := ix.get(lower(name)); ok && p.ARN == arn {
			return p
		}
		return nil
	}
	for _, u := range st.Users.m {
		for _, arn := range u.Attached.m {
			if p := find(arn); p != nil {
				p.Users.put(lower(u.Name), u.Name)
			}
		}
		if p := find(u.Boundary); p != nil {
			p.Boundaries++
		}
	}
	for _, g := range st.Groups.m {
		for _, arn := range g.Attached.m {
			if p := find(arn); p != nil {
				p.Groups.put(lower(g.Name), g.Name)
			}
		}
	}
	for _, r := range st.Roles.m {
		for _, arn := range r.Attached.m {
			if p := find(arn); p != nil {
				p.Roles.put(lower(r.Name), r.Name)
			}
		}
		if p := find(r.Boundary); p != nil {
			p.Boundaries++
		}
	}
	s.mu.Lock()
	s.st = st
	s.changes++
	s.mu.Unlock()
	return nil
}

// SaveFile writes the state to path atomically (a 0600 temporary file
// renamed over it).
func (s *Server) SaveFile(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save iamfake state: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".iamfake-state-*")
	if err != nil {
		return fmt.Errorf("save iamfake state: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("save iamfake state: %w", err)
	}
	if err := s.SaveState(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("save iamfake state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save iamfake state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save iamfake state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save iamfake state: %w", err)
	}
	return nil
}

// LoadFile loads the state SaveFile wrote; a missing file is an empty account.
func (s *Server) LoadFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		s.mu.Lock()
		s.st = newState()
		s.mu.Unlock()
		return nil
	}
	if err != nil {
		return fmt.Errorf("load iamfake state: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() == 0 {
		s.mu.Lock()
		s.st = newState()
		s.mu.Unlock()
		return nil // an empty file is an empty account
	}
	if err := s.LoadState(f); err != nil {
		return fmt.Errorf("load iamfake state %s: %w", path, err)
	}
	return nil
}
