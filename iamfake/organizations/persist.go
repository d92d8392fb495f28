package organizations

import (
	"io"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

// Persistence: the organization, its accounts and delegated
// administrators, and which access key is which account, as JSON. Nothing
// in it is secret (access key IDs are not), but it is written with mode
// 0600 like the other fakes' files.

// SaveState writes the organization as JSON.
func (s *Server) SaveState(w io.Writer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return awsjson.WriteState(w, "organizations", "state", s.st)
}

// LoadState replaces the organization with the one SaveState wrote.
func (s *Server) LoadState(r io.Reader) error {
	var f struct{ State *state }
	if err := awsjson.ReadState(r, "organizations", "state", &f.State); err != nil {
		return err
	}
	if f.State == nil {
		f.State = newState()
	}
	if f.State.Keys == nil {
		f.State.Keys = map[string]string{}
	}
	if o := f.State.Org; o != nil && o.Accounts == nil {
		o.Accounts = map[string]*Account{}
	}
	s.mu.Lock()
	s.st = f.State
	s.changes++
	s.mu.Unlock()
	return nil
}

// SaveFile writes the state to path atomically, mode 0600.
func (s *Server) SaveFile(path string) error { return awsjson.SaveFile(path, s.SaveState) }

// LoadFile loads what SaveFile wrote; a missing or empty file is no organization.
func (s *Server) LoadFile(path string) error {
	return awsjson.LoadFile(path, s.LoadState, func() {
		s.mu.Lock()
		s.st = newState()
		s.mu.Unlock()
	})
}
