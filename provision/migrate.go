package provision

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/policy"
	"github.com/sesprov/sesprov/internal/redact"
)

// migrate: the seed's sixteen manual steps ("Migrating an SMTP user from an
// existing inline policy to a group policy"), for one user or the account.
//
// The invariant: at no moment does a user lack ses:SendRawEmail. So, per
// user and in the seed's order: the group and its grant exist and are seen
// (steps 1–9), the user is added to the group (11–12), the membership is
// seen (13), only then the inline policy is deleted (14), and last the
// console's tag is removed (15–16). Each step is one IAM call, safe to
// repeat; a run cut short anywhere leaves the user as it was or further
// along, and the next run finishes.

// DefaultMigrateConcurrency bounds the users migrated at once: each makes
// up to six IAM calls, half of them writes.
const DefaultMigrateConcurrency = 4

// MigrateInput is what migrate was asked to do.
type MigrateInput struct {
	UserName     string // one user; or All
	All          bool   // every legacy user of the account
	GroupName    string // default DefaultGroupName
	PolicyName   string // the legacy inline policy, and the group's managed policy; default DefaultPolicyName
	RepairPolicy bool   // repair a drifted managed policy (as create-user --repair-policy)
	Force        bool   // delete an inline policy holding more than the standard statement; add a tagged user with no SES access
	DryRun       bool
	Concurrency  int // users at once; default DefaultMigrateConcurrency
	Format       output.Format

	// Confirm, when set, is asked after discovery and before the first
	// change, with the users about to be migrated. No: nothing is changed.
	Confirm func(users []string) (bool, error)
}

// MigrateDeps are migrate's dependencies.
type MigrateDeps struct {
	IAM    iamapi.IAM
	STS    iamapi.STS
	Stdout io.Writer
	Stderr io.Writer // warnings for a person
	Log    *slog.Logger
}

// MigrateOutcome is what became of one user.
type MigrateOutcome string

// The outcomes a summary counts.
const (
	MigrateMigrated     MigrateOutcome = "migrated"
	MigrateWouldMigrate MigrateOutcome = "would_migrate" // dry run
	MigrateAlreadyDone  MigrateOutcome = "already_done"
	MigrateSkipped      MigrateOutcome = "skipped" // needs a decision; nothing changed
	MigrateFailed       MigrateOutcome = "failed"  // an IAM call failed; the user is as it was or further along
)

// MigrateResult is one user's line of migrate's report.
type MigrateResult struct {
	UserName string         `json:"user_name"`
	Outcome  MigrateOutcome `json:"outcome"`
	Changes  []string       `json:"changes"`          // made, in order (planned, in a dry run)
	Reason   string         `json:"reason,omitempty"` // why skipped, or the error
}

// MigrateSummary counts the outcomes.
type MigrateSummary struct {
	DryRun       bool     `json:"dry_run"`
	Migrated     int      `json:"migrated"`
	AlreadyDone  int      `json:"already_done"`
	Skipped      int      `json:"skipped"`
	Failed       int      `json:"failed"`
	GroupChanges []string `json:"group_changes"`
}

// ErrMigrateDeclined is returned when the operator answers no at the prompt.
var ErrMigrateDeclined = fail.Usagef("not confirmed: nothing was changed")

// Validate checks the input before any IAM call (exit 2, nothing changed).
func (in *MigrateInput) Validate() error {
	switch {
	case in.All && in.UserName != "":
		return fail.Usagef("--user-name and --all exclude each other: migrate one user or all")
	case !in.All && in.UserName == "":
		return fail.Usagef("migrate needs --user-name NAME or --all")
	}
	if in.UserName != "" {
		if err := ValidateUserName(in.UserName); err != nil {
			return err
		}
	}
	if in.GroupName != "" {
		if err := ValidateGroupName(in.GroupName); err != nil {
			return err
		}
	}
	if in.PolicyName != "" {
		if err := ValidatePolicyName(in.PolicyName); err != nil {
			return err
		}
	}
	if in.Concurrency < 0 || in.Concurrency > 32 {
		return fail.Usagef("--concurrency %d: give 1 to 32", in.Concurrency)
	}
	if in.Format == "" {
		in.Format = output.FormatTable
	}
	if in.Format != output.FormatTable && in.Format != output.FormatJSON {
		return fail.Usagef("migrate prints table or json, not %s", in.Format)
	}
	return nil
}

