package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/fail"
)

// sesprovIn runs the real main with stdin.
func sesprovIn(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"sesprov"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func sesprovAt(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return sesprovIn(t, "", args...)
}

// lifecycleFake starts an iamfake and points the process's SDK configuration at it.
func lifecycleFake(t *testing.T) (*iamfake.Server, *iam.Client) {
	srv, cfg := iamfaketest.Start(t)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": aws.ToString(cfg.BaseEndpoint), "AWS_ACCESS_KEY_ID": "AKIATESTOPERATOR0000",
		"AWS_SECRET_ACCESS_KEY": "test-operator-secret", "AWS_REGION": "us-east-1", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": t.TempDir() + "/none", "AWS_SHARED_CREDENTIALS_FILE": t.TempDir() + "/none",
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	return srv, iam.NewFromConfig(cfg)
}

// A plain IAM user (no group, no SES policy, no sesprov or console tag) is
// refused by rotate and delete-user with exit 3, and nothing is changed;
// --force deletes it.
func TestDeleteUserRefusesPlainUser(t *testing.T) {
	srv, client := lifecycleFake(t)
	_, err := client.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	srv.ResetCalls()
	code, stdout, stderr := sesprovAt(t, "rotate", "--user-name", "alice", "--regions", "us-east-1")
	if code != fail.ExitConflict || stdout != "" || !strings.Contains(stderr, "not an SMTP user") {
		t.Fatalf("rotate of a plain user: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = sesprovAt(t, "delete-user", "--user-name", "alice")
	if code != fail.ExitConflict || !strings.Contains(stderr, "not an SMTP user") || !strings.Contains(stderr, "--force") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, c := range srv.Calls() {
		if !strings.HasPrefix(c.Action, "Get") && !strings.HasPrefix(c.Action, "List") {
			t.Fatalf("refusal made a change: %s", c.Action)
		}
	}
	code, stdout, stderr = sesprovAt(t, "delete-user", "--user-name", "alice", "--force")
	if code != 0 || !strings.Contains(stdout, "deleted user alice") {
		t.Fatalf("--force: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// convert through the real main: the secret on stdin, the owner put in the
// group, the passwords those of the secret; --out-file gets mode 0600.
func TestConvertCLI(t *testing.T) {
	_, client := lifecycleFake(t)
	ctx := context.Background()
	_, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("legacy")})
	if err != nil {
		t.Fatal(err)
	}
	key, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("legacy")})
	if err != nil {
		t.Fatal(err)
	}
	id, secret := aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)

	code, stdout, stderr := sesprovIn(t, secret+"\n", "-o", "json", "convert", "--access-key-id", id, "--regions", "eu-west-1,us-east-1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		UserName    string `json:"user_name"`
		Key         string `json:"smtp_username"`
		Credentials []struct {
			Region   string `json:"region"`
			Password string `json:"smtp_password"`
		} `json:"credentials"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if got.UserName != "legacy" || got.Key != id || len(got.Credentials) != 2 {
		t.Fatalf("output: %s", stdout)
	}
	for _, c := range got.Credentials {
		if c.Password != derive.Password(secret, c.Region) {
			t.Fatalf("%s: wrong password", c.Region)
		}
	}
	if strings.Contains(stderr, secret) {
		t.Fatal("the secret reached stderr")
	}
	groups, err := client.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("legacy")})
	if err != nil || len(groups.Groups) != 1 || aws.ToString(groups.Groups[0].GroupName) != "AWSSESSendingGroupDoNotRename" {
		t.Fatalf("groups: %v %v", groups, err)
	}

	path := filepath.Join(t.TempDir(), "smtp.csv")
	code, stdout, stderr = sesprovIn(t, secret, "-o", "csv", "convert", "--access-key-id", id, "--regions", "eu-west-1", "--out-file", path)
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("out-file: %v %v", st, err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "legacy,"+id+","+derive.Password(secret, "eu-west-1")+",eu-west-1") {
		t.Fatalf("out-file: %s", b)
	}
}
