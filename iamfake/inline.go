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

func (s *Server) putUserPolicy(q *request, w *xmlw) *apiError {
	return s.putInline(q, (*Server).userPrincipal)
}

func (s *Server) getUserPolicy(q *request, w *xmlw) *apiError {
	return s.getInline(q, w, (*Server).userPrincipal)
}

func (s *Server) deleteUserPolicy(q *request, w *xmlw) *apiError {
	return s.deleteInline(q, (*Server).userPrincipal)
}

func (s *Server) listUserPolicies(q *request, w *xmlw) *apiError {
	return s.listInline(q, w, (*Server).userPrincipal)
}

func (s *Server) putGroupPolicy(q *request, w *xmlw) *apiError {
	return s.putInline(q, (*Server).groupPrincipal)
}

func (s *Server) getGroupPolicy(q *request, w *xmlw) *apiError {
	return s.getInline(q, w, (*Server).groupPrincipal)
}

func (s *Server) deleteGroupPolicy(q *request, w *xmlw) *apiError {
	return s.deleteInline(q, (*Server).groupPrincipal)
}

func (s *Server) listGroupPolicies(q *request, w *xmlw) *apiError {
	return s.listInline(q, w, (*Server).groupPrincipal)
}

// putInline validates and stores an inline policy of the principal.
func (s *Server) putInline(q *request, param principalParam) *apiError {
	who, err := param(s, q)
	if err != nil {
		return err
	}
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
	ix, limit := who.inline, who.inlineSize
	others := 0
	ix.each(func(p *inlinePolicy) {
		if lower(p.Name) != lower(name) {
			others += policySize(p.Document)
		}
	})
	sizeErr := func() *apiError {
		return errf(LimitExceeded, "Maximum policy size of %d bytes exceeded for %s %s", limit, who.kind, who.name)
	}
	if others >= limit {
		return sizeErr()
	}
	if err := checkPolicyDocument(doc, inlineDoc, limit-others, sizeErr); err != nil {
		return err
	}
	visible := s.visibleAt(q.now)
	if old, ok := ix.get(lower(name)); ok {
		visible = old.VisibleAt // replacing a policy does not hide it
	}
	ix.put(lower(name), &inlinePolicy{Name: name, Document: doc, VisibleAt: visible})
	return nil
}

// inlineParam reads the principal and PolicyName and finds the policy as
// reads see it.
func (s *Server) inlineParam(q *request, param principalParam) (*principal, *inlinePolicy, *apiError) {
	who, err := param(s, q)
	if err != nil {
		return nil, nil, err
	}
	name, err := q.need("PolicyName", "policyName")
	if err != nil {
		return nil, nil, err
	}
	if err := checkName("policyName", name, maxPolicyName); err != nil {
		return nil, nil, err
	}
	p, ok := who.inline.get(lower(name))
	if !ok || !q.visible(p.VisibleAt) {
		return nil, nil, errf(NoSuchEntity, "The %s policy with name %s cannot be found.", who.kind, name)
	}
	return who, p, nil
}

func (s *Server) getInline(q *request, w *xmlw, param principalParam) *apiError {
	who, p, err := s.inlineParam(q, param)
	if err != nil {
		return err
	}
	w.el(who.nameElement, who.name)
	w.el("PolicyName", p.Name)
	w.el("PolicyDocument", urlEncode(p.Document))
	return nil
}

func (s *Server) deleteInline(q *request, param principalParam) *apiError {
	who, p, err := s.inlineParam(q, param)
	if err != nil {
		return err
	}
	who.inline.del(lower(p.Name))
	return nil
}

func (s *Server) listInline(q *request, w *xmlw, param principalParam) *apiError {
	who, err := param(s, q)
	if err != nil {
		return err
	}
	ps, next, err := who.inline.pageFor(q, func(p *inlinePolicy) bool { return q.visible(p.VisibleAt) })
	if err != nil {
		return err
	}
	writeList(w, "PolicyNames", ps, next, func(p *inlinePolicy) { w.text(p.Name) })
	return nil
}
