package iamfake

import (
	"fmt"
	"time"
)

// SetKeyLastUsed records that access key id was last used at at, by service
// in region, as GetAccessKeyLastUsed and the credential report then show.
// The fake records a use itself when a request is signed with one of its
// keys; this control sets a use at any time (past or future, without a
// request), so tests can stand for a sender still using an old password.
func (s *Server) SetKeyLastUsed(id string, at time.Time, service, region string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.st.Keys[id]
	if !ok {
		return fmt.Errorf("iamfake: no access key %s", id)
	}
	k.LastUsed, k.LastService, k.LastRegion = at, service, region
	return nil
}
