package iamfake

import (
	"strconv"
	"strings"
)

// GetAccountAuthorizationDetails: every user, group, role and managed
// policy of the account with what binds them (inline policies, group
// memberships, attachments), in one paginated answer.
//
// The answer is one sequence across entity kinds: users, then groups,
// roles, customer managed policies and AWS managed policies, each in name
// order. MaxItems counts items of every kind together, and the Marker
// names the kind and the item the next page starts at, so a page may end
// among the users and the next begin with them, or hold the last users
// and the first groups. Each kind is written in its own list element
// (UserDetailList, GroupDetailList, RoleDetailList, Policies), all four
// always present, empty when the page holds none of that kind.

// Registered here rather than in actions.go's table so that this file
// merges without touching the table others edit.
func init() {
	actions["GetAccountAuthorizationDetails"] = action{(*Server).getAccountAuthorizationDetails, false}
}

// detailSection is one kind of entity in the answer.
type detailSection struct {
	filter string // its value of the Filter parameter
	list   string // the element its items are written in
	// page writes up to max items as <member> elements, starting at the
	// item whose index key is from ("" = the first), and returns how many
	// it wrote and the key of the next item ("" = none left).
	page func(s *Server, q *request, w *xmlw, from string, max int) (n int, next string, err *apiError)
}

// roleDetails pages the account's roles into RoleDetailList. iamfake has
// no roles yet, so it is nil and RoleDetailList is always empty. The roles
// code sets it, in an init beside the role type, to a function built on
// pageDetails over the roles' index (RoleName, RoleId, Arn, Path,
// CreateDate, AssumeRolePolicyDocument URL-encoded, RolePolicyList,
// AttachedManagedPolicies, InstanceProfileList, Tags, PermissionsBoundary,
// RoleLastUsed); policyAttachments should then count roles too.
var roleDetails func(s *Server, q *request, w *xmlw, from string, max int) (int, string, *apiError)

func detailSections() []detailSection {
	return []detailSection{
		{"User", "UserDetailList", (*Server).pageUserDetails},
		{"Group", "GroupDetailList", (*Server).pageGroupDetails},
		{"Role", "RoleDetailList", func(s *Server, q *request, w *xmlw, from string, max int) (int, string, *apiError) {
			if roleDetails == nil {
				return 0, "", nil
			}
			return roleDetails(s, q, w, from, max)
		}},
		{"LocalManagedPolicy", "Policies", (*Server).pageLocalPolicyDetails},
		{"AWSManagedPolicy", "Policies", (*Server).pageAWSPolicyDetails},
	}
}

const entityTypes = "[User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]"

func (s *Server) getAccountAuthorizationDetails(q *request, w *xmlw) *apiError {
	sections := detailSections()
	want := map[string]bool{}
	filter := q.list("Filter")
	for _, f := range filter {
		ok := false
		for _, sec := range sections {
			ok = ok || sec.filter == f
		}
		if !ok {
			return constraint("filter", "["+strings.Join(filter, ", ")+"]",
				"Member must satisfy constraint: [Member must satisfy enum value set: "+entityTypes+"]")
		}
		want[f] = true
	}
	max, marker, err := q.paging()
	if err != nil {
		return err
	}
	start, from := 0, ""
	if marker != "" {
		var ok bool
		if start, from, ok = decodeDetailsMarker(marker, len(sections)); !ok {
			return errf(ValidationError, "Invalid Marker.")
		}
	}

	// Sections sharing an element (the two kinds of managed policy) are
	// adjacent, so each element is opened once, in the model's order.
	next, open := "", ""
	for i, sec := range sections {
		if sec.list != open {
			if open != "" {
				w.close(open)
			}
			w.open(sec.list)
			open = sec.list
		}
		if i < start || next != "" || len(filter) > 0 && !want[sec.filter] {
			continue
		}
		f := ""
		if i == start {
			f = from
		}
		if max == 0 {
			// The page is full: it is truncated if a wanted item follows.
			if n, _, err := sec.page(s, q, &xmlw{}, f, 1); err != nil {
				return err
			} else if n > 0 {
				next = encodeDetailsMarker(i, f)
			}
			continue
		}
		n, k, err := sec.page(s, q, w, f, max)
		if err != nil {
			return err
		}
		max -= n
		if k != "" {
			next = encodeDetailsMarker(i, k)
		}
	}
	w.close(open)
	w.page(next)
	return nil
}

// The marker names the section and the index key of the item the next
// page starts at; it is opaque to clients, as IAM's are.
func encodeDetailsMarker(section int, key string) string {
	return encodeMarker("d" + strconv.Itoa(section) + ":" + key)
}

func decodeDetailsMarker(m string, sections int) (section int, key string, ok bool) {
	raw, ok := decodeMarker(m)
	if !ok || !strings.HasPrefix(raw, "d") {
		return 0, "", false
	}
	num, key, ok := strings.Cut(raw[1:], ":")
	section, err := strconv.Atoi(num)
	if !ok || err != nil || section < 0 || section >= sections {
		return 0, "", false
	}
	return section, key, true
}

