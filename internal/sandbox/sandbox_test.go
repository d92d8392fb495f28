package sandbox_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/sandbox"
)

// The sandbox saves its state after each call that changed it, not only in
// Close: a run killed after its credentials were printed (Close never runs)
// leaves the user and key in the state the next run loads.
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
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), "early-saved") {
		t.Errorf("state after CreateUser, before Close: %v %.200q", err, b)
	}
}
