package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/provision/scope"
)

// exampleSendersFile is the senders file of the docs: one sender in Secrets
// Manager, scoped to its From address, one in SSM Parameter Store.
const exampleSendersFile = `defaults:
  max_key_age: 90d
  grace: 1d
senders:
  - name: billing-mailer
    regions: [us-east-1, eu-west-1]
    deliver_to: secretsmanager:ses/{user}
    allow_from: [billing@example.com]
    tags: {team: billing}
  - name: alerts
    regions: [eu-west-1]
    deliver_to: ssm:/mail/{user}
`

// applyLine is one -o json line of apply.
type applyLine struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Error  string `json:"error"`
}

// TestInteropApplyMoto applies the example senders file through the real
// main against moto_server (IAM, Secrets Manager and SSM), reads back with
// the SDK what moto stored, and applies it again: nothing to do.
func TestInteropApplyMoto(t *testing.T) {
	f := startMotoStores(t)
	file := filepath.Join(t.TempDir(), "senders.yaml")
	if err := os.WriteFile(file, []byte(exampleSendersFile), 0o600); err != nil {
		t.Fatal(err)
	}

	r := f.sesprov("apply", "-f", file, "--dry-run")
	if r.code != 0 {
		t.Fatalf("dry run: exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"+ billing-mailer: will be created", "+ alerts: will be created", "Plan: 2 to create"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("dry run: no %q in\n%s", want, r.stdout)
		}
	}

	r = f.sesprov("-o", "json", "apply", "-f", file)
	if r.code != 0 {
		t.Fatalf("apply: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	wantApplyLines(t, r.stdout, map[string]string{"billing-mailer": "created", "alerts": "created"})

	billing := f.secret("ses/billing-mailer")
	f.checkStored(billing, "billing-mailer", "us-east-1", "eu-west-1")
	alerts := f.param("/mail/alerts")
	f.checkStored(alerts, "alerts", "eu-west-1")
	for user, c := range map[string]credJSON{"billing-mailer": billing, "alerts": alerts} {
		if got := activeKeyIDs(t, f.iam, user); !slices.Equal(got, []string{c.AccessKeyID}) {
			t.Errorf("%s: active keys %v, the store holds %s", user, got, c.AccessKeyID)
		}
		if c.Secret != "" {
			t.Errorf("%s: the store holds the secret access key (no --include-secret-key)", user)
		}
		noSecretOn(t, "stdout", r.stdout, c)
		noSecretOn(t, "stderr", r.stderr, c)
	}
	if sc, err := scope.Read(context.Background(), f.iam, "billing-mailer"); err != nil || !slices.Equal(sc, []string{"billing@example.com"}) {
		t.Errorf("billing-mailer's scope %v (%v)", sc, err)
	}

	// The same file again: every sender unchanged, nothing delivered.
	r = f.sesprov("-o", "json", "apply", "-f", file)
	if r.code != 0 {
		t.Fatalf("second apply: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	wantApplyLines(t, r.stdout, map[string]string{"billing-mailer": "unchanged", "alerts": "unchanged"})
	if n := f.versions("ses/billing-mailer"); n != 1 {
		t.Errorf("ses/billing-mailer has %d versions after the second apply, want 1", n)
	}
	if again := f.param("/mail/alerts"); again.AccessKeyID != alerts.AccessKeyID {
		t.Errorf("/mail/alerts holds %s after the second apply, was %s", again.AccessKeyID, alerts.AccessKeyID)
	}
}

// wantApplyLines checks apply's -o json lines: one per sender, with the
// status given.
func wantApplyLines(t *testing.T, stdout string, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var l applyLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		got[l.Name] = l.Status
		if l.Error != "" {
			t.Logf("%s: %s", l.Name, l.Error)
		}
	}
	for name, status := range want {
		if got[name] != status {
			t.Errorf("%s: status %q, want %q (lines:\n%s)", name, got[name], status, stdout)
		}
	}
	if len(got) != len(want) {
		t.Errorf("lines for %v, want %v", got, want)
	}
}

// activeKeyIDs are the user's active access keys, sorted.
func activeKeyIDs(t *testing.T, api *iam.Client, user string) []string {
	t.Helper()
	out, err := api.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatalf("ListAccessKeys %s: %v", user, err)
	}
	var ids []string
	for _, k := range out.AccessKeyMetadata {
		if k.Status == types.StatusTypeActive {
			ids = append(ids, aws.ToString(k.AccessKeyId))
		}
	}
	slices.Sort(ids)
	return ids
}