// pageDetails pages an index for GetAccountAuthorizationDetails: up to max
// items for which keep is true, from the key from on, each written by
// write inside a <member> element.
func pageDetails[T any](ix *index[T], w *xmlw, from string, max int, keep func(T) bool, write func(T)) (int, string, *apiError) {
	marker := ""
	if from != "" {
		marker = encodeMarker(from)
	}
	items, next, err := ix.page(marker, max, keep)
	if err != nil {
		return 0, "", err
	}
	for _, it := range items {
		w.open("member")
		write(it)
		w.close("member")
	}
	if next != "" {
		next, _ = decodeMarker(next)
	}
	return len(items), next, nil
}

func (s *Server) pageUserDetails(q *request, w *xmlw, from string, max int) (int, string, *apiError) {
	return pageDetails(&s.st.Users, w, from, max,
		func(u *user) bool { return q.visible(u.VisibleAt) },
		func(u *user) {
			w.el("Path", u.Path)
			w.el("UserName", u.Name)
			w.el("UserId", u.ID)
			w.arn("Arn", s.opts.AccountID, "user", u.Path, u.Name)
			w.time("CreateDate", u.Created)
			writePolicyDetails(w, q, "UserPolicyList", &u.Inline)
			w.open("GroupList")
			u.Groups.each(func(m *membership) {
				if q.visible(m.VisibleAt) {
					w.el("member", m.Group)
				}
			})
			w.close("GroupList")
			s.writeAttachedDetails(w, &u.Attached)
			if u.Boundary != "" {
				w.open("PermissionsBoundary")
				w.el("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
				w.el("PermissionsBoundaryArn", u.Boundary)
				w.close("PermissionsBoundary")
			}
			writeTags(w, u.Tags)
		})
}

func (s *Server) pageGroupDetails(q *request, w *xmlw, from string, max int) (int, string, *apiError) {
	return pageDetails(&s.st.Groups, w, from, max,
		func(g *group) bool { return q.visible(g.VisibleAt) },
		func(g *group) {
			w.el("Path", g.Path)
			w.el("GroupName", g.Name)
			w.el("GroupId", g.ID)
			w.arn("Arn", s.opts.AccountID, "group", g.Path, g.Name)
			w.time("CreateDate", g.Created)
			writePolicyDetails(w, q, "GroupPolicyList", &g.Inline)
			s.writeAttachedDetails(w, &g.Attached)
		})
}

func (s *Server) pageLocalPolicyDetails(q *request, w *xmlw, from string, max int) (int, string, *apiError) {
	return pageDetails(&s.st.Policies, w, from, max,
		func(p *policy) bool { return q.visible(p.VisibleAt) },
		func(p *policy) { s.writeManagedPolicyDetail(w, p) })
}

// pageAWSPolicyDetails lists the AWS managed policies the account uses
// (attached to a user or group, or a permissions boundary): IAM's answer
// leaves out the hundreds of AWS managed policies nobody in the account
// uses.
func (s *Server) pageAWSPolicyDetails(q *request, w *xmlw, from string, max int) (int, string, *apiError) {
	return pageDetails(&s.st.AWS, w, from, max,
		func(p *policy) bool { return policyAttachments(p) > 0 || p.Boundaries > 0 },
		func(p *policy) { s.writeManagedPolicyDetail(w, p) })
}

// policyAttachments counts the entities a managed policy is attached to.
func policyAttachments(p *policy) int { return p.Users.len() + p.Groups.len() }

// writePolicyDetails writes an entity's inline policies, documents
// URL-encoded as IAM returns them.
func writePolicyDetails(w *xmlw, q *request, list string, ix *index[*inlinePolicy]) {
	w.open(list)
	ix.each(func(p *inlinePolicy) {
		if !q.visible(p.VisibleAt) {
			return
		}
		w.open("member")
		w.el("PolicyName", p.Name)
		w.el("PolicyDocument", urlEncode(p.Document))
		w.close("member")
	})
	w.close(list)
}

// writeAttachedDetails writes an entity's attached managed policies.
func (s *Server) writeAttachedDetails(w *xmlw, ix *index[string]) {
	w.open("AttachedManagedPolicies")
	ix.each(func(arn string) {
		w.open("member")
		name := arn[strings.LastIndexByte(arn, '/')+1:]
		if p := s.policyByARN(arn); p != nil {
			name = p.Name
		}
		w.el("PolicyName", name)
		w.el("PolicyArn", arn)
		w.close("member")
	})
	w.close("AttachedManagedPolicies")
}

func (s *Server) writeManagedPolicyDetail(w *xmlw, p *policy) {
	w.el("PolicyName", p.Name)
	w.el("PolicyId", p.ID)
	w.el("Arn", p.ARN)
	w.el("Path", p.Path)
	w.el("DefaultVersionId", p.Default)
	w.int("AttachmentCount", policyAttachments(p))
	w.int("PermissionsBoundaryUsageCount", p.Boundaries)
	w.bool("IsAttachable", true)
	w.opt("Description", p.Description)
	w.time("CreateDate", p.Created)
	w.time("UpdateDate", p.Updated)
	w.open("PolicyVersionList")
	for _, v := range p.Versions {
		w.open("member")
		w.el("Document", urlEncode(v.Document))
		w.el("VersionId", v.ID)
		w.bool("IsDefaultVersion", v.ID == p.Default)
		w.time("CreateDate", v.Created)
		w.close("member")
	}
	w.close("PolicyVersionList")
}