// Migrate is `sesprov migrate`. It prints one line per legacy user and a
// summary, and returns an error (exit 1) when a user failed, or a conflict
// (exit 3) when none failed but one needs a decision.
func Migrate(ctx context.Context, in MigrateInput, deps MigrateDeps) (MigrateSummary, error) {
	if err := in.Validate(); err != nil {
		return MigrateSummary{}, err
	}
	in.GroupName = defaultTo(in.GroupName, DefaultGroupName)
	in.PolicyName = defaultTo(in.PolicyName, DefaultPolicyName)
	if in.Concurrency == 0 {
		in.Concurrency = DefaultMigrateConcurrency
	}
	if deps.Log == nil {
		deps.Log = redact.DiscardLogger()
	}
	if deps.Stderr == nil {
		deps.Stderr = io.Discard
	}
	m := &migrator{in: in, deps: deps, api: deps.IAM}
	m.w = newMigrateWriter(deps.Stdout, in.Format, in.DryRun)
	sum, err := m.run(ctx)
	sum.DryRun = in.DryRun
	if m.reported {
		if werr := m.w.summary(sum); werr != nil && err == nil {
			err = werr
		}
	}
	return sum, err
}

type migrator struct {
	in   MigrateInput
	deps MigrateDeps
	api  iamapi.IAM
	w    *migrateWriter

	reported bool // the per-user phase ran (or had nothing to do): a summary follows
}

