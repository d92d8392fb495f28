package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/redact"
	"github.com/sesprov/sesprov/provision"
)

// Deps are apply's dependencies.
type Deps struct {
	IAM iamapi.IAM
	STS iamapi.STS // resolves the account when the sending policy must be made
	// Open opens the delivery of users' credentials to dest: before any
	// change, so that a destination that cannot take them stops the run
	// first (the command line's deliver.Open with its store options). With
	// check it only checks (deliver.Options.DryRun): nothing is created.
	Open func(dest deliver.Destination, users []string, check bool) (*deliver.Deliverer, error)
}

// Plan is what apply found in the account and decided, sender by sender.
type Plan struct {
	Senders  []*SenderPlan // in the file's order
	Unlisted []*SenderPlan // users sesprov made that the file does not list
	// Others counts the SMTP users sesprov did not make that the file does
	// not list: apply leaves them alone.
	Others int
	opts   Options
}

// Result is one sender's (or unlisted user's) line.
type Result struct {
	Name        string     `json:"name"`
	Status      string     `json:"status"`
	Changes     []Change   `json:"changes,omitempty"`
	NewKeyID    string     `json:"new_access_key_id,omitempty"`
	DeliveredTo string     `json:"delivered_to,omitempty"`
	Retired     []string   `json:"retired_access_keys,omitempty"`
	WaitUntil   *time.Time `json:"wait_until,omitempty"`
	Error       string     `json:"error,omitempty"`
	DryRun      bool       `json:"dry_run,omitempty"`
}

// ErrScanNeeded is returned when the caller may not read the account in
// pages: apply compares the whole account with the file, and reading it
// user by user would cost a call or two per user of the account.
var ErrScanNeeded = errors.New("apply reads the account with iam:GetAccountAuthorizationDetails, which was denied: allow it to the caller (run 'sesprov doctor --policy' for the whole policy)")

// MakePlan reads the account once, in pages, and compares it with f. It
// changes nothing.
func MakePlan(ctx context.Context, api iamapi.IAM, f *File, o Options) (*Plan, error) {
	o.setDefaults()
	if o.Log == nil {
		o.Log = redact.DiscardLogger()
	}
	users := map[string]*provision.UserDetail{}
	var order []string
	err := provision.ScanUsers(ctx, api, func(page []provision.UserDetail) error {
		for i := range page {
			k := strings.ToLower(page[i].UserName)
			users[k] = &page[i]
			order = append(order, k)
		}
		return nil
	})
	if errors.Is(err, provision.ErrScanDenied) {
		return nil, fmt.Errorf("%w: %w", ErrScanNeeded, err)
	}
	if err != nil {
		return nil, err
	}
	p := &Plan{Senders: make([]*SenderPlan, len(f.Senders)), opts: o}
	listed := map[string]bool{}
	for _, s := range f.Senders {
		listed[strings.ToLower(s.Name)] = true
	}
	provision.ForEach(ctx, len(f.Senders), o.Concurrency, func(ctx context.Context, i int) {
		s := f.Senders[i]
		have := users[strings.ToLower(s.Name)]
		if have != nil && have.UserName != s.Name {
			p.Senders[i] = &SenderPlan{Sender: s, Have: have, err: fail.Conflictf(
				"the file names %s, the account has %s (IAM names ignore case): write the name as IAM spells it", s.Name, have.UserName)}
			return
		}
		p.Senders[i] = planSender(ctx, api, s, have, &o)
	})
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	for _, k := range order {
		d := users[k]
		if listed[k] || !d.Classify(o.GroupName, o.PolicyName, 0).IsSMTPUser() {
			continue
		}
		if provision.CreatedBySesprov(d.Tags) { // only users sesprov made are reported, and pruned
			p.Unlisted = append(p.Unlisted, planUnlisted(ctx, api, d, &o))
		} else {
			p.Others++
		}
	}
	return p, nil
}

// Results are the plan's lines as a dry run reports them: each sender's
// status is what applying the plan would make it.
func (p *Plan) Results() []Result {
	var out []Result
	for _, sp := range p.Senders {
		r := Result{Name: sp.Sender.Name, Changes: sp.Changes, Status: sp.status(), DryRun: true}
		if sp.err != nil {
			r = withError(r, sp.err)
		}
		r.WaitUntil = sp.waitUntil()
		out = append(out, r)
	}
	status := StatusUnlisted
	if p.opts.Prune {
		status = StatusPruned
	}
	for _, sp := range p.Unlisted {
		r := Result{Name: sp.Sender.Name, Status: status, Changes: sp.Changes, DryRun: true}
		if sp.err != nil {
			r = withError(r, sp.err)
		}
		out = append(out, r)
	}
	return out
}

// CheckDeliveries checks, for a dry run, that each sender's destination
// could take its credentials (a file that exists or a directory that does
// not could not): such a sender is failed in the plan, with why. Nothing is
// created.
func (p *Plan) CheckDeliveries(ctx context.Context, deps Deps) {
	closeAll(p.openDeliveries(ctx, deps, true))
}

