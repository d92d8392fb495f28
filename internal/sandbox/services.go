package sandbox

import (
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/sesprov/sesprov/iamfake/awsfake"
)

// services keeps the state of the fakes served beside IAM (Secrets
// Manager, SSM, SES v2, Organizations), one file each next to the IAM
// state (see awsfake.StatePaths). They are small, so each change saves
// the whole file of its service, before the answer leaves. Secrets
// Manager's and SSM's files hold the secret values stored in them: mode
// 0600, like every sandbox file.
type services struct {
	srv   *awsfake.Server
	paths awsfake.Paths
	mu    sync.Mutex
	saved map[string]uint64 // each service's Changes() at its last save
}

type serviceFile interface {
	SaveFile(path string) error
	LoadFile(path string) error
	Changes() uint64
}

type serviceEntry struct {
	f    serviceFile
	path string
}

func (s *services) files() map[string]serviceEntry {
	return map[string]serviceEntry{
		"secretsmanager": {s.srv.SecretsManager, s.paths.SecretsManager},
		"ssm":            {s.srv.SSM, s.paths.SSM},
		"sesv2":          {s.srv.SESv2, s.paths.SESv2},
		"organizations":  {s.srv.Organizations, s.paths.Organizations},
	}
}

// openServices loads the other services' state saved next to iamPath; a
// missing file is an empty service.
func openServices(srv *awsfake.Server, iamPath string) (*services, error) {
	s := &services{srv: srv, paths: awsfake.StatePaths(iamPath), saved: map[string]uint64{}}
	for name, e := range s.files() {
		if err := e.f.LoadFile(e.path); err != nil {
			return nil, fmt.Errorf("%s state: %w", name, err)
		}
		s.saved[name] = e.f.Changes()
	}
	return s, nil
}

// serve answers r with its service, holding the answer back until what it
// changed is on disk.
func (s *services) serve(w http.ResponseWriter, r *http.Request, service string, log *slog.Logger) {
	held := &heldAnswer{header: http.Header{}}
	s.srv.ServeHTTP(held, r)
	if err := s.save(service); err != nil {
		log.Warn("sandbox: saving the state failed", "service", service, "err", err)
	}
	held.send(w)
}

// save writes service's file when it changed since it was last saved.
func (s *services) save(service string) error {
	e, ok := s.files()[service]
	if !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := e.f.Changes()
	if n == s.saved[service] {
		return nil
	}
	if err := e.f.SaveFile(e.path); err != nil {
		return err
	}
	s.saved[service] = n
	return nil
}
