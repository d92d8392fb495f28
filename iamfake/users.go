package iamfake

import (
	"strings"
)

// Users, their tags and permissions boundaries.

func (s *Server) arn(kind, path, name string) string {
	return "arn:aws:iam::" + s.opts.AccountID + ":" + kind + path + name
}

// user looks a user up by name as reads see it: a user still within the
// consistency delay is not there yet.
func (s *Server) user(q *request, name string) (*user, *apiError) {
	u, ok := s.st.Users.get(lower(name))
	if !ok || !q.visible(u.VisibleAt) {
		return nil, noSuchUser(name)
	}
	return u, nil
}

// userParam reads, validates and looks up the UserName parameter.
func (s *Server) userParam(q *request) (*user, *apiError) {
	name, err := q.need("UserName", "userName")
	if err != nil {
		return nil, err
	}
	if err := checkName("userName", name, maxUserName); err != nil {
		return nil, err
	}
	return s.user(q, name)
}

func (s *Server) writeUser(w *xmlw, u *user, full bool) {
	w.el("Path", u.Path)
	w.el("UserName", u.Name)
	w.el("UserId", u.ID)
	w.arn("Arn", s.opts.AccountID, "user", u.Path, u.Name)
	w.time("CreateDate", u.Created)
	if !full {
		return
	}
	if u.Boundary != "" {
		w.open("PermissionsBoundary")
		// "Policy" is what AWS answers; the SDK's enum and the API
		// reference say PermissionsBoundaryPolicy.
		w.el("PermissionsBoundaryType", "Policy")
		w.el("PermissionsBoundaryArn", u.Boundary)
		w.close("PermissionsBoundary")
	}
	writeTags(w, u.Tags)
}

// writeTags writes the Tags element when there are tags.
func writeTags(w *xmlw, tags []tag) {
	if len(tags) > 0 {
		writeTagList(w, tags)
	}
}

// writeTagList writes the Tags element, empty when there are none.
func writeTagList(w *xmlw, tags []tag) {
	w.open("Tags")
	for _, t := range tags {
		w.open("member")
		writeTag(w, t)
		w.close("member")
	}
	w.close("Tags")
}

func writeTag(w *xmlw, t tag) {
	w.el("Key", t.Key)
	w.el("Value", t.Value)
}

