package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/iamfake/awsfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	smfake "github.com/sesprov/sesprov/iamfake/secretsmanager"
	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/internal/iamapi"
)

// These tests deliver into the Secrets Manager and SSM fakes served with
// IAM on one endpoint (iamfaketest.StartAll), run the real main, and read
// back what was stored with the real SDK.

type storeFake struct {
	*fake
	all *awsfake.Server
	sm  *secretsmanager.Client
	ssm *ssm.Client
}

// startMotoStores starts moto_server (or skips) and gives the same storeFake
// against it: IAM, Secrets Manager and SSM through one endpoint.
func startMotoStores(t *testing.T) *storeFake {
	t.Helper()
	url := startMoto(t)
	isolateAWSEnv(t)
	cfg := iamfaketest.Config(url)
	cfg.Region = iamapi.DefaultRegion // the run's SDK region, the stores' default
	return &storeFake{fake: &fake{t: t, url: url, iam: iam.NewFromConfig(cfg)},
		sm: secretsmanager.NewFromConfig(cfg), ssm: ssm.NewFromConfig(cfg)}
}

func startStoreFake(t *testing.T) *storeFake {
	t.Helper()
	all, cfg := iamfaketest.StartAll(t)
	isolateAWSEnv(t)
	shortRetryBackoff(t)
	url := aws.ToString(cfg.BaseEndpoint)
	// The stores' region is the SDK's: the run's IAM region, us-east-1.
	cfg.Region = iamapi.DefaultRegion
	f := &fake{t: t, srv: all.IAM, url: url, iam: iam.NewFromConfig(cfg)}
	return &storeFake{fake: f, all: all, sm: secretsmanager.NewFromConfig(cfg), ssm: ssm.NewFromConfig(cfg)}
}

// secret reads the AWSCURRENT value of secret name.
func (f *storeFake) secret(name string) credJSON {
	f.t.Helper()
	out, err := f.sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil {
		f.t.Fatalf("GetSecretValue %s: %v", name, err)
	}
	return f.parse(aws.ToString(out.SecretString))
}

// param reads parameter name, decrypted, and checks it is a SecureString.
func (f *storeFake) param(name string) credJSON {
	f.t.Helper()
	out, err := f.ssm.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		f.t.Fatalf("GetParameter %s: %v", name, err)
	}
	if out.Parameter.Type != "SecureString" {
		f.t.Errorf("parameter %s is a %s, want SecureString", name, out.Parameter.Type)
	}
	return f.parse(aws.ToString(out.Parameter.Value))
}

// parse reads a stored value: one JSON object, as -o json prints it.
func (f *storeFake) parse(v string) credJSON {
	f.t.Helper()
	if strings.Contains(v, "\n") {
		f.t.Errorf("stored value is not one JSON object: %q", v)
	}
	var c credJSON
	if err := json.Unmarshal([]byte(v), &c); err != nil {
		f.t.Fatalf("stored value: %v", err)
	}
	return c
}

// checkStored checks a stored credential set: the user's one key in IAM,
// a password per region, derived from the key's secret when that was
// stored too (--include-secret-key).
func (f *storeFake) checkStored(c credJSON, user string, regions ...string) {
	f.t.Helper()
	keys, err := iamapi.ListAccessKeyIDs(context.Background(), f.iam, user)
	if err != nil {
		f.t.Fatal(err)
	}
	if c.UserName != user || len(keys) == 0 || c.AccessKeyID != keys[len(keys)-1] {
		f.t.Fatalf("stored %s key %s; IAM holds %v", c.UserName, c.AccessKeyID, keys)
	}
	if len(c.Credentials) != len(regions) {
		f.t.Fatalf("stored %d regions, want %v", len(c.Credentials), regions)
	}
	for i, r := range c.Credentials {
		if r.Region != regions[i] || r.SMTPPassword == "" {
			f.t.Errorf("stored region %s, want %s with a password", r.Region, regions[i])
		}
		if c.Secret != "" && r.SMTPPassword != derive.Password(c.Secret, regions[i]) {
			f.t.Errorf("region %s: stored password does not derive from the stored secret", r.Region)
		}
	}
}

// noSecretOn fails when out carries a secret of c.
func noSecretOn(t *testing.T, what, out string, c credJSON) {
	t.Helper()
	if c.Secret != "" && strings.Contains(out, c.Secret) {
		t.Errorf("%s holds the secret access key", what)
	}
	for _, r := range c.Credentials {
		if strings.Contains(out, r.SMTPPassword) {
			t.Errorf("%s holds the SMTP password", what)
		}
	}
}

