package sesv2

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

const maxIdentities = 10000 // per region

type identity struct {
	Name       string    `json:"name"`
	Type       string    `json:"type"`   // EMAIL_ADDRESS or DOMAIN
	Status     string    `json:"status"` // PENDING, SUCCESS, FAILED
	DkimTokens []string  `json:"dkim_tokens,omitempty"`
	Tags       []Tag     `json:"tags,omitempty"`
	Created    time.Time `json:"created"`
}

// Tag is an identity's tag, on the wire and in the state file.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

var (
	domainRe = regexp.MustCompile(`^(?i)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	localRe  = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+/=?^_` + "`" + `{|}~.-]{1,64}$`)
)

// kind tells an address from a domain, and refuses what is neither.
func kind(name string) (string, *awsjson.Error) {
	local, domain, isAddr := strings.Cut(name, "@")
	if !isAddr {
		if len(name) > 253 || !domainRe.MatchString(name) {
			return "", errf(BadRequest, "Invalid domain name %s.", name)
		}
		return "DOMAIN", nil
	}
	if !localRe.MatchString(local) || !domainRe.MatchString(domain) {
		return "", errf(BadRequest, "Invalid email address %s.", name)
	}
	return "EMAIL_ADDRESS", nil
}

type dkim struct {
	SigningEnabled          bool
	Status                  string
	Tokens                  []string `json:",omitempty"`
	SigningAttributesOrigin string
	CurrentSigningKeyLength string `json:",omitempty"`
	NextSigningKeyLength    string `json:",omitempty"`
}

// dkim is Easy DKIM for a domain (three tokens, verified with it); an
// address has none of its own.
func (id *identity) dkim() dkim {
	if id.Type != "DOMAIN" {
		return dkim{Status: "NOT_STARTED", SigningAttributesOrigin: "AWS_SES"}
	}
	return dkim{SigningEnabled: true, Status: id.Status, Tokens: id.DkimTokens, SigningAttributesOrigin: "AWS_SES",
		CurrentSigningKeyLength: "RSA_2048_BIT", NextSigningKeyLength: "RSA_2048_BIT"}
}

type createInput struct {
	EmailIdentity string
	Tags          []Tag
}

func createIdentity(c *call) (any, *awsjson.Error) {
	var in createInput
	if err := decode(c.body, &in); err != nil {
		return nil, err
	}
	typ, err := kind(in.EmailIdentity)
	if err != nil {
		return nil, err
	}
	if len(in.Tags) > 50 {
		return nil, errf(BadRequest, "Too many tags: at most 50.")
	}
	if _, ok := c.acct.Identities[key(in.EmailIdentity)]; ok {
		return nil, errf(AlreadyExists, "Email identity %s already exists.", in.EmailIdentity)
	}
	if len(c.acct.Identities) >= maxIdentities {
		return nil, errf(LimitExceeded, "Maximum number of email identities (%d) reached.", maxIdentities)
	}
	id := &identity{Name: in.EmailIdentity, Type: typ, Status: "PENDING", Tags: in.Tags, Created: c.now}
	if c.s.opts.AutoVerify {
		id.Status = "SUCCESS"
	}
	if typ == "DOMAIN" {
		for range 3 {
			id.DkimTokens = append(id.DkimTokens, awsjson.RandomString("abcdefghijklmnopqrstuvwxyz234567", 32))
		}
	}
	c.acct.Identities[key(id.Name)] = id
	return map[string]any{"IdentityType": id.Type, "VerifiedForSendingStatus": id.Status == "SUCCESS", "DkimAttributes": id.dkim()}, nil
}

// key: domains (and the domain of an address) are case-insensitive.
func key(name string) string {
	if local, domain, ok := strings.Cut(name, "@"); ok {
		return local + "@" + strings.ToLower(domain)
	}
	return strings.ToLower(name)
}

func (c *call) identity() (*identity, *awsjson.Error) {
	id, ok := c.acct.Identities[key(c.id)]
	if !ok {
		return nil, errf(NotFound, "Email identity %s does not exist.", c.id)
	}
	return id, nil
}

