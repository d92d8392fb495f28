package iamfake

import "strings"

// Groups and group membership.

func (s *Server) group(q *request, name string) (*group, *apiError) {
	g, ok := s.st.Groups.get(lower(name))
	if !ok || !q.visible(g.VisibleAt) {
		return nil, noSuchGroup(name)
	}
	return g, nil
}

func (s *Server) groupParam(q *request) (*group, *apiError) {
	name, err := q.need("GroupName", "groupName")
	if err != nil {
		return nil, err
	}
	if err := checkName("groupName", name, maxGroupName); err != nil {
		return nil, err
	}
	return s.group(q, name)
}

func (s *Server) writeGroup(w *xmlw, g *group) {
	w.el("Path", g.Path)
	w.el("GroupName", g.Name)
	w.el("GroupId", g.ID)
	w.arn("Arn", s.opts.AccountID, "group", g.Path, g.Name)
	w.time("CreateDate", g.Created)
}

func (s *Server) createGroup(q *request, w *xmlw) *apiError {
	name, path, err := q.nameAndPath("GroupName", "groupName", maxGroupName)
	if err != nil {
		return err
	}
	if _, ok := s.st.Groups.get(lower(name)); ok {
		return errf(EntityAlreadyExists, "Group with name %s already exists.", name)
	}
	if s.opts.GroupsQuota > 0 && s.st.Groups.len() >= s.opts.GroupsQuota {
		return quota("GroupsPerAccount", s.opts.GroupsQuota)
	}
	g := &group{Name: name, Path: path, ID: randomID("AGPA", 17), Created: q.now, VisibleAt: s.visibleAt(q.now)}
	s.st.Groups.put(lower(name), g)
	w.open("Group")
	s.writeGroup(w, g)
	w.close("Group")
	return nil
}

func (s *Server) getGroup(q *request, w *xmlw) *apiError {
	g, err := s.groupParam(q)
	if err != nil {
		return err
	}
	members, next, err := g.Members.pageFor(q, func(m *membership) bool {
		if !q.visible(m.VisibleAt) {
			return false
		}
		u, ok := s.st.Users.get(lower(m.User))
		return ok && q.visible(u.VisibleAt)
	})
	if err != nil {
		return err
	}
	w.open("Group")
	s.writeGroup(w, g)
	w.close("Group")
	writeList(w, "Users", members, next, func(m *membership) {
		u, _ := s.st.Users.get(lower(m.User))
		s.writeUser(w, u, false)
	})
	return nil
}

func (s *Server) deleteGroup(q *request, w *xmlw) *apiError {
	g, err := s.groupParam(q)
	if err != nil {
		return err
	}
	switch {
	case g.Members.len() > 0:
		return deleteConflict("remove users from group")
	case g.Inline.len() > 0:
		return deleteConflict("delete policies")
	case g.Attached.len() > 0:
		return deleteConflict("detach all policies")
	}
	s.st.Groups.del(lower(g.Name))
	return nil
}

func (s *Server) listGroups(q *request, w *xmlw) *apiError {
	max, marker, prefix, err := q.pagingPrefix()
	if err != nil {
		return err
	}
	groups, next, err := s.st.Groups.page(marker, max, func(g *group) bool {
		return q.visible(g.VisibleAt) && strings.HasPrefix(g.Path, prefix)
	})
	if err != nil {
		return err
	}
	writeList(w, "Groups", groups, next, func(g *group) { s.writeGroup(w, g) })
	return nil
}

func (s *Server) updateGroup(q *request, w *xmlw) *apiError {
	g, err := s.groupParam(q)
	if err != nil {
		return err
	}
	newName, newPath, err := q.renaming("NewGroupName", "newGroupName", maxGroupName, g.Name, g.Path)
	if err != nil {
		return err
	}
	if lower(newName) != lower(g.Name) {
		if _, ok := s.st.Groups.get(lower(newName)); ok {
			return errf(EntityAlreadyExists, "Group with name %s already exists.", newName)
		}
	}
	old := g.Name
	s.st.Groups.del(lower(old))
	g.Name, g.Path = newName, newPath
	s.st.Groups.put(lower(newName), g)
	g.Members.each(func(m *membership) {
		m.Group = newName
		if u, ok := s.st.Users.get(lower(m.User)); ok {
			u.Groups.del(lower(old))
			u.Groups.put(lower(newName), m)
		}
	})
	g.Attached.each(func(arn string) {
		if p := s.policyByARN(arn); p != nil {
			p.Groups.del(lower(old))
			p.Groups.put(lower(newName), newName)
		}
	})
	return nil
}

const groupsPerUser = 10

// memberParams reads GroupName, then UserName, of a membership action.
func (s *Server) memberParams(q *request) (*group, *user, *apiError) {
	g, err := s.groupParam(q)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.userParam(q)
	if err != nil {
		return nil, nil, err
	}
	return g, u, nil
}

func (s *Server) addUserToGroup(q *request, w *xmlw) *apiError {
	g, u, err := s.memberParams(q)
	if err != nil {
		return err
	}
	if _, ok := g.Members.get(lower(u.Name)); ok {
		return nil // already a member: IAM answers success
	}
	if u.Groups.len() >= groupsPerUser {
		return quota("GroupsPerUser", groupsPerUser)
	}
	m := &membership{Group: g.Name, User: u.Name, VisibleAt: s.visibleAt(q.now)}
	g.Members.put(lower(u.Name), m)
	u.Groups.put(lower(g.Name), m)
	return nil
}

func (s *Server) removeUserFromGroup(q *request, w *xmlw) *apiError {
	g, u, err := s.memberParams(q)
	if err != nil {
		return err
	}
	if _, ok := g.Members.get(lower(u.Name)); !ok {
		return errf(NoSuchEntity, "The user with name %s is not in group %s.", u.Name, g.Name)
	}
	g.Members.del(lower(u.Name))
	u.Groups.del(lower(g.Name))
	return nil
}

func (s *Server) listGroupsForUser(q *request, w *xmlw) *apiError {
	u, err := s.userParam(q)
	if err != nil {
		return err
	}
	ms, next, err := u.Groups.pageFor(q, func(m *membership) bool { return q.visible(m.VisibleAt) })
	if err != nil {
		return err
	}
	writeList(w, "Groups", ms, next, func(m *membership) {
		g, _ := s.st.Groups.get(lower(m.Group))
		s.writeGroup(w, g)
	})
	return nil
}