func TestDeliverToSecretsManager(t *testing.T) {
	f := startStoreFake(t)
	r := f.sesprov("-o", "json", "create-user", "--user-name", "app1", "--regions", "eu-west-1,us-east-1",
		"--include-secret-key", "--deliver-to", "secretsmanager:ses/{user}")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	c := f.secret("ses/app1")
	f.checkStored(c, "app1", "eu-west-1", "us-east-1")
	noSecretOn(t, "stdout", r.stdout, c)
	noSecretOn(t, "stderr", r.stderr, c)
	var status struct{ UserName, AccessKeyID, Status, Destination, Version string }
	if err := json.Unmarshal([]byte(r.stdout), &status); err != nil || status.Status != "delivered" || status.Destination != "secretsmanager:ses/app1" {
		t.Errorf("stdout %q (%v), want a status line", r.stdout, err)
	}
	if status.Version != deliver.RequestToken(c.AccessKeyID) {
		t.Errorf("version %q, want the token of key %s", status.Version, c.AccessKeyID)
	}
	desc, err := f.sm.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String("ses/app1")})
	if err != nil {
		t.Fatal(err)
	}
	if len(desc.Tags) != 1 || aws.ToString(desc.Tags[0].Key) != deliver.CreatedByTagKey {
		t.Errorf("tags %v, want %s", desc.Tags, deliver.CreatedByTagKey)
	}

	// A rotation adds a version, AWSCURRENT, holding the new key.
	r = f.sesprov("rotate", "--user-name", "app1", "--regions", "eu-west-1", "--deliver-to", "secretsmanager:ses/{user}", "--old-key", "delete")
	if r.code != 0 {
		t.Fatalf("rotate: exit %d: %s", r.code, r.stderr)
	}
	rotated := f.secret("ses/app1")
	f.checkStored(rotated, "app1", "eu-west-1")
	if rotated.AccessKeyID == c.AccessKeyID || rotated.Secret != "" {
		t.Errorf("after rotate the secret holds key %s (secret %t), want a new key without the secret", rotated.AccessKeyID, rotated.Secret != "")
	}
	if n := f.versions("ses/app1"); n != 2 {
		t.Errorf("%d versions, want 2", n)
	}
	// The store's call budget: a new secret costs PutSecretValue (not
	// found) and CreateSecret, an existing one PutSecretValue alone;
	// nothing is read back when the write succeeds.
	sm := f.all.SecretsManager
	if p, c, d := sm.CallCount("PutSecretValue"), sm.CallCount("CreateSecret"), sm.CallCount("DescribeSecret"); p != 2 || c != 1 || d != 1 { // the one DescribeSecret is this test's
		t.Errorf("calls: PutSecretValue %d, CreateSecret %d, DescribeSecret %d; want 2, 1, 1 (this test's)", p, c, d)
	}
}

func (f *storeFake) versions(name string) int {
	f.t.Helper()
	out, err := f.sm.ListSecretVersionIds(context.Background(), &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(name)})
	if err != nil {
		f.t.Fatal(err)
	}
	return len(out.Versions)
}

func TestDeliverToSSM(t *testing.T) {
	f := startStoreFake(t)
	r := f.sesprov("create-user", "--user-name", "app1", "--regions", "eu-west-1", "--include-secret-key",
		"--deliver-to", "ssm:/ses/{user}", "--kms-key-id", "alias/ses-creds")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	c := f.param("/ses/app1")
	f.checkStored(c, "app1", "eu-west-1")
	noSecretOn(t, "stdout", r.stdout, c)
	if !strings.Contains(r.stdout, "delivered to ssm:/ses/app1") {
		t.Errorf("stdout %q, want a status line", r.stdout)
	}
	desc, err := f.ssm.DescribeParameters(context.Background(), &ssm.DescribeParametersInput{})
	if err != nil || len(desc.Parameters) != 1 || aws.ToString(desc.Parameters[0].KeyId) != "alias/ses-creds" {
		t.Fatalf("parameters %+v (%v), want one under alias/ses-creds", desc, err)
	}
	// Rotation overwrites it.
	if r := f.sesprov("rotate", "--user-name", "app1", "--regions", "eu-west-1", "--deliver-to", "ssm:/ses/{user}", "--old-key", "delete"); r.code != 0 {
		t.Fatalf("rotate: exit %d: %s", r.code, r.stderr)
	}
	f.checkStored(f.param("/ses/app1"), "app1", "eu-west-1")
}

