package iamfake

// A principal is the user or group an inline-policy or attachment action
// names: IAM handles both kinds alike, but for names and limits.
type principal struct {
	kind        string // "user" or "group", as IAM's messages say
	nameElement string // UserName or GroupName
	name        string
	inline      *index[*inlinePolicy]
	inlineSize  int // limit on the total size of the inline policies
	attached    *index[string]
	attachQuota string                       // quota name when attachments are full
	holders     func(*policy) *index[string] // the policy's index of such principals
}

// principalParam reads and looks up the principal an action names.
type principalParam func(*Server, *request) (*principal, *apiError)

func (s *Server) userPrincipal(q *request) (*principal, *apiError) {
	u, err := s.userParam(q)
	if err != nil {
		return nil, err
	}
	return &principal{
		kind: "user", nameElement: "UserName", name: u.Name,
		inline: &u.Inline, inlineSize: userPolicySize,
		attached: &u.Attached, attachQuota: "PoliciesPerUser",
		holders: func(p *policy) *index[string] { return &p.Users },
	}, nil
}

func (s *Server) groupPrincipal(q *request) (*principal, *apiError) {
	g, err := s.groupParam(q)
	if err != nil {
		return nil, err
	}
	return &principal{
		kind: "group", nameElement: "GroupName", name: g.Name,
		inline: &g.Inline, inlineSize: groupPolicySize,
		attached: &g.Attached, attachQuota: "PoliciesPerGroup",
		holders: func(p *policy) *index[string] { return &p.Groups },
	}, nil
}
