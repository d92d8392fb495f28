package provision_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/policy"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/list"
	"github.com/sesprov/sesprov/provision/migrate"
)

// bigAccount is the account: 1,060 users, 60 of them SMTP users
// (50 in the sending group, 10 with the console's legacy inline policy),
// each SMTP user with one key.
func bigAccount(t *testing.T) (*iamfake.Server, *iam.Client, *sts.Client) {
	t.Helper()
	srv, cfg := iamfaketest.Start(t, iamfake.Options{})
	api := iam.NewFromConfig(cfg)
	ctx := context.Background()
	do := func(_ any, err error) {
		if err != nil {
			t.Helper()
			t.Fatal(err)
		}
	}
	do(api.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(provision.DefaultGroupName)}))
	for i := range 1060 {
		name := aws.String(fmt.Sprintf("u%04d", i))
		do(api.CreateUser(ctx, &iam.CreateUserInput{UserName: name}))
		switch {
		case i < 50:
			do(api.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: name, GroupName: aws.String(provision.DefaultGroupName)}))
		case i < 60:
			do(api.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: name, PolicyName: aws.String(provision.DefaultPolicyName), PolicyDocument: aws.String(policy.SendingPolicyDocument)}))
			do(api.TagUser(ctx, &iam.TagUserInput{UserName: name, Tags: []types.Tag{{Key: aws.String("InvokedBy"), Value: aws.String("SESConsole")}}}))
		default:
			continue
		}
		do(api.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: name}))
	}
	srv.ResetCalls()
	return srv, api, sts.NewFromConfig(cfg)
}

type countSink struct{ n int }

func (c *countSink) WriteUser(list.User) error { c.n++; return nil }
func (c *countSink) Flush() error              { return nil }

// TestScanCallBudget is the measurement on iamfake: list and
// migrate --all --dry-run of the account above, with the paged scan and
// with it denied (the per-user path, as before). The numbers are in
// docs/performance.md.
func TestScanCallBudget(t *testing.T) {
	srv, api, stsc := bigAccount(t)
	ctx := iamapi.WithConsistencyTimeout(context.Background(), 0)
	measure := func(denied bool) (listCalls, migrateCalls int) {
		srv.ClearFaults()
		if denied {
			srv.Inject(iamfake.Fault{Action: "GetAccountAuthorizationDetails", Code: "AccessDenied", Times: -1})
		}
		srv.ResetCalls()
		sink := &countSink{}
		if err := list.Run(ctx, api, list.Options{}, sink); err != nil {
			t.Fatal(err)
		}
		if sink.n != 60 {
			t.Fatalf("listed %d SMTP users, want 60", sink.n)
		}
		listCalls = len(srv.Calls())
		srv.ResetCalls()
		sum, err := migrate.Run(ctx, migrate.Options{All: true, DryRun: true}, migrate.Deps{IAM: api, STS: stsc})
		if err != nil || sum.Migrated != 10 {
			t.Fatalf("migrate --dry-run: %v %+v", err, sum)
		}
		return listCalls, len(srv.Calls())
	}
	beforeList, beforeMigrate := measure(true)
	afterList, afterMigrate := measure(false)
	t.Logf("list: %d IAM calls user by user, %d paged; migrate --all --dry-run: %d user by user, %d paged", beforeList, afterList, beforeMigrate, afterMigrate)
	// At most 2 calls per SMTP user (ListAccessKeys, GetAccessKeyLastUsed),
	// one per page of 1,000 users, and a small constant.
	if max := 2*60 + 2 + 8; afterList > max {
		t.Errorf("list made %d IAM calls, want at most %d", afterList, max)
	}
	// One per page, and the legacy users' own checks (four each in a dry
	// run), and the group's.
	if max := 2 + 4*10 + 10; afterMigrate > max {
		t.Errorf("migrate --all --dry-run made %d IAM calls, want at most %d", afterMigrate, max)
	}
}