func (m *migrator) run(ctx context.Context) (MigrateSummary, error) {
	var sum MigrateSummary
	// Observe: who needs migrating. Reads only.
	users, inspectFailed, err := m.discover(ctx)
	if err != nil {
		return sum, err
	}
	if len(users) == 0 && len(inspectFailed) == 0 {
		if m.in.All {
			sum.AlreadyDone, err = m.countMembersExcept(ctx, nil)
		}
		m.reported = err == nil
		return sum, err
	}

	if m.in.Confirm != nil && !m.in.DryRun && len(users) > 0 {
		names := make([]string, len(users))
		for i, u := range users {
			names[i] = u.UserName
		}
		ok, err := m.in.Confirm(names)
		if err != nil {
			return sum, err
		}
		if !ok {
			return sum, ErrMigrateDeclined
		}
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

	// Steps 10–16, per user, a few users at once, reported in order.
	m.reported = true
	results := make([]MigrateResult, len(users))
	done := make([]bool, len(users))
	var mu sync.Mutex
	next, werr := 0, error(nil)
	for _, r := range inspectFailed {
		if err := m.w.user(r); err != nil && werr == nil {
			werr = err
		}
	}
	ForEach(ctx, len(users), m.in.Concurrency, func(ctx context.Context, i int) {
		res := m.migrateUser(ctx, users[i])
		mu.Lock()
		defer mu.Unlock()
		results[i], done[i] = res, true
		for next < len(users) && done[next] {
			if err := m.w.user(results[next]); err != nil && werr == nil {
				werr = err
			}
			next++
		}
	})

	// Interrupted: users that finished after one that never started are
	// reported too.
	finished := 0
	for i := range users {
		if !done[i] {
			continue
		}
		finished++
		if i >= next {
			if err := m.w.user(results[i]); err != nil && werr == nil {
				werr = err
			}
		}
	}

	var failed, skipped []string
	for _, r := range append(inspectFailed, results...) {
		switch r.Outcome {
		case MigrateMigrated, MigrateWouldMigrate:
			sum.Migrated++
		case MigrateAlreadyDone:
			sum.AlreadyDone++
		case MigrateSkipped:
			sum.Skipped++
			skipped = append(skipped, r.UserName)
		case MigrateFailed:
			sum.Failed++
			failed = append(failed, r.UserName)
		}
	}
	if err := ctx.Err(); err != nil {
		return sum, fmt.Errorf("migrate interrupted with %d of %d users handled (each user is as it was or further along, and can send; run again to finish): %w", finished, len(users), err)
	}
	if werr != nil {
		return sum, fmt.Errorf("write the report: %w", werr)
	}
	if m.in.All {
		// Members that are not legacy users were migrated before.
		seen := make(map[string]bool, len(users))
		for _, u := range users {
			seen[strings.ToLower(u.UserName)] = true
		}
		for _, r := range inspectFailed {
			seen[strings.ToLower(r.UserName)] = true
		}
		members, err := m.countMembersExcept(ctx, seen)
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

// discover finds the users to migrate: the one named, or every legacy user.
// Users whose reads failed come back as failed results.
func (m *migrator) discover(ctx context.Context) ([]LegacyUser, []MigrateResult, error) {
	if !m.in.All {
		lu, _, err := InspectLegacyUser(ctx, m.api, m.in.UserName, m.in.PolicyName)
		if iamapi.HasCode(err, "NoSuchEntity") {
			return nil, nil, fail.Usagef("user %s does not exist (iam:ListUserPolicies answered NoSuchEntity); nothing was changed: check the name with 'sesprov list' or 'aws iam list-users'", m.in.UserName)
		}
		if err != nil {
			return nil, nil, err
		}
		return []LegacyUser{lu}, nil, nil
	}
	var users []LegacyUser
	var failed []MigrateResult
	err := DiscoverLegacyUsers(ctx, m.api, DiscoverOptions{PolicyName: m.in.PolicyName}, func(u LegacyUser, err error) error {
		if err != nil {
			failed = append(failed, MigrateResult{UserName: u.UserName, Outcome: MigrateFailed, Changes: []string{}, Reason: err.Error()})
			return nil
		}
		users = append(users, u)
		return nil
	})
	return users, failed, err
}

// countMembersExcept counts the group's members not in except (lower-case
// names) with iam:GetGroup; 0 when the group does not exist.
func (m *migrator) countMembersExcept(ctx context.Context, except map[string]bool) (int, error) {
	n := 0
	pages := iam.NewGetGroupPaginator(m.api, &iam.GetGroupInput{GroupName: aws.String(m.in.GroupName)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if iamapi.HasCode(err, "NoSuchEntity") {
			return 0, nil
		}
		if err != nil {
			return n, fmt.Errorf("iam:GetGroup %s (count its members): %w", m.in.GroupName, err)
		}
		for _, u := range page.Users {
			if !except[strings.ToLower(aws.ToString(u.UserName))] {
				n++
			}
		}
	}
	return n, nil
}

// ensureGroup is the seed's steps 1–9: the managed policy, the group, the
// attachment (a group the console made with an inline group policy counts),
// then waits until the group's grant is seen. A group whose policy no longer
// allows sending stops the run before any user is touched.
func (m *migrator) ensureGroup(ctx context.Context) ([]string, error) {
	r := NewRun(m.in.DryRun, m.deps.Log)
	sa, err := EnsureSendingAccess(ctx, m.api, SendingAccessOptions{
		GroupName: m.in.GroupName, PolicyName: m.in.PolicyName, RepairPolicy: m.in.RepairPolicy,
		STS: m.deps.STS, Run: r,
	})
	for _, w := range sa.Warnings {
		fmt.Fprintf(m.deps.Stderr, "sesprov: warning: %s\n", w)
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
		if err := m.w.group(m.in.GroupName, changes); err != nil {
			return changes, err
		}
	}
	if sa.Drifted && !sa.DriftGrantsSend && !sa.Repaired {
		return changes, fail.Conflictf("group %s does not grant %s: its policy %s was changed; no user was migrated (that would cut them off): run again with --repair-policy to restore it", m.in.GroupName, policy.SendAction, sa.PolicyARN)
	}
	if m.in.DryRun {
		return changes, nil
	}
	via, err := WaitForGroupGrant(ctx, m.api, m.in.GroupName, m.in.PolicyName)
	if err != nil {
		return changes, fmt.Errorf("%w; no user was changed: run again", err)
	}
	m.deps.Log.Info("group grant seen", "group", m.in.GroupName, "via", via)
	return changes, nil
}

// WaitForGroupGrant waits, within the consistency bound, until group is
// seen to grant ses:SendRawEmail through an attached managed policy's
// default version or an inline group policy, and says which. The policy
// named policyName (the one EnsureSendingAccess ensures) is read first.
func WaitForGroupGrant(ctx context.Context, api iamapi.IAM, group, policyName string) (string, error) {
	var via string
	notYet := &smithy.GenericAPIError{Code: "NoSuchEntity", Message: "no policy granting " + policy.SendAction + " is visible yet"}
	err := iamapi.WaitConsistent(ctx, func() error {
		var ok bool
		var err error
		via, ok, err = GroupGrantsSend(ctx, api, group, policyName)
		if err == nil && !ok && via != "" {
			// A Deny, or only a conditional Allow: not a lag to wait out.
			return fail.Conflictf("%s", via)
		}
		if err == nil && !ok {
			return notYet
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("confirm that group %s grants %s: %w", group, policy.SendAction, err)
	}
	return via, nil
}

// GroupGrantsSend reads whether group grants ses:SendRawEmail: an attached
// managed policy whose default version allows it (iam:ListAttachedGroupPolicies,
// iam:GetPolicy, iam:GetPolicyVersion), or an inline group policy that does
// (iam:ListGroupPolicies, iam:GetGroupPolicy), and none of them denies it.
// Every policy is read: an explicit Deny in any of them wins. It is stricter
// than PolicyGrantsSend because migrate removes a user's own grant on its
// word: an Allow with a Condition is not counted as a grant (the condition
// may not hold for the user's sending), and a Deny counts whatever its
// condition. Resources are not evaluated. Policies named policyName are read
// first; another policy the caller may not read (AccessDenied: an operator
// policy scoped to the sending policy) is passed over. via names the policy
// that grants, or (ok false) the one that denies or only grants with a
// condition, when there is one.
func GroupGrantsSend(ctx context.Context, api iamapi.IAM, group, policyName string) (via string, ok bool, err error) {
	type attachedPolicy struct{ arn, name string }
	var attached []attachedPolicy
	pages := iam.NewListAttachedGroupPoliciesPaginator(api, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String(group)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", false, fmt.Errorf("iam:ListAttachedGroupPolicies %s: %w", group, err)
		}
		for _, p := range page.AttachedPolicies {
			attached = append(attached, attachedPolicy{aws.ToString(p.PolicyArn), aws.ToString(p.PolicyName)})
		}
	}
	slices.SortStableFunc(attached, func(a, b attachedPolicy) int {
		return preferName(a.name, b.name, policyName)
	})
	var grant, conditional, deny string
	see := func(name, doc string) {
		e, err := policy.EvalSend(doc)
		switch {
		case err != nil:
		case e.Deny && deny == "":
			deny = name
		case e.Allow && grant == "":
			grant = name
		case e.CondAllow && conditional == "":
			conditional = name
		}
	}
	for _, p := range attached {
		mine := strings.EqualFold(p.name, policyName)
		pol, err := api.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(p.arn)})
		if err != nil {
			if !mine && iamapi.HasCode(err, "AccessDenied") {
				continue
			}
			return "", false, fmt.Errorf("iam:GetPolicy %s: %w", p.arn, err)
		}
		v, err := api.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(p.arn), VersionId: pol.Policy.DefaultVersionId})
		if err != nil {
			if !mine && iamapi.HasCode(err, "AccessDenied") {
				continue
			}
			return "", false, fmt.Errorf("iam:GetPolicyVersion %s %s: %w", p.arn, aws.ToString(pol.Policy.DefaultVersionId), err)
		}
		see("managed policy "+p.arn, aws.ToString(v.PolicyVersion.Document))
	}
	var names []string
	inline := iam.NewListGroupPoliciesPaginator(api, &iam.ListGroupPoliciesInput{GroupName: aws.String(group)})
	for inline.HasMorePages() {
		page, err := inline.NextPage(ctx)
		if err != nil {
			return "", false, fmt.Errorf("iam:ListGroupPolicies %s: %w", group, err)
		}
		names = append(names, page.PolicyNames...)
	}
	slices.SortStableFunc(names, func(a, b string) int { return preferName(a, b, policyName) })
	for _, n := range names {
		out, err := api.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String(n)})
		if err != nil {
			return "", false, fmt.Errorf("iam:GetGroupPolicy %s of group %s: %w", n, group, err)
		}
		see("inline group policy "+n, aws.ToString(out.PolicyDocument))
	}
	switch {
	case deny != "":
		return deny + " denies it", false, nil
	case grant != "":
		return grant, true, nil
	case conditional != "":
		return conditional + " allows it only with a condition", false, nil
	}
	return "", false, nil
}

