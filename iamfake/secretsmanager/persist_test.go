package secretsmanager_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sesprov/sesprov/iamfake/secretsmanager"
)

func TestPersistAndRegions(t *testing.T) {
	ctx := context.Background()
	srv, c, _ := start(t)
	if _, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("kept"), SecretString: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}
	c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("kept"), SecretString: aws.String("v2")})
	// Another region sees none of it.
	_, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("kept")}, func(o *sm.Options) { o.Region = "eu-west-1" })
	if code(err) != "ResourceNotFoundException" {
		t.Errorf("other region: %v", err)
	}
	path := filepath.Join(t.TempDir(), "sm.json")
	if err := srv.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file %v %v", fi, err)
	}
	again := secretsmanager.New(secretsmanager.Options{})
	if err := again.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	var buf1, buf2 []byte
	buf1, _ = os.ReadFile(path)
	again.SaveFile(path)
	buf2, _ = os.ReadFile(path)
	if string(buf1) != string(buf2) {
		t.Errorf("state changed across load and save")
	}
	if err := again.LoadFile(filepath.Join(t.TempDir(), "missing.json")); err != nil {
		t.Errorf("missing file: %v", err)
	}
}
