package awsfake_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/awsfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

// One endpoint, every client: each call reaches its own service's state.
func TestOneEndpoint(t *testing.T) {
	ctx := context.Background()
	srv, cfg := iamfaketest.StartAll(t, awsfake.Options{IAM: iamfake.Options{AccountID: "111122223333"}, SESAutoVerify: true})
	if _, err := iam.NewFromConfig(cfg).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}); err != nil {
		t.Fatal(err)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != "111122223333" {
		t.Fatalf("sts: %v %v", id, err)
	}
	s, err := sm.NewFromConfig(cfg).CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("x"), SecretString: aws.String("v")})
	if err != nil || aws.ToString(s.ARN)[:51] != "arn:aws:secretsmanager:us-east-1:111122223333:secre" {
		t.Fatalf("secretsmanager: %v %v", s, err)
	}
	if _, err := ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/x"), Value: aws.String("v"), Type: ssmtypes.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}
	ses := sesv2.NewFromConfig(cfg)
	if _, err := ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("a@example.com")}); err != nil {
		t.Fatal(err)
	}
	a, err := ses.GetAccount(ctx, &sesv2.GetAccountInput{})
	if err != nil || a.ProductionAccessEnabled {
		t.Fatalf("ses: %v %v", a, err)
	}
	if srv.IAM.CallCount("CreateUser") != 1 || srv.SecretsManager.CallCount("") != 1 || srv.SSM.CallCount("") != 1 || srv.SESv2.CallCount("") != 2 {
		t.Errorf("calls reached the wrong service")
	}
	if srv.Changes() != 4 {
		t.Errorf("changes %d", srv.Changes())
	}

	p := awsfake.StatePaths(filepath.Join(t.TempDir(), "iam.json"))
	if err := srv.SaveFiles(p); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{p.IAM, p.SecretsManager, p.SSM, p.SESv2} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, fi, err)
		}
	}
	again := awsfake.New(awsfake.Options{IAM: iamfake.Options{AccountID: "111122223333"}})
	if err := again.LoadFiles(p); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(again)
	defer hs.Close()
	g, err := ssm.NewFromConfig(iamfaketest.Config(hs.URL)).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/x")})
	if err != nil || aws.ToString(g.Parameter.Value) != "v" {
		t.Errorf("after reload: %v %v", g, err)
	}
	if _, err := iam.NewFromConfig(iamfaketest.Config(hs.URL)).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("u")}); err != nil {
		t.Errorf("iam after reload: %v", err)
	}
}

func TestStatePaths(t *testing.T) {
	p := awsfake.StatePaths("/d/state.json")
	if p.SecretsManager != "/d/state.secretsmanager.json" || p.SSM != "/d/state.ssm.json" || p.SESv2 != "/d/state.sesv2.json" {
		t.Errorf("%+v", p)
	}
	if p := awsfake.StatePaths("iam"); p.SSM != "iam.ssm.json" {
		t.Errorf("no extension: %+v", p)
	}
}
