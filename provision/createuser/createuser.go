// Package createuser is create-user: for each user, the sending group and
// policy (once), the user, its membership, its access key, and its SMTP
// password per region, handed to the run's deliver.Deliverer. A batch
// (--from) works on many users at once, each user's outcome its own. See
// docs/design.md and docs/batch.md.
package createuser

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/redact"
	"github.com/sesprov/sesprov/provision"
)

// DefaultUserName is the console's default SMTP user name,
// ses-smtp-user.YYYYMMDD-HHMMSS. sesprov uses UTC where the console uses the
// browser's local time: the name then sorts with CloudTrail's timestamps and
// does not depend on the machine that ran sesprov.
func DefaultUserName(now time.Time) string {
	return "ses-smtp-user." + now.UTC().Format("20060102-150405")
}

// Options is what create-user was asked to do.
type Options struct {
	UserNames           []string // one user, or a batch (Batch); empty: one user with DefaultUserName
	Regions             []derive.Region
	Path                string // default "/"
	Tags                []provision.Tag
	PermissionsBoundary string // managed policy ARN, optional
	GroupName           string // default provision.DefaultGroupName
	PolicyName          string // default provision.DefaultPolicyName
	RepairPolicy        bool
	DryRun              bool
	Dest                deliver.Destination // zero: stdout
	IncludeSecretKey    bool
	Format              output.Format
	Batch               bool // --from: concurrent, per-user outcomes (batch.go)
	Concurrency         int  // batch workers; 0: DefaultConcurrency
	// Done holds the access key IDs an earlier run of the batch delivered
	// (ReadDoneKeys, --done): their users are done, however young the key.
	Done map[string]bool
	// AllowFrom, when set, scopes each user to these From addresses (as
	// scope.ParseAddresses returns them): see provision/scope.
	AllowFrom []string
}

// Deps are create-user's dependencies.
type Deps struct {
	IAM iamapi.IAM
	STS iamapi.STS
	// Deliver takes the credentials; opened by the caller for opts.Dest
	// before Run (deliver.Open checks it). Unused in a dry run.
	Deliver *deliver.Deliverer
	Notices provision.Notices // what a person should know; never secrets
	// Outcomes receives each batch user's outcome as it ends, from one
	// goroutine (may be nil).
	Outcomes func(Outcome)
	Log      *slog.Logger
	Now      func() time.Time // default time.Now
	// Limiter is the clients' rate limiter, for the batch's summary (may be nil).
	Limiter *iamapi.AdaptiveLimiter
}

// Result is what a run leaves for the caller to render.
type Result struct {
	Plan  []provision.PlanItem // a dry run's plan
	Batch *Summary             // a batch's counts (not in a dry run)
}

// Validate checks every input before any IAM call: bad input is a usage
// error (exit 2) and changes nothing.
func (in *Options) Validate() error {
	if len(in.Regions) == 0 {
		return fail.Usagef("no region given: pass --regions R1,R2")
	}
	if err := validateNames(in.UserNames); err != nil {
		return err
	}
	if !in.Batch && len(in.UserNames) > 1 {
		return fail.Usagef("%d users given: several users are a batch (--from FILE)", len(in.UserNames))
	}
	if err := in.validateUser(); err != nil {
		return err
	}
	if err := in.validateBatch(); err != nil {
		return err
	}
	if in.Format == "" {
		in.Format = output.FormatTable
	}
	if _, err := output.ParseFormat(string(in.Format)); err != nil {
		return err
	}
	if in.Dest.Kind == "" {
		in.Dest = deliver.Stdout
	}
	return in.Dest.Check(in.UserNames)
}

func validateNames(names []string) error {
	seen := map[string]bool{}
	for _, u := range names {
		if err := provision.ValidateUserName(u); err != nil {
			return err
		}
		k := strings.ToLower(u)
		if seen[k] {
			return fail.Usagef("user %q is listed twice (IAM names are case-insensitive)", u)
		}
		seen[k] = true
	}
	return nil
}

// validateUser checks what the user is made with.
func (in *Options) validateUser() error {
	if in.Path != "" {
		if err := provision.ValidatePath(in.Path); err != nil {
			return err
		}
	}
	if err := provision.ValidateTags(in.Tags); err != nil {
		return err
	}
	if in.PermissionsBoundary != "" {
		if err := provision.ValidatePolicyARN(in.PermissionsBoundary); err != nil {
			return fail.AsUsage(fmt.Errorf("--permissions-boundary: %w", err))
		}
	}
	if in.GroupName != "" {
		if err := provision.ValidateGroupName(in.GroupName); err != nil {
			return err
		}
	}
	if in.PolicyName != "" {
		if err := provision.ValidatePolicyName(in.PolicyName); err != nil {
			return err
		}
	}
	return nil
}

