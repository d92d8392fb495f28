package policy

import "testing"

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
