package iamfake

import (
	"net/url"
	"strconv"
	"strings"
)

// SimulatePrincipalPolicy for a user of the account who is not the caller
// evaluates that user's identity policies as IAM does: the user's inline
// and attached policies and those of its groups, each statement's Action
// or NotAction (wildcards * and ?, case-insensitive), and its string
// Conditions against the request's ContextEntries (ses:FromAddress, say).
// An explicit Deny wins over any Allow; with no Allow the answer is
// implicitDeny. Resources are taken as matching, and a condition operator
// the fake does not evaluate (anything but the String ones) makes its
// statement not apply. The caller itself (and roles and groups) keeps the
// operator's answer, allowed unless DenyActions says otherwise, so the
// permission checks of tests that never set policies keep passing.

// contextEntries reads ContextEntries.member.N (ContextKeyName and
// ContextKeyValues.member.M) into key (lower case) -> values.
func (q *request) contextEntries() map[string][]string {
	out := map[string][]string{}
	for i := 1; ; i++ {
		p := "ContextEntries.member." + strconv.Itoa(i)
		name := q.get(p + ".ContextKeyName")
		if name == "" {
			return out
		}
		out[lower(name)] = append(out[lower(name)], q.list(p+".ContextKeyValues")...)
	}
}

// simulatedUser returns the stored user the ARN names, unless it is the
// caller: nil means "answer as the operator".
func (s *Server) simulatedUser(q *request, arn string) *user {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::"+s.opts.AccountID+":user/")
	if !ok {
		return nil
	}
	u, found := s.st.Users.get(lower(rest[strings.LastIndexByte(rest, '/')+1:]))
	if !found || s.callerUser(q) == u {
		return nil
	}
	return u
}

// userDocuments are the documents of every identity policy that applies
// to u: its own inline and attached, and its groups' inline and attached.
func (s *Server) userDocuments(u *user) []string {
	var docs []string
	add := func(inline index[*inlinePolicy], attached index[string]) {
		inline.each(func(p *inlinePolicy) { docs = append(docs, p.Document) })
		attached.each(func(arn string) {
			if p := s.policyByARN(arn); p != nil {
				if v := p.version(p.Default); v != nil {
					docs = append(docs, v.Document)
				}
			}
		})
	}
	add(u.Inline, u.Attached)
	u.Groups.each(func(m *membership) {
		if g, ok := s.st.Groups.get(lower(m.Group)); ok {
			add(g.Inline, g.Attached)
		}
	})
	return docs
}

// evaluateDocuments is IAM's decision for one action over docs.
func evaluateDocuments(docs []string, action string, ctx map[string][]string) string {
	allowed := false
	for _, doc := range docs {
		_, stmts, ok := parsePolicy(decodedDocument(doc))
		if !ok {
			continue
		}
		for _, st := range stmts {
			if !statementCovers(st, action) || !conditionsHold(st["Condition"], ctx) {
				continue
			}
			if st["Effect"] == "Deny" {
				return "explicitDeny"
			}
			allowed = true
		}
	}
	if allowed {
		return "allowed"
	}
	return "implicitDeny"
}

// decodedDocument undoes the URL encoding a stored document may carry.
func decodedDocument(doc string) string {
	if strings.HasPrefix(strings.TrimSpace(doc), "{") {
		return doc
	}
	if d, err := url.PathUnescape(doc); err == nil {
		return d
	}
	return doc
}

func statementCovers(st map[string]any, action string) bool {
	if a, ok := st["Action"]; ok {
		return anyGlob(stringsOf(a), action, true)
	}
	if na, ok := st["NotAction"]; ok {
		return !anyGlob(stringsOf(na), action, true)
	}
	return false
}

// conditionsHold: every operator and key must hold; a key's values are
// alternatives. Negated operators hold when the key is absent.
func conditionsHold(v any, ctx map[string][]string) bool {
	cond, _ := v.(map[string]any)
	for op, keys := range cond {
		km, _ := keys.(map[string]any)
		for key, want := range km {
			if !operatorHolds(op, ctx[lower(key)], stringsOf(want)) {
				return false
			}
		}
	}
	return true
}

func operatorHolds(op string, have, want []string) bool {
	base, ifExists := strings.CutSuffix(op, "IfExists")
	if ifExists && len(have) == 0 {
		return true
	}
	negated := strings.Contains(base, "Not")
	var like, fold bool
	switch base {
	case "StringEquals", "StringNotEquals":
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		fold = true
	case "StringLike", "StringNotLike":
		like = true
	default:
		return false
	}
	matched := false
	for _, h := range have {
		switch {
		case like && anyGlob(want, h, false):
			matched = true
		case !like:
			for _, w := range want {
				if w == h || fold && strings.EqualFold(w, h) {
					matched = true
				}
			}
		}
	}
	return matched != negated
}

// anyGlob matches s against IAM wildcards (* and ?); fold for action names.
func anyGlob(patterns []string, s string, fold bool) bool {
	if fold {
		s = lower(s)
	}
	for _, p := range patterns {
		if fold {
			p = lower(p)
		}
		if glob(p, s) {
			return true
		}
	}
	return false
}

// glob matches s against p, where * is any run of characters ('/'
// included) and ? any one.
func glob(p, s string) bool {
	if p == "" {
		return s == ""
	}
	switch p[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if glob(p[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && glob(p[1:], s[1:])
	}
	return s != "" && p[0] == s[0] && glob(p[1:], s[1:])
}
