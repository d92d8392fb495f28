package provision_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/provision"
)

// fakeClock is iamfake's clock: tests move it to age keys.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// lab is one iamfake server and a real SDK client talking to it over HTTP.
type lab struct {
	t     testing.TB
	srv   *iamfake.Server
	cfg   aws.Config
	iam   *iam.Client
	clock *fakeClock
}

func newLab(t testing.TB) *lab {
	t.Helper()
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	srv, cfg := iamfaketest.Start(t, iamfake.Options{Now: clock.Now})
	return &lab{t: t, srv: srv, cfg: cfg, iam: iam.NewFromConfig(cfg), clock: clock}
}

func (l *lab) must(err error) {
	l.t.Helper()
	if err != nil {
		l.t.Fatal(err)
	}
}

// smtpUser makes a user in the sending group with n active keys.
func (l *lab) smtpUser(name string, n int) []string {
	l.t.Helper()
	ctx := context.Background()
	_, err := l.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(provision.DefaultGroupName)})
	if err != nil && !iamapi.HasCode(err, "EntityAlreadyExists") {
		l.t.Fatal(err)
	}
	_, err = l.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
	l.must(err)
	_, err = l.iam.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(name), GroupName: aws.String(provision.DefaultGroupName)})
	l.must(err)
	var ids []string
	for range n {
		out, err := l.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		l.must(err)
		ids = append(ids, aws.ToString(out.AccessKey.AccessKeyId))
	}
	return ids
}

// keys returns the user's keys: id -> status.
func (l *lab) keys(user string) map[string]types.StatusType {
	l.t.Helper()
	out, err := l.iam.ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String(user)})
	l.must(err)
	m := map[string]types.StatusType{}
	for _, k := range out.AccessKeyMetadata {
		m[aws.ToString(k.AccessKeyId)] = k.Status
	}
	return m
}

func (l *lab) tags(user string) map[string]string {
	l.t.Helper()
	out, err := l.iam.ListUserTags(context.Background(), &iam.ListUserTagsInput{UserName: aws.String(user)})
	l.must(err)
	m := map[string]string{}
	for _, t := range out.Tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// madeKeys counts the CreateAccessKey calls IAM carried out: answered with
// success, or performed and then the answer dropped.
func (l *lab) madeKeys() int {
	n := 0
	for _, c := range l.srv.Calls() {
		if c.Action == "CreateAccessKey" && c.Code == "" {
			n++
		}
	}
	return n
}

var errKilled = errors.New("process killed (test)")

// killer simulates the process dying right after the nth call of action
// completed in IAM: that call's answer and every later call fail without
// reaching IAM, so no rollback can run — exactly what SIGKILL or a power
// cut leaves behind.
type killer struct {
	mu     sync.Mutex
	action string
	nth    int
	seen   int
	dead   bool
}

func (k *killer) kill() {
	k.mu.Lock()
	k.dead = true
	k.mu.Unlock()
}

func (k *killer) isDead() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.dead
}

// client returns an IAM client whose calls go through the killer.
func (k *killer) client(cfg aws.Config) *iam.Client {
	return iam.NewFromConfig(cfg, func(o *iam.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("testKiller",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					if k.isDead() {
						return middleware.FinalizeOutput{}, middleware.Metadata{}, errKilled
					}
					out, md, err := next.HandleFinalize(ctx, in)
					k.mu.Lock()
					defer k.mu.Unlock()
					if awsmiddleware.GetOperationName(ctx) == k.action {
						k.seen++
						if k.seen == k.nth {
							k.dead = true
							return middleware.FinalizeOutput{}, md, errKilled
						}
					}
					return out, md, err
				}), middleware.Before)
		})
	})
}

// callPoint is the nth call of an action in a run.
type callPoint struct {
	Action string
	Nth    int
}

func (c callPoint) String() string { return fmt.Sprintf("%s#%d", c.Action, c.Nth) }

// callPoints lists a run's calls in order as (action, nth) pairs.
func callPoints(calls []iamfake.Call) []callPoint {
	seen := map[string]int{}
	var out []callPoint
	for _, c := range calls {
		seen[c.Action]++
		out = append(out, callPoint{c.Action, seen[c.Action]})
	}
	return out
}

type iamUpdateKey struct{ user, id string }

// input deactivates the key.
func (u iamUpdateKey) input() iam.UpdateAccessKeyInput {
	return iam.UpdateAccessKeyInput{UserName: aws.String(u.user), AccessKeyId: aws.String(u.id), Status: types.StatusTypeInactive}
}

func tagInput(user, k, v string) *iam.TagUserInput {
	return &iam.TagUserInput{UserName: aws.String(user), Tags: []types.Tag{{Key: aws.String(k), Value: aws.String(v)}}}
}

func ptr[T any](v T) *T { return &v }
