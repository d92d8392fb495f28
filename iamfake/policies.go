package iamfake

import (
	"strconv"
	"strings"
)

// Customer-managed policies, their versions and their attachments.

const (
	versionsPerPolicy = 5
	policiesPerEntity = 10
)

// parsePolicyARN splits arn:aws:iam::ACCOUNT:policy/PATH/NAME.
func parsePolicyARN(arn string) (account, path, name string, ok bool) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok {
		return "", "", "", false
	}
	account, rest, ok = strings.Cut(rest, ":policy")
	if !ok || account == "" || !strings.HasPrefix(rest, "/") {
		return "", "", "", false
	}
	i := strings.LastIndexByte(rest, '/')
	path, name = rest[:i+1], rest[i+1:]
	return account, path, name, name != ""
}

// policyByARN finds a policy of this account by its exact ARN (nil if none),
// whatever the consistency delay.
func (s *Server) policyByARN(arn string) *policy {
	account, _, name, ok := parsePolicyARN(arn)
	if !ok {
		return nil
	}
	if account == "aws" {
		return s.awsPolicyByARN(arn)
	}
	p, ok := s.st.Policies.get(lower(name))
	if !ok || p.ARN != arn {
		return nil
	}
	return p
}

// policyParam reads PolicyArn and finds the policy as reads see it.
func (s *Server) policyParam(q *request) (*policy, *apiError) {
	arn, err := q.need("PolicyArn", "policyArn")
	if err != nil {
		return nil, err
	}
	if len(arn) < 20 || len(arn) > 2048 {
		return nil, constraint("policyArn", arn, "Member must have length greater than or equal to 20")
	}
	if _, _, _, ok := parsePolicyARN(arn); !ok {
		// AWS answers ValidationError; its API reference lists only
		// InvalidInput for these actions.
		return nil, errf(ValidationError, "Invalid ARN: %s", arn)
	}
	p := s.policyByARN(arn)
	if p == nil || !q.visible(p.VisibleAt) {
		return nil, noSuchPolicy(arn)
	}
	return p, nil
}

// changeablePolicyParam is policyParam for the actions that change a
// policy, which AWS managed policies refuse.
func (s *Server) changeablePolicyParam(q *request) (*policy, *apiError) {
	p, err := s.policyParam(q)
	if err != nil {
		return nil, err
	}
	if p.AWSManaged {
		return nil, awsManagedImmutable(p)
	}
	return p, nil
}

// How much of a policy an answer shows: GetPolicy shows its Description
// and its Tags (an empty list when it has none), CreatePolicy the tags it
// was given, lists neither.
type policyView int

const (
	policyListed policyView = iota
	policyCreated
	policyFull
)

func (s *Server) writePolicy(w *xmlw, p *policy, view policyView) {
	w.el("PolicyName", p.Name)
	w.el("PolicyId", p.ID)
	w.el("Arn", p.ARN)
	w.el("Path", p.Path)
	w.el("DefaultVersionId", p.Default)
	w.int("AttachmentCount", p.attachments())
	w.int("PermissionsBoundaryUsageCount", p.Boundaries)
	w.bool("IsAttachable", true)
	if view == policyFull {
		w.opt("Description", p.Description)
	}
	w.time("CreateDate", p.Created)
	w.time("UpdateDate", p.Updated)
	switch view {
	case policyFull:
		writeTagList(w, p.Tags)
	case policyCreated:
		writeTags(w, p.Tags)
	}
}

func managedSizeErr() *apiError { return quota("PolicySize", managedPolicySize) }

