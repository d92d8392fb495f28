package iamfake

import (
	"strconv"
	"strings"
	"time"
)

// Roles: a trust policy (who may assume the role), inline and attached
// permissions policies, tags and a permissions boundary. STS AssumeRole
// (sts.go) hands out temporary credentials for them.

const (
	maxRoleName      = 64
	rolePolicySize   = 10240
	trustPolicySize  = 2048
	defaultSessionS  = 3600
	maxSessionLimitS = 43200
)

type role struct {
	Name, Path, ID, Description string
	Trust                       string // AssumeRolePolicyDocument
	MaxSession                  int    // seconds
	Created                     time.Time
	VisibleAt                   time.Time
	Boundary                    string
	Tags                        []tag
	Inline                      index[*inlinePolicy]
	Attached                    index[string]
}

func noSuchRole(name string) *apiError {
	return errf(NoSuchEntity, "The role with name %s cannot be found.", name)
}

func (s *Server) role(q *request, name string) (*role, *apiError) {
	r, ok := s.st.Roles.get(lower(name))
	if !ok || !q.visible(r.VisibleAt) {
		return nil, noSuchRole(name)
	}
	return r, nil
}

func (s *Server) roleParam(q *request) (*role, *apiError) {
	name, err := q.need("RoleName", "roleName")
	if err != nil {
		return nil, err
	}
	if err := checkName("roleName", name, maxRoleName); err != nil {
		return nil, err
	}
	return s.role(q, name)
}

func (s *Server) rolePrincipal(q *request) (*principal, *apiError) {
	r, err := s.roleParam(q)
	if err != nil {
		return nil, err
	}
	return &principal{
		kind: "role", nameElement: "RoleName", name: r.Name,
		inline: &r.Inline, inlineSize: rolePolicySize,
		attached: &r.Attached, attachQuota: "PoliciesPerRole",
		holders: func(p *policy) *index[string] { return &p.Roles },
	}, nil
}

// writeRole writes a role; lists leave out tags, boundary and last use,
// as ListRoles does.
func (s *Server) writeRole(w *xmlw, r *role, full bool) {
	w.el("Path", r.Path)
	w.el("RoleName", r.Name)
	w.el("RoleId", r.ID)
	w.arn("Arn", s.opts.AccountID, "role", r.Path, r.Name)
	w.time("CreateDate", r.Created)
	w.el("AssumeRolePolicyDocument", urlEncode(r.Trust))
	w.opt("Description", r.Description)
	w.int("MaxSessionDuration", r.MaxSession)
	if !full {
		return
	}
	if r.Boundary != "" {
		w.open("PermissionsBoundary")
		w.el("PermissionsBoundaryType", "Policy")
		w.el("PermissionsBoundaryArn", r.Boundary)
		w.close("PermissionsBoundary")
	}
	writeTags(w, r.Tags)
	w.open("RoleLastUsed")
	w.close("RoleLastUsed")
}

func trustSizeErr() *apiError { return quota("ACLSizePerRole", trustPolicySize) }

// sessionParam reads MaxSessionDuration: 1 to 12 hours.
func sessionParam(q *request, dflt int) (int, *apiError) {
	if !q.has("MaxSessionDuration") {
		return dflt, nil
	}
	v := q.get("MaxSessionDuration")
	n, e := strconv.Atoi(v)
	if e != nil || n < 3600 || n > maxSessionLimitS {
		return 0, constraint("maxSessionDuration", v, "Member must have value between 3600 and 43200")
	}
	return n, nil
}

func (s *Server) createRole(q *request, w *xmlw) *apiError {
	name, path, err := q.nameAndPath("RoleName", "roleName", maxRoleName)
	if err != nil {
		return err
	}
	trust, err := q.need("AssumeRolePolicyDocument", "assumeRolePolicyDocument")
	if err != nil {
		return err
	}
	maxSession, err := sessionParam(q, defaultSessionS)
	if err != nil {
		return err
	}
	desc := q.get("Description")
	if len(desc) > 1000 {
		return constraint("description", desc, "Member must have length less than or equal to 1000")
	}
	tags := q.tags()
	if err := checkTags(tags); err != nil {
		return err
	}
	boundary := q.get("PermissionsBoundary")
	if q.has("PermissionsBoundary") {
		if err := s.checkBoundary(q, boundary); err != nil {
			return err
		}
	}
	if err := checkPolicyDocument(trust, trustDoc, trustPolicySize, trustSizeErr); err != nil {
		return err
	}
	if _, ok := s.st.Roles.get(lower(name)); ok {
		return errf(EntityAlreadyExists, "Role with name %s already exists.", name)
	}
	r := &role{Name: name, Path: path, ID: randomID("AROA", 17), Description: desc, Trust: trust,
		MaxSession: maxSession, Created: q.now, VisibleAt: s.visibleAt(q.now), Tags: tags}
	if boundary != "" {
		r.Boundary = boundary
		s.boundaryPolicy(boundary).Boundaries++
	}
	s.st.Roles.put(lower(name), r)
	w.open("Role")
	s.writeRole(w, r, true)
	w.close("Role")
	return nil
}

