package iamfake

import (
	"strings"
	"sync"
)

// Several accounts on one endpoint. AddAccount makes another account, with
// its own IAM state, served beside this one: sts:AssumeRole into one of its
// roles (called with any credentials of this account) answers temporary
// credentials, and every request signed with them is served by that
// account — its users, groups, keys, call log and faults — as AWS's and
// moto's assumed-role credentials act in the role's account. Each account
// is a Server of its own, so IAM's code knows one account only.

// peerAccounts are the other accounts of a Server, by id.
type peerAccounts struct {
	mu sync.Mutex
	by map[string]*Server
}

// AddAccount returns the account id served beside s, making it (with the
// options of s, its id changed) on first use, with roleNames as roles whose
// trust policy names s's account: Organizations makes
// OrganizationAccountAccessRole so in the accounts it creates. Requests
// signed with credentials from AssumeRole into one of its roles act in it;
// its controls (Inject, Calls, …) are the returned Server's.
func (s *Server) AddAccount(id string, roleNames ...string) *Server {
	s.peers.mu.Lock()
	defer s.peers.mu.Unlock()
	p, ok := s.peers.by[id]
	if !ok {
		opts := s.opts
		opts.AccountID = id
		p = New(opts)
		if s.peers.by == nil {
			s.peers.by = map[string]*Server{}
		}
		s.peers.by[id] = p
	}
	for _, name := range roleNames {
		p.putTrustingRole(name, s.opts.AccountID)
	}
	return p
}

// Account returns the account id served beside s, if AddAccount made it.
func (s *Server) Account(id string) (*Server, bool) {
	s.peers.mu.Lock()
	defer s.peers.mu.Unlock()
	p, ok := s.peers.by[id]
	return p, ok
}

// putTrustingRole makes role name, trusted by account trusted, unless it
// exists.
func (s *Server) putTrustingRole(name, trusted string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.Roles.get(lower(name)); ok {
		return
	}
	now := s.opts.Now()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + trusted + `:root"},"Action":"sts:AssumeRole"}]}`
	s.st.Roles.put(lower(name), &role{Name: name, Path: "/", ID: randomID("AROA", 17), Trust: trust,
		MaxSession: defaultSessionS, Created: now, VisibleAt: now})
	s.changes++
}

// accountRole finds role name of account id (this one or one beside it)
// with its ARN. s.mu is held; a peer's lock is taken for the look-up only
// (a peer never calls back into s).
func (s *Server) accountRole(id, name string) (role, string, bool) {
	if id == s.opts.AccountID {
		r, ok := s.st.Roles.get(lower(name))
		if !ok {
			return role{}, "", false
		}
		return *r, s.arn("role", r.Path, r.Name), true
	}
	p, ok := s.Account(id)
	if !ok {
		return role{}, "", false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.st.Roles.get(lower(name))
	if !ok {
		return role{}, "", false
	}
	return *r, p.arn("role", r.Path, r.Name), true
}

// peerFor returns the account beside s whose temporary credentials key
// is, handing it the session so it knows the caller; nil for s's own.
func (s *Server) peerFor(key string) *Server {
	if !strings.HasPrefix(key, "ASIA") {
		return nil
	}
	s.mu.Lock()
	se, ok := s.sessions[key]
	s.mu.Unlock()
	if !ok || se.Account == s.opts.AccountID {
		return nil
	}
	p, ok := s.Account(se.Account)
	if !ok {
		return nil
	}
	p.mu.Lock()
	p.sessions[key] = se
	p.mu.Unlock()
	return p
}
