package apply_test

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/provision/apply"
)

// scaleFile is n senders delivering into Secrets Manager.
func scaleFile(t testing.TB, n int) *apply.File {
	f := &apply.File{Name: "senders.yaml"}
	for i := range n {
		f.Senders = append(f.Senders, apply.Sender{
			Name: fmt.Sprintf("sender-%03d", i), Regions: regions(t, "us-east-1", "eu-west-1"),
			DeliverTo: dest(t, "secretsmanager:ses/{user}"), MaxKeyAge: 90 * 24 * time.Hour, Grace: 24 * time.Hour, Path: "/",
		})
	}
	return f
}

// others makes n users that are not SMTP users: the account around the
// senders, which the scan reads and apply leaves alone.
func (b *bench) others(n int) {
	b.t.Helper()
	ctx := context.Background()
	for i := range n {
		if _, err := b.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("staff-%04d", i))}); err != nil {
			b.t.Fatal(err)
		}
	}
}

// TestApplyReadBudgetAtScale: in an account of 1,240 users, a second apply
// of 40 unchanged senders reads the account in two pages (1,000 users a
// page) and each sender's keys: 42 calls, none of them a change.
func TestApplyReadBudgetAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("makes 1,240 users")
	}
	const senders, staff = 40, 1200
	b := newBench(t)
	b.others(staff)
	f := scaleFile(t, senders)
	rs := b.run(f, apply.Options{})
	for n, r := range rs {
		if r.Status != apply.StatusCreated {
			t.Fatalf("%s: %s %s", n, r.Status, r.Error)
		}
	}
	b.reset()
	for n, r := range b.run(f, apply.Options{}) {
		if r.Status != apply.StatusUnchanged {
			t.Fatalf("second apply: %s %s %s", n, r.Status, r.Error)
		}
	}
	calls := map[string]int{}
	for _, c := range b.srv.IAM.Calls() {
		calls[c.Action]++
	}
	want := map[string]int{"GetAccountAuthorizationDetails": 2, "ListAccessKeys": senders}
	if !maps.Equal(calls, want) {
		t.Errorf("IAM calls %v, budget %v", calls, want)
	}
	if m := b.mutations(); len(m) > 0 {
		t.Errorf("second apply changed %v", m)
	}
	t.Logf("%d senders in %d users, nothing to do: %d IAM calls (%v), no change", senders, senders+staff, len(b.srv.IAM.Calls()), calls)
}

// BenchmarkApplyLatency20ms is apply of 200 senders at 20 ms per call,
// default concurrency, with the clients' AdaptiveLimiter: the first run
// creates every sender and delivers into Secrets Manager; the second has
// nothing to do. x_ideal is the elapsed time over (calls answered × 20 ms
// / concurrency).
func BenchmarkApplyLatency20ms(tb *testing.B) {
	const n, latency = 200, 20 * time.Millisecond
	for range tb.N {
		b := newBench(tb)
		f := scaleFile(tb, n)
		lim := iamapi.NewAdaptiveLimiter()
		b.iam = iam.NewFromConfig(b.cfg, lim.IAMOption())
		b.srv.IAM.SetLatency(latency)
		for _, second := range []bool{false, true} {
			b.reset()
			start := time.Now()
			b.run(f, apply.Options{})
			took := time.Since(start)
			calls := len(b.srv.IAM.Calls()) // the stores answer at once
			ideal := time.Duration(calls) * latency / apply.DefaultConcurrency
			name := "create"
			if second {
				name = "unchanged"
			}
			tb.ReportMetric(float64(took)/float64(ideal), "x_ideal_"+name)
			tb.ReportMetric(float64(len(b.srv.IAM.Calls()))/n, "iam_calls/sender_"+name)
			tb.Logf("%s: %d senders, %s for %d IAM calls, ideal %s", name, n, took.Round(time.Millisecond), calls, ideal.Round(time.Millisecond))
		}
	}
}
