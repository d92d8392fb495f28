package provision

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
)

// SendingPolicyDocument is the seed's AmazonSesSendingAccess document: the
// permission an SMTP user needs, and nothing else.
const SendingPolicyDocument = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*"}]}`

// SendAction is the IAM action SES checks for SMTP sending.
const SendAction = "ses:SendRawEmail"

// policyDoc is the part of an IAM policy document sesprov reads.
type policyDoc struct {
	Version   string     `json:"Version"`
	Statement statements `json:"Statement"`
}

type statement struct {
	Sid         string          `json:"Sid,omitempty"`
	Effect      string          `json:"Effect"`
	Action      stringList      `json:"Action,omitempty"`
	NotAction   stringList      `json:"NotAction,omitempty"`
	Resource    stringList      `json:"Resource,omitempty"`
	NotResource stringList      `json:"NotResource,omitempty"`
	Principal   json.RawMessage `json:"Principal,omitempty"`
	Condition   json.RawMessage `json:"Condition,omitempty"`
}

// statements accepts a single statement object as well as a list.
type statements []statement

func (s *statements) UnmarshalJSON(b []byte) error {
	return unmarshalOneOrMany(b, '{', (*[]statement)(s))
}

// stringList accepts "x" as well as ["x", "y"].
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	return unmarshalOneOrMany(b, '"', (*[]string)(l))
}

// unmarshalOneOrMany decodes into dst a JSON list of T, or a single T
// (a value starting with the byte one) as a list of one.
func unmarshalOneOrMany[T any](b []byte, one byte, dst *[]T) error {
	if len(b) > 0 && b[0] == one {
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*dst = []T{v}
		return nil
	}
	var many []T
	err := json.Unmarshal(b, &many)
	*dst = many
	return err
}

// DecodePolicyDocument returns the JSON of a policy document as IAM returns
// it: URL-encoded (RFC 3986). A document that is already JSON (some IAM
// emulators return it so) is returned unchanged.
func DecodePolicyDocument(doc string) (string, error) {
	t := strings.TrimSpace(doc)
	if strings.HasPrefix(t, "{") {
		return t, nil
	}
	s, err := url.PathUnescape(t)
	if err != nil {
		return "", fmt.Errorf("decode policy document: %w", err)
	}
	return s, nil
}

func parsePolicy(doc string) (policyDoc, error) {
	s, err := DecodePolicyDocument(doc)
	if err != nil {
		return policyDoc{}, err
	}
	var p policyDoc
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return policyDoc{}, fmt.Errorf("parse policy document: %w", err)
	}
	return p, nil
}

// PolicyGrantsSend reports whether a policy document (raw or URL-encoded)
// allows ses:SendRawEmail: an Allow statement whose Action matches it
// (wildcards included), and no Deny statement that matches it. Conditions
// and resources are not evaluated: the check answers "was this meant to
// grant sending", as the console's inline group policy is.
func PolicyGrantsSend(doc string) bool {
	p, err := parsePolicy(doc)
	if err != nil {
		return false
	}
	allowed := false
	for _, st := range p.Statement {
		if len(st.Action) == 0 || !actionMatches(st.Action, SendAction) {
			continue
		}
		switch st.Effect {
		case "Deny":
			return false
		case "Allow":
			allowed = true
		}
	}
	return allowed
}

func actionMatches(patterns []string, action string) bool {
	for _, p := range patterns {
		// IAM action names are case-insensitive; path.Match gives * and ?.
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(action)); ok {
			return true
		}
	}
	return false
}

// PolicyIsStandard reports whether doc (raw or URL-encoded) says exactly what
// the seed's document says: one Allow of ses:SendRawEmail on "*", whatever
// its formatting, Sid, or single-string versus list spelling.
func PolicyIsStandard(doc string) bool {
	p, err := parsePolicy(doc)
	if err != nil || p.Version != "2012-10-17" || len(p.Statement) != 1 {
		return false
	}
	st := p.Statement[0]
	return st.Effect == "Allow" &&
		len(st.NotAction) == 0 && len(st.NotResource) == 0 &&
		len(st.Principal) == 0 && len(st.Condition) == 0 &&
		slices.Equal(lower(st.Action), []string{strings.ToLower(SendAction)}) &&
		slices.Equal([]string(st.Resource), []string{"*"})
}

func lower(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = strings.ToLower(s)
	}
	return out
}
