package apply_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/provision/apply"
)

var errKilled = errors.New("process killed (test)")

// dying is the HTTP transport of a process killed right after its nth
// request reached the fakes: that request acts but its answer is lost, and
// no later request leaves — what SIGKILL or a power cut leaves behind.
type dying struct {
	mu   sync.Mutex
	nth  int
	seen int
	next http.RoundTripper
}

func (d *dying) RoundTrip(r *http.Request) (*http.Response, error) {
	d.mu.Lock()
	d.seen++
	n := d.seen
	d.mu.Unlock()
	switch {
	case d.nth > 0 && n > d.nth:
		return nil, errKilled
	case n == d.nth:
		if resp, err := d.next.RoundTrip(r); err == nil {
			resp.Body.Close()
		}
		return nil, errKilled
	}
	return d.next.RoundTrip(r)
}

// killedRun applies f with every AWS call (IAM, STS and the stores) going
// through a process that dies after its nth request; 0 never dies. It
// returns how many requests the run made.
func (b *bench) killedRun(f *apply.File, nth int) int {
	b.t.Helper()
	d := &dying{nth: nth, next: http.DefaultTransport}
	cfg := b.cfg.Copy()
	cfg.HTTPClient = &http.Client{Transport: d}
	cfg.RetryMaxAttempts = 1
	api := iam.NewFromConfig(cfg)
	ctx := context.Background()
	p, err := apply.MakePlan(ctx, api, f, apply.Options{Now: b.clock.Now})
	if err == nil {
		_, err = p.Apply(ctx, apply.Deps{IAM: api, STS: sts.NewFromConfig(cfg), Open: func(dest deliver.Destination, users []string, check bool) (*deliver.Deliverer, error) {
			return deliver.Open(dest, deliver.Options{Format: output.FormatJSON, Users: users, DryRun: check,
				Store: deliver.StoreOptions{Connect: func(context.Context) (deliver.Stores, error) { return deliver.NewStores(cfg, "us-east-1"), nil }}})
		}}, nil)
	}
	if nth == 0 && err != nil {
		b.t.Fatal(err)
	}
	return d.seen
}

// TestApplyKilledAtEveryCall kills apply after each of its calls in turn —
// creating one sender, rotating two (one scoped anew), on a fresh account
// state each time — then runs it again. The second run must end in the
// file's state: every sender has exactly one active key, and it is the key
// its store holds; no key whose secret reached no store stays active; a
// third run has nothing to do.
func TestApplyKilledAtEveryCall(t *testing.T) {
	file := func(t *testing.T) *apply.File {
		f := twoSenders(t)
		for i := range f.Senders {
			f.Senders[i].Grace = 0
		}
		return f
	}
	setup := func(t *testing.T) *bench {
		b := newBench(t)
		f := file(t)
		b.run(&apply.File{Senders: f.Senders[1:]}, apply.Options{}) // alerts exists, billing-mailer does not
		b.clock.Advance(100 * 24 * time.Hour)                       // alerts is due
		return b
	}
	total := setup(t).killedRun(file(t), 0)
	if total < 10 {
		t.Fatalf("an unkilled run made %d requests", total)
	}
	for nth := 1; nth <= total; nth++ {
		t.Run(fmt.Sprintf("killed after request %d", nth), func(t *testing.T) {
			b := setup(t)
			f := file(t)
			b.killedRun(f, nth)
			b.clock.Advance(11 * time.Minute) // a started rotation's lease runs out
			rs := b.run(f, apply.Options{})
			for n, r := range rs {
				if r.Status == apply.StatusFailed || r.Status == apply.StatusConflict {
					t.Fatalf("re-run: %s %s: %s", n, r.Status, r.Error)
				}
			}
			billing, alerts := b.storedKeys()
			if got := b.activeKeys("billing-mailer"); !slices.Equal(got, []string{billing}) {
				t.Errorf("billing-mailer: active keys %v, stored %s", got, billing)
			}
			if got := b.activeKeys("alerts"); !slices.Equal(got, []string{alerts}) {
				t.Errorf("alerts: active keys %v, stored %s", got, alerts)
			}
			wantStatus(t, b.run(f, apply.Options{}), map[string]string{"billing-mailer": apply.StatusUnchanged, "alerts": apply.StatusUnchanged})
		})
	}
}

// TestApplyTwoRunsAtOnce: two applies of one file at the same moment (a
// scheduled run and a person's) never leave a key whose secret reached no
// store, nor a sender with two active keys: each sender is made and keyed
// once, whichever run gets there first; the other run fails or finds it
// done. A run after them has nothing to do.
func TestApplyTwoRunsAtOnce(t *testing.T) {
	for round := range 5 {
		t.Run(fmt.Sprintf("round %d", round), func(t *testing.T) {
			b := newBench(t)
			f := scaleFile(t, 6)
			for i := range f.Senders {
				f.Senders[i].Grace = 0
			}
			var wg sync.WaitGroup
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx := context.Background()
					p, err := apply.MakePlan(ctx, b.iam, f, apply.Options{Now: b.clock.Now})
					if err != nil {
						t.Error(err)
						return
					}
					if _, err := p.Apply(ctx, b.deps(), nil); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			b.clock.Advance(11 * time.Minute) // a started rotation's lease runs out
			b.run(f, apply.Options{})
			for n, r := range b.run(f, apply.Options{}) {
				if r.Status != apply.StatusUnchanged {
					t.Errorf("third run: %s %s %s", n, r.Status, r.Error)
				}
			}
			sm := secretsmanager.NewFromConfig(b.cfg)
			for _, s := range f.Senders {
				out, err := sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("ses/" + s.Name)})
				if err != nil {
					t.Fatalf("%s: %v", s.Name, err)
				}
				if got, stored := b.activeKeys(s.Name), keyOf(t, aws.ToString(out.SecretString)); !slices.Equal(got, []string{stored}) {
					t.Errorf("%s: active keys %v, stored %s", s.Name, got, stored)
				}
			}
		})
	}
}
