// Package migrate moves SMTP users the SES console made before September
// 2024 from their inline policy to the sending group, for one user or the
// account, following AWS's manual steps for that migration.
//
// The invariant: at no moment does a user lack ses:SendRawEmail. So, per
// user and in AWS's order: the group and its grant exist and are seen
// (steps 1–9), the user is added to the group (11–12), the membership is
// seen (13), only then the inline policy is deleted (14), and last the
// console's tag is removed (15–16). Each step is one IAM call, safe to
// repeat; a run cut short anywhere leaves the user as it was or further
// along, and the next run finishes.
package migrate

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/policy"
	"github.com/sesprov/sesprov/internal/redact"
	"github.com/sesprov/sesprov/provision"
)

// DefaultConcurrency bounds the users migrated at once: each makes up to
// six IAM calls, half of them writes.
const DefaultConcurrency = 4

// Options is what migrate was asked to do.
type Options struct {
	UserName     string // one user; or All
	All          bool   // every legacy user of the account
	GroupName    string // default provision.DefaultGroupName
	PolicyName   string // the legacy inline policy, and the group's managed policy; default provision.DefaultPolicyName
	RepairPolicy bool   // repair a drifted managed policy (as create-user --repair-policy)
	Force        bool   // delete an inline policy holding more than the standard statement; add a tagged user with no SES access
	DryRun       bool
	Concurrency  int // users at once; default DefaultConcurrency

	// Confirm, when set, is asked after discovery and before the first
	// change, with the users about to be migrated. No: nothing is changed.
	Confirm func(users []string) (bool, error)

	Report  Report            // receives the report as it happens; nil discards
	Notices provision.Notices // warnings for a person
	Log     *slog.Logger      // nil discards
}

// Deps are the IAM and STS clients migrate calls.
type Deps struct {
	IAM iamapi.IAM
	STS iamapi.STS
}

// ErrDeclined is returned when the operator answers no at the prompt.
var ErrDeclined = fail.Usagef("not confirmed: nothing was changed")

// Validate checks the options before any IAM call (exit 2, nothing changed).
func (o *Options) Validate() error {
	switch {
	case o.All && o.UserName != "":
		return fail.Usagef("--user-name and --all exclude each other: migrate one user or all")
	case !o.All && o.UserName == "":
		return fail.Usagef("migrate needs --user-name NAME or --all")
	}
	checks := []struct {
		value string
		check func(string) error
	}{{o.UserName, provision.ValidateUserName}, {o.GroupName, provision.ValidateGroupName}, {o.PolicyName, provision.ValidatePolicyName}}
	for _, c := range checks {
		if c.value == "" {
			continue
		}
		if err := c.check(c.value); err != nil {
			return err
		}
	}
	if o.Concurrency < 0 || o.Concurrency > 32 {
		return fail.Usagef("--concurrency %d: give 1 to 32", o.Concurrency)
	}
	return nil
}

// Run is `sesprov migrate`. It reports one result per legacy user and a
// summary to opts.Report, and returns an error (exit 1) when a user failed,
// or a conflict (exit 3) when none failed but one needs a decision.
func Run(ctx context.Context, opts Options, deps Deps) (Summary, error) {
	if err := opts.Validate(); err != nil {
		return Summary{}, err
	}
	opts.GroupName = cmp.Or(opts.GroupName, provision.DefaultGroupName)
	opts.PolicyName = cmp.Or(opts.PolicyName, provision.DefaultPolicyName)
	opts.Concurrency = cmp.Or(opts.Concurrency, DefaultConcurrency)
	opts.Log = cmp.Or(opts.Log, redact.DiscardLogger())
	if opts.Report == nil {
		opts.Report = discard{}
	}
	m := &migrator{opts: opts, api: deps.IAM, sts: deps.STS}
	sum, err := m.run(ctx)
	sum.DryRun = opts.DryRun
	if m.reported {
		if werr := opts.Report.Summary(sum); werr != nil && err == nil {
			err = werr
		}
	}
	return sum, err
}

type migrator struct {
	opts Options
	api  iamapi.IAM
	sts  iamapi.STS

	reported bool // the per-user phase ran (or had nothing to do): a summary follows
}

func (m *migrator) run(ctx context.Context) (Summary, error) {
	var sum Summary
	// Observe: who needs migrating. Reads only.
	users, inspectFailed, err := m.discover(ctx)
	if err != nil {
		return sum, err
	}
	if len(users) == 0 && len(inspectFailed) == 0 {
		if m.opts.All {
			sum.AlreadyDone, err = m.countMembersExcept(ctx, nil)
		}
		m.reported = err == nil
		return sum, err
	}
	if err := m.confirm(users); err != nil {
		return sum, err
	}
	// Steps 1–9: the group and its grant, once, seen before any user's
	// inline policy is touched.
	if len(users) > 0 {
		changes, err := m.ensureGroup(ctx)
		sum.GroupChanges = nonNil(changes)
		if err != nil {
			return sum, err
		}
	}
	// Steps 10–16, per user.
	m.reported = true
	results, finished, werr := m.migrateAll(ctx, users, inspectFailed)
	failed, skipped := sum.count(append(inspectFailed, results...))
	if err := ctx.Err(); err != nil {
		return sum, fmt.Errorf("migrate interrupted with %d of %d users handled (each user is as it was or further along, and can send; run again to finish): %w", finished, len(users), err)
	}
	if werr != nil {
		return sum, fmt.Errorf("write the report: %w", werr)
	}
	if m.opts.All {
		// Members that are not legacy users were migrated before.
		members, err := m.countMembersExcept(ctx, names(users, inspectFailed))
		if err != nil {
			return sum, err
		}
		sum.AlreadyDone += members
	}
	switch {
	case len(failed) > 0:
		return sum, fmt.Errorf("%d of %d users failed (%s): each is as it was or further along and still can send; run the same command again", len(failed), len(users)+len(inspectFailed), strings.Join(failed, ", "))
	case len(skipped) > 0:
		return sum, fail.Conflictf("%d user(s) need a decision (%s): see the reasons above; nothing was changed for them", len(skipped), strings.Join(skipped, ", "))
	}
	return sum, nil
}

