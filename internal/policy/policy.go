// Package policy reads IAM policy documents: does one allow sending mail
// (ses:SendRawEmail), is it exactly the standard SES sending policy.
package policy

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// SendingPolicyDocument is the standard AmazonSesSendingAccess document (AWS's SMTP credentials page): the
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

// DecodeDocument returns the JSON of a policy document as IAM returns
// it: URL-encoded (RFC 3986). A document that is already JSON (some IAM
// emulators return it so) is returned unchanged.
func DecodeDocument(doc string) (string, error) {
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

func ParseDocument(doc string) (policyDoc, error) {
	s, err := DecodeDocument(doc)
	if err != nil {
		return policyDoc{}, err
	}
	var p policyDoc
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return policyDoc{}, fmt.Errorf("parse policy document: %w", err)
	}
	return p, nil
}

// GrantsSend reports whether a policy document (raw or URL-encoded)
// allows ses:SendRawEmail: an Allow statement that covers it, and no Deny
// statement that does. A statement covers the action when its Action
// matches it, or when it has a NotAction that does not; actions match
// case-insensitively, with the wildcards * and ? (ses:*, ses:Send*, *).
// Conditions and resources are not evaluated: the check answers "was this
// meant to grant sending", as the console's inline group policy is. (A
// Deny counts whatever its condition; GroupGrantsSend, which decides
// whether migrate may remove a user's own grant, is stricter: there a
// conditional Allow is no grant.)
func GrantsSend(doc string) bool {
	e, err := EvalSend(doc)
	return err == nil && (e.Allow || e.CondAllow) && !e.Deny
}

// sendEffect is what one policy document says about ses:SendRawEmail.
type sendEffect struct {
	Allow     bool // an Allow without a Condition covers it
	CondAllow bool // an Allow with a Condition covers it
	Deny      bool // a Deny covers it (with or without a Condition)
}

func EvalSend(doc string) (sendEffect, error) {
	var e sendEffect
	p, err := ParseDocument(doc)
	if err != nil {
		return e, err
	}
	for _, st := range p.Statement {
		if !st.covers(SendAction) {
			continue
		}
		switch {
		case strings.EqualFold(st.Effect, "Deny"):
			e.Deny = true
		case strings.EqualFold(st.Effect, "Allow") && hasCondition(st.Condition):
			e.CondAllow = true
		case strings.EqualFold(st.Effect, "Allow"):
			e.Allow = true
		}
	}
	return e, nil
}

// covers reports whether the statement's Action (or NotAction) applies to
// action. A statement with neither applies to nothing (IAM refuses it).
func (st statement) covers(action string) bool {
	switch {
	case len(st.Action) > 0:
		return actionMatches(st.Action, action)
	case len(st.NotAction) > 0:
		return !actionMatches(st.NotAction, action)
	}
	return false
}

func hasCondition(c []byte) bool {
	t := strings.TrimSpace(string(c))
	return t != "" && t != "null" && t != "{}"
}

func actionMatches(patterns []string, action string) bool {
	for _, p := range patterns {
		// IAM action names are case-insensitive.
		if wildcardMatch(strings.ToLower(p), strings.ToLower(action)) {
			return true
		}
	}
	return false
}

// wildcardMatch matches s against pattern, where * stands for any run of
// characters and ? for one (IAM's action wildcards; nothing else is special).
func wildcardMatch(pattern, s string) bool {
	px, sx := 0, 0
	star, mark := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && (pattern[px] == '?' || pattern[px] == s[sx]):
			px++
			sx++
		case px < len(pattern) && pattern[px] == '*':
			star, mark = px, sx
			px++
		case star >= 0:
			px = star + 1
			mark++
			sx = mark
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// IsStandard reports whether doc (raw or URL-encoded) says exactly what
// the standard document says: one Allow of ses:SendRawEmail on "*", whatever
// its formatting, Sid, or single-string versus list spelling.
func IsStandard(doc string) bool {
	p, err := ParseDocument(doc)
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