func (sp *SenderPlan) waitUntil() *time.Time {
	if sp.rotation == nil || sp.rotation.WaitUntil.IsZero() {
		return nil
	}
	t := sp.rotation.WaitUntil
	return &t
}

// Apply carries the plan out: every sender's destination is opened first
// (a sender whose destination cannot take its credentials fails, with
// nothing about it changed), then each sender is worked on, at most Concurrency at once, and
// last the unlisted users are deleted when Prune. One sender's failure never
// stops the others. report gets each line as it ends, from one goroutine at
// a time; Apply returns them in the plan's order.
func (p *Plan) Apply(ctx context.Context, deps Deps, report func(Result)) ([]Result, error) {
	delivs := p.openDeliveries(ctx, deps, false)
	defer closeAll(delivs)
	if err := p.ensureAccess(ctx, deps); err != nil {
		return nil, err
	}
	a := &applier{deps: deps, opts: p.opts, delivs: delivs}
	results := make([]Result, len(p.Senders)+len(p.Unlisted))
	var mu sync.Mutex
	done := func(i int, r Result) {
		mu.Lock()
		defer mu.Unlock()
		results[i] = r
		if report != nil {
			report(r)
		}
	}
	provision.ForEach(ctx, len(p.Senders), p.opts.Concurrency, func(ctx context.Context, i int) {
		done(i, a.applySender(ctx, p.Senders[i]))
	})
	for i, sp := range p.Unlisted {
		done(len(p.Senders)+i, a.unlisted(ctx, sp))
	}
	for i, r := range results {
		if r.Status == "" {
			name := p.nameAt(i)
			results[i] = Result{Name: name, Status: StatusFailed, Error: fmt.Sprintf("%v: %v", errNotStarted, context.Cause(ctx))}
		}
	}
	return results, nil
}

func (p *Plan) nameAt(i int) string {
	if i < len(p.Senders) {
		return p.Senders[i].Sender.Name
	}
	return p.Unlisted[i-len(p.Senders)].Sender.Name
}

// openDeliveries opens the delivery of each sender that will get a key
// (check: only checks it). A sender whose destination cannot be opened is
// failed in the plan: nothing about it will be changed.
func (p *Plan) openDeliveries(ctx context.Context, deps Deps, check bool) map[string]*deliver.Deliverer {
	out := map[string]*deliver.Deliverer{}
	for _, sp := range p.Senders {
		if !sp.Delivers() {
			continue
		}
		d, err := deps.Open(sp.Sender.DeliverTo, []string{sp.Sender.Name}, check)
		if err != nil {
			sp.err = fmt.Errorf("%w; nothing about sender %s was changed", err, sp.Sender.Name)
			continue
		}
		out[sp.Sender.Name] = d
		if sp.keys == keysCreate {
			p.foreignStore(ctx, sp, d, check)
		}
	}
	return out
}

// foreignStore says, for a sender about to get its first credentials, when
// its secret or parameter exists and sesprov did not write it: another
// application's entry of the same name would lose its value. Only said
// (a change line, and a warning in a real run): teams also make the secret
// first, with their own key and policy, for sesprov to fill.
func (p *Plan) foreignStore(ctx context.Context, sp *SenderPlan, d *deliver.Deliverer, check bool) {
	foreign, err := d.Foreign(ctx, sp.Sender.Name)
	switch {
	case err != nil:
		p.opts.Notices.Warn(sp.Sender.Name, "%s: could not check whether its destination already holds something else: %v", sp.Sender.Name, err)
	case foreign != "":
		sp.add(OpChange, "deliver_to", "%s", foreign)
		if !check {
			p.opts.Notices.Warn(sp.Sender.Name, "%s: %s", sp.Sender.Name, foreign)
		}
	}
}

func closeAll(ds map[string]*deliver.Deliverer) {
	for _, d := range ds {
		_ = d.Close()
	}
}

// ensureAccess makes the sending group and policy once, before the senders
// that need them (new users, users joining the group) run side by side.
func (p *Plan) ensureAccess(ctx context.Context, deps Deps) error {
	need := false
	for _, sp := range p.Senders {
		need = need || (sp.err == nil && (sp.keys == keysCreate || sp.join))
	}
	if !need {
		return nil
	}
	sa, err := provision.EnsureSendingAccess(ctx, deps.IAM, provision.SendingAccessOptions{
		GroupName: p.opts.GroupName, PolicyName: p.opts.PolicyName, STS: deps.STS,
	})
	for _, w := range sa.Warnings {
		p.opts.Notices.Warn("", "%s", w)
	}
	if err != nil {
		return fmt.Errorf("the sending group %s and policy %s: %w", p.opts.GroupName, p.opts.PolicyName, err)
	}
	return nil
}