// confirm asks opts.Confirm, if set, before the first change of a real run.
func (m *migrator) confirm(users []provision.LegacyUser) error {
	if m.opts.Confirm == nil || m.opts.DryRun || len(users) == 0 {
		return nil
	}
	names := make([]string, len(users))
	for i, u := range users {
		names[i] = u.UserName
	}
	ok, err := m.opts.Confirm(names)
	if err != nil {
		return err
	}
	if !ok {
		return ErrDeclined
	}
	return nil
}

// discover finds the users to migrate: the one named, or every legacy user.
// Users whose reads failed come back as failed results.
func (m *migrator) discover(ctx context.Context) ([]provision.LegacyUser, []UserResult, error) {
	if !m.opts.All {
		lu, _, err := provision.InspectLegacyUser(ctx, m.api, m.opts.UserName, m.opts.PolicyName)
		if iamapi.HasCode(err, "NoSuchEntity") {
			return nil, nil, fail.Usagef("user %s does not exist (iam:ListUserPolicies answered NoSuchEntity); nothing was changed: check the name with 'sesprov list' or 'aws iam list-users'", m.opts.UserName)
		}
		if err != nil {
			return nil, nil, err
		}
		return []provision.LegacyUser{lu}, nil, nil
	}
	var users []provision.LegacyUser
	var failed []UserResult
	err := provision.DiscoverLegacyUsers(ctx, m.api, provision.DiscoverOptions{PolicyName: m.opts.PolicyName, Notices: m.opts.Notices}, func(u provision.LegacyUser, err error) error {
		if err != nil {
			failed = append(failed, UserResult{UserName: u.UserName, Outcome: Failed, Changes: []string{}, Reason: err.Error()})
			return nil
		}
		users = append(users, u)
		return nil
	})
	return users, failed, err
}

// names is the set of lower-case names of users and results.
func names(users []provision.LegacyUser, results []UserResult) map[string]bool {
	seen := make(map[string]bool, len(users)+len(results))
	for _, u := range users {
		seen[strings.ToLower(u.UserName)] = true
	}
	for _, r := range results {
		seen[strings.ToLower(r.UserName)] = true
	}
	return seen
}

// countMembersExcept counts the group's members not in except (lower-case
// names) with iam:GetGroup; 0 when the group does not exist.
func (m *migrator) countMembersExcept(ctx context.Context, except map[string]bool) (int, error) {
	n := 0
	pages := iam.NewGetGroupPaginator(m.api, &iam.GetGroupInput{GroupName: aws.String(m.opts.GroupName)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if iamapi.HasCode(err, "NoSuchEntity") {
			return 0, nil
		}
		if err != nil {
			return n, fmt.Errorf("iam:GetGroup %s (count its members): %w", m.opts.GroupName, err)
		}
		for _, u := range page.Users {
			if !except[strings.ToLower(aws.ToString(u.UserName))] {
				n++
			}
		}
	}
	return n, nil
}

// ensureGroup is steps 1–9: the managed policy, the group, the attachment
// (a group the console made with an inline group policy counts), then waits
// until the group's grant is seen. A group whose policy no longer allows
// sending stops the run before any user is touched.
func (m *migrator) ensureGroup(ctx context.Context) ([]string, error) {
	r := provision.NewRun(m.opts.DryRun, m.opts.Log)
	sa, err := provision.EnsureSendingAccess(ctx, m.api, provision.SendingAccessOptions{
		GroupName: m.opts.GroupName, PolicyName: m.opts.PolicyName, RepairPolicy: m.opts.RepairPolicy,
		STS: m.sts, Run: r,
	})
	for _, w := range sa.Warnings {
		m.opts.Notices.Warn("", "%s", w)
	}
	var changes []string
	for _, it := range sa.Plan {
		if it.Change {
			changes = append(changes, it.Text)
		}
	}
	if err != nil {
		return changes, fmt.Errorf("%w; no user was changed: fix this and run again", err)
	}
	if len(changes) > 0 {
		if err := m.opts.Report.Group(m.opts.GroupName, changes); err != nil {
			return changes, err
		}
	}
	if sa.Drifted && !sa.DriftGrantsSend && !sa.Repaired {
		return changes, fail.Conflictf("group %s does not grant %s: its policy %s was changed; no user was migrated (that would cut them off): run again with --repair-policy to restore it", m.opts.GroupName, policy.SendAction, sa.PolicyARN)
	}
	if m.opts.DryRun {
		return changes, nil
	}
	via, err := WaitForGroupGrant(ctx, m.api, m.opts.GroupName, m.opts.PolicyName)
	if err != nil {
		return changes, fmt.Errorf("%w; no user was changed: run again", err)
	}
	m.opts.Log.Info("group grant seen", "group", m.opts.GroupName, "via", via)
	return changes, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
