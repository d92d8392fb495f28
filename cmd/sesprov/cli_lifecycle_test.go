package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/provision"
)

// sesprovAt runs the real main against the iamfake at url.
func sesprovAt(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"sesprov"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// A plain IAM user (no group, no SES policy, no sesprov or console tag) is
// refused with exit 3, and nothing is changed; --force deletes it.
func TestDeleteUserRefusesPlainUser(t *testing.T) {
	srv, cfg := iamfaketest.Start(t)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": aws.ToString(cfg.BaseEndpoint), "AWS_ACCESS_KEY_ID": "AKIATESTOPERATOR0000",
		"AWS_SECRET_ACCESS_KEY": "test-operator-secret", "AWS_REGION": "us-east-1", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": t.TempDir() + "/none", "AWS_SHARED_CREDENTIALS_FILE": t.TempDir() + "/none",
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	client := iam.NewFromConfig(cfg)
	_, err := client.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	srv.ResetCalls()
	code, _, stderr := sesprovAt(t, "delete-user", "--user-name", "alice")
	if code != provision.ExitConflict || !strings.Contains(stderr, "not an SMTP user") || !strings.Contains(stderr, "--force") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, c := range srv.Calls() {
		if !strings.HasPrefix(c.Action, "Get") && !strings.HasPrefix(c.Action, "List") {
			t.Fatalf("refusal made a change: %s", c.Action)
		}
	}
	code, stdout, stderr := sesprovAt(t, "delete-user", "--user-name", "alice", "--force")
	if code != 0 || !strings.Contains(stdout, "deleted user alice") {
		t.Fatalf("--force: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
