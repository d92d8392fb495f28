package sandbox_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/sandbox"
)

// The sandbox saves each change before answering, not only in Close: a run
// killed after its credentials were printed (Close never runs) leaves the
// user and key in the state the next run loads.
func TestSandboxSavesEachChange(t *testing.T) {
	path := t.TempDir() + "/sandbox.json"
	ctx := context.Background()
	c, err := sandbox.NewClients(ctx, iamapi.ClientOptions{Sandbox: true, SandboxState: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.IAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("early-saved")}); err != nil {
		t.Fatal(err)
	}
	key, err := c.IAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("early-saved")})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path + ".journal")
	if err != nil || !strings.Contains(string(b), "early-saved") {
		t.Errorf("state after CreateUser, before Close: %v %.200q", err, b)
	}
	next := loadFiles(t, path) // what a run after a kill loads
	keys := accessKeyIDs(t, next, "early-saved")
	if len(keys) != 1 || keys[0] != aws.ToString(key.AccessKey.AccessKeyId) {
		t.Errorf("the next run sees keys %v, want %s", keys, aws.ToString(key.AccessKey.AccessKeyId))
	}
	if secret := aws.ToString(key.AccessKey.SecretAccessKey); strings.Contains(string(b), secret) {
		t.Error("the journal holds the secret access key")
	}
	checkPrivate(t, path+".journal")
}

// Close folds the journal into the state file; a run after it loads the
// same account, from the state file alone.
func TestSandboxCloseCompacts(t *testing.T) {
	path := t.TempDir() + "/sandbox.json"
	ctx := context.Background()
	c, err := sandbox.NewClients(ctx, iamapi.ClientOptions{Sandbox: true, SandboxState: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		name := aws.String(fmt.Sprintf("u%d", i))
		if _, err := c.IAM.CreateUser(ctx, &iam.CreateUserInput{UserName: name}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.IAM.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("u1")}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + ".journal"); err != nil || fi.Size() != 0 {
		t.Errorf("journal after Close: %v, %v", fi, err)
	}
	checkPrivate(t, path)
	srv := iamfake.New(iamfake.Options{})
	if err := srv.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if got := userNames(t, srv); strings.Join(got, ",") != "u0,u2" {
		t.Errorf("users after Close: %v, want u0,u2", got)
	}
}

func loadFiles(t *testing.T, path string) *iamfake.Server {
	t.Helper()
	srv := iamfake.New(iamfake.Options{})
	snap, _ := os.Open(path)
	j, err := os.Open(path + ".journal")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if snap != nil {
		defer snap.Close()
		err = srv.LoadStateJournal(snap, j)
	} else {
		err = srv.LoadStateJournal(nil, j)
	}
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func checkPrivate(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: %v %v, want mode 0600", path, fi.Mode(), err)
	}
}

func client(srv *iamfake.Server) *iam.Client { return iam.NewFromConfig(iamfaketest.InProcess(srv)) }

func accessKeyIDs(t *testing.T, srv *iamfake.Server, user string) []string {
	t.Helper()
	out, err := client(srv).ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, k := range out.AccessKeyMetadata {
		ids = append(ids, aws.ToString(k.AccessKeyId))
	}
	return ids
}

func userNames(t *testing.T, srv *iamfake.Server) []string {
	t.Helper()
	out, err := client(srv).ListUsers(context.Background(), &iam.ListUsersInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range out.Users {
		names = append(names, aws.ToString(u.UserName))
	}
	return names
}
