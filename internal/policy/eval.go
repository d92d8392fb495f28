package policy

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Request is one request to evaluate: an action and its context keys
// (e.g. "ses:FromAddress" → ["billing@example.com"]). Context key names are
// case-insensitive, as in IAM; their values are not.
type Request struct {
	Action  string
	Context map[string][]string
}

// Decision is IAM's answer to a request, spelled as SimulatePrincipalPolicy
// spells it.
type Decision string

// The three decisions.
const (
	Allowed      Decision = "allowed"
	ImplicitDeny Decision = "implicitDeny"
	ExplicitDeny Decision = "explicitDeny"
)

// Evaluate is IAM's evaluation of identity policies for one request: an
// explicit Deny in any document wins over any Allow; without a Deny, an
// Allow allows; with neither, the request is implicitly denied. Resources
// are not evaluated (every statement sesprov reads applies to "*"). A
// condition operator sesprov does not know is an error: guessing would
// make a Deny look like it never applies.
func Evaluate(docs []string, req Request) (Decision, error) {
	allowed := false
	for _, doc := range docs {
		p, err := ParseDocument(doc)
		if err != nil {
			return "", err
		}
		for _, st := range p.Statement {
			if !st.covers(req.Action) {
				continue
			}
			ok, err := conditionHolds(st.Condition, req.Context)
			if err != nil {
				return "", err
			}
			switch {
			case !ok:
			case strings.EqualFold(st.Effect, "Deny"):
				return ExplicitDeny, nil
			case strings.EqualFold(st.Effect, "Allow"):
				allowed = true
			}
		}
	}
	if allowed {
		return Allowed, nil
	}
	return ImplicitDeny, nil
}

// conditionHolds is a statement's Condition block against the request's
// context: every operator, and every key under it, must hold (AND); the
// values listed for one key are alternatives (OR).
func conditionHolds(raw json.RawMessage, ctx map[string][]string) (bool, error) {
	if !hasCondition(raw) {
		return true, nil
	}
	var block map[string]map[string]stringList
	if err := json.Unmarshal(raw, &block); err != nil {
		return false, fmt.Errorf("parse policy condition: %w", err)
	}
	for op, keys := range block {
		for key, want := range keys {
			ok, err := operatorHolds(op, contextValues(ctx, key), want)
			if err != nil || !ok {
				return false, err
			}
		}
	}
	return true, nil
}

// contextValues finds a context key case-insensitively.
func contextValues(ctx map[string][]string, key string) []string {
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// operatorHolds applies one string operator. A positive operator holds
// when some value of the request matches some pattern; a negated one
// (StringNot…) holds when no value matches any pattern, so it also holds
// when the request lacks the key, as in IAM. Matching is case-sensitive
// unless the operator ends in IgnoreCase.
func operatorHolds(op string, have, want []string) (bool, error) {
	base, ifExists := strings.CutSuffix(op, "IfExists")
	if ifExists && len(have) == 0 {
		return true, nil
	}
	var match func(pattern, s string) bool
	negated := false
	switch base {
	case "StringEquals":
		match = func(p, s string) bool { return p == s }
	case "StringNotEquals":
		match, negated = func(p, s string) bool { return p == s }, true
	case "StringEqualsIgnoreCase":
		match = strings.EqualFold
	case "StringNotEqualsIgnoreCase":
		match, negated = strings.EqualFold, true
	case "StringLike":
		match = wildcardMatch
	case "StringNotLike":
		match, negated = wildcardMatch, true
	default:
		return false, fmt.Errorf("policy condition operator %s is not evaluated by sesprov", op)
	}
	any := false
	for _, h := range have {
		for _, w := range want {
			if match(w, h) {
				any = true
			}
		}
	}
	return any != negated, nil
}

// ConditionValues returns the values a document's statements list under
// operator for key (both case-insensitive), in order: what a Condition
// block such as {"StringNotLike": {"ses:FromAddress": [...]}} names. The
// document may be raw or URL-encoded; Statement, and each value list, may
// be one item or a list, as IAM accepts.
func ConditionValues(doc, operator, key string) ([]string, error) {
	p, err := ParseDocument(doc)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, st := range p.Statement {
		if !hasCondition(st.Condition) {
			continue
		}
		var block map[string]map[string]stringList
		if err := json.Unmarshal(st.Condition, &block); err != nil {
			return nil, fmt.Errorf("parse policy condition: %w", err)
		}
		for op, keys := range block {
			if !strings.EqualFold(op, operator) {
				continue
			}
			for k, values := range keys {
				if strings.EqualFold(k, key) {
					out = append(out, values...)
				}
			}
		}
	}
	return out, nil
}
