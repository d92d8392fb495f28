package ssm_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/iamfake/ssm"
)

func TestPersist(t *testing.T) {
	ctx := context.Background()
	srv, c := start(t)
	put(c, "/kept", "secret", types.ParameterTypeSecureString, false)
	path := filepath.Join(t.TempDir(), "ssm.json")
	if err := srv.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file %v %v", fi, err)
	}
	again := ssm.New(ssm.Options{AccountID: "111122223333"})
	if err := again.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(again)
	defer hs.Close()
	g, err := awsssm.NewFromConfig(iamfaketest.Config(hs.URL)).GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/kept"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(g.Parameter.Value) != "secret" {
		t.Errorf("after load: %v %v", g, err)
	}
}