// --store-region puts the store in another region than the SDK's.
func TestDeliverToStoreRegion(t *testing.T) {
	f := startStoreFake(t)
	if r := f.sesprov("create-user", "--user-name", "a", "--regions", "eu-west-1", "--deliver-to", "secretsmanager:ses/a", "--store-region", "eu-central-1"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	out, err := f.sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("ses/a")},
		func(o *secretsmanager.Options) { o.Region = "eu-central-1" })
	if err != nil || !strings.Contains(aws.ToString(out.SecretString), `"user_name":"a"`) {
		t.Fatalf("eu-central-1: %v", err)
	}
	if _, err := f.sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("ses/a")}); err == nil {
		t.Error("the secret is in the SDK's region too")
	}
}

// A batch stores each user's credentials under their own name.
func TestDeliverToStoreBatch(t *testing.T) {
	f := startStoreFake(t)
	users := filepath.Join(t.TempDir(), "users.txt")
	if err := os.WriteFile(users, []byte("a\nb\nc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := f.sesprov("create-user", "--from", users, "--regions", "eu-west-1", "--deliver-to", "secretsmanager:ses/{user}")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, u := range []string{"a", "b", "c"} {
		c := f.secret("ses/" + u)
		f.checkStored(c, u, "eu-west-1")
		noSecretOn(t, "stdout", r.stdout, c)
	}
	if n := strings.Count(r.stdout, "delivered to secretsmanager:ses/"); n != 3 {
		t.Errorf("%d status lines, want 3: %s", n, r.stdout)
	}
}

// Bad store destinations are refused (exit 2) before any IAM change.
func TestDeliverToStoreRefusedBeforeAnyChange(t *testing.T) {
	f := startStoreFake(t)
	users := filepath.Join(t.TempDir(), "users.txt")
	if err := os.WriteFile(users, []byte("a\nb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	one := []string{"create-user", "--user-name", "a", "--regions", "eu-west-1"}
	for name, args := range map[string][]string{
		"batch without {user}": {"create-user", "--from", users, "--regions", "eu-west-1", "--deliver-to", "secretsmanager:ses/all"},
		"batch ssm":            {"create-user", "--from", users, "--regions", "eu-west-1", "--deliver-to", "ssm:/ses/all"},
		"empty name":           append(one, "--deliver-to", "secretsmanager:"),
		"empty ssm name":       append(one, "--deliver-to", "ssm: "),
		"bad secret name":      append(one, "--deliver-to", "secretsmanager:ses creds!"),
		"long secret name":     append(one, "--deliver-to", "secretsmanager:"+strings.Repeat("x", 513)),
		"ssm relative path":    append(one, "--deliver-to", "ssm:ses/{user}"),
		"ssm reserved":         append(one, "--deliver-to", "ssm:/aws/{user}"),
		"ssm bad chars":        append(one, "--deliver-to", "ssm:/ses/{user}@x"),
		"ssm empty level":      append(one, "--deliver-to", "ssm:/ses//{user}"),
		"user name in ssm":     {"create-user", "--user-name", "a+b", "--regions", "eu-west-1", "--deliver-to", "ssm:/ses/{user}"},
		"kms without store":    append(one, "--kms-key-id", "alias/x"),
		"bad store region":     append(one, "--deliver-to", "ssm:/ses/a", "--store-region", "Frankfurt"),
		"rotate bad name":      {"rotate", "--user-name", "a", "--regions", "eu-west-1", "--deliver-to", "secretsmanager:a b"},
		"convert bad name":     {"convert", "--access-key-id", "AKIAIOSFODNN7EXAMPLE", "--regions", "eu-west-1", "--deliver-to", "ssm:/aws/x"},
	} {
		r := f.sesprov(args...)
		if r.code != 2 {
			t.Errorf("%s: exit %d, want 2: %s", name, r.code, r.stderr)
		}
		if m := mutatingCalls(f.fake); len(m) != 0 {
			t.Fatalf("%s: mutating calls %v", name, m)
		}
	}
	if n := f.all.SecretsManager.CallCount("") + f.all.SSM.CallCount(""); n != 0 {
		t.Errorf("%d store calls", n)
	}
	if r := f.sesprov("create-user", "--from", users, "--regions", "eu-west-1", "--deliver-to", "secretsmanager:ses/all"); !strings.Contains(r.stderr, "{user}") {
		t.Errorf("the batch's error does not say to put {user} in the name: %s", r.stderr)
	}
}

// A lost answer to the store's write (the store acted, the answer never
// came): the retry carries the same request token, so the store ends with
// one version holding the delivered key, and IAM with exactly that key.
func TestDeliverToSecretsManagerLostResponse(t *testing.T) {
	f := startStoreFake(t)
	f.all.SecretsManager.Inject(storeFault("CreateSecret", true))
	if r := f.sesprov("create-user", "--user-name", "a", "--regions", "eu-west-1", "--deliver-to", "secretsmanager:ses/{user}"); r.code != 0 {
		t.Fatalf("create-user: exit %d: %s", r.code, r.stderr)
	}
	if n := f.all.SecretsManager.CallCount("CreateSecret"); n != 2 {
		t.Errorf("%d CreateSecret calls, want 2: the lost one and its retry", n)
	}
	f.checkOneVersionPerKey("ses/a", "a", 1)

	f.all.SecretsManager.Inject(storeFault("PutSecretValue", true))
	if r := f.sesprov("rotate", "--user-name", "a", "--regions", "eu-west-1", "--deliver-to", "secretsmanager:ses/{user}", "--old-key", "delete"); r.code != 0 {
		t.Fatalf("rotate: exit %d: %s", r.code, r.stderr)
	}
	if n := f.all.SecretsManager.CallCount("PutSecretValue"); n != 3 {
		t.Errorf("%d PutSecretValue calls, want 3: create-user's (no secret yet), the lost one and its retry", n)
	}
	f.checkOneVersionPerKey("ses/a", "a", 2)
}

// checkOneVersionPerKey checks that secret name has versions versions,
// that its AWSCURRENT one holds user's one IAM key, and that exactly one
// version holds that key.
func (f *storeFake) checkOneVersionPerKey(name, user string, versions int) {
	f.t.Helper()
	c := f.secret(name)
	keys, err := iamapi.ListAccessKeyIDs(context.Background(), f.iam, user)
	if err != nil || len(keys) != 1 || keys[0] != c.AccessKeyID {
		f.t.Fatalf("IAM holds %v (%v), the secret key %s", keys, err, c.AccessKeyID)
	}
	if n := f.versions(name); n != versions {
		f.t.Errorf("%d versions, want %d", n, versions)
	}
	holding := 0
	out, _ := f.sm.ListSecretVersionIds(context.Background(), &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(name)})
	for _, v := range out.Versions {
		got, err := f.sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(name), VersionId: v.VersionId})
		if err != nil {
			f.t.Fatal(err)
		}
		if f.parse(aws.ToString(got.SecretString)).AccessKeyID == c.AccessKeyID {
			holding++
		}
	}
	if holding != 1 {
		f.t.Errorf("%d versions hold key %s, want 1", holding, c.AccessKeyID)
	}
}

