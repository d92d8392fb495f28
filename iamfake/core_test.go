package iamfake_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

const sesPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*"}]}`

func newClient(t *testing.T, opts ...iamfake.Options) (*iamfake.Server, *iam.Client) {
	t.Helper()
	srv, cfg := iamfaketest.Start(t, opts...)
	return srv, iam.NewFromConfig(cfg)
}

// code returns the wire error code of err ("" for nil).
func code(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	return ae.ErrorCode()
}

func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := code(t, err); got != want {
		t.Fatalf("error code = %q (%v), want %q", got, err, want)
	}
}

func ok[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestSESProvisioningFlow(t *testing.T) {
	ctx := context.Background()
	srv, c := newClient(t)

	u := ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"),
		Tags: []types.Tag{{Key: aws.String("InvokedBy"), Value: aws.String("sesprov")}}}))(t)
	if got := aws.ToString(u.User.Arn); got != "arn:aws:iam::123456789012:user/alice" {
		t.Errorf("arn = %s", got)
	}
	if id := aws.ToString(u.User.UserId); !strings.HasPrefix(id, "AIDA") || len(id) != 21 {
		t.Errorf("user id = %s", id)
	}
	if u.User.CreateDate == nil || len(u.User.Tags) != 1 {
		t.Errorf("user = %+v", u.User)
	}

	p := ok(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("AmazonSesSendingAccess"), PolicyDocument: aws.String(sesPolicy)}))(t)
	arn := aws.ToString(p.Policy.Arn)
	if arn != "arn:aws:iam::123456789012:policy/AmazonSesSendingAccess" || !strings.HasPrefix(aws.ToString(p.Policy.PolicyId), "ANPA") {
		t.Errorf("policy = %+v", p.Policy)
	}
	g := ok(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("AWSSESSendingGroupDoNotRename")}))(t)
	if !strings.HasPrefix(aws.ToString(g.Group.GroupId), "AGPA") {
		t.Errorf("group id %s", aws.ToString(g.Group.GroupId))
	}
	ok(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("AWSSESSendingGroupDoNotRename"), PolicyArn: aws.String(arn)}))(t)
	ok(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("AWSSESSendingGroupDoNotRename"), UserName: aws.String("alice")}))(t)
	k := ok(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))(t)
	id, secret := aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)
	if !strings.HasPrefix(id, "AKIA") || len(id) != 20 || len(secret) != 40 || k.AccessKey.Status != types.StatusTypeActive {
		t.Errorf("key %s secret len %d status %s", id, len(secret), k.AccessKey.Status)
	}

	att := ok(c.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("AWSSESSendingGroupDoNotRename")}))(t)
	if len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyArn) != arn {
		t.Errorf("attached = %+v", att.AttachedPolicies)
	}
	gs := ok(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("alice")}))(t)
	if len(gs.Groups) != 1 || aws.ToString(gs.Groups[0].GroupName) != "AWSSESSendingGroupDoNotRename" {
		t.Errorf("groups = %+v", gs.Groups)
	}
	gg := ok(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("awssessendinggroupdonotrename")}))(t)
	if len(gg.Users) != 1 || aws.ToString(gg.Users[0].UserName) != "alice" {
		t.Errorf("members = %+v", gg.Users)
	}
	keys := ok(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")}))(t)
	if len(keys.AccessKeyMetadata) != 1 || aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId) != id {
		t.Errorf("keys = %+v", keys.AccessKeyMetadata)
	}
	pol := ok(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)}))(t)
	if aws.ToInt32(pol.Policy.AttachmentCount) != 1 || aws.ToString(pol.Policy.DefaultVersionId) != "v1" {
		t.Errorf("policy = %+v", pol.Policy)
	}
	v := ok(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")}))(t)
	doc, err := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document))
	if err != nil || doc != sesPolicy {
		t.Errorf("document %q (%v)", doc, err)
	}
	if strings.Contains(aws.ToString(v.PolicyVersion.Document), "{") {
		t.Errorf("document not URL-encoded: %s", aws.ToString(v.PolicyVersion.Document))
	}

	// The secret is returned once: it appears in no later answer.
	for _, call := range srv.Calls() {
		for _, p := range call.Params {
			if strings.Contains(p, secret) {
				t.Errorf("secret in call log")
			}
		}
	}
	if n := srv.CallCount("CreateAccessKey"); n != 1 {
		t.Errorf("CreateAccessKey calls = %d", n)
	}
}

func TestCaseInsensitiveNames(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))(t)
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ALICE")})
	wantCode(t, err, "EntityAlreadyExists")
	var eae *types.EntityAlreadyExistsException
	if !errors.As(err, &eae) {
		t.Errorf("not typed EntityAlreadyExistsException: %T", err)
	}
	got := ok(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("Alice")}))(t)
	if aws.ToString(got.User.UserName) != "alice" {
		t.Errorf("GetUser(Alice) = %s", aws.ToString(got.User.UserName))
	}
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")})
	var nse *types.NoSuchEntityException
	if !errors.As(err, &nse) {
		t.Fatalf("GetUser(bob) = %v, want NoSuchEntityException", err)
	}
}

func TestCallerIdentity(t *testing.T) {
	ctx := context.Background()
	srv, cfg := iamfaketest.Start(t)
	out := ok(sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(out.Account) != "123456789012" || aws.ToString(out.Arn) != "arn:aws:iam::123456789012:user/iamfake" || !strings.HasPrefix(aws.ToString(out.UserId), "AIDA") {
		t.Errorf("identity = %s %s %s", aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId))
	}
	if srv.CallCount("GetCallerIdentity") != 1 {
		t.Errorf("calls = %+v", srv.Calls())
	}
}
