package ssm

import (
	"io"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

// Persistence: every region's parameters as JSON, SecureString values in
// the clear (there is no KMS to encrypt them with), so SaveFile writes the
// file with mode 0600.

// SaveState writes every region's parameters as JSON.
func (s *Server) SaveState(w io.Writer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return awsjson.WriteState(w, "ssm", "regions", s.regions)
}

// LoadState replaces the parameters with those SaveState wrote.
func (s *Server) LoadState(r io.Reader) error {
	var f struct{ Regions map[string]*region }
	if err := awsjson.ReadState(r, "ssm", "regions", &f.Regions); err != nil {
		return err
	}
	for name, reg := range f.Regions {
		if reg == nil || reg.Params == nil {
			f.Regions[name] = &region{Params: map[string]*param{}}
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

// LoadFile loads what SaveFile wrote; a missing or empty file is no parameters.
func (s *Server) LoadFile(path string) error {
	return awsjson.LoadFile(path, s.LoadState, func() {
		s.mu.Lock()
		s.regions = map[string]*region{}
		s.mu.Unlock()
	})
}
