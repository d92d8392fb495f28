package list_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/list"
)

type discard struct{ n int }

func (d *discard) WriteUser(list.User) error { d.n++; return nil }
func (d *discard) Flush() error              { return nil }

// BenchmarkRunLocal lists 300 SMTP users of a loopback iamfake unpaced, as
// 'sesprov --sandbox list' does (Rate 0), and reports IAM calls per user:
// the list's cost is its calls, not a pace meant for AWS (20 calls/s would
// take 45 s here).
func BenchmarkRunLocal(b *testing.B) {
	const users = 300
	srv, cfg := iamfaketest.Start(b, iamfake.Options{})
	api := iam.NewFromConfig(cfg)
	ctx := context.Background()
	if _, err := api.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(provision.DefaultGroupName)}); err != nil {
		b.Fatal(err)
	}
	for i := range users {
		name := aws.String(fmt.Sprintf("u%04d", i))
		if _, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: name}); err != nil {
			b.Fatal(err)
		}
		if _, err := api.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: name, GroupName: aws.String(provision.DefaultGroupName)}); err != nil {
			b.Fatal(err)
		}
		if _, err := api.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: name}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		srv.ResetCalls()
		sink := &discard{}
		if err := list.Run(ctx, api, list.Options{}, sink); err != nil {
			b.Fatal(err)
		}
		if sink.n != users {
			b.Fatalf("listed %d users, want %d", sink.n, users)
		}
		b.ReportMetric(float64(len(srv.Calls()))/users, "calls/user")
	}
}
