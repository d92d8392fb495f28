package secretsmanager

import (
	"io"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

// Persistence: every region's secrets as JSON, values included (they are
// what this store is for), so a state file is as secret as the secrets:
// SaveFile writes it with mode 0600.

// SaveState writes the secrets of every region as JSON.
func (s *Server) SaveState(w io.Writer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return awsjson.WriteState(w, "secretsmanager", "regions", s.regions)
}

// LoadState replaces the secrets with those SaveState wrote.
func (s *Server) LoadState(r io.Reader) error {
	var f struct{ Regions map[string]*region }
	if err := awsjson.ReadState(r, "secretsmanager", "regions", &f.Regions); err != nil {
		return err
	}
	for name, reg := range f.Regions {
		if reg == nil || reg.Secrets == nil {
			f.Regions[name] = &region{Secrets: map[string]*secret{}}
		}
	}
	if f.Regions == nil {
		f.Regions = map[string]*region{}
	}
	s.mu.Lock()
	s.regions = f.Regions
	s.changes++
	s.mu.Unlock()
	return nil
}

// SaveFile writes the state to path atomically, mode 0600.
func (s *Server) SaveFile(path string) error { return awsjson.SaveFile(path, s.SaveState) }

// LoadFile loads what SaveFile wrote; a missing or empty file is no secrets.
func (s *Server) LoadFile(path string) error {
	return awsjson.LoadFile(path, s.LoadState, func() {
		s.mu.Lock()
		s.regions = map[string]*region{}
		s.mu.Unlock()
	})
}