func (s *Server) createPolicy(q *request, w *xmlw) *apiError {
	name, path, err := q.nameAndPath("PolicyName", "policyName", maxPolicyName)
	if err != nil {
		return err
	}
	desc := q.get("Description")
	if len(desc) > 1000 {
		return constraint("description", desc, "Member must have length less than or equal to 1000")
	}
	doc, err := q.need("PolicyDocument", "policyDocument")
	if err != nil {
		return err
	}
	if err := checkPolicyDocument(doc, managedDoc, managedPolicySize, managedSizeErr); err != nil {
		return err
	}
	tags := q.tags()
	if err := checkTags(tags); err != nil {
		return err
	}
	if _, ok := s.st.Policies.get(lower(name)); ok {
		return errf(EntityAlreadyExists, "A policy called %s already exists. Duplicate names are not allowed.", name)
	}
	if s.opts.PoliciesQuota > 0 && s.st.Policies.len() >= s.opts.PoliciesQuota {
		return quota("PoliciesPerAccount", s.opts.PoliciesQuota)
	}
	p := &policy{
		Name: name, Path: path, ID: randomID("ANPA", 17), ARN: s.arn("policy", path, name),
		Description: desc, Created: q.now, Updated: q.now, VisibleAt: s.visibleAt(q.now),
		Default: "v1", NextVersion: 2, Tags: tags,
		Versions: []*policyVersion{{ID: "v1", Document: doc, Created: q.now}},
	}
	s.st.Policies.put(lower(name), p)
	w.open("Policy")
	s.writePolicy(w, p, policyCreated)
	w.close("Policy")
	return nil
}

func (s *Server) getPolicy(q *request, w *xmlw) *apiError {
	p, err := s.policyParam(q)
	if err != nil {
		return err
	}
	w.open("Policy")
	s.writePolicy(w, p, policyFull)
	w.close("Policy")
	return nil
}

