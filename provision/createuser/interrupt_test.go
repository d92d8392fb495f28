package createuser_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/provision/createuser"
)

// cancelAfterKey is the real client; it cancels the run's context as soon as
// CreateAccessKey has answered: an interrupt (Ctrl-C) between the key's
// creation and its delivery.
type cancelAfterKey struct {
	iamapi.IAM
	cancel context.CancelFunc
}

func (c cancelAfterKey) CreateAccessKey(ctx context.Context, in *iam.CreateAccessKeyInput, opts ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error) {
	out, err := c.IAM.CreateAccessKey(ctx, in, opts...)
	c.cancel()
	return out, err
}

func TestCreateUserInterruptedAfterKeyDeletesIt(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := runCLI(ctx, createuser.Options{
		UserNames: []string{"alice"}, Regions: regions(t, "us-east-1"), Format: output.FormatJSON,
	}, createuser.Deps{IAM: cancelAfterKey{e.iam, cancel}, STS: e.sts}, &stdout, &stderr)
	if fail.ExitCode(err) != fail.ExitInterrupted || !errors.Is(err, context.Canceled) {
		t.Fatalf("exit %d: %v", fail.ExitCode(err), err)
	}
	if !strings.Contains(err.Error(), "was deleted") {
		t.Errorf("error does not say the key was deleted: %v", err)
	}
	if stdout.Len() != 0 {
		t.Errorf("credentials delivered after the interrupt: %s", stdout.String())
	}
	if k := e.keys("alice"); len(k) != 0 {
		t.Errorf("key left behind: %v", k)
	}
	if n := e.srv.CallCount("DeleteAccessKey"); n != 1 {
		t.Errorf("DeleteAccessKey called %d times", n)
	}
	// The re-run completes the user (made by sesprov, no key).
	out, stderrS, err := e.create(createuser.Options{UserNames: []string{"alice"}})
	if err != nil {
		t.Fatalf("re-run: %v\n%s", err, stderrS)
	}
	e.checkDelivered(out, "alice")
}

func TestDeliverOrRollback(t *testing.T) {
	e := newEnv(t)
	if _, err := e.iam.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("u")}); err != nil {
		t.Fatal(err)
	}
	id, secret, err := iamapi.CreateAccessKeySafe(e.ctx, e.iam, "u")
	if err != nil || secret.IsZero() {
		t.Fatal(err)
	}
	// Delivery fails: the key goes.
	err = deliver.DeliverOrRollback(e.ctx, e.iam, "u", id, func() error { return errors.New("disk full") })
	if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), id+" was deleted") {
		t.Fatalf("%v", err)
	}
	if k := e.keys("u"); len(k) != 0 {
		t.Errorf("keys %v", k)
	}
	// Delivery succeeds: the key stays.
	id, _, err = iamapi.CreateAccessKeySafe(e.ctx, e.iam, "u")
	if err != nil {
		t.Fatal(err)
	}
	if err := deliver.DeliverOrRollback(e.ctx, e.iam, "u", id, func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	if k := e.keys("u"); len(k) != 1 || k[0] != id {
		t.Errorf("keys %v", k)
	}
}
