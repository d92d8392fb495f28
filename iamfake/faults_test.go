package iamfake_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

// A lost CreateAccessKey response: the key was made, the client never
// hears of it and its retryer makes a second one.
func TestDropResponseLostKey(t *testing.T) {
	ctx := context.Background()
	srv, c := newClient(t)
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))(t)
	srv.Inject(iamfake.Fault{Action: "CreateAccessKey", DropResponse: true})
	out, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatalf("the SDK should retry the dropped connection: %v", err)
	}
	keys := ok(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("bob")}))(t)
	if len(keys.AccessKeyMetadata) != 2 {
		t.Fatalf("keys = %d, want 2 (the lost one and the retried one)", len(keys.AccessKeyMetadata))
	}
	if got := aws.ToString(keys.AccessKeyMetadata[1].AccessKeyId); got != aws.ToString(out.AccessKey.AccessKeyId) {
		t.Errorf("second key %s, answered %s", got, aws.ToString(out.AccessKey.AccessKeyId))
	}
	if n := srv.CallCount("CreateAccessKey"); n != 2 {
		t.Errorf("CreateAccessKey calls = %d, want 2", n)
	}
	// And a third call meets the two-key limit.
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	wantCode(t, err, "LimitExceeded")
}

func TestInjectNthTimesAndRetries(t *testing.T) {
	ctx := context.Background()
	srv, c := newClient(t)
	// Throttling is retryable: two throttles then success within 3 attempts.
	srv.Inject(iamfake.Fault{Action: "CreateUser", Code: "Throttling", Times: 2})
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")}))(t)
	if n := srv.CallCount("CreateUser"); n != 3 {
		t.Errorf("CreateUser calls = %d, want 3", n)
	}
	calls := srv.Calls()
	if calls[0].Code != "Throttling" || calls[2].Code != "" || calls[2].Params["UserName"] != "carol" {
		t.Errorf("calls = %+v", calls)
	}

	// Nth: the second GetUser fails, not the first; AccessDenied is not retried.
	srv.Inject(iamfake.Fault{Action: "GetUser", Nth: 2, Code: "AccessDenied", Message: "no"})
	ok(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("carol")}))(t)
	_, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("carol")})
	wantCode(t, err, "AccessDenied")
	ok(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("carol")}))(t)

	// Before (default): failed without acting. After: acted, then failed.
	srv.Inject(iamfake.Fault{Action: "CreateGroup", Code: "NoSuchEntity"})
	_, err = c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")})
	wantCode(t, err, "NoSuchEntity")
	_, err = c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("g")})
	wantCode(t, err, "NoSuchEntity")
	srv.Inject(iamfake.Fault{Action: "CreateGroup", Code: "ConcurrentModification", After: true})
	_, err = c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")})
	wantCode(t, err, "ConcurrentModification")
	ok(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("g")}))(t)

	// Forever until cleared.
	srv.Inject(iamfake.Fault{Action: "ListUsers", Code: "ServiceFailure", Times: -1})
	for range 2 {
		_, err = c.ListUsers(ctx, &iam.ListUsersInput{})
		wantCode(t, err, "ServiceFailure")
	}
	srv.ClearFaults()
	ok(c.ListUsers(ctx, &iam.ListUsersInput{}))(t)
}

func TestLatency(t *testing.T) {
	ctx := context.Background()
	srv, c := newClient(t)
	srv.SetLatency(50 * time.Millisecond)
	start := time.Now()
	ok(c.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("call took %v, want at least the latency", d)
	}
	// A cancelled context ends the wait.
	ctx2, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	srv.SetLatency(time.Hour)
	if _, err := c.ListUsers(ctx2, &iam.ListUsersInput{}); err == nil {
		t.Error("want a deadline error")
	}
	srv.SetLatency(0)
}

// Large answers, many times, with no retries: the connection must never be
// torn down under a response being read (see iamfaketest's transport).
func TestLargeResponsesNoRetry(t *testing.T) {
	ctx := context.Background()
	srv, cfg := iamfaketest.Start(t, iamfake.Options{UsersQuota: -1})
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	c := iam.NewFromConfig(cfg)
	for i := range 1000 {
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("bulk-user-%04d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	srv.ResetCalls()
	for i := range 150 {
		out, err := c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(1000)})
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		if len(out.Users) != 1000 {
			t.Fatalf("page %d: %d users", i, len(out.Users))
		}
	}
}
