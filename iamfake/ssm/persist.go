package ssm

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

// Persistence: every region's parameters as JSON, SecureString values in
// the clear (there is no KMS to encrypt them with), so SaveFile writes the
// file with mode 0600.

const stateFormat = 1

type stateFile struct {
	Format  int                `json:"format"`
	Regions map[string]*region `json:"regions"`
}

// SaveState writes every region's parameters as JSON.
func (s *Server) SaveState(w io.Writer) error {
	s.mu.Lock()
	b, err := json.MarshalIndent(stateFile{Format: stateFormat, Regions: s.regions}, "", "  ")
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encode ssm state: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// LoadState replaces the parameters with those SaveState wrote.
func (s *Server) LoadState(r io.Reader) error {
	var f stateFile
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		return fmt.Errorf("decode ssm state: %w", err)
	}
	if f.Format != stateFormat {
		return fmt.Errorf("ssm state format %d, want %d", f.Format, stateFormat)
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
