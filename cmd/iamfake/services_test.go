package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

// The other services are served on the same endpoint and persist next to
// the IAM state file.
func TestServicesServeAndPersist(t *testing.T) {
	ctx := context.Background()
	state := filepath.Join(t.TempDir(), "iam.json")
	url, stop := start(t, "--state", state, "--ses-production-access", "--ses-auto-verify")
	cfg := iamfaketest.Config(url)
	if _, err := sm.NewFromConfig(cfg).CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("s"), SecretString: aws.String("v")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/p"), Value: aws.String("v"), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatal(err)
	}
	out, err := sesv2.NewFromConfig(cfg).CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("a@example.com")})
	if err != nil || !out.VerifiedForSendingStatus {
		t.Fatalf("auto-verify: %v %v", out, err)
	}
	for _, f := range []string{"iam.secretsmanager.json", "iam.ssm.json", "iam.sesv2.json"} {
		if fi, err := os.Stat(filepath.Join(filepath.Dir(state), f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", f, fi, err)
		}
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}

	url, stop = start(t, "--state", state)
	defer stop()
	cfg = iamfaketest.Config(url)
	g, err := sm.NewFromConfig(cfg).GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("s")})
	if err != nil || aws.ToString(g.SecretString) != "v" {
		t.Errorf("secret lost: %v %v", g, err)
	}
	p, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(p.Parameter.Value) != "v" {
		t.Errorf("parameter lost: %v %v", p, err)
	}
	a, err := sesv2.NewFromConfig(cfg).GetAccount(ctx, &sesv2.GetAccountInput{})
	if err != nil || !a.ProductionAccessEnabled {
		t.Errorf("production access lost: %v %v", a, err)
	}
}

func TestSESSandboxByDefault(t *testing.T) {
	url, stop := start(t)
	defer stop()
	a, err := sesv2.NewFromConfig(iamfaketest.Config(url)).GetAccount(context.Background(), &sesv2.GetAccountInput{})
	if err != nil || a.ProductionAccessEnabled || a.SendQuota.Max24HourSend != 200 {
		t.Errorf("%v %v", a, err)
	}
}