func (s *Server) deletePolicy(q *request, w *xmlw) *apiError {
	p, err := s.changeablePolicyParam(q)
	if err != nil {
		return err
	}
	if p.attachments() > 0 || p.Boundaries > 0 {
		return errf(DeleteConflict, "Cannot delete a policy attached to entities.")
	}
	if len(p.Versions) > 1 {
		return errf(DeleteConflict, "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	}
	s.st.Policies.del(lower(p.Name))
	return nil
}

func (s *Server) listPolicies(q *request, w *xmlw) *apiError {
	max, marker, prefix, err := q.pagingPrefix()
	if err != nil {
		return err
	}
	scope := q.get("Scope")
	switch scope {
	case "", "All", "Local", "AWS":
	default:
		return constraint("scope", scope, "Member must satisfy enum value set: [All, AWS, Local]")
	}
	onlyAttached := q.boolean("OnlyAttached")
	usage := q.get("PolicyUsageFilter")
	switch usage {
	case "", "PermissionsPolicy", "PermissionsBoundary":
	default:
		return constraint("policyUsageFilter", usage, "Member must satisfy enum value set: [PermissionsBoundary, PermissionsPolicy]")
	}
	keep := func(p *policy) bool {
		if !q.visible(p.VisibleAt) || !strings.HasPrefix(p.Path, prefix) {
			return false
		}
		attached := p.attachments() > 0
		switch {
		case onlyAttached && usage == "PermissionsPolicy":
			return attached
		case onlyAttached && usage == "PermissionsBoundary":
			return p.Boundaries > 0
		case onlyAttached:
			return attached || p.Boundaries > 0
		}
		return true
	}
	// Customer managed policies first, then AWS managed ones; the marker
	// says which list it points into.
	var ps []*policy
	var next string
	local, aws := scope != "AWS", scope != "Local"
	if strings.HasPrefix(marker, "aws.") {
		local, marker = false, marker[len("aws."):]
	}
	if local {
		if ps, next, err = s.st.Policies.page(marker, max, keep); err != nil {
			return err
		}
		marker = ""
	}
	if aws && next == "" && len(ps) < max {
		more, n, err := s.st.AWS.page(marker, max-len(ps), keep)
		if err != nil {
			return err
		}
		ps = append(ps, more...)
		if n != "" {
			next = "aws." + n
		}
	} else if aws && next == "" && s.st.AWS.len() > 0 {
		next = "aws." + encodeMarker("")
	}
	writeList(w, "Policies", ps, next, func(p *policy) { s.writePolicy(w, p, policyListed) })
	return nil
}

func checkVersionID(v string) *apiError {
	rest, ok := strings.CutPrefix(v, "v")
	if !ok || rest == "" || rest[0] == '0' {
		return constraint("versionId", v, `Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)
	}
	return nil
}

func (s *Server) versionParam(q *request, p *policy) (*policyVersion, *apiError) {
	id, err := q.need("VersionId", "versionId")
	if err != nil {
		return nil, err
	}
	if err := checkVersionID(id); err != nil {
		return nil, err
	}
	v := p.version(id)
	if v == nil {
		return nil, errf(NoSuchEntity, "Policy %s version %s does not exist or is not attachable.", p.ARN, id)
	}
	return v, nil
}

func (s *Server) writeVersion(w *xmlw, p *policy, v *policyVersion, doc bool) {
	if doc {
		w.el("Document", urlEncode(v.Document))
	}
	w.el("VersionId", v.ID)
	w.bool("IsDefaultVersion", v.ID == p.Default)
	w.time("CreateDate", v.Created)
}

func (s *Server) createPolicyVersion(q *request, w *xmlw) *apiError {
	p, err := s.changeablePolicyParam(q)
	if err != nil {
		return err
	}
	doc, err := q.need("PolicyDocument", "policyDocument")
	if err != nil {
		return err
	}
	if err := checkPolicyDocument(doc, managedDoc, managedPolicySize, managedSizeErr); err != nil {
		return err
	}
	if len(p.Versions) >= versionsPerPolicy {
		return errf(LimitExceeded, "A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", versionsPerPolicy)
	}
	v := &policyVersion{ID: "v" + strconv.Itoa(p.NextVersion), Document: doc, Created: q.now}
	p.NextVersion++
	p.Versions = append(p.Versions, v)
	if q.boolean("SetAsDefault") {
		p.Default = v.ID
	}
	p.Updated = q.now
	w.open("PolicyVersion")
	s.writeVersion(w, p, v, false)
	w.close("PolicyVersion")
	return nil
}

func (s *Server) getPolicyVersion(q *request, w *xmlw) *apiError {
	p, err := s.policyParam(q)
	if err != nil {
		return err
	}
	v, err := s.versionParam(q, p)
	if err != nil {
		return err
	}
	w.open("PolicyVersion")
	s.writeVersion(w, p, v, true)
	w.close("PolicyVersion")
	return nil
}

func (s *Server) deletePolicyVersion(q *request, w *xmlw) *apiError {
	p, err := s.changeablePolicyParam(q)
	if err != nil {
		return err
	}
	v, err := s.versionParam(q, p)
	if err != nil {
		return err
	}
	if v.ID == p.Default {
		return errf(DeleteConflict, "Cannot delete the default version of a policy.")
	}
	for i, x := range p.Versions {
		if x == v {
			p.Versions = append(p.Versions[:i], p.Versions[i+1:]...)
			break
		}
	}
	return nil
}

func (s *Server) listPolicyVersions(q *request, w *xmlw) *apiError {
	p, err := s.policyParam(q)
	if err != nil {
		return err
	}
	newest := make([]*policyVersion, len(p.Versions))
	for i, v := range p.Versions {
		newest[len(p.Versions)-1-i] = v
	}
	vs, next, err := pageSliceFor(q, newest)
	if err != nil {
		return err
	}
	writeList(w, "Versions", vs, next, func(v *policyVersion) { s.writeVersion(w, p, v, false) })
	return nil
}

func (s *Server) setDefaultPolicyVersion(q *request, w *xmlw) *apiError {
	p, err := s.changeablePolicyParam(q)
	if err != nil {
		return err
	}
	v, err := s.versionParam(q, p)
	if err != nil {
		return err
	}
	p.Default = v.ID
	p.Updated = q.now
	return nil
}

// Attachments. An entity's Attached index maps the policy ARN to itself;
// the policy's Users and Groups indexes map lower names to names.

func (s *Server) attachUserPolicy(q *request, w *xmlw) *apiError {
	return s.attachPolicy(q, (*Server).userPrincipal)
}

func (s *Server) detachUserPolicy(q *request, w *xmlw) *apiError {
	return s.detachPolicy(q, (*Server).userPrincipal)
}

func (s *Server) listAttachedUserPolicies(q *request, w *xmlw) *apiError {
	return s.listAttached(q, w, (*Server).userPrincipal)
}

func (s *Server) attachGroupPolicy(q *request, w *xmlw) *apiError {
	return s.attachPolicy(q, (*Server).groupPrincipal)
}

func (s *Server) detachGroupPolicy(q *request, w *xmlw) *apiError {
	return s.detachPolicy(q, (*Server).groupPrincipal)
}

func (s *Server) listAttachedGroupPolicies(q *request, w *xmlw) *apiError {
	return s.listAttached(q, w, (*Server).groupPrincipal)
}

func (s *Server) attachPolicy(q *request, param principalParam) *apiError {
	who, err := param(s, q)
	if err != nil {
		return err
	}
	p, err := s.policyParam(q)
	if err != nil {
		return err
	}
	if _, ok := who.attached.get(p.ARN); ok {
		return nil
	}
	if who.attached.len() >= policiesPerEntity {
		return quota(who.attachQuota, policiesPerEntity)
	}
	who.attached.put(p.ARN, p.ARN)
	who.holders(p).put(lower(who.name), who.name)
	return nil
}

func (s *Server) detachPolicy(q *request, param principalParam) *apiError {
	who, err := param(s, q)
	if err != nil {
		return err
	}
	p, err := s.policyParam(q)
	if err != nil {
		return err
	}
	if _, ok := who.attached.get(p.ARN); !ok {
		return errf(NoSuchEntity, "Policy %s was not found.", p.ARN)
	}
	who.attached.del(p.ARN)
	who.holders(p).del(lower(who.name))
	return nil
}

func (s *Server) listAttached(q *request, w *xmlw, param principalParam) *apiError {
	who, err := param(s, q)
	if err != nil {
		return err
	}
	max, marker, prefix, err := q.pagingPrefix()
	if err != nil {
		return err
	}
	arns, next, err := who.attached.page(marker, max, func(arn string) bool {
		_, path, _, _ := parsePolicyARN(arn)
		return strings.HasPrefix(path, prefix)
	})
	if err != nil {
		return err
	}
	writeList(w, "AttachedPolicies", arns, next, func(arn string) {
		_, _, name, _ := parsePolicyARN(arn)
		w.el("PolicyName", name)
		w.el("PolicyArn", arn)
	})
	return nil
}

func (s *Server) listEntitiesForPolicy(q *request, w *xmlw) *apiError {
	p, err := s.policyParam(q)
	if err != nil {
		return err
	}
	filter := q.get("EntityFilter")
	switch filter {
	case "", "User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy":
	default:
		return constraint("entityFilter", filter, "Member must satisfy enum value set: [User, Role, LocalManagedPolicy, Group, AWSManagedPolicy]")
	}
	// One list over all kinds: groups, then users, then roles, paged together.
	type entity struct{ kind, name string }
	var all []entity
	if filter == "" || filter == "Group" {
		p.Groups.each(func(n string) { all = append(all, entity{"group", n}) })
	}
	if filter == "" || filter == "User" {
		p.Users.each(func(n string) { all = append(all, entity{"user", n}) })
	}
	if filter == "" || filter == "Role" {
		p.Roles.each(func(n string) { all = append(all, entity{"role", n}) })
	}
	page, next, err := pageSliceFor(q, all)
	if err != nil {
		return err
	}
	w.open("PolicyGroups")
	for _, e := range page {
		if e.kind == "group" {
			g, _ := s.st.Groups.get(lower(e.name))
			w.open("member")
			w.el("GroupName", g.Name)
			w.el("GroupId", g.ID)
			w.close("member")
		}
	}
	w.close("PolicyGroups")
	w.open("PolicyUsers")
	for _, e := range page {
		if e.kind == "user" {
			u, _ := s.st.Users.get(lower(e.name))
			w.open("member")
			w.el("UserName", u.Name)
			w.el("UserId", u.ID)
			w.close("member")
		}
	}
	w.close("PolicyUsers")
	w.open("PolicyRoles")
	for _, e := range page {
		if e.kind == "role" {
			r, _ := s.st.Roles.get(lower(e.name))
			w.open("member")
			w.el("RoleName", r.Name)
			w.el("RoleId", r.ID)
			w.close("member")
		}
	}
	w.close("PolicyRoles")
	w.page(next)
	return nil
}
