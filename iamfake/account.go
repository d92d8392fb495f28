package iamfake

import (
	"strings"

	iampolicy "github.com/sesprov/sesprov/internal/policy"
)

// Who the caller is (STS GetCallerIdentity), what it may do
// (SimulatePrincipalPolicy) and the account's summary.

// The operator is the identity of requests not signed with a key the
// account holds: arn:aws:iam::ACCOUNT:user/iamfake.
const operatorName = "iamfake"

func (s *Server) getCallerIdentity(q *request, w *xmlw) *apiError {
	if se, ok := s.callerSession(q); ok {
		w.el("UserId", se.RoleID+":"+se.Name)
		w.el("Account", se.Account)
		w.el("Arn", se.arn())
		return nil
	}
	u := s.callerUser(q)
	w.el("UserId", u.ID)
	w.el("Account", s.opts.AccountID)
	w.el("Arn", s.arn("user", u.Path, u.Name))
	return nil
}

// checkPrincipal accepts the caller's ARN, a user or group of the account,
// or any role ARN of the account (roles are not modelled).
func (s *Server) checkPrincipal(q *request, arn string) *apiError {
	if len(arn) < 20 || len(arn) > 2048 {
		return constraint("policySourceArn", arn, "Member must have length greater than or equal to 20")
	}
	c := s.callerUser(q)
	if arn == s.arn("user", c.Path, c.Name) {
		return nil
	}
	prefix := "arn:aws:iam::" + s.opts.AccountID + ":"
	rest, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		if strings.HasPrefix(arn, "arn:aws:iam::") {
			return errf(NoSuchEntity, "The entity %s cannot be found.", arn)
		}
		return errf(InvalidInput, "Invalid Entity Arn: %s does not clearly define entity type and name.", arn)
	}
	kind, pathName, _ := strings.Cut(rest, "/")
	name := pathName[strings.LastIndexByte(pathName, '/')+1:]
	switch kind {
	case "user":
		u, err := s.user(q, name)
		if err != nil {
			return err
		}
		if s.arn("user", u.Path, u.Name) != arn {
			return noSuchUser(name)
		}
	case "group":
		g, err := s.group(q, name)
		if err != nil {
			return err
		}
		if s.arn("group", g.Path, g.Name) != arn {
			return noSuchGroup(name)
		}
	case "role", "assumed-role":
		if name == "" {
			return errf(InvalidInput, "Invalid Entity Arn: %s does not clearly define entity type and name.", arn)
		}
	default:
		return errf(InvalidInput, "Invalid Entity Arn: %s does not clearly define entity type and name.", arn)
	}
	return nil
}

func (s *Server) simulatePrincipalPolicy(q *request, w *xmlw) *apiError {
	arn, err := q.need("PolicySourceArn", "policySourceArn")
	if err != nil {
		return err
	}
	actions := q.list("ActionNames")
	if len(actions) == 0 {
		return required("actionNames")
	}
	if err := s.checkPrincipal(q, arn); err != nil {
		return err
	}
	resources := q.list("ResourceArns")
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	max, marker, err := q.paging()
	if err != nil {
		return err
	}
	type eval struct{ action, resource string }
	var all []eval
	for _, a := range actions {
		if !strings.Contains(a, ":") {
			return errf(InvalidInput, "Actions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.: %s", a)
		}
		for _, r := range resources {
			all = append(all, eval{a, r})
		}
	}
	page, next, err := pageSlice(all, marker, max)
	if err != nil {
		return err
	}
	decisions := make([]string, len(page))
	target := s.simulatedUser(q, arn)
	var docs []string
	if target != nil { // a user of the account other than the caller: its policies decide (simulate.go)
		docs = s.userDocuments(target)
	}
	ctx := q.contextEntries()
	for i, e := range page {
		decisions[i] = "allowed"
		if target != nil {
			d, err := iampolicy.Evaluate(docs, iampolicy.Request{Action: e.action, Context: ctx})
			if err != nil {
				return errf(InvalidInput, "iamfake cannot simulate the policies of %s: %v", arn, err)
			}
			decisions[i] = string(d)
		}
		if s.denied[lower(e.action)] {
			decisions[i] = "implicitDeny"
		}
	}
	i := 0
	writeList(w, "EvaluationResults", page, next, func(e eval) {
		decision := decisions[i]
		i++
		w.el("EvalActionName", e.action)
		w.el("EvalResourceName", e.resource)
		w.el("EvalDecision", decision)
		w.open("MatchedStatements")
		w.close("MatchedStatements")
		w.open("MissingContextValues")
		w.close("MissingContextValues")
	})
	return nil
}

func (s *Server) getAccountSummary(q *request, w *xmlw) *apiError {
	var versions, mfaInUse int
	s.st.Policies.each(func(p *policy) { versions += len(p.Versions) })
	s.st.Users.each(func(u *user) { mfaInUse += u.MFA.len() })
	quotaOr := func(n, dflt int) int {
		if n < 0 {
			return dflt
		}
		return n
	}
	entries := []struct {
		k string
		v int
	}{
		{"Users", s.st.Users.len()},
		{"UsersQuota", quotaOr(s.opts.UsersQuota, 5000)},
		{"Groups", s.st.Groups.len()},
		{"GroupsQuota", quotaOr(s.opts.GroupsQuota, 300)},
		{"Policies", s.st.Policies.len()},
		{"PoliciesQuota", quotaOr(s.opts.PoliciesQuota, 1500)},
		{"PolicySizeQuota", managedPolicySize},
		{"PolicyVersionsInUse", versions},
		{"PolicyVersionsInUseQuota", 10000},
		{"VersionsPerPolicyQuota", versionsPerPolicy},
		{"UserPolicySizeQuota", userPolicySize},
		{"GroupPolicySizeQuota", groupPolicySize},
		{"GroupsPerUserQuota", groupsPerUser},
		{"AttachedPoliciesPerUserQuota", policiesPerEntity},
		{"AttachedPoliciesPerGroupQuota", policiesPerEntity},
		{"AttachedPoliciesPerRoleQuota", policiesPerEntity},
		{"AccessKeysPerUserQuota", accessKeysPerUser},
		{"SigningCertificatesPerUserQuota", signingCertsPerUser},
		{"MFADevices", s.st.MFA.len()},
		{"MFADevicesInUse", mfaInUse},
		{"AccountMFAEnabled", 0},
		{"AccountAccessKeysPresent", 0},
		{"AccountPasswordPresent", 0},
		{"AccountSigningCertificatesPresent", 0},
		{"Roles", s.st.Roles.len()},
		{"RolesQuota", 1000},
		{"InstanceProfiles", 0},
		{"InstanceProfilesQuota", 1000},
		{"Providers", 0},
		{"ServerCertificates", 0},
		{"ServerCertificatesQuota", 20},
		{"RolePolicySizeQuota", 10240},
		{"AssumeRolePolicySizeQuota", 2048},
		{"GlobalEndpointTokenVersion", 1},
	}
	w.open("SummaryMap")
	for _, e := range entries {
		w.open("entry")
		w.el("key", e.k)
		w.int("value", e.v)
		w.close("entry")
	}
	w.close("SummaryMap")
	return nil
}