// preferName orders names equal to want (case-insensitively) first.
func preferName(a, b, want string) int {
	ai, bi := strings.EqualFold(a, want), strings.EqualFold(b, want)
	switch {
	case ai && !bi:
		return -1
	case bi && !ai:
		return 1
	}
	return 0
}

// migrateUser is the seed's steps 10–16 for one user. It never returns an
// error: the outcome and its reason are the result.
func (m *migrator) migrateUser(ctx context.Context, u LegacyUser) MigrateResult {
	res := MigrateResult{UserName: u.UserName, Changes: []string{}}
	err := m.migrateSteps(ctx, u, &res)
	if err != nil {
		res.Outcome, res.Reason = MigrateFailed, err.Error()
		if len(res.Changes) > 0 {
			res.Reason += " (made so far: " + strings.Join(res.Changes, "; ") + ")"
		}
		m.deps.Log.Warn("migrate failed", "user", u.UserName, "err", err)
	}
	return res
}

func (m *migrator) migrateSteps(ctx context.Context, u LegacyUser, res *MigrateResult) error {
	api, name, group := m.api, u.UserName, m.in.GroupName
	r := NewRun(m.in.DryRun, m.deps.Log.With("user", name))
	// did records a change made, worded as done, or in a dry run as to do.
	did := func(done, todo string) {
		if r.DryRun {
			done = todo
		}
		res.Changes = append(res.Changes, done)
	}

	// Observe.
	var doc string
	if u.InlinePolicy != "" {
		out, err := api.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String(u.InlinePolicy)})
		switch {
		case iamapi.HasCode(err, "NoSuchEntity"):
			u.InlinePolicy = "" // deleted since discovery
		case err != nil:
			return fmt.Errorf("iam:GetUserPolicy %s of user %s: %w; nothing was changed", u.InlinePolicy, name, err)
		default:
			doc = aws.ToString(out.PolicyDocument)
		}
	}
	member, err := iamapi.UserInGroup(ctx, api, name, group)
	if err != nil {
		return fmt.Errorf("%w; nothing was changed", err)
	}

	// Decide.
	standard := u.InlinePolicy == "" || policy.IsStandard(doc)
	switch {
	case !u.Legacy() && member:
		res.Outcome, res.Reason = MigrateAlreadyDone, fmt.Sprintf("in group %s; no inline policy %s, no %s=%s tag", group, m.in.PolicyName, TagConsoleKey, TagConsoleValue)
		return nil
	case !u.Legacy():
		res.Outcome, res.Reason = MigrateSkipped, fmt.Sprintf("not a legacy SMTP user (no inline policy %s, no %s=%s tag, not in group %s): nothing to migrate; 'sesprov create-user' makes SMTP users", m.in.PolicyName, TagConsoleKey, TagConsoleValue, group)
		return nil
	case !standard && !m.in.Force:
		res.Outcome, res.Reason = MigrateSkipped, fmt.Sprintf("inline policy %s holds more than the standard statement (Allow %s on \"*\"): %s; kept, and the user left as it is: review it, or run with --force to delete it anyway", u.InlinePolicy, policy.SendAction, describePolicy(doc))
		return nil
	case u.InlinePolicy == "" && !member && !m.in.Force:
		res.Outcome, res.Reason = MigrateSkipped, fmt.Sprintf("tagged %s=%s but has no SES access (no inline policy %s, not in group %s): not granted one without a decision; run with --force to add it to the group", TagConsoleKey, TagConsoleValue, m.in.PolicyName, group)
		return nil
	}

	// Act, in the seed's order.
	if !member {
		if r.Plan("add user %s to group %s", name, group) {
			if err := iamapi.AddUserToGroupChecked(ctx, api, name, group); err != nil {
				return fmt.Errorf("%w; the inline policy was kept, the user can still send: run again", err)
			}
		}
		note := ""
		if u.InlinePolicy == "" {
			note = " (it had no SES access: --force)"
		}
		did("added to group "+group+note, "add to group "+group+note)
	}
	if u.InlinePolicy != "" {
		// Step 13: the membership must be seen before the inline policy goes.
		// (Observed above when it was already a member.)
		if !member && !r.DryRun {
			if err := iamapi.WaitForGroupMembership(ctx, api, name, group); err != nil {
				return fmt.Errorf("%w; the inline policy %s was kept, the user can still send: run again", err, u.InlinePolicy)
			}
		}
		// The group's grant was seen once, before the first user; it can
		// change while a run goes on (someone edits the sending policy).
		// Seen again right before this user's own grant goes.
		if !r.DryRun {
			via, ok, err := GroupGrantsSend(ctx, api, group, m.in.PolicyName)
			if err != nil {
				return fmt.Errorf("check again that group %s grants %s: %w; the inline policy %s was kept, the user can still send: run again", group, policy.SendAction, err, u.InlinePolicy)
			}
			if !ok {
				why := "no policy of the group allows it any more"
				if via != "" {
					why = via
				}
				return fail.Conflictf("group %s no longer grants %s (%s); the inline policy %s was kept, the user can still send: fix the group's policy (--repair-policy restores the standard one) and run again", group, policy.SendAction, why, u.InlinePolicy)
			}
		}
		note := ""
		if !standard {
			note = " (it held more than the standard statement: --force)"
		}
		if r.Plan("delete inline policy %s of user %s", u.InlinePolicy, name) {
			_, err := api.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String(u.InlinePolicy)})
			if err != nil && !iamapi.HasCode(err, "NoSuchEntity") {
				return fmt.Errorf("iam:DeleteUserPolicy %s of user %s: %w; the user is in group %s and can send: run again to finish", u.InlinePolicy, name, err, group)
			}
		}
		did("deleted inline policy "+u.InlinePolicy+note, "delete inline policy "+u.InlinePolicy+note)
	}
	if u.ConsoleTag {
		if r.Plan("remove tag %s=%s from user %s", TagConsoleKey, TagConsoleValue, name) {
			_, err := api.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String(name), TagKeys: []string{TagConsoleKey}})
			if err != nil && !iamapi.HasCode(err, "NoSuchEntity") {
				return fmt.Errorf("iam:UntagUser %s (tag %s): %w; the user is in group %s and can send: run again to finish", name, TagConsoleKey, err, group)
			}
		}
		tag := TagConsoleKey + "=" + TagConsoleValue
		did("removed tag "+tag, "remove tag "+tag)
	}
	res.Outcome = MigrateMigrated
	if r.DryRun {
		res.Outcome = MigrateWouldMigrate
	}
	return nil
}