func getIdentity(c *call) (any, *awsjson.Error) {
	id, err := c.identity()
	if err != nil {
		return nil, err
	}
	tags := id.Tags
	if tags == nil {
		tags = []Tag{}
	}
	return map[string]any{
		"IdentityType": id.Type, "FeedbackForwardingStatus": true, "VerifiedForSendingStatus": id.Status == "SUCCESS",
		"VerificationStatus": id.Status, "DkimAttributes": id.dkim(), "Policies": map[string]string{}, "Tags": tags,
		"MailFromAttributes": map[string]string{"BehaviorOnMxFailure": "USE_DEFAULT_VALUE", "MailFromDomainStatus": "NOT_STARTED"},
	}, nil
}

func deleteIdentity(c *call) (any, *awsjson.Error) {
	id, err := c.identity()
	if err != nil {
		return nil, err
	}
	delete(c.acct.Identities, key(id.Name))
	return struct{}{}, nil
}

type listInput struct {
	Filter    map[string]string
	NextToken string
	PageSize  *int
}

type identityInfo struct {
	IdentityType       string
	IdentityName       string
	SendingEnabled     bool
	VerificationStatus string
}

// listIdentities pages through the region's identities in name order. It
// takes the query (GET /identities) or the body (POST /list-identities).
func listIdentities(c *call) (any, *awsjson.Error) {
	in, err := c.listInput()
	if err != nil {
		return nil, err
	}
	size := 100
	if in.PageSize != nil && *in.PageSize > 0 {
		size = *in.PageSize
	}
	if in.PageSize != nil && (*in.PageSize < 0 || *in.PageSize > 1000) {
		return nil, errf(BadRequest, "PageSize must be between 0 and 1000.")
	}
	var keys []string
	for k, id := range c.acct.Identities {
		if id.matches(in.Filter) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	start := 0
	if in.NextToken != "" {
		k, ok := awsjson.ParseToken(in.NextToken)
		if !ok {
			return nil, errf(BadRequest, "Invalid NextToken.")
		}
		start, _ = slices.BinarySearch(keys, k)
	}
	end := min(start+size, len(keys))
	out := struct {
		EmailIdentities []identityInfo
		NextToken       string `json:",omitempty"`
	}{EmailIdentities: []identityInfo{}}
	for _, k := range keys[start:end] {
		id := c.acct.Identities[k]
		out.EmailIdentities = append(out.EmailIdentities, identityInfo{id.Type, id.Name, id.Status == "SUCCESS", id.Status})
	}
	if end < len(keys) {
		out.NextToken = awsjson.PageToken(keys[end])
	}
	return out, nil
}

func (c *call) listInput() (listInput, *awsjson.Error) {
	var in listInput
	if c.r.Method == "POST" {
		return in, decode(c.body, &in)
	}
	q := c.r.URL.Query()
	in.NextToken = q.Get("NextToken")
	if v := q.Get("PageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return in, errf(BadRequest, "PageSize %q is not a number.", v)
		}
		in.PageSize = &n
	}
	return in, nil
}

func (id *identity) matches(filter map[string]string) bool {
	for k, v := range filter {
		switch k {
		case "IDENTITY_NAME_CONTAINS":
			if !strings.Contains(strings.ToLower(id.Name), strings.ToLower(v)) {
				return false
			}
		case "IDENTITY_TYPE":
			if id.Type != v {
				return false
			}
		case "VERIFICATION_STATUS":
			if id.Status != v {
				return false
			}
		}
	}
	return true
}

// VerifyIdentity marks an identity verified in region ("" = every region
// that has it), as clicking the link in AWS's email (an address) or
// publishing the DKIM records (a domain) would.
func (s *Server) VerifyIdentity(region, name string) error {
	return s.setStatus(region, name, "SUCCESS")
}

// FailIdentity marks an identity's verification FAILED.
func (s *Server) FailIdentity(region, name string) error {
	return s.setStatus(region, name, "FAILED")
}

func (s *Server) setStatus(region, name, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	for r, a := range s.regions {
		if id, ok := a.Identities[key(name)]; ok && (region == "" || region == r) {
			id.Status = status
			found = true
		}
	}
	if !found {
		return fmt.Errorf("sesv2: no identity %s in region %q", name, region)
	}
	s.changes++
	return nil
}
