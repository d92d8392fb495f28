package iamfake_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

func TestInProcessTransport(t *testing.T) {
	ctx := context.Background()
	srv := iamfake.New(iamfake.Options{AccountID: "444455556666"})
	cfg := iamfaketest.InProcess(srv)
	c := iam.NewFromConfig(cfg)
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("local")}))(t)
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("LOCAL")})
	wantCode(t, err, "EntityAlreadyExists")
	id := ok(sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(id.Account) != "444455556666" {
		t.Errorf("account %s", aws.ToString(id.Account))
	}
	// The lost response, in process: the SDK retries and a second key is made.
	srv.Inject(iamfake.Fault{Action: "CreateAccessKey", DropResponse: true})
	ok(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("local")}))(t)
	if l := ok(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("local")}))(t); len(l.AccessKeyMetadata) != 2 {
		t.Errorf("keys = %d, want 2", len(l.AccessKeyMetadata))
	}
	// Latency honours the caller's context.
	srv.SetLatency(time.Hour)
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := c.ListUsers(cctx, &iam.ListUsersInput{}); err == nil {
		t.Error("want a deadline error")
	}
}
