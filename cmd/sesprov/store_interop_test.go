package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestInteropDeliverToStoresMoto delivers a batch into moto_server's
// Secrets Manager and SSM through the real main, rotates one user into the
// same secret, then the fleet into both, and reads back with the SDK what
// moto stored.
func TestInteropDeliverToStoresMoto(t *testing.T) {
	f := startMotoStores(t)
	users := filepath.Join(t.TempDir(), "users.txt")
	if err := os.WriteFile(users, []byte("moto-s1\nmoto-s2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := f.sesprov("create-user", "--from", users, "--regions", "eu-west-1", "--include-secret-key", "--deliver-to", "secretsmanager:ses/{user}"); r.code != 0 {
		t.Fatalf("create-user into Secrets Manager: exit %d: %s", r.code, r.stderr)
	}
	for _, u := range []string{"moto-s1", "moto-s2"} {
		f.checkStored(f.secret("ses/"+u), u, "eu-west-1")
	}
	if r := f.sesprov("rotate", "--user-name", "moto-s1", "--regions", "eu-west-1", "--old-key", "delete", "--deliver-to", "secretsmanager:ses/{user}"); r.code != 0 {
		t.Fatalf("rotate into Secrets Manager: exit %d: %s", r.code, r.stderr)
	}
	f.checkOneVersionPerKey("ses/moto-s1", "moto-s1", 2)

	if r := f.sesprov("create-user", "--user-name", "moto-p1", "--regions", "eu-west-1,us-east-1", "--deliver-to", "ssm:/ses/{user}", "--kms-key-id", "alias/aws/ssm"); r.code != 0 {
		t.Fatalf("create-user into SSM: exit %d: %s", r.code, r.stderr)
	}
	f.checkStored(f.param("/ses/moto-p1"), "moto-p1", "eu-west-1", "us-east-1")
	if r := f.sesprov("rotate", "--user-name", "moto-p1", "--regions", "eu-west-1", "--old-key", "delete", "--deliver-to", "ssm:/ses/{user}"); r.code != 0 {
		t.Fatalf("rotate into SSM: exit %d: %s", r.code, r.stderr)
	}
	f.checkStored(f.param("/ses/moto-p1"), "moto-p1", "eu-west-1")

	// The fleet, each user for its recorded regions: a --from list into
	// Secrets Manager, then every SMTP user (--all) into SSM.
	if r := f.sesprov("rotate", "--from", users, "--old-key", "delete", "--deliver-to", "secretsmanager:ses/{user}"); r.code != 0 {
		t.Fatalf("rotate --from into Secrets Manager: exit %d: %s", r.code, r.stderr)
	}
	f.checkOneVersionPerKey("ses/moto-s1", "moto-s1", 3)
	f.checkOneVersionPerKey("ses/moto-s2", "moto-s2", 2)
	if r := f.sesprov("rotate", "--all", "--old-key", "delete", "--deliver-to", "ssm:/fleet/{user}"); r.code != 0 {
		t.Fatalf("rotate --all into SSM: exit %d: %s", r.code, r.stderr)
	}
	for _, u := range []string{"moto-s1", "moto-s2", "moto-p1"} {
		f.checkStored(f.param("/fleet/"+u), u, "eu-west-1")
	}
}