// describePolicy summarises what a non-standard policy says, for the
// report: its statements' effects and actions, never more than a line.
func describePolicy(doc string) string {
	p, err := policy.ParseDocument(doc)
	if err != nil {
		return "unreadable document"
	}
	var parts []string
	for _, st := range p.Statement {
		s := st.Effect + " " + strings.Join(st.Action, ",")
		if len(st.NotAction) > 0 {
			s = st.Effect + " all but " + strings.Join(st.NotAction, ",")
		}
		if len(st.Condition) > 0 {
			s += " with a condition"
		}
		if len(st.Resource) > 0 && !(len(st.Resource) == 1 && st.Resource[0] == "*") {
			s += " on " + strings.Join(st.Resource, ",")
		}
		parts = append(parts, s)
	}
	if len(parts) > 4 {
		parts = append(parts[:4], fmt.Sprintf("%d more", len(parts)-4))
	}
	return fmt.Sprintf("%d statement(s): %s", len(p.Statement), strings.Join(parts, "; "))
}

func defaultTo(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// migrateWriter prints migrate's report: a line per user as it finishes,
// then the summary. JSON: one object per user per line, then
// {"summary":{…}}.
type migrateWriter struct {
	w      io.Writer
	format output.Format
	dryRun bool
}

func newMigrateWriter(w io.Writer, f output.Format, dryRun bool) *migrateWriter {
	if w == nil {
		w = io.Discard
	}
	mw := &migrateWriter{w: w, format: f, dryRun: dryRun}
	if dryRun && f == output.FormatTable {
		fmt.Fprintln(w, "dry run: nothing was changed. What migrate would do:")
	}
	return mw
}

func (mw *migrateWriter) group(group string, changes []string) error {
	if mw.format == output.FormatJSON {
		return nil // in the summary's group_changes
	}
	verb := "group " + group + ": "
	_, err := fmt.Fprintf(mw.w, "%s%s\n", verb, strings.Join(changes, "; "))
	return err
}

var outcomeLabel = map[MigrateOutcome]string{
	MigrateMigrated:     "migrated",
	MigrateWouldMigrate: "would migrate",
	MigrateAlreadyDone:  "already done",
	MigrateSkipped:      "SKIPPED",
	MigrateFailed:       "FAILED",
}

func (mw *migrateWriter) user(r MigrateResult) error {
	if mw.format == output.FormatJSON {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = mw.w.Write(append(b, '\n'))
		return err
	}
	detail := strings.Join(r.Changes, "; ")
	if r.Reason != "" {
		if detail != "" && r.Outcome != MigrateFailed {
			detail += "; "
		}
		if r.Outcome == MigrateFailed {
			detail = r.Reason
		} else {
			detail += r.Reason
		}
	}
	_, err := fmt.Fprintf(mw.w, "%s: %s: %s\n", r.UserName, outcomeLabel[r.Outcome], detail)
	return err
}

func (mw *migrateWriter) summary(s MigrateSummary) error {
	if mw.format == output.FormatJSON {
		s.GroupChanges = nonNil(s.GroupChanges)
		b, err := json.Marshal(struct {
			Summary MigrateSummary `json:"summary"`
		}{s})
		if err != nil {
			return err
		}
		_, err = mw.w.Write(append(b, '\n'))
		return err
	}
	migrated := "migrated"
	if s.DryRun {
		migrated = "would migrate"
	}
	_, err := fmt.Fprintf(mw.w, "summary: %s %d, already done %d, skipped %d, failed %d\n", migrated, s.Migrated, s.AlreadyDone, s.Skipped, s.Failed)
	return err
}