// A store that refuses the write costs nothing: the new key is deleted,
// the old one is untouched and still the stored one, exit 1.
func TestDeliverToStoreRefused(t *testing.T) {
	for _, tc := range []struct{ kind, dest, op string }{
		{"secretsmanager", "secretsmanager:ses/{user}", "PutSecretValue"},
		{"ssm", "ssm:/ses/{user}", "PutParameter"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			f := startStoreFake(t)
			if r := f.sesprov("create-user", "--user-name", "a", "--regions", "eu-west-1", "--deliver-to", tc.dest); r.code != 0 {
				t.Fatalf("create-user: exit %d: %s", r.code, r.stderr)
			}
			old, err := iamapi.ListAccessKeyIDs(context.Background(), f.iam, "a")
			if err != nil || len(old) != 1 {
				t.Fatalf("keys %v, %v", old, err)
			}
			fault := storeFault(tc.op, false)
			if tc.kind == "ssm" {
				f.all.SSM.Inject(fault)
			} else {
				f.all.SecretsManager.Inject(fault)
			}
			r := f.sesprov("rotate", "--user-name", "a", "--regions", "eu-west-1", "--deliver-to", tc.dest)
			if r.code != 1 || !strings.Contains(r.stderr, "AccessDenied") || !strings.Contains(r.stderr, "was deleted") {
				t.Fatalf("rotate: exit %d, want 1 naming AccessDenied and the deleted key: %s", r.code, r.stderr)
			}
			keys, err := f.iam.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String("a")})
			if err != nil || len(keys.AccessKeyMetadata) != 1 || aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId) != old[0] || keys.AccessKeyMetadata[0].Status != "Active" {
				t.Fatalf("keys after the refused write: %+v, %v; want %s alone, active", keys, err, old[0])
			}
			var stored credJSON
			if tc.kind == "ssm" {
				stored = f.param("/ses/a")
			} else {
				stored = f.secret("ses/a")
			}
			if stored.AccessKeyID != old[0] {
				t.Errorf("the store holds %s, want the old key %s", stored.AccessKeyID, old[0])
			}
		})
	}
}

