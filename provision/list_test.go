package provision_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/policy"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/list"
)

// collect is a UserSink that keeps what it is given and watches the paging.
type collect struct {
	users      []list.User
	sinceFlush int
	maxBatch   int
	flushes    int
	onWrite    func()
}

func (c *collect) WriteUser(u list.User) error {
	c.users = append(c.users, u)
	c.sinceFlush++
	c.maxBatch = max(c.maxBatch, c.sinceFlush)
	if c.onWrite != nil {
		c.onWrite()
		c.onWrite = nil
	}
	return nil
}

func (c *collect) Flush() error {
	c.flushes++
	c.sinceFlush = 0
	return nil
}

func (l *lab) inlineUser(name string, keys int) {
	l.t.Helper()
	ctx := context.Background()
	_, err := l.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
	l.must(err)
	_, err = l.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String(provision.DefaultPolicyName),
		PolicyDocument: aws.String(policy.SendingPolicyDocument)})
	l.must(err)
	for range keys {
		_, err := l.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		l.must(err)
	}
}

// useKey makes a call signed with the user's key, as an application would:
// IAM then reports it in GetAccessKeyLastUsed.
func (l *lab) useKey(user string) string {
	l.t.Helper()
	ctx := context.Background()
	out, err := l.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	l.must(err)
	cfg := l.cfg.Copy()
	cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: aws.ToString(out.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(out.AccessKey.SecretAccessKey)}, nil
	})
	_, err = iam.NewFromConfig(cfg).GetUser(ctx, &iam.GetUserInput{})
	l.must(err)
	return aws.ToString(out.AccessKey.AccessKeyId)
}

func TestListKindsAgesAndLastUse(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	oldKey := l.smtpUser("member", 1)[0]
	l.clock.Advance(100 * 24 * time.Hour)
	usedKey := l.useKey("member")
	l.inlineUser("legacy", 0)
	l.smtpUser("both", 0)
	_, err := l.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("both"), PolicyName: aws.String(provision.DefaultPolicyName),
		PolicyDocument: aws.String(policy.SendingPolicyDocument)})
	l.must(err)
	_, err = l.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bystander")})
	l.must(err)
	l.clock.Advance(24 * time.Hour)

	sink := &collect{}
	err = list.Run(ctx, l.iam, list.Options{MaxAge: 90 * 24 * time.Hour, Now: l.clock.Now}, sink)
	l.must(err)
	got := map[string]list.User{}
	for _, u := range sink.users {
		if _, dup := got[u.UserName]; dup {
			t.Fatalf("%s listed twice", u.UserName)
		}
		got[u.UserName] = u
	}
	if len(got) != 3 || got["member"].Access != list.AccessGroup || got["legacy"].Access != list.AccessInline || got["both"].Access != list.AccessBoth {
		t.Fatalf("listed %+v", got)
	}
	keys := map[string]list.Key{}
	for _, k := range got["member"].Keys {
		keys[k.AccessKeyID] = k
	}
	if k := keys[oldKey]; k.AgeDays != 101 || !k.OverMaxAge || k.LastUsed != nil || k.Status != "Active" {
		t.Fatalf("old key: %+v", k)
	}
	if k := keys[usedKey]; k.AgeDays != 1 || k.OverMaxAge || k.LastUsed == nil || k.LastUsedService != "iam" || k.LastUsedRegion != "us-east-1" {
		t.Fatalf("used key: %+v", k)
	}

	// The writers: table flags the old key; JSON is one object per user.
	var table, js, csvOut bytes.Buffer
	for _, w := range []struct {
		buf *bytes.Buffer
		f   output.Format
	}{{&table, output.FormatTable}, {&js, output.FormatJSON}, {&csvOut, output.FormatCSV}} {
		lw, err := list.NewWriter(w.buf, w.f, 90*24*time.Hour)
		l.must(err)
		for _, u := range sink.users {
			l.must(lw.WriteUser(u))
		}
		l.must(lw.Flush())
	}
	if !strings.Contains(table.String(), "older than 90d") || !strings.Contains(table.String(), "101d") || !strings.Contains(table.String(), "never") {
		t.Errorf("table:\n%s", table.String())
	}
	lines := strings.Split(strings.TrimSpace(js.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("JSON lines: %d\n%s", len(lines), js.String())
	}
	for _, line := range lines {
		var u map[string]any
		if err := json.Unmarshal([]byte(line), &u); err != nil || u["user_name"] == nil || u["access"] == nil {
			t.Fatalf("JSON line %q: %v", line, err)
		}
	}
	if !strings.HasPrefix(csvOut.String(), "User,Access,Access Key ID,Status,Created,Age Days,Last Used") || strings.Count(csvOut.String(), "\n") != 5 {
		t.Errorf("CSV:\n%s", csvOut.String())
	}
	if _, err := list.NewWriter(&table, output.FormatEnv, 0); fail.ExitCode(err) != fail.ExitUsage {
		t.Errorf("env output for list: %v", err)
	}
}

