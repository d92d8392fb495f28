package sandbox_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/sesprov/sesprov/iamfake/awsfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/sandbox"
)

// The sandbox plays Secrets Manager and SSM on its endpoint: what is stored
// is on disk (0600, next to the IAM state) before the answer leaves, and a
// later run — or iamfake --state on the same file — reads it back.
func TestSandboxKeepsStores(t *testing.T) {
	path := t.TempDir() + "/sandbox.json"
	ctx := context.Background()
	c, err := sandbox.NewClients(ctx, iamapi.ClientOptions{Sandbox: true, SandboxState: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sm, ps := secretsmanager.NewFromConfig(c.Config), ssm.NewFromConfig(c.Config)
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("ses/a"), SecretString: aws.String(`{"k":1}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/ses/a"), Value: aws.String(`{"k":2}`), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatal(err)
	}
	paths := awsfake.StatePaths(path)
	checkPrivate(t, paths.SecretsManager)
	checkPrivate(t, paths.SSM)

	// Before Close (a killed run): the files hold the values already.
	next := awsfake.New(awsfake.Options{})
	if err := next.LoadFiles(paths); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(next)
	defer hs.Close()
	early, err := secretsmanager.NewFromConfig(iamfaketest.Config(hs.URL)).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("ses/a")})
	if err != nil || aws.ToString(early.SecretString) != `{"k":1}` {
		t.Errorf("the secret saved before Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	again, err := sandbox.NewClients(ctx, iamapi.ClientOptions{Sandbox: true, SandboxState: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	got, err := secretsmanager.NewFromConfig(again.Config).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("ses/a")})
	if err != nil || aws.ToString(got.SecretString) != `{"k":1}` {
		t.Errorf("secret after reopening: %v", err)
	}
	p, err := ssm.NewFromConfig(again.Config).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/ses/a"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(p.Parameter.Value) != `{"k":2}` {
		t.Errorf("parameter after reopening: %v", err)
	}
}