// setDefaults fills what was not given; defaultName says the user's name is
// DefaultUserName, not asked for.
func (in *Options) setDefaults(now func() time.Time) (defaultName bool) {
	defaultName = len(in.UserNames) == 0
	if defaultName {
		in.UserNames = []string{DefaultUserName(now())}
	}
	if in.Path == "" {
		in.Path = "/"
	}
	if in.GroupName == "" {
		in.GroupName = provision.DefaultGroupName
	}
	if in.PolicyName == "" {
		in.PolicyName = provision.DefaultPolicyName
	}
	return defaultName
}

// Run is create-user. The caller renders the result, the notices and the
// outcomes; the credentials went to deps.Deliver (which the caller closes).
func Run(ctx context.Context, in Options, deps Deps) (*Result, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if deps.Log == nil {
		deps.Log = redact.DiscardLogger()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Deliver == nil && !in.DryRun {
		return nil, fmt.Errorf("createuser.Run: no Deliverer")
	}
	defaultName := in.setDefaults(deps.Now)

	// A permissions boundary that does not exist is bad input: found by a
	// read before any change, not by CreateUser after the shared ones.
	if in.PermissionsBoundary != "" {
		if err := checkBoundaryExists(ctx, deps.IAM, in.PermissionsBoundary, deps.Notices); err != nil {
			return nil, err
		}
	}
	switch {
	case in.DryRun:
		return planUsers(ctx, &in, &deps, defaultName)
	case in.Batch:
		sum, err := runBatch(ctx, &in, &deps)
		return &Result{Batch: sum}, err
	}
	return &Result{}, runOne(ctx, &in, &deps, defaultName)
}

// runOne makes one user. The user comes first: CreateUser is needed anyway,
// and when the user exists with a key the run ends in a conflict before it
// changes the shared group and policy. A user this makes is left key-less
// and outside the group if the steps below fail; the same command run again
// completes it. (Checking with GetUser first would cost a call per run: see
// TestCreateUserCallBudget.) A batch keeps the shared setup first.
func runOne(ctx context.Context, in *Options, deps *Deps, defaultName bool) error {
	r := provision.NewRun(false, deps.Log)
	j := &userJob{in: in, deps: deps, name: in.UserNames[0], defaultName: defaultName, notices: deps.Notices,
		access: provision.SendingAccess{GroupName: in.GroupName, PolicyName: in.PolicyName}}
	if err := r.Execute(ctx, []provision.Step{{Name: "user", Run: j.ensureUser}}); err != nil {
		return err
	}
	sa, err := ensureAccess(ctx, in, deps, r)
	if err != nil {
		return err
	}
	j.access = sa
	return r.Execute(ctx, []provision.Step{
		{Name: "from-address scope", Run: j.ensureScope},
		{Name: "group membership", Run: j.ensureMembership},
		{Name: "access key and delivery", Run: j.keyAndDeliver},
	})
}

// ensureAccess ensures the sending group and policy, passes their warnings
// on, and refuses a group whose policy cannot send.
func ensureAccess(ctx context.Context, in *Options, deps *Deps, r *provision.Run) (provision.SendingAccess, error) {
	sa, err := provision.EnsureSendingAccess(ctx, deps.IAM, provision.SendingAccessOptions{
		GroupName: in.GroupName, PolicyName: in.PolicyName, RepairPolicy: in.RepairPolicy,
		STS: deps.STS, Run: r,
	})
	for _, w := range sa.Warnings {
		deps.Notices.Warn("", "%s", w)
	}
	if err == nil && !r.DryRun {
		err = cannotSend(in, sa)
	}
	return sa, err
}

// planUsers is a dry run, of one user or a batch: the plan of every user,
// one after the other (reads only). A batch user that is already done is
// planned as left alone, as a batch run would.
func planUsers(ctx context.Context, in *Options, deps *Deps, defaultName bool) (*Result, error) {
	r := provision.NewRun(true, deps.Log)
	sa, err := ensureAccess(ctx, in, deps, r)
	if err != nil {
		return nil, err
	}
	var failed, conflicts []string
	for _, name := range in.UserNames {
		j := &userJob{in: in, deps: deps, name: name, defaultName: defaultName, access: sa, notices: deps.Notices}
		if in.Batch {
			j.batch = &batchJob{job: j}
		}
		err := r.Execute(ctx, j.steps())
		if err == nil {
			continue
		}
		if !in.Batch {
			return &Result{Plan: r.Planned()}, err
		}
		deps.Notices.Info(name, "%s: %v", name, err)
		if fail.KindOf(err) == fail.KindConflict {
			conflicts = append(conflicts, name)
		} else {
			failed = append(failed, name)
		}
		if ctx.Err() != nil {
			return nil, err
		}
	}
	res := &Result{Plan: r.Planned()}
	switch n := len(in.UserNames); {
	case len(failed) > 0:
		return res, fmt.Errorf("dry run: %d of %d user(s) could not be planned (%s), see above", len(failed), n, strings.Join(failed, ", "))
	case len(conflicts) > 0:
		return res, fail.Conflictf("dry run: %d of %d user(s) need a decision (%s), see above", len(conflicts), n, strings.Join(conflicts, ", "))
	}
	return res, nil
}
