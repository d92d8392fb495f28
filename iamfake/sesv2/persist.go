package sesv2

import (
	"io"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

// Persistence: every region's account and identities as JSON (nothing
// secret; written with mode 0600 all the same, like the other stores).

// SaveState writes every region's account and identities as JSON.
func (s *Server) SaveState(w io.Writer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return awsjson.WriteState(w, "sesv2", "regions", s.regions)
}

// LoadState replaces the accounts with those SaveState wrote.
func (s *Server) LoadState(r io.Reader) error {
	var f struct{ Regions map[string]*account }
	if err := awsjson.ReadState(r, "sesv2", "regions", &f.Regions); err != nil {
		return err
	}
	for name, reg := range f.Regions {
		if reg == nil {
			reg = &account{SendingEnabled: true}
			f.Regions[name] = reg
		}
		if reg.Identities == nil {
			reg.Identities = map[string]*identity{}
		}
	}
	if f.Regions == nil {
		f.Regions = map[string]*account{}
	}
	s.mu.Lock()
	s.regions = f.Regions
	s.changes++
	s.mu.Unlock()
	return nil
}

// SaveFile writes the state to path atomically, mode 0600.
func (s *Server) SaveFile(path string) error { return awsjson.SaveFile(path, s.SaveState) }

// LoadFile loads what SaveFile wrote; a missing or empty file is no identities.
func (s *Server) LoadFile(path string) error {
	return awsjson.LoadFile(path, s.LoadState, func() {
		s.mu.Lock()
		s.regions = map[string]*account{}
		s.mu.Unlock()
	})
}
