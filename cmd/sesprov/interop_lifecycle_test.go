package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/policy"
	"github.com/sesprov/sesprov/provision/rotate"
)

// motoKeys returns user's keys in moto: id -> status.
func motoKeys(t *testing.T, api *iam.Client, user string) map[string]types.StatusType {
	t.Helper()
	keys, err := iamapi.ListAccessKeys(context.Background(), api, user)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]types.StatusType{}
	for _, k := range keys {
		m[aws.ToString(k.AccessKeyId)] = k.Status
	}
	return m
}

// motoMain starts moto_server and returns an SDK client of it and a runner
// of the real main pointed at it.
func motoMain(t *testing.T) (*iam.Client, func(args ...string) result) {
	url := startMoto(t)
	isolateAWSEnv(t)
	return iam.NewFromConfig(iamfaketest.Config(url)), func(args ...string) result {
		t.Helper()
		return runMain(t, nil, append([]string{"--endpoint-url", url}, args...)...)
	}
}

// TestInteropRotateMoto rotates through the real main against moto_server:
// deactivate, make room and delete, keep, then the two-active-keys conflict.
func TestInteropRotateMoto(t *testing.T) {
	ctx := context.Background()
	api, sesprov := motoMain(t)
	r := sesprov("-o", "json", "create-user", "--user-name", "moto-rot", "--regions", "us-east-1")
	if r.code != 0 {
		t.Fatalf("create-user: exit %d: %s", r.code, r.stderr)
	}
	var first credJSON
	if err := json.Unmarshal([]byte(r.stdout), &first); err != nil {
		t.Fatal(err)
	}

	r = sesprov("-o", "json", "rotate", "--user-name", "moto-rot", "--regions", "us-east-1,eu-west-1", "--include-secret-key")
	if r.code != 0 {
		t.Fatalf("rotate: exit %d: %s", r.code, r.stderr)
	}
	var second credJSON
	if err := json.Unmarshal([]byte(r.stdout), &second); err != nil {
		t.Fatal(err)
	}
	for _, c := range second.Credentials {
		if c.SMTPPassword != derive.Password(second.Secret, c.Region) {
			t.Fatalf("%s: password does not derive from the new secret", c.Region)
		}
	}
	if k := motoKeys(t, api, "moto-rot"); len(k) != 2 || k[first.AccessKeyID] != types.StatusTypeInactive || k[second.AccessKeyID] != types.StatusTypeActive {
		t.Fatalf("after rotate: %v", k)
	}
	tags, err := api.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("moto-rot")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range tags.Tags {
		if aws.ToString(tg.Key) == rotate.TagKey {
			t.Fatalf("rotation tag left: %s", aws.ToString(tg.Value))
		}
	}

	// The inactive key makes room; the old key is deleted as asked.
	r = sesprov("-o", "json", "rotate", "--user-name", "moto-rot", "--regions", "us-east-1", "--old-key", "delete")
	if r.code != 0 {
		t.Fatalf("rotate --old-key delete: exit %d: %s", r.code, r.stderr)
	}
	var third credJSON
	if err := json.Unmarshal([]byte(r.stdout), &third); err != nil {
		t.Fatal(err)
	}
	if k := motoKeys(t, api, "moto-rot"); len(k) != 1 || k[third.AccessKeyID] != types.StatusTypeActive {
		t.Fatalf("after rotate --old-key delete: %v", k)
	}

	// keep leaves two active keys; the next rotation is a conflict.
	if r = sesprov("rotate", "--user-name", "moto-rot", "--regions", "us-east-1", "--old-key", "keep"); r.code != 0 {
		t.Fatalf("rotate --old-key keep: exit %d: %s", r.code, r.stderr)
	}
	before := motoKeys(t, api, "moto-rot")
	if r = sesprov("rotate", "--user-name", "moto-rot", "--regions", "us-east-1"); r.code != fail.ExitConflict || !strings.Contains(r.stderr, "two active access keys") {
		t.Fatalf("two active keys: exit %d: %s", r.code, r.stderr)
	}
	if after := motoKeys(t, api, "moto-rot"); len(after) != len(before) {
		t.Fatalf("the conflict changed keys: %v -> %v", before, after)
	}
}

// TestInteropDeleteUserMoto deletes a user holding what moto can give it,
// through the real main against moto_server.
func TestInteropDeleteUserMoto(t *testing.T) {
	ctx := context.Background()
	api, sesprov := motoMain(t)
	if r := sesprov("create-user", "--user-name", "moto-del", "--regions", "us-east-1"); r.code != 0 {
		t.Fatalf("create-user: exit %d: %s", r.code, r.stderr)
	}
	u := aws.String("moto-del")
	_, err := api.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: u, Password: aws.String("Correct-Horse-Battery-9")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: u, PolicyName: aws.String("extra"), PolicyDocument: aws.String(policy.SendingPolicyDocument)}); err != nil {
		t.Fatal(err)
	}
	pol, err := api.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("moto-del-extra"), PolicyDocument: aws.String(policy.SendingPolicyDocument)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: u, PolicyArn: pol.Policy.Arn}); err != nil {
		t.Fatal(err)
	}
	mfa, err := api.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("moto-del-mfa")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: u, SerialNumber: mfa.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")}); err != nil {
		t.Fatal(err)
	}

	r := sesprov("delete-user", "--user-name", "moto-del", "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "would delete login profile") || !strings.Contains(r.stdout, "would delete MFA device") {
		t.Fatalf("dry run: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	if r = sesprov("delete-user", "--user-name", "moto-del"); r.code != 0 {
		t.Fatalf("delete-user: exit %d: %s", r.code, r.stderr)
	}
	if _, err := api.GetUser(ctx, &iam.GetUserInput{UserName: u}); !iamapi.IsNoSuchEntity(err) {
		t.Fatalf("user still there: %v", err)
	}
	if r = sesprov("delete-user", "--user-name", "moto-del"); r.code != fail.ExitUsage || !strings.Contains(r.stderr, "does not exist") {
		t.Fatalf("second delete: exit %d: %s", r.code, r.stderr)
	}

	// A plain user is refused, then deleted with --force.
	if _, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("moto-plain")}); err != nil {
		t.Fatal(err)
	}
	if r = sesprov("delete-user", "--user-name", "moto-plain"); r.code != fail.ExitConflict {
		t.Fatalf("plain user: exit %d: %s", r.code, r.stderr)
	}
	if r = sesprov("delete-user", "--user-name", "moto-plain", "--force"); r.code != 0 {
		t.Fatalf("--force: exit %d: %s", r.code, r.stderr)
	}
}
