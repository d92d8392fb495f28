package iamfake

import (
	"strconv"
	"strings"
)

// SimulatePrincipalPolicy for a user of the account who is not the caller
// evaluates that user's identity policies as IAM does: the user's inline
// and attached policies and those of its groups, each statement's Action
// or NotAction (wildcards * and ?, case-insensitive), and its string
// Conditions against the request's ContextEntries (ses:FromAddress, say).
// An explicit Deny wins over any Allow; with no Allow the answer is
// implicitDeny. Resources are taken as matching. The evaluation is
// sesprov's own (internal/policy.Evaluate); a condition operator it does
// not evaluate (anything but the String ones) is answered InvalidInput
// rather than guessed, since guessing could make a Deny look absent. The caller itself (and roles and groups) keeps the
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
