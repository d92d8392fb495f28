package provision_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/sesprov/sesprov/internal/iamapi"
)

func TestRetryerTunedForIAM(t *testing.T) {
	r := iamapi.NewRetryer(0)
	if r.MaxAttempts() != 8 {
		t.Errorf("MaxAttempts %d, want 8", r.MaxAttempts())
	}
	if iamapi.NewRetryer(3).MaxAttempts() != 3 {
		t.Error("an explicit max_attempts is not honoured")
	}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	for name, tc := range map[string]struct {
		err  error
		want bool
	}{
		"Throttling":             {&smithy.GenericAPIError{Code: "Throttling"}, true},
		"ConcurrentModification": {&smithy.GenericAPIError{Code: "ConcurrentModification"}, true},
		"ServiceFailure":         {&smithy.GenericAPIError{Code: "ServiceFailure"}, true},
		"connection reset":       {&smithyhttp.RequestSendError{Err: reset}, true},
		"AccessDenied":           {&smithy.GenericAPIError{Code: "AccessDenied"}, false},
		"NoSuchEntity":           {&smithy.GenericAPIError{Code: "NoSuchEntity"}, false},
		"EntityAlreadyExists":    {&smithy.GenericAPIError{Code: "EntityAlreadyExists"}, false},
	} {
		if got := r.IsErrorRetryable(tc.err); got != tc.want {
			t.Errorf("%s: retryable %v, want %v", name, got, tc.want)
		}
	}
	if !errors.Is(&smithyhttp.RequestSendError{Err: reset}, syscall.ECONNRESET) {
		t.Error("test error is not a connection reset")
	}
}

// Eventual consistency beyond the bound: the call's own error, naming the
// action, once the bound is spent.
func TestConsistencyBoundExceeded(t *testing.T) {
	e := newEnv(t)
	e.srv.SetConsistencyDelay(5 * time.Second)
	if _, err := e.iam.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("late")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam.CreateGroup(e.ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	ctx := iamapi.WithConsistencyTimeout(context.Background(), 500*time.Millisecond)
	start := time.Now()
	err := iamapi.AddUserToGroupChecked(ctx, e.iam, "late", "g")
	if err == nil || !strings.Contains(err.Error(), "iam:AddUserToGroup") || !strings.Contains(err.Error(), "NoSuchEntity") {
		t.Fatalf("%v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("waited %v for a 500ms bound", d)
	}
	if n := e.srv.CallCount("AddUserToGroup"); n < 2 {
		t.Errorf("AddUserToGroup tried %d times; the wait did not retry", n)
	}
}
