package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/policy"
	"github.com/sesprov/sesprov/provision"
)

// startMoto starts moto_server on a free loopback port and returns its URL.
// The test is skipped, saying why, unless SESPROV_INTEROP=1 and moto_server
// is on PATH (make test-interop sets the former).
func startMoto(t *testing.T) string {
	t.Helper()
	if os.Getenv("SESPROV_INTEROP") != "1" {
		t.Skip("interop test: set SESPROV_INTEROP=1 (make test-interop) to run it against moto_server")
	}
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("interop test: moto_server is not on PATH (pip install 'moto[server]')")
	}
	return iamfaketest.StartMoto(t, bin)
}

// TestInteropCreateUserMoto runs the main scenario through the real main
// against moto_server, then checks IAM's state with the SDK.
func TestInteropCreateUserMoto(t *testing.T) {
	url := startMoto(t)
	isolateAWSEnv(t)
	ctx := context.Background()
	api := iam.NewFromConfig(iamfaketest.Config(url))

	r := runMain(t, nil, "--endpoint-url", url, "-o", "json", "create-user", "--user-name", "moto-alice",
		"--regions", "us-east-1,eu-west-1", "--include-secret-key", "--tag", "team=mail", "--path", "/smtp/")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var c credJSON
	if err := json.Unmarshal([]byte(r.stdout), &c); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	keys, err := iamapi.ListAccessKeyIDs(ctx, api, "moto-alice")
	if err != nil || len(keys) != 1 || keys[0] != c.AccessKeyID {
		t.Errorf("keys %v (%v), printed %s", keys, err, c.AccessKeyID)
	}
	for _, cr := range c.Credentials {
		if cr.SMTPPassword != derive.Password(c.Secret, cr.Region) {
			t.Errorf("%s: password does not derive from the printed secret", cr.Region)
		}
	}
	u, err := api.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("moto-alice")})
	if err != nil || aws.ToString(u.User.Path) != "/smtp/" {
		t.Errorf("user %+v %v", u, err)
	}
	g, err := api.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("moto-alice")})
	if err != nil || len(g.Groups) != 1 || aws.ToString(g.Groups[0].GroupName) != provision.DefaultGroupName {
		t.Errorf("groups %+v %v", g, err)
	}
	att, err := api.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String(provision.DefaultGroupName)})
	if err != nil || len(att.AttachedPolicies) != 1 {
		t.Fatalf("attached %+v %v", att, err)
	}
	arn := aws.ToString(att.AttachedPolicies[0].PolicyArn)
	pol, err := api.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	pv, err := api.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: pol.Policy.DefaultVersionId})
	if err != nil || !policy.IsStandard(aws.ToString(pv.PolicyVersion.Document)) {
		t.Errorf("policy document %v %v", pv, err)
	}

	// A second user reuses group and policy; the first again is a conflict.
	r = runMain(t, nil, "--endpoint-url", url, "create-user", "--user-name", "moto-bob", "--regions", "us-east-1")
	if r.code != 0 || strings.Contains(r.stderr, "warning") {
		t.Errorf("second user: exit %d: %s", r.code, r.stderr)
	}
	r = runMain(t, nil, "--endpoint-url", url, "create-user", "--user-name", "moto-alice", "--regions", "us-east-1")
	if r.code != 3 || !strings.Contains(r.stderr, "sesprov rotate") {
		t.Errorf("re-run: exit %d: %s", r.code, r.stderr)
	}

	// --role-arn with --external-id: the clients assume the role first
	// (moto's STS answers AssumeRole).
	r = runMain(t, nil, "--endpoint-url", url, "--role-arn", "arn:aws:iam::123456789012:role/provisioner",
		"--external-id", "x-123", "--debug", "create-user", "--user-name", "moto-carol", "--regions", "us-east-1")
	if r.code != 0 {
		t.Errorf("--role-arn: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "op=AssumeRole") {
		t.Errorf("--role-arn: no AssumeRole call logged:\n%s", r.stderr)
	}
}