func (s *Server) createUser(q *request, w *xmlw) *apiError {
	name, path, err := q.nameAndPath("UserName", "userName", maxUserName)
	if err != nil {
		return err
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
	if _, ok := s.st.Users.get(lower(name)); ok {
		return errf(EntityAlreadyExists, "User with name %s already exists.", name)
	}
	if s.opts.UsersQuota > 0 && s.st.Users.len() >= s.opts.UsersQuota {
		return quota("UsersPerAccount", s.opts.UsersQuota)
	}
	u := &user{Name: name, Path: path, ID: randomID("AIDA", 17), Created: q.now, VisibleAt: s.visibleAt(q.now), Tags: tags}
	if boundary != "" {
		u.Boundary = boundary
		s.boundaryPolicy(boundary).Boundaries++
	}
	s.st.Users.put(lower(name), u)
	w.open("User")
	s.writeUser(w, u, true)
	w.close("User")
	return nil
}

// callerUser is the user GetUser without a name answers with: the owner
// of the signing key when the account holds it, else the operator
// (user/iamfake, who exists outside the account's user list).
func (s *Server) callerUser(q *request) *user {
	if k, ok := s.st.Keys[q.key]; ok {
		if u, ok := s.st.Users.get(lower(k.User)); ok {
			return u
		}
	}
	return &user{Name: operatorName, Path: "/", ID: s.operatorID(), Created: s.started}
}

// operatorID is stable for an account, so GetCallerIdentity answers the
// same across restarts.
func (s *Server) operatorID() string { return stableID("AIDA", "operator:"+s.opts.AccountID) }

func (s *Server) getUser(q *request, w *xmlw) *apiError {
	var u *user
	if q.has("UserName") {
		var err *apiError
		if u, err = s.userParam(q); err != nil {
			return err
		}
	} else {
		u = s.callerUser(q)
	}
	w.open("User")
	s.writeUser(w, u, true)
	w.close("User")
	return nil
}

func (s *Server) deleteUser(q *request, w *xmlw) *apiError {
	u, err := s.userParam(q)
	if err != nil {
		return err
	}
	switch {
	case u.Login != nil:
		return deleteConflict("delete login profile")
	case len(u.Keys) > 0:
		return deleteConflict("delete access keys")
	case len(u.Certs) > 0:
		return deleteConflict("delete signing certificates")
	case len(u.SSHKeys) > 0:
		return deleteConflict("delete SSH public keys")
	case len(u.SvcCreds) > 0:
		return deleteConflict("delete service specific credentials")
	case u.MFA.len() > 0:
		return deleteConflict("delete MFA devices")
	case u.Inline.len() > 0:
		return deleteConflict("delete policies")
	case u.Attached.len() > 0:
		return deleteConflict("detach all policies")
	case u.Groups.len() > 0:
		return deleteConflict("remove users from group")
	}
	if u.Boundary != "" {
		s.boundaryPolicy(u.Boundary).Boundaries--
	}
	s.st.Users.del(lower(u.Name))
	return nil
}

func (s *Server) listUsers(q *request, w *xmlw) *apiError {
	max, marker, prefix, err := q.pagingPrefix()
	if err != nil {
		return err
	}
	users, next, err := s.st.Users.page(marker, max, func(u *user) bool {
		return q.visible(u.VisibleAt) && strings.HasPrefix(u.Path, prefix)
	})
	if err != nil {
		return err
	}
	writeList(w, "Users", users, next, func(u *user) { s.writeUser(w, u, false) })
	return nil
}

func (s *Server) updateUser(q *request, w *xmlw) *apiError {
	u, err := s.userParam(q)
	if err != nil {
		return err
	}
	newName, newPath, err := q.renaming("NewUserName", "newUserName", maxUserName, u.Name, u.Path)
	if err != nil {
		return err
	}
	if lower(newName) != lower(u.Name) {
		if _, ok := s.st.Users.get(lower(newName)); ok {
			return errf(EntityAlreadyExists, "User with name %s already exists.", newName)
		}
	}
	old := u.Name
	s.st.Users.del(lower(old))
	u.Name, u.Path = newName, newPath
	s.st.Users.put(lower(newName), u)
	if lower(old) == lower(newName) && old == newName {
		return nil
	}
	// Everything that names the user follows the rename.
	u.Groups.each(func(m *membership) {
		m.User = newName
		if g, ok := s.st.Groups.get(lower(m.Group)); ok {
			g.Members.del(lower(old))
			g.Members.put(lower(newName), m)
		}
	})
	for _, k := range u.Keys {
		k.User = newName
	}
	u.Attached.each(func(arn string) {
		if p := s.policyByARN(arn); p != nil {
			p.Users.del(lower(old))
			p.Users.put(lower(newName), newName)
		}
	})
	u.MFA.each(func(d *mfaDevice) { d.User = newName })
	return nil
}

func (s *Server) tagUser(q *request, w *xmlw) *apiError {
	u, err := s.userParam(q)
	if err != nil {
		return err
	}
	return tagEntity(q, &u.Tags)
}

func (s *Server) untagUser(q *request, w *xmlw) *apiError {
	u, err := s.userParam(q)
	if err != nil {
		return err
	}
	return untagEntity(q, &u.Tags)
}

func (s *Server) listUserTags(q *request, w *xmlw) *apiError {
	u, err := s.userParam(q)
	if err != nil {
		return err
	}
	return listTags(q, w, u.Tags)
}

// checkBoundary validates a permissions boundary: a managed policy that exists.
func (s *Server) checkBoundary(q *request, arn string) *apiError {
	if len(arn) < 20 || len(arn) > 2048 {
		return constraint("permissionsBoundary", arn, "Member must have length greater than or equal to 20")
	}
	p := s.policyByARN(arn)
	if p == nil || !q.visible(p.VisibleAt) {
		return errf(NoSuchEntity, "Scope ARN: %s does not exist or is not attachable.", arn)
	}
	return nil
}

func (s *Server) boundaryPolicy(arn string) *policy {
	if p := s.policyByARN(arn); p != nil {
		return p
	}
	return &policy{} // deleted meanwhile: count into the void
}

func (s *Server) putUserPermissionsBoundary(q *request, w *xmlw) *apiError {
	u, err := s.userParam(q)
	if err != nil {
		return err
	}
	arn, err := q.need("PermissionsBoundary", "permissionsBoundary")
	if err != nil {
		return err
	}
	if err := s.checkBoundary(q, arn); err != nil {
		return err
	}
	if u.Boundary != "" {
		s.boundaryPolicy(u.Boundary).Boundaries--
	}
	u.Boundary = arn
	s.boundaryPolicy(arn).Boundaries++
	return nil
}

func (s *Server) deleteUserPermissionsBoundary(q *request, w *xmlw) *apiError {
	u, err := s.userParam(q)
	if err != nil {
		return err
	}
	if u.Boundary == "" {
		return errf(NoSuchEntity, "The user with name %s does not have a permissions boundary.", u.Name)
	}
	s.boundaryPolicy(u.Boundary).Boundaries--
	u.Boundary = ""
	return nil
}