func (s *Server) getRole(q *request, w *xmlw) *apiError {
	r, err := s.roleParam(q)
	if err != nil {
		return err
	}
	w.open("Role")
	s.writeRole(w, r, true)
	w.close("Role")
	return nil
}

func (s *Server) listRoles(q *request, w *xmlw) *apiError {
	max, marker, prefix, err := q.pagingPrefix()
	if err != nil {
		return err
	}
	roles, next, err := s.st.Roles.page(marker, max, func(r *role) bool {
		return q.visible(r.VisibleAt) && strings.HasPrefix(r.Path, prefix)
	})
	if err != nil {
		return err
	}
	writeList(w, "Roles", roles, next, func(r *role) { s.writeRole(w, r, false) })
	return nil
}

// deleteRole refuses while the role has policies, as IAM does (instance
// profiles are not modelled).
func (s *Server) deleteRole(q *request, w *xmlw) *apiError {
	r, err := s.roleParam(q)
	if err != nil {
		return err
	}
	switch {
	case r.Inline.len() > 0:
		return deleteConflict("delete policies")
	case r.Attached.len() > 0:
		return deleteConflict("detach all policies")
	}
	if r.Boundary != "" {
		s.boundaryPolicy(r.Boundary).Boundaries--
	}
	s.st.Roles.del(lower(r.Name))
	return nil
}

func (s *Server) updateRole(q *request, w *xmlw) *apiError {
	r, err := s.roleParam(q)
	if err != nil {
		return err
	}
	maxSession, err := sessionParam(q, r.MaxSession)
	if err != nil {
		return err
	}
	if q.has("Description") {
		desc := q.get("Description")
		if len(desc) > 1000 {
			return constraint("description", desc, "Member must have length less than or equal to 1000")
		}
		r.Description = desc
	}
	r.MaxSession = maxSession
	w.keepEmpty = true
	return nil
}

func (s *Server) updateAssumeRolePolicy(q *request, w *xmlw) *apiError {
	r, err := s.roleParam(q)
	if err != nil {
		return err
	}
	doc, err := q.need("PolicyDocument", "policyDocument")
	if err != nil {
		return err
	}
	if err := checkPolicyDocument(doc, trustDoc, trustPolicySize, trustSizeErr); err != nil {
		return err
	}
	r.Trust = doc
	return nil
}

func (s *Server) tagRole(q *request, w *xmlw) *apiError {
	r, err := s.roleParam(q)
	if err != nil {
		return err
	}
	return tagEntity(q, &r.Tags)
}

func (s *Server) untagRole(q *request, w *xmlw) *apiError {
	r, err := s.roleParam(q)
	if err != nil {
		return err
	}
	return untagEntity(q, &r.Tags)
}

func (s *Server) listRoleTags(q *request, w *xmlw) *apiError {
	r, err := s.roleParam(q)
	if err != nil {
		return err
	}
	return listTags(q, w, r.Tags)
}

func (s *Server) putRolePolicy(q *request, w *xmlw) *apiError {
	return s.putInline(q, (*Server).rolePrincipal)
}

func (s *Server) getRolePolicy(q *request, w *xmlw) *apiError {
	return s.getInline(q, w, (*Server).rolePrincipal)
}

func (s *Server) deleteRolePolicy(q *request, w *xmlw) *apiError {
	return s.deleteInline(q, (*Server).rolePrincipal)
}

func (s *Server) listRolePolicies(q *request, w *xmlw) *apiError {
	return s.listInline(q, w, (*Server).rolePrincipal)
}

func (s *Server) attachRolePolicy(q *request, w *xmlw) *apiError {
	return s.attachPolicy(q, (*Server).rolePrincipal)
}

func (s *Server) detachRolePolicy(q *request, w *xmlw) *apiError {
	return s.detachPolicy(q, (*Server).rolePrincipal)
}

func (s *Server) listAttachedRolePolicies(q *request, w *xmlw) *apiError {
	return s.listAttached(q, w, (*Server).rolePrincipal)
}
