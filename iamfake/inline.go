package iamfake

import (
	"unicode"
)

// Inline policies of users and groups. IAM caps the total size of an
// entity's inline policies (whitespace not counted): 2,048 characters for
// a user, 5,120 for a group.

func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// putInline validates and stores an inline policy in ix.
func (s *Server) putInline(q *request, ix *index[*inlinePolicy], kind, owner string, limit int) *apiError {
	name, err := q.need("PolicyName", "policyName")
	if err != nil {
		return err
	}
	if err := checkName("policyName", name, maxPolicyName); err != nil {
		return err
	}
	doc, err := q.need("PolicyDocument", "policyDocument")
	if err != nil {
		return err
	}
	others := 0
	ix.each(func(p *inlinePolicy) {
		if lower(p.Name) != lower(name) {
			others += policySize(p.Document)
		}
	})
	sizeErr := func() *apiError {
		return errf(LimitExceeded, "Maximum policy size of %d bytes exceeded for %s %s", limit, kind, owner)
	}
	if others >= limit {
		return sizeErr()
	}
	if err := checkPolicyDocument(doc, limit-others, sizeErr); err != nil {
		return err
	}
	visible := s.visibleAt(q.now)
	if old, ok := ix.get(lower(name)); ok {
		visible = old.VisibleAt // replacing a policy does not hide it
	}
	ix.put(lower(name), &inlinePolicy{Name: name, Document: doc, VisibleAt: visible})
	return nil
}

func (s *Server) inlineParam(q *request, ix *index[*inlinePolicy], kind string) (*inlinePolicy, *apiError) {
	name, err := q.need("PolicyName", "policyName")
	if err != nil {
		return nil, err
	}
	if err := checkName("policyName", name, maxPolicyName); err != nil {
		return nil, err
	}
	p, ok := ix.get(lower(name))
	if !ok || !q.visible(p.VisibleAt) {
		return nil, errf(NoSuchEntity, "The %s policy with name %s cannot be found.", kind, name)
	}
	return p, nil
}

func listInline(q *request, w *xmlw, ix *index[*inlinePolicy]) *apiError {
	max, marker, err := q.paging()
	if err != nil {
		return err
	}
	ps, next, err := ix.page(marker, max, func(p *inlinePolicy) bool { return q.visible(p.VisibleAt) })
	if err != nil {
		return err
	}
	w.open("PolicyNames")
	for _, p := range ps {
		w.el("member", p.Name)
	}
	w.close("PolicyNames")
	w.page(next)
	return nil
}

func (s *Server) putUserPolicy(q *request, w *xmlw) *apiError {
	u, err := s.userParam(q)
	if err != nil {
		return err
	}
	return s.putInline(q, &u.Inline, "user", u.Name, userPolicySize)
}

func (s *Server) getUserPolicy(q *request, w *xmlw) *apiError {
	u, err := s.userParam(q)
	if err != nil {
		return err
	}
	p, err := s.inlineParam(q, &u.Inline, "user")
	if err != nil {
		return err
	}
	w.el("UserName", u.Name)
	w.el("PolicyName", p.Name)
	w.el("PolicyDocument", urlEncode(p.Document))
	return nil
}

func (s *Server) deleteUserPolicy(q *request, w *xmlw) *apiError {
	u, err := s.userParam(q)
	if err != nil {
		return err
	}
	p, err := s.inlineParam(q, &u.Inline, "user")
	if err != nil {
		return err
	}
	u.Inline.del(lower(p.Name))
	return nil
}

func (s *Server) listUserPolicies(q *request, w *xmlw) *apiError {
	u, err := s.userParam(q)
	if err != nil {
		return err
	}
	return listInline(q, w, &u.Inline)
}

func (s *Server) putGroupPolicy(q *request, w *xmlw) *apiError {
	g, err := s.groupParam(q)
	if err != nil {
		return err
	}
	return s.putInline(q, &g.Inline, "group", g.Name, groupPolicySize)
}

func (s *Server) getGroupPolicy(q *request, w *xmlw) *apiError {
	g, err := s.groupParam(q)
	if err != nil {
		return err
	}
	p, err := s.inlineParam(q, &g.Inline, "group")
	if err != nil {
		return err
	}
	w.el("GroupName", g.Name)
	w.el("PolicyName", p.Name)
	w.el("PolicyDocument", urlEncode(p.Document))
	return nil
}

func (s *Server) deleteGroupPolicy(q *request, w *xmlw) *apiError {
	g, err := s.groupParam(q)
	if err != nil {
		return err
	}
	p, err := s.inlineParam(q, &g.Inline, "group")
	if err != nil {
		return err
	}
	g.Inline.del(lower(p.Name))
	return nil
}

func (s *Server) listGroupPolicies(q *request, w *xmlw) *apiError {
	g, err := s.groupParam(q)
	if err != nil {
		return err
	}
	return listInline(q, w, &g.Inline)
}
