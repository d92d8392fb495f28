package iamfake_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

// AssumeRole into a role of another account served beside this one
// answers credentials that act in that account: its users, not this one's.
func TestAssumeRoleIntoAnotherAccount(t *testing.T) {
	srv := iamfake.New(iamfake.Options{})
	member := srv.AddAccount("222222222222", "OrganizationAccountAccessRole")
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	cfg := iamfaketest.Config(hs.URL)
	ctx := context.Background()

	assumed := cfg.Copy()
	assumed.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole"))
	id, err := sts.NewFromConfig(assumed).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != "222222222222" || aws.ToString(id.Arn) == "" {
		t.Fatalf("GetCallerIdentity as the assumed role: %+v %v", id, err)
	}
	if _, err := iam.NewFromConfig(assumed).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("in-member")}); err != nil {
		t.Fatal(err)
	}
	u, err := iam.NewFromConfig(assumed).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("in-member")})
	if err != nil || aws.ToString(u.User.Arn) != "arn:aws:iam::222222222222:user/in-member" {
		t.Fatalf("GetUser in the member account: %+v %v", u, err)
	}
	if _, err := iam.NewFromConfig(cfg).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("in-member")}); err == nil {
		t.Fatal("the member's user is seen in the caller's own account")
	}
	if member.CallCount("CreateUser") != 1 || srv.CallCount("CreateUser") != 0 {
		t.Errorf("CreateUser logged %d times in the member, %d in the caller's account", member.CallCount("CreateUser"), srv.CallCount("CreateUser"))
	}
	// A role of an account the fake does not hold, or a role the member
	// lacks: AccessDenied, as AWS answers either.
	for _, arn := range []string{"arn:aws:iam::333333333333:role/OrganizationAccountAccessRole", "arn:aws:iam::222222222222:role/Nope"} {
		_, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("t1")})
		if err == nil {
			t.Errorf("AssumeRole %s: no error", arn)
		}
	}
}
