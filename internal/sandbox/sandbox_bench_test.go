package sandbox_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/sandbox"
)

// BenchmarkSandboxBatch makes users the way create-user does (user, tag,
// group membership, access key), 8 at a time, through the sandbox with its
// state on disk. The time per user stays flat from 200 to 2,000 users:
// each change writes a journal line of its own size, not the account.
//
//	go test ./internal/sandbox -run '^$' -bench SandboxBatch -benchtime 1x
func BenchmarkSandboxBatch(b *testing.B) {
	for _, n := range []int{200, 2000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			for range b.N {
				sandboxBatch(b, n)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/user")
		})
	}
}

func sandboxBatch(b *testing.B, n int) {
	b.Helper()
	ctx := context.Background()
	c, err := sandbox.NewClients(ctx, iamapi.ClientOptions{Sandbox: true, SandboxState: b.TempDir() + "/sandbox.json"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	group := aws.String("AWSSESSendingGroupDoNotRename")
	if _, err := c.IAM.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: group}); err != nil {
		b.Fatal(err)
	}
	names := make(chan string)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range names {
				if err := makeUser(ctx, c.IAM, aws.String(name), group); err != nil {
					once.Do(func() { firstErr = err })
				}
			}
		}()
	}
	for i := range n {
		names <- fmt.Sprintf("ses-smtp-user.%05d", i)
	}
	close(names)
	wg.Wait()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
}

func makeUser(ctx context.Context, api iamapi.IAM, name, group *string) error {
	if _, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: name}); err != nil {
		return err
	}
	if _, err := api.TagUser(ctx, &iam.TagUserInput{UserName: name, Tags: []types.Tag{{Key: aws.String("sesprov:managed"), Value: aws.String("true")}}}); err != nil {
		return err
	}
	if _, err := api.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: name, GroupName: group}); err != nil {
		return err
	}
	_, err := api.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: name})
	return err
}
