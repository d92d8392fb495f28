package provision_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/internal/policy"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/migrate"
)

// TestPolicyGrantsSendDenyNotAction: a Deny with NotAction that does not
// list ses:SendRawEmail denies it (PolicyGrantsSend once looked at Action
// only and called this document a grant).
func TestPolicyGrantsSendDenyNotAction(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*"},{"Effect":"Deny","NotAction":"ses:SendEmail","Resource":"*"}]}`
	if policy.GrantsSend(doc) {
		t.Errorf("PolicyGrantsSend says %s grants %s; its Deny NotAction denies it", doc, policy.SendAction)
	}
}

// TestPolicyGrantsSendStatements: Allow and Deny, Action and NotAction as a
// string or a list, wildcards, case.
func TestPolicyGrantsSendStatements(t *testing.T) {
	st := func(s ...string) string {
		doc := `{"Version":"2012-10-17","Statement":[`
		for i, x := range s {
			if i > 0 {
				doc += ","
			}
			doc += x
		}
		return doc + `]}`
	}
	for _, c := range []struct {
		name string
		doc  string
		want bool
	}{
		{"standard", policy.SendingPolicyDocument, true},
		{"list and case", st(`{"Effect":"Allow","Action":["s3:GetObject","SES:sendrawemail"],"Resource":"*"}`), true},
		{"ses:*", st(`{"Effect":"Allow","Action":"ses:*","Resource":"*"}`), true},
		{"*", st(`{"Effect":"Allow","Action":"*","Resource":"*"}`), true},
		{"ses:Send?awEmail", st(`{"Effect":"Allow","Action":"ses:Send?awEmail","Resource":"*"}`), true},
		{"other action", st(`{"Effect":"Allow","Action":"ses:SendEmail","Resource":"*"}`), false},
		{"ses:Send*Raw", st(`{"Effect":"Allow","Action":"ses:Send*Raw","Resource":"*"}`), false},
		{"allow NotAction other", st(`{"Effect":"Allow","NotAction":["iam:*"],"Resource":"*"}`), true},
		{"allow NotAction it", st(`{"Effect":"Allow","NotAction":"ses:Send*","Resource":"*"}`), false},
		{"deny in a list", st(`{"Effect":"Allow","Action":"*","Resource":"*"}`, `{"Effect":"Deny","Action":["s3:*","ses:*"],"Resource":"*"}`), false},
		{"deny NotAction listing it", st(`{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*"}`, `{"Effect":"Deny","NotAction":["ses:SendRawEmail"],"Resource":"*"}`), true},
		{"deny with condition", st(`{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*"}`, `{"Effect":"Deny","Action":"ses:SendRawEmail","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`), false},
		{"allow with condition", st(`{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*","Condition":{"StringEquals":{"ses:FromAddress":"a@example.com"}}}`), true},
		{"deny only", st(`{"Effect":"Deny","Action":"ses:SendRawEmail","Resource":"*"}`), false},
		{"not JSON", `{`, false},
	} {
		if got := policy.GrantsSend(c.doc); got != c.want {
			t.Errorf("%s: PolicyGrantsSend(%s) = %v, want %v", c.name, c.doc, got, c.want)
		}
	}
}

// TestGroupGrantsSendDenyInOtherPolicy: a group whose inline policy allows
// ses:SendRawEmail and whose other inline policy denies it grants nothing
// (an explicit Deny wins); GroupGrantsSend once stopped at the first Allow,
// and migrate then added users (the Deny cut them off at once) and deleted
// their inline policies.
func TestGroupGrantsSendDenyInOtherPolicy(t *testing.T) {
	e := newEnv(t)
	g := aws.String(provision.DefaultGroupName)
	if _, err := e.iam.CreateGroup(e.ctx, &iam.CreateGroupInput{GroupName: g}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam.PutGroupPolicy(e.ctx, &iam.PutGroupPolicyInput{GroupName: g, PolicyName: aws.String(provision.DefaultPolicyName),
		PolicyDocument: aws.String(policy.SendingPolicyDocument)}); err != nil {
		t.Fatal(err)
	}
	via, ok, err := migrate.GroupGrantsSend(e.ctx, e.iam, provision.DefaultGroupName, provision.DefaultPolicyName)
	if err != nil || !ok {
		t.Fatalf("GroupGrantsSend = %q, %v, %v before the Deny; want a grant", via, ok, err)
	}
	if _, err := e.iam.PutGroupPolicy(e.ctx, &iam.PutGroupPolicyInput{GroupName: g, PolicyName: aws.String("NoMail"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ses:*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	via, ok, err = migrate.GroupGrantsSend(e.ctx, e.iam, provision.DefaultGroupName, provision.DefaultPolicyName)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Errorf("GroupGrantsSend = true via %s; the group's inline policy NoMail denies ses:*", via)
	}
	if via != "inline group policy NoMail denies it" {
		t.Errorf("via = %q; want it to name the denying policy", via)
	}
}

// TestGroupGrantsSendConditionalAllow: for migrate, an Allow with a
// Condition is not a grant (the condition may not hold for the user).
func TestGroupGrantsSendConditionalAllow(t *testing.T) {
	e := newEnv(t)
	g := aws.String(provision.DefaultGroupName)
	if _, err := e.iam.CreateGroup(e.ctx, &iam.CreateGroupInput{GroupName: g}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam.PutGroupPolicy(e.ctx, &iam.PutGroupPolicyInput{GroupName: g, PolicyName: aws.String(provision.DefaultPolicyName),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*","Condition":{"StringEquals":{"ses:FromAddress":"a@example.com"}}}]}`)}); err != nil {
		t.Fatal(err)
	}
	via, ok, err := migrate.GroupGrantsSend(e.ctx, e.iam, provision.DefaultGroupName, provision.DefaultPolicyName)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Errorf("GroupGrantsSend = true via %s; the only Allow has a Condition", via)
	}
}