// TestListManyUsersStreams lists 2,000 users: every SMTP user exactly once,
// with the right access, emitted page by page (at most 100 between flushes)
// and starting before the account has been read to the end.
func TestListManyUsersStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("makes 2,000 users")
	}
	l := newLab(t)
	ctx := context.Background()
	const members, inline, both, others = 1200, 400, 100, 300
	_, err := l.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(provision.DefaultGroupName)})
	l.must(err)
	work := make(chan int)
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				name := aws.String(fmt.Sprintf("u%04d", i))
				do := func(err error) {
					if err != nil {
						select {
						case errs <- err:
						default:
						}
					}
				}
				_, err := l.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: name})
				do(err)
				if i < members+both {
					_, err = l.iam.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: name, GroupName: aws.String(provision.DefaultGroupName)})
					do(err)
				}
				if i >= members && i < members+both+inline {
					_, err = l.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: name, PolicyName: aws.String(provision.DefaultPolicyName),
						PolicyDocument: aws.String(policy.SendingPolicyDocument)})
					do(err)
				}
				if i%2 == 0 {
					_, err = l.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: name})
					do(err)
				}
			}
		}()
	}
	for i := range members + both + inline + others {
		work <- i
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}

	l.srv.ResetCalls()
	var pagesAtFirstUser int
	sink := &collect{onWrite: func() { pagesAtFirstUser = l.srv.CallCount("GetAccountAuthorizationDetails") }}
	start := time.Now()
	l.must(list.Run(ctx, l.iam, list.Options{Concurrency: 8}, sink))
	t.Logf("listed %d SMTP users of %d in %v with %d IAM calls", len(sink.users), members+both+inline+others, time.Since(start), len(l.srv.Calls()))

	seen := map[string]list.Access{}
	for _, u := range sink.users {
		if _, dup := seen[u.UserName]; dup {
			t.Fatalf("%s listed twice", u.UserName)
		}
		seen[u.UserName] = u.Access
		var i int
		fmt.Sscanf(u.UserName, "u%04d", &i)
		want := list.AccessGroup
		switch {
		case i >= members && i < members+both:
			want = list.AccessBoth
		case i >= members+both:
			want = list.AccessInline
		}
		if u.Access != want {
			t.Fatalf("%s: access %s, want %s", u.UserName, u.Access, want)
		}
		if wantKeys := 1 - i%2; len(u.Keys) != wantKeys {
			t.Fatalf("%s: %d keys, want %d", u.UserName, len(u.Keys), wantKeys)
		}
	}
	if len(seen) != members+both+inline {
		t.Fatalf("listed %d SMTP users, want %d", len(seen), members+both+inline)
	}
	if sink.maxBatch > 100 {
		t.Fatalf("%d users between flushes: output is not streamed page by page", sink.maxBatch)
	}
	if pagesAtFirstUser != 1 {
		t.Fatalf("first user written after %d pages were read; want after the first", pagesAtFirstUser)
	}
}

// A throttling IAM and a paced client: the list completes and is complete.
// The client here is the bare SDK one (3 attempts, no adaptive limiter), so
// only the pacing keeps it under IAM's 60 calls a second: unpaced, or paced
// above the limit, it fails.
//
// IAM's burst is 10, not the client's 4: the limiter spaces when calls may
// start, not when they reach IAM. A process descheduled for a moment (a
// loaded 2-core machine) sends the calls it held back (one per goroutine in
// flight: Concurrency + the page reader) together with the burst the limiter
// refilled meanwhile, up to 2*4+1 at once. With burst 5 that failed about 1
// run in 40 under CPU load (ListUserPolicies: exceeded maximum number of
// attempts, Throttling).
func TestListPacedUnderThrottling(t *testing.T) {
	l := newLab(t)
	for i := range 12 {
		l.smtpUser(fmt.Sprintf("t%02d", i), 1)
	}
	l.srv.SetRateLimit(60, 10)
	sink := &collect{}
	l.must(list.Run(context.Background(), l.iam, list.Options{Concurrency: 4, Rate: 50}, sink))
	if len(sink.users) != 12 {
		t.Fatalf("listed %d users, want 12", len(sink.users))
	}
}

func TestParseMaxAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "0": 0, "36h": 36 * time.Hour, "1d": 24 * time.Hour} {
		got, err := list.ParseMaxAge(in)
		if err != nil || got != want {
			t.Errorf("ParseMaxAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1h", "90", "d", "9x"} {
		if _, err := list.ParseMaxAge(bad); fail.ExitCode(err) != fail.ExitUsage {
			t.Errorf("ParseMaxAge(%q): %v, want a usage error", bad, err)
		}
	}
}

type discardSink struct{ n int }

func (d *discardSink) WriteUser(list.User) error { d.n++; return nil }
func (d *discardSink) Flush() error              { return nil }

// BenchmarkListSMTPUsers lists 1,000 group members with one key each from an
// iamfake over loopback HTTP (no pacing) and reports users/s. The iamfake runs
// in the same process, so B/op counts the server's allocations too.
func BenchmarkListSMTPUsers(b *testing.B) {
	l := newLab(b)
	ctx := context.Background()
	const n = 1000
	_, err := l.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(provision.DefaultGroupName)})
	l.must(err)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			name := aws.String(fmt.Sprintf("b%04d", i))
			if _, err := l.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: name}); err != nil {
				b.Error(err)
				return
			}
			if _, err := l.iam.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: name, GroupName: aws.String(provision.DefaultGroupName)}); err != nil {
				b.Error(err)
			}
			if _, err := l.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: name}); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	b.ResetTimer()
	for b.Loop() {
		sink := &discardSink{}
		if err := list.Run(ctx, l.iam, list.Options{Concurrency: 8}, sink); err != nil {
			b.Fatal(err)
		}
		if sink.n != n {
			b.Fatalf("listed %d, want %d", sink.n, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "users/s")
}
