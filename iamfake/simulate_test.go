package iamfake_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

// SimulatePrincipalPolicy of another user evaluates its policies with the
// request's context: the group's Allow, the user's own Deny with
// StringNotLike on ses:FromAddress (Deny wins), NotAction, wildcards.
func TestSimulateEvaluatesUserPolicies(t *testing.T) {
	ctx := context.Background()
	_, cfg := iamfaketest.Start(t)
	api := iam.NewFromConfig(cfg)
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("news")}))
	must(api.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("senders")}))
	p, err := api.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("send"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:SendRaw*","Resource":"*"}]}`)})
	must(p, err)
	must(api.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("senders"), PolicyArn: p.Policy.Arn}))
	must(api.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("senders"), UserName: aws.String("news")}))
	arn := "arn:aws:iam::123456789012:user/news"
	decide := func(action, from string) string {
		t.Helper()
		in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(arn), ActionNames: []string{action}}
		if from != "" {
			in.ContextEntries = []types.ContextEntry{{ContextKeyName: aws.String("ses:FromAddress"), ContextKeyType: types.ContextKeyTypeEnumString, ContextKeyValues: []string{from}}}
		}
		out, err := api.SimulatePrincipalPolicy(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return string(out.EvaluationResults[0].EvalDecision)
	}
	if got := decide("ses:SendRawEmail", "ceo@example.com"); got != "allowed" {
		t.Errorf("group grant: %s", got)
	}
	if got := decide("ses:SendEmail", "ceo@example.com"); got != "implicitDeny" {
		t.Errorf("not granted: %s", got)
	}
	must(api.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("news"), PolicyName: aws.String("scope"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["ses:SendRawEmail","ses:SendEmail"],"Resource":"*","Condition":{"StringNotLike":{"ses:FromAddress":["news@example.com","*@lists.example.com"]}}}]}`)}))
	for from, want := range map[string]string{
		"news@example.com": "allowed", "a@lists.example.com": "allowed", "ceo@example.com": "explicitDeny",
		"News@example.com": "explicitDeny", "": "explicitDeny",
	} {
		if got := decide("ses:SendRawEmail", from); got != want {
			t.Errorf("from %q: %s, want %s", from, got, want)
		}
	}
	must(api.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("news"), PolicyName: aws.String("only-ses"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"ses:*","Resource":"*"}]}`)}))
	if got := decide("s3:GetObject", ""); got != "explicitDeny" {
		t.Errorf("NotAction deny: %s", got)
	}
	if got := decide("ses:SendRawEmail", "news@example.com"); got != "allowed" {
		t.Errorf("NotAction spares ses: %s", got)
	}
}
