package doctor_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/policy"
	"github.com/sesprov/sesprov/provision/doctor"
	"github.com/sesprov/sesprov/provision/scope"
)

// SES readiness per region, against the SES v2 and IAM fakes: production
// in one region and the sandbox in another, paused sending, the From's
// domain verified in one region only, and the user's scope denying
// another From (SimulatePrincipalPolicy with ses:FromAddress).
func TestSESReadiness(t *testing.T) {
	ctx := context.Background()
	srv, cfg := iamfaketest.StartAll(t)
	api := iam.NewFromConfig(cfg)
	sesc := func(region string) *sesv2.Client {
		return sesv2.NewFromConfig(cfg, func(o *sesv2.Options) { o.Region = region })
	}
	ses := func(region string) iamapi.SES { return sesc(region) }
	for _, call := range []func() error{
		func() error {
			_, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("news")})
			return err
		},
		func() error {
			_, err := api.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("senders")})
			return err
		},
		func() error {
			_, err := api.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("senders"), PolicyName: aws.String("send"), PolicyDocument: aws.String(policy.SendingPolicyDocument)})
			return err
		},
		func() error {
			_, err := api.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("senders"), UserName: aws.String("news")})
			return err
		},
		func() error { return scope.Put(ctx, api, "news", []string{"news@example.com"}) },
		func() error {
			_, err := sesc("eu-west-1").CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("example.com")})
			return err
		},
		func() error { return srv.SESv2.VerifyIdentity("eu-west-1", "example.com") },
		func() error {
			_, err := sesc("ap-south-1").PutAccountSendingAttributes(ctx, &sesv2.PutAccountSendingAttributesInput{SendingEnabled: false})
			return err
		},
	} {
		if err := call(); err != nil {
			t.Fatal(err)
		}
	}
	srv.SESv2.SetProductionAccess("eu-west-1", true)

	run := func(from string) []doctor.RegionReadiness {
		t.Helper()
		rows, err := doctor.SESReadiness(ctx, doctor.SESOptions{Regions: []string{"eu-west-1", "us-east-1", "ap-south-1"}, From: from, UserName: "news"}, ses, api)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	rows := run("news@example.com")
	eu, us, ap := rows[0], rows[1], rows[2]
	if eu.Access != "production" || !eu.SendingEnabled || eu.IdentityStatus != doctor.IdentityVerified || eu.Identity != "example.com" || eu.UserDecision != "allowed" || !eu.Ready {
		t.Errorf("eu-west-1: %+v", eu)
	}
	if us.Access != "sandbox" || us.Max24HourSend != 200 || us.IdentityStatus != "not-found" || us.Ready || len(us.Advice) != 2 {
		t.Errorf("us-east-1: %+v", us)
	}
	if ap.SendingEnabled || ap.Ready {
		t.Errorf("ap-south-1: %+v", ap)
	}
	if eu := run("ceo@example.com")[0]; eu.UserDecision != "explicitDeny" || eu.Ready {
		t.Errorf("a From outside the scope: %+v", eu)
	}
	for _, bad := range []doctor.SESOptions{
		{}, {Regions: []string{"us-east-1"}, UserName: "news"}, {Regions: []string{"us-east-1"}, From: "*@example.com"},
		{Regions: []string{"us-east-1"}, From: "Name <a@b.com>"},
	} {
		if _, err := doctor.SESReadiness(ctx, bad, ses, api); fail.KindOf(err) != fail.KindUsage {
			t.Errorf("%+v: %v, want a usage error", bad, err)
		}
	}
	if _, err := doctor.SESReadiness(ctx, doctor.SESOptions{Regions: []string{"us-east-1"}, From: "a@b.com", UserName: "nobody"}, ses, api); fail.KindOf(err) != fail.KindUsage {
		t.Errorf("missing user: %v", err)
	}
}
