package policy

import (
	"slices"
	"testing"
)

func TestEvaluateConditions(t *testing.T) {
	allowAll := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:*","Resource":"*"}]}`
	denyOthers := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["ses:SendRawEmail","ses:SendEmail"],"Resource":"*",
		"Condition":{"StringNotLike":{"ses:FromAddress":["billing@example.com","*@news.example.com"]}}}]}`
	notAction := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"ses:Send*","Resource":"*"}]}`
	from := func(a string) map[string][]string { return map[string][]string{"SES:fromaddress": {a}} }
	cases := []struct {
		name string
		docs []string
		req  Request
		want Decision
	}{
		{"no policy", nil, Request{Action: "ses:SendRawEmail"}, ImplicitDeny},
		{"allow", []string{allowAll}, Request{Action: "SES:SendRawEmail"}, Allowed},
		{"scoped, allowed address", []string{SendingPolicyDocument, denyOthers}, Request{"ses:SendRawEmail", from("billing@example.com")}, Allowed},
		{"scoped, wildcard", []string{SendingPolicyDocument, denyOthers}, Request{"ses:SendRawEmail", from("a@news.example.com")}, Allowed},
		{"scoped, other address", []string{SendingPolicyDocument, denyOthers}, Request{"ses:SendRawEmail", from("ceo@example.com")}, ExplicitDeny},
		{"scoped, case differs", []string{SendingPolicyDocument, denyOthers}, Request{"ses:SendRawEmail", from("Billing@example.com")}, ExplicitDeny},
		{"scoped, no key", []string{SendingPolicyDocument, denyOthers}, Request{Action: "ses:SendRawEmail"}, ExplicitDeny},
		{"scoped, other action", []string{allowAll, denyOthers}, Request{"ses:GetAccount", from("ceo@example.com")}, Allowed},
		{"deny before allow in order", []string{denyOthers, SendingPolicyDocument}, Request{"ses:SendRawEmail", from("x@y.com")}, ExplicitDeny},
		{"NotAction", []string{allowAll, notAction}, Request{Action: "ses:GetAccount"}, ExplicitDeny},
		{"NotAction spares", []string{allowAll, notAction}, Request{Action: "ses:SendEmail"}, Allowed},
		{"StringEquals", []string{`{"Statement":{"Effect":"Allow","Action":"ses:SendEmail","Condition":{"StringEquals":{"ses:FromAddress":"a@b.c"}}}}`}, Request{"ses:SendEmail", from("a@b.c")}, Allowed},
		{"StringEquals no wildcard", []string{`{"Statement":{"Effect":"Allow","Action":"ses:SendEmail","Condition":{"StringEquals":{"ses:FromAddress":"*@b.c"}}}}`}, Request{"ses:SendEmail", from("a@b.c")}, ImplicitDeny},
		{"StringNotEquals", []string{`{"Statement":{"Effect":"Allow","Action":"ses:SendEmail","Condition":{"StringNotEquals":{"ses:FromAddress":"a@b.c"}}}}`}, Request{"ses:SendEmail", from("a@b.c")}, ImplicitDeny},
	}
	for _, c := range cases {
		got, err := Evaluate(c.docs, c.req)
		if err != nil || got != c.want {
			t.Errorf("%s: got %s, %v; want %s", c.name, got, err, c.want)
		}
	}
}

func TestEvaluateUnknownOperatorIsAnError(t *testing.T) {
	doc := `{"Statement":{"Effect":"Deny","Action":"ses:SendEmail","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01"}}}}`
	if _, err := Evaluate([]string{doc}, Request{Action: "ses:SendEmail"}); err == nil {
		t.Fatal("an operator sesprov does not evaluate must be an error, not a guess")
	}
}

// ConditionValues reads a condition's values in every shape IAM accepts: a
// single statement object, a single value, operator and key in any case,
// URL-encoded.
func TestConditionValues(t *testing.T) {
	for _, c := range []struct {
		name, doc string
		want      []string
	}{
		{"list", `{"Statement":[{"Effect":"Deny","Action":"ses:SendRawEmail","Condition":{"StringNotLike":{"ses:FromAddress":["a@x.com","*@y.com"]}}}]}`, []string{"a@x.com", "*@y.com"}},
		{"one statement, one value", `{"Statement":{"Effect":"Deny","Action":"ses:SendRawEmail","Condition":{"stringnotlike":{"SES:fromaddress":"a@x.com"}}}}`, []string{"a@x.com"}},
		{"url-encoded", `%7B%22Statement%22%3A%7B%22Effect%22%3A%22Deny%22%2C%22Condition%22%3A%7B%22StringNotLike%22%3A%7B%22ses%3AFromAddress%22%3A%22a%40x.com%22%7D%7D%7D%7D`, []string{"a@x.com"}},
		{"other operator and key", `{"Statement":[{"Effect":"Deny","Condition":{"StringLike":{"ses:FromAddress":"a@x.com"},"StringNotLike":{"aws:SourceIp":"1.2.3.4"}}}]}`, nil},
		{"no condition", `{"Statement":[{"Effect":"Allow","Action":"ses:*"}]}`, nil},
	} {
		got, err := ConditionValues(c.doc, "StringNotLike", "ses:FromAddress")
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: %v %v, want %v", c.name, got, err, c.want)
		}
	}
}