// storeFault fails the next call of op: its answer lost (drop: the store
// acted), or refused with AccessDeniedException.
func storeFault(op string, drop bool) smfake.Fault {
	if drop {
		return smfake.Fault{Op: op, DropResponse: true}
	}
	return smfake.Fault{Op: op, Code: "AccessDeniedException", Status: 400, Message: "User is not authorized to perform " + op}
}

// Every attempt of the write acted and every answer was lost: sesprov
// asks the secret whether the key's version became current, and keeps the
// key (exit 0) instead of deleting a key the store now holds.
func TestDeliverToSecretsManagerEveryAnswerLost(t *testing.T) {
	f := startStoreFake(t)
	if r := f.sesprov("create-user", "--user-name", "a", "--regions", "eu-west-1", "--deliver-to", "secretsmanager:ses/{user}"); r.code != 0 {
		t.Fatalf("create-user: exit %d: %s", r.code, r.stderr)
	}
	t.Setenv("AWS_MAX_ATTEMPTS", "2")
	f.all.SecretsManager.Inject(storeFault("PutSecretValue", true))
	f.all.SecretsManager.Inject(storeFault("PutSecretValue", true))
	r := f.sesprov("rotate", "--user-name", "a", "--regions", "eu-west-1", "--deliver-to", "secretsmanager:ses/{user}", "--old-key", "delete")
	if r.code != 0 {
		t.Fatalf("rotate: exit %d: %s", r.code, r.stderr)
	}
	if n := f.all.SecretsManager.CallCount("DescribeSecret"); n != 1 {
		t.Errorf("%d DescribeSecret calls, want 1", n)
	}
	f.checkOneVersionPerKey("ses/a", "a", 2)
}

// convert delivers to a store too: the passwords of an existing key.
func TestConvertDeliverToSecretsManager(t *testing.T) {
	f := startStoreFake(t)
	r := f.sesprov("-o", "json", "create-user", "--user-name", "legacy", "--regions", "eu-west-1", "--include-secret-key")
	if r.code != 0 {
		t.Fatalf("create-user: exit %d: %s", r.code, r.stderr)
	}
	var made credJSON
	if err := json.Unmarshal([]byte(r.stdout), &made); err != nil {
		t.Fatal(err)
	}
	var out, errb strings.Builder
	code := run(context.Background(), []string{"sesprov", "--endpoint-url", f.url, "convert", "--access-key-id", made.AccessKeyID,
		"--regions", "eu-west-1", "--deliver-to", "secretsmanager:ses/{user}"}, strings.NewReader(made.Secret+"\n"), &out, &errb)
	if code != 0 {
		t.Fatalf("convert: exit %d: %s", code, errb.String())
	}
	c := f.secret("ses/legacy")
	if c.AccessKeyID != made.AccessKeyID || c.Credentials[0].SMTPPassword != derive.Password(made.Secret, "eu-west-1") {
		t.Errorf("stored %+v, want the passwords of %s", c, made.AccessKeyID)
	}
	noSecretOn(t, "stdout", out.String(), made)
}

// The same for SSM: the parameter's description names the key it holds.
func TestDeliverToSSMEveryAnswerLost(t *testing.T) {
	f := startStoreFake(t)
	if r := f.sesprov("create-user", "--user-name", "a", "--regions", "eu-west-1", "--deliver-to", "ssm:/ses/{user}"); r.code != 0 {
		t.Fatalf("create-user: exit %d: %s", r.code, r.stderr)
	}
	t.Setenv("AWS_MAX_ATTEMPTS", "2")
	f.all.SSM.Inject(storeFault("PutParameter", true))
	f.all.SSM.Inject(storeFault("PutParameter", true))
	r := f.sesprov("rotate", "--user-name", "a", "--regions", "eu-west-1", "--deliver-to", "ssm:/ses/{user}", "--old-key", "delete")
	if r.code != 0 {
		t.Fatalf("rotate: exit %d: %s", r.code, r.stderr)
	}
	if n := f.all.SSM.CallCount("DescribeParameters"); n != 1 {
		t.Errorf("%d DescribeParameters calls, want 1", n)
	}
	c := f.param("/ses/a")
	keys, err := iamapi.ListAccessKeyIDs(context.Background(), f.iam, "a")
	if err != nil || len(keys) != 1 || keys[0] != c.AccessKeyID {
		t.Fatalf("IAM holds %v (%v), the parameter key %s", keys, err, c.AccessKeyID)
	}
}
