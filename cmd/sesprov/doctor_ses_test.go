package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/sesprov/sesprov/iamfake/awsfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

// The real binary's doctor --regions against the fakes cmd/iamfake serves
// (awsfake: IAM and SES v2 on one endpoint), reached through the SDK's
// per-service variables (AWS_ENDPOINT_URL_SESV2 …) and through
// --endpoint-url: one row per region, production and sandbox named, the
// identity and the user's scope checked; exit 1 when a region is not ready.
func TestDoctorSESRegionsBinary(t *testing.T) {
	ctx := context.Background()
	srv := awsfake.New(awsfake.Options{})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	cfg := iamfaketest.Config(hs.URL)
	api := iam.NewFromConfig(cfg)
	ses := sesv2.NewFromConfig(cfg, func(o *sesv2.Options) { o.Region = "eu-west-1" })
	run := func(env []string, args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.Command(sesprovBinary(t), args...)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIASCRIPTOPERATOR00", "AWS_SECRET_ACCESS_KEY=x", "AWS_REGION=us-east-1",
			"AWS_ENDPOINT_URL=", "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent", "AWS_EC2_METADATA_DISABLED=true")
		cmd.Env = append(cmd.Env, env...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var ee *exec.ExitError
		code := 0
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errb.String(), code
	}
	if _, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("news")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ses.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("news@example.com")}); err != nil {
		t.Fatal(err)
	}
	if err := srv.SESv2.VerifyIdentity("eu-west-1", "news@example.com"); err != nil {
		t.Fatal(err)
	}
	srv.SESv2.SetProductionAccess("eu-west-1", true)
	_, stderr, code := run(nil, "create-user", "--endpoint-url", hs.URL, "--user-name", "mailer", "--regions", "eu-west-1", "--out-file", t.TempDir()+"/c.txt")
	if code != 0 {
		t.Fatalf("create-user: exit %d: %s", code, stderr) // makes the sending group
	}
	if _, err := api.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("news"), GroupName: aws.String("AWSSESSendingGroupDoNotRename")}); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = run(nil, "scope", "--endpoint-url", hs.URL, "--user-name", "news", "--allow-from", "news@example.com")
	if code != 0 {
		t.Fatalf("scope: exit %d: %s", code, stderr)
	}

	perService := []string{"AWS_ENDPOINT_URL_IAM=" + hs.URL, "AWS_ENDPOINT_URL_STS=" + hs.URL, "AWS_ENDPOINT_URL_SESV2=" + hs.URL}
	out, stderr, code := run(perService, "doctor", "--regions", "eu-west-1,us-east-1", "--from", "news@example.com", "--user-name", "news")
	if code != 1 || !strings.Contains(stderr, "not ready to send in us-east-1") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "REGION") ||
		!strings.Contains(lines[1], "eu-west-1") || !strings.Contains(lines[1], "production") || !strings.Contains(lines[1], "news@example.com: verified") || !strings.Contains(lines[1], "news: allowed") || !strings.HasSuffix(lines[1], "yes") ||
		!strings.Contains(lines[2], "us-east-1") || !strings.Contains(lines[2], "sandbox") || !strings.Contains(lines[2], "200/day") || !strings.HasSuffix(lines[2], "no") {
		t.Fatalf("table:\n%s", out)
	}
	if !strings.Contains(stderr, "us-east-1: in the SES sandbox") || !strings.Contains(stderr, "request production access") {
		t.Errorf("advice:\n%s", stderr)
	}

	out, stderr, code = run(nil, "-o", "json", "doctor", "--endpoint-url", hs.URL, "--regions", "eu-west-1", "--from", "ceo@example.com", "--user-name", "news")
	var row map[string]any
	if code != 1 || json.Unmarshal([]byte(out), &row) != nil || row["user_decision"] != "explicitDeny" || row["access"] != "production" || row["identity_status"] != "not-found" || row["ready"] != false {
		t.Fatalf("exit %d, json %s, stderr %s", code, out, stderr)
	}

	_, stderr, code = run(nil, "doctor", "--endpoint-url", hs.URL, "--regions", "eu-west-1", "--from", "not-an-address")
	if code != 2 || !strings.Contains(stderr, "not an email address") {
		t.Errorf("bad --from: exit %d: %s", code, stderr)
	}
	_, stderr, code = run(nil, "doctor", "--endpoint-url", hs.URL, "--regions", "xx-nowhere-1")
	if code != 2 {
		t.Errorf("bad region: exit %d: %s", code, stderr)
	}
}
