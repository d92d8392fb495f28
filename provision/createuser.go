package provision

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/policy"
	"github.com/sesprov/sesprov/internal/redact"
	"github.com/sesprov/sesprov/internal/tty"
)

// DefaultUserName is the console's default SMTP user name,
// ses-smtp-user.YYYYMMDD-HHMMSS. sesprov uses UTC where the console uses the
// browser's local time: the name then sorts with CloudTrail's timestamps and
// does not depend on the machine that ran sesprov.
func DefaultUserName(now time.Time) string {
	return "ses-smtp-user." + now.UTC().Format("20060102-150405")
}

// CreateUserInput is what create-user was asked to do.
type CreateUserInput struct {
	UserNames           []string // one user, or a batch (--from); empty: one user with DefaultUserName
	Regions             []derive.Region
	Path                string // default "/"
	Tags                []Tag
	PermissionsBoundary string // managed policy ARN, optional
	GroupName           string // default DefaultGroupName
	PolicyName          string // default DefaultPolicyName
	RepairPolicy        bool
	DryRun              bool
	Dest                deliver.Destination // zero: stdout
	IncludeSecretKey    bool
	Format              output.Format
	Batch               bool // --from: concurrent, per-user outcomes (batch.go)
	Concurrency         int  // batch workers; 0: DefaultConcurrency
}

// CreateUserDeps are create-user's dependencies.
type CreateUserDeps struct {
	IAM    iamapi.IAM
	STS    iamapi.STS
	Stdout io.Writer
	Stderr io.Writer // notes and warnings for a person; never secrets
	Log    *slog.Logger
	Now    func() time.Time // default time.Now
	// Limiter is the clients' rate limiter, for the batch's summary (may be nil).
	Limiter *iamapi.AdaptiveLimiter
}

// Validate checks every input before any IAM call: bad input is a usage
// error (exit 2) and changes nothing.
func (in *CreateUserInput) Validate() error {
	if len(in.Regions) == 0 {
		return fail.Usagef("no region given: pass --regions R1,R2")
	}
	seen := map[string]bool{}
	for _, u := range in.UserNames {
		if err := ValidateUserName(u); err != nil {
			return err
		}
		if k := strings.ToLower(u); seen[k] {
			return fail.Usagef("user %q is listed twice (IAM names are case-insensitive)", u)
		} else {
			seen[k] = true
		}
	}
	if in.Path != "" {
		if err := ValidatePath(in.Path); err != nil {
			return err
		}
	}
	if err := ValidateTags(in.Tags); err != nil {
		return err
	}
	if in.PermissionsBoundary != "" {
		if err := ValidatePolicyARN(in.PermissionsBoundary); err != nil {
			return fail.AsUsage(fmt.Errorf("--permissions-boundary: %w", err))
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
	if err := in.Dest.Check(in.UserNames); err != nil {
		return err
	}
	return nil
}

// CreateUser is create-user: for each user, the sending group and policy (once),
// the user, its membership, its access key, and its SMTP password per region,
// delivered to stdout or the out-file. See docs/design.md.
func CreateUser(ctx context.Context, in CreateUserInput, deps CreateUserDeps) error {
	if err := in.Validate(); err != nil {
		return err
	}
	if deps.Log == nil {
		deps.Log = redact.DiscardLogger()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Stderr == nil {
		deps.Stderr = io.Discard
	}
	defaultName := len(in.UserNames) == 0
	if defaultName {
		in.UserNames = []string{DefaultUserName(deps.Now())}
	}
	if in.Path == "" {
		in.Path = "/"
	}
	if in.GroupName == "" {
		in.GroupName = DefaultGroupName
	}
	if in.PolicyName == "" {
		in.PolicyName = DefaultPolicyName
	}

	// A permissions boundary that does not exist is bad input: found by a
	// read before any change, not by CreateUser after the shared ones.
	if in.PermissionsBoundary != "" {
		if err := checkBoundaryExists(ctx, deps.IAM, in.PermissionsBoundary, deps.Stderr); err != nil {
			return err
		}
	}

	// The destination exists before IAM changes: a run that cannot deliver
	// a secret never makes it.
	d, err := deliver.Open(in.Dest, deliver.Options{
		Format: in.Format, IncludeSecretKey: in.IncludeSecretKey,
		Stdout: deps.Stdout, Stderr: deps.Stderr, Users: in.UserNames, DryRun: in.DryRun,
	})
	if err != nil {
		return err
	}
	r := NewRun(in.DryRun, deps.Log)

	if in.Batch && !in.DryRun {
		return runBatch(ctx, &in, &deps, d) // batch.go
	}

	// One user (not a dry run): the user comes first. CreateUser is needed
	// anyway, and when the user exists with a key the run ends in a conflict
	// before it changes the shared group and policy. A user this makes is
	// left key-less and outside the group if the steps below fail; the same
	// command run again completes it. (Checking with GetUser first would
	// cost a call per run: see TestCreateUserCallBudget.) A batch keeps the
	// shared setup first.
	var first *userJob
	if len(in.UserNames) == 1 && !in.DryRun {
		first = &userJob{in: &in, deps: &deps, name: in.UserNames[0], defaultName: defaultName, d: d,
			access: SendingAccess{GroupName: in.GroupName, PolicyName: in.PolicyName}}
		if err := r.Execute(ctx, []Step{{"user", first.ensureUser}}); err != nil {
			d.Abort()
			return err
		}
	}

	sa, err := EnsureSendingAccess(ctx, deps.IAM, SendingAccessOptions{
		GroupName: in.GroupName, PolicyName: in.PolicyName, RepairPolicy: in.RepairPolicy,
		STS: deps.STS, Run: r,
	})
	for _, w := range sa.Warnings {
		fmt.Fprintf(deps.Stderr, "sesprov: warning: %s\n", w)
	}
	if err == nil && !in.DryRun {
		err = cannotSend(&in, sa)
	}
	if err != nil {
		d.Abort()
		return err
	}
	if in.Batch {
		return planBatch(ctx, &in, &deps, sa, r) // batch.go: a batch's dry run
	}

	var failed, conflicts []string
	var firstErr error
	for _, name := range in.UserNames {
		j := &userJob{in: &in, deps: &deps, name: name, defaultName: defaultName, access: sa, d: d}
		steps := []Step{
			{"user", j.ensureUser},
			{"group membership", j.ensureMembership},
			{"access key and delivery", j.keyAndDeliver},
		}
		if first != nil { // the user step is done
			first.access = sa
			j, steps = first, []Step{{"group membership", first.ensureMembership}, {"access key and delivery", first.keyAndDeliver}}
			name = j.name
		}
		err := r.Execute(ctx, steps)
		if err == nil {
			continue
		}
		if firstErr == nil {
			firstErr = err
		}
		if fail.KindOf(err) == fail.KindConflict {
			conflicts = append(conflicts, name)
		} else {
			failed = append(failed, name)
		}
		if len(in.UserNames) > 1 {
			fmt.Fprintf(deps.Stderr, "sesprov: %s: %v\n", name, err)
		}
		if ctx.Err() != nil {
			break
		}
	}

	if in.DryRun {
		if perr := printPlan(deps.Stdout, in.Format, r.Planned()); perr != nil && firstErr == nil {
			firstErr = perr
		}
	} else if cerr := d.Close(); cerr != nil && firstErr == nil {
		firstErr = cerr
	}
	reportDelivered(deps.Stderr, d)
	switch {
	case firstErr == nil:
		return nil
	case len(in.UserNames) == 1 || ctx.Err() != nil:
		return firstErr
	case len(failed) > 0:
		return fmt.Errorf("%d of %d users failed (%s); %d conflict(s); every step is safe to repeat: run again for the failed users", len(failed), len(in.UserNames), strings.Join(failed, ", "), len(conflicts))
	default:
		return fail.Conflictf("%d of %d users need a decision (%s): see above", len(conflicts), len(in.UserNames), strings.Join(conflicts, ", "))
	}
}

// reportDelivered says where credentials that did not go to stdout went.
func reportDelivered(w io.Writer, d *deliver.Deliverer) {
	n := d.Delivered()
	switch dest := d.Destination(); {
	case n == 0 || dest.Kind == deliver.KindStdout:
	case dest.Kind == deliver.KindFile:
		fmt.Fprintf(w, "sesprov: credentials of %d user(s) written to %s (mode 0600)\n", n, dest)
	default:
		fmt.Fprintf(w, "sesprov: credentials of %d user(s) delivered to %s\n", n, dest)
	}
}

// userJob is the typed state of one user's steps.
type userJob struct {
	in     *CreateUserInput
	deps   *CreateUserDeps
	name   string
	access SendingAccess
	d      *deliver.Deliverer

	batch       *batchJob // set in a batch (batch.go)
	defaultName bool      // name is DefaultUserName, not asked for: never adopt a user of that name

	arn     string
	created bool     // made by this run (or planned, in a dry run)
	keys    []string // the user's keys before ours (empty, or the run stops)
}

func (j *userJob) tags() []types.Tag {
	tags := []types.Tag{{Key: aws.String(TagCreatedBy), Value: aws.String(TagCreatedByValue)}}
	for _, t := range j.in.Tags {
		tags = append(tags, types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	return tags
}

func (j *userJob) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "create user %s (path %s, tag %s=%s", j.name, j.in.Path, TagCreatedBy, TagCreatedByValue)
	for _, t := range j.in.Tags {
		fmt.Fprintf(&b, ", tag %s=%s", t.Key, t.Value)
	}
	if j.in.PermissionsBoundary != "" {
		fmt.Fprintf(&b, ", permissions boundary %s", j.in.PermissionsBoundary)
	}
	b.WriteString(")")
	return b.String()
}

// ensureUser makes the user in one call (name, path, tags and boundary
// together), or finds the one an earlier run left.
func (j *userJob) ensureUser(ctx context.Context, r *Run) error {
	api := j.deps.IAM
	if r.DryRun {
		out, err := api.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(j.name)})
		if iamapi.HasCode(err, "NoSuchEntity") {
			j.created = true
			r.Plan("%s", j.describe())
			return nil
		}
		if err != nil {
			return fmt.Errorf("iam:GetUser %s: %w", j.name, err)
		}
		return j.adopt(ctx, r, out.User)
	}
	r.Plan("%s", j.describe())
	in := &iam.CreateUserInput{UserName: aws.String(j.name), Path: aws.String(j.in.Path), Tags: j.tags()}
	if j.in.PermissionsBoundary != "" {
		in.PermissionsBoundary = aws.String(j.in.PermissionsBoundary)
	}
	out, err := api.CreateUser(ctx, in)
	// A default name (one-second resolution) taken by another run of the
	// same second is not a user to complete: take another name.
	for try := 0; j.defaultName && iamapi.HasCode(err, "EntityAlreadyExists") && try < defaultNameTries; try++ {
		taken := j.name
		j.name = DefaultUserName(j.deps.Now()) + "-" + randomSuffix()
		j.d.Align([]string{j.name})
		fmt.Fprintf(j.deps.Stderr, "sesprov: user %s exists (another run in the same second); using %s\n", taken, j.name)
		in.UserName = aws.String(j.name)
		out, err = api.CreateUser(ctx, in)
	}
	if err == nil {
		j.created, j.arn = true, aws.ToString(out.User.Arn)
		return nil
	}
	if j.defaultName && iamapi.HasCode(err, "EntityAlreadyExists") {
		return fmt.Errorf("iam:CreateUser %s: %w (every default name tried is taken: pass --user-name)", j.name, err)
	}
	if !iamapi.HasCode(err, "EntityAlreadyExists") {
		return fmt.Errorf("iam:CreateUser %s: %w", j.name, err)
	}
	u, err := existingUser(ctx, api, j.name)
	if err != nil {
		return err
	}
	return j.adopt(ctx, r, u)
}

// adopt decides about a user that exists: with a key it is a conflict (the
// key's secret is not ours to know); without one, it is completed when it is
// an SMTP user (sesprov's tag, the console's tag, or in the group) — an
// earlier run cut short. Another user is refused: an access key for it would
// carry whatever else it is allowed to do.
func (j *userJob) adopt(ctx context.Context, r *Run, u *types.User) error {
	api := j.deps.IAM
	j.arn = aws.ToString(u.Arn)
	keys, err := iamapi.ListAccessKeys(ctx, api, j.name)
	if err != nil {
		return err
	}
	tags := u.Tags
	if len(tags) == 0 {
		t, err := api.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String(j.name)})
		if err != nil {
			return fmt.Errorf("iam:ListUserTags %s: %w", j.name, err)
		}
		tags = t.Tags
	}
	if len(keys) > 0 {
		return j.keyConflict(ctx, keys, tags)
	}
	ours, why := false, ""
	for _, t := range tags {
		k, v := aws.ToString(t.Key), aws.ToString(t.Value)
		if isCreatedByTag(k, v) {
			ours, why = true, "made by sesprov"
		} else if k == TagConsoleKey && v == TagConsoleValue && !ours {
			ours, why = true, "made by the SES console"
		}
	}
	if !ours {
		inGroup, err := iamapi.UserInGroup(ctx, api, j.name, j.access.GroupName)
		if err != nil {
			return err
		}
		ours, why = inGroup, "already in group "+j.access.GroupName
	}
	if !ours {
		return fail.Conflictf("user %s exists and is not an SMTP user (no %s tag, not in group %s): an access key for it would carry its other permissions; choose another --user-name, or put it in the group yourself if it is meant for SMTP", j.name, TagCreatedBy, j.access.GroupName)
	}
	// What was asked for the user must hold for the user completed: a
	// different path or permissions boundary is a decision for a person
	// (sesprov does not move users or change their boundary); missing
	// --tag tags are added.
	if p := aws.ToString(u.Path); p != "" && p != j.in.Path {
		return fail.Conflictf("user %s exists (%s) with no access key, but under path %s, not %s (--path): run again with --path %s to complete it, or choose another --user-name", j.name, why, p, j.in.Path, p)
	}
	if have := aws.ToString(boundaryARN(u)); j.in.PermissionsBoundary != "" && have != j.in.PermissionsBoundary {
		now := "no permissions boundary"
		if have != "" {
			now = "permissions boundary " + have
		}
		return fail.Conflictf("user %s exists (%s) with no access key, but with %s, not %s (--permissions-boundary): sesprov does not change a boundary; set it yourself ('aws iam put-user-permissions-boundary --user-name %s --permissions-boundary %s') and run again, or choose another --user-name", j.name, why, now, j.in.PermissionsBoundary, j.name, j.in.PermissionsBoundary)
	}
	r.Note("user %s exists (%s) with no access key: an earlier run was cut short; completing it", j.name, why)
	fmt.Fprintf(j.deps.Stderr, "sesprov: user %s exists (%s) with no access key; completing it\n", j.name, why)
	if missing := missingTags(tags, j.in.Tags); len(missing) > 0 {
		var kv []string
		for _, t := range missing {
			kv = append(kv, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
		}
		if r.Plan("tag user %s with %s", j.name, strings.Join(kv, ", ")) {
			if _, err := api.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(j.name), Tags: missing}); err != nil {
				return fmt.Errorf("iam:TagUser %s (--tag, on the user being completed): %w", j.name, err)
			}
		}
	}
	return nil
}

// missingTags returns the tags of want that have is missing or has with
// another value.
func missingTags(have []types.Tag, want []Tag) []types.Tag {
	var missing []types.Tag
	for _, w := range want {
		found := false
		for _, h := range have {
			if aws.ToString(h.Key) == w.Key && aws.ToString(h.Value) == w.Value {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, types.Tag{Key: aws.String(w.Key), Value: aws.String(w.Value)})
		}
	}
	return missing
}

// cannotSend is the conflict of a group whose managed policy does not allow
// sending (drifted, not repaired): credentials made now could not send, so
// the run stops before any key.
func cannotSend(in *CreateUserInput, sa SendingAccess) error {
	if !sa.Drifted || sa.DriftGrantsSend || sa.Repaired {
		return nil
	}
	return fail.Conflictf("the managed policy %s of group %s does not allow %s: SMTP credentials made now could not send, so no access key was made; run the same command with --repair-policy to restore the standard document (or fix the policy yourself), which also completes a user this run made", in.PolicyName, in.GroupName, policy.SendAction)
}

// orphanKeyAge: a never-used key of a sesprov user younger than this is
// taken for the key of a run cut short after IAM made it.
const orphanKeyAge = time.Hour

// keyConflict is the conflict of a user that already has keys: sesprov
// cannot know their secrets. It names each key with its age and last use
// (iam:GetAccessKeyLastUsed), and when the only key is young, never used,
// of a user sesprov made, says it is likely the key of a run cut short
// (killed after IAM made it) and how to replace it.
func (j *userJob) keyConflict(ctx context.Context, keys []types.AccessKeyMetadata, tags []types.Tag) error {
	descs, young := j.describeKeys(ctx, keys)
	return j.keyConflictError(descs, young && createdBySesprov(tags))
}

// describeKeys names each key with its status, age and last use
// (iam:GetAccessKeyLastUsed); young says the user has exactly one key, less
// than orphanKeyAge old and never used.
func (j *userJob) describeKeys(ctx context.Context, keys []types.AccessKeyMetadata) (descs []string, young bool) {
	now := j.deps.Now()
	young = len(keys) == 1
	for _, k := range keys {
		id := aws.ToString(k.AccessKeyId)
		d := fmt.Sprintf("%s (%s", id, strings.ToLower(string(k.Status)))
		if k.CreateDate != nil {
			d += ", created " + k.CreateDate.UTC().Format(time.RFC3339)
			young = young && now.Sub(*k.CreateDate) < orphanKeyAge
		} else {
			young = false
		}
		lu, err := j.deps.IAM.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)})
		switch {
		case err != nil:
			d += ", last use unknown"
			young = false
		case lu.AccessKeyLastUsed == nil || lu.AccessKeyLastUsed.LastUsedDate == nil:
			d += ", never used"
		default:
			d += ", last used " + lu.AccessKeyLastUsed.LastUsedDate.UTC().Format(time.RFC3339)
			young = false
		}
		descs = append(descs, d+")")
	}
	return descs, young
}

// createdBySesprov reports whether tags hold sesprov's tag with its exact
// value. Any other value (someone's own tag of that name) is no evidence that
// sesprov made the user: delete-user applies the same rule.
func createdBySesprov(tags []types.Tag) bool {
	for _, t := range tags {
		if isCreatedByTag(aws.ToString(t.Key), aws.ToString(t.Value)) {
			return true
		}
	}
	return false
}

func isCreatedByTag(key, value string) bool {
	return key == TagCreatedBy && value == TagCreatedByValue
}

// keyConflictError words the conflict; orphan says the only key looks like
// the key of a run cut short.
func (j *userJob) keyConflictError(descs []string, orphan bool) error {
	regions := make([]string, len(j.in.Regions))
	for i, rg := range j.in.Regions {
		regions[i] = rg.Name
	}
	rotate := fmt.Sprintf("sesprov rotate --user-name %s --regions %s", j.name, strings.Join(regions, ","))
	msg := fmt.Sprintf("user %s already has access key %s; sesprov cannot know its secret", j.name, strings.Join(descs, " and "))
	if orphan {
		return fail.Conflictf("%s. The user was made by sesprov and the key, less than an hour old, was never used: if you did not receive its credentials, an earlier run was cut short after IAM made the key (killed before delivering it), and '%s --old-key delete' replaces it with a new key and delivers its SMTP passwords; if you did receive them, nothing needs doing", msg, rotate)
	}
	return fail.Conflictf("%s: use '%s' for new SMTP credentials (it retires the old key after delivery; --old-key delete if it is unused)", msg, rotate)
}

// defaultNameTries bounds the other names tried when the default one is
// taken.
const defaultNameTries = 5

// randomSuffix is 4 hex digits: ses-smtp-user.YYYYMMDD-HHMMSS-xxxx stays
// console-like and well within IAM's 64 characters.
func randomSuffix() string {
	return fmt.Sprintf("%04x", rand.Uint32N(1<<16))
}

// checkBoundaryExists reads the permissions boundary (iam:GetPolicy) before
// any change: a policy that does not exist is a usage error. A caller not
// allowed to read it is warned and goes on (iam:CreateUser checks it).
func checkBoundaryExists(ctx context.Context, api iamapi.IAM, arn string, stderr io.Writer) error {
	_, err := api.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	switch {
	case err == nil:
		return nil
	case iamapi.HasCode(err, "NoSuchEntity"):
		return fail.Usagef("--permissions-boundary %s does not exist (iam:GetPolicy: NoSuchEntity): check the ARN, or create the policy first; nothing was changed", arn)
	case iamapi.HasCode(err, "AccessDenied"):
		fmt.Fprintf(stderr, "sesprov: warning: cannot read permissions boundary %s (iam:GetPolicy: access denied); iam:CreateUser will check it\n", arn)
		return nil
	}
	return fmt.Errorf("iam:GetPolicy %s (--permissions-boundary): %w", arn, err)
}

func boundaryARN(u *types.User) *string {
	if u.PermissionsBoundary == nil {
		return nil
	}
	return u.PermissionsBoundary.PermissionsBoundaryArn
}

func (j *userJob) ensureMembership(ctx context.Context, r *Run) error {
	if !r.Plan("add user %s to group %s", j.name, j.access.GroupName) {
		return nil
	}
	return iamapi.AddUserToGroupChecked(ctx, j.deps.IAM, j.name, j.access.GroupName)
}

func (j *userJob) keyAndDeliver(ctx context.Context, r *Run) error {
	regions := make([]string, len(j.in.Regions))
	for i, rg := range j.in.Regions {
		regions[i] = rg.Name
	}
	dest := j.in.Dest.For(j.name).String()
	if !r.Plan("create an access key for user %s, derive SMTP passwords for %s, write them to %s", j.name, strings.Join(regions, ", "), dest) {
		return nil
	}
	api := j.deps.IAM
	keyID, secret, err := iamapi.CreateAccessKeyAfter(ctx, api, j.name, j.keys)
	if err != nil {
		if keyID == "" {
			return err
		}
		// A key was made but a stray one may remain: deliver, then report.
		fmt.Fprintf(j.deps.Stderr, "sesprov: warning: %v\n", err)
	}
	return deliver.DeliverOrRollback(ctx, api, j.name, keyID, func() error {
		set := creds.DeriveCredentials(j.name, keyID, secret, j.in.Regions)
		set.UserARN = j.arn
		set.Status = j.batchStatus()
		if err := j.d.Deliver(ctx, set); err != nil {
			return err
		}
		verb := "created"
		if !j.created {
			verb = "completed"
		}
		note := "; the SMTP passwords cannot be shown again: store them now"
		if !j.d.ToStdout() {
			note = ""
		}
		fmt.Fprintf(j.deps.Stderr, "sesprov: %s user %s in group %s with access key %s%s\n", verb, j.name, j.access.GroupName, keyID, note)
		return nil
	})
}

// printPlan prints a dry run's plan: lines for a person, or
// {"dry_run":true,"plan":[…],"unchanged":[…]} with -o json.
func printPlan(w io.Writer, f output.Format, items []PlanItem) error {
	var changes, unchanged []string
	for _, it := range items {
		if it.Change {
			changes = append(changes, it.Text)
		} else {
			unchanged = append(unchanged, it.Text)
		}
	}
	if f == output.FormatJSON {
		b, err := json.Marshal(struct {
			DryRun    bool     `json:"dry_run"`
			Plan      []string `json:"plan"`
			Unchanged []string `json:"unchanged"`
		}{true, nonNil(changes), nonNil(unchanged)})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	var b strings.Builder
	p := tty.NewPalette(w)
	b.WriteString("dry run: nothing was changed. The plan (+ change, = already right):\n")
	for _, it := range items {
		mark := "="
		if it.Change {
			mark = p.Warn("+")
		}
		fmt.Fprintf(&b, "  %s %s\n", mark, it.Text)
	}
	if len(changes) == 0 {
		b.WriteString("  (no change needed)\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// existingUser reads a user that iam:CreateUser just said exists
// (EntityAlreadyExists), waiting out IAM's eventual consistency: a user made
// a moment ago by another run may not be readable yet.
func existingUser(ctx context.Context, api iamapi.IAM, name string) (*types.User, error) {
	var got *iam.GetUserOutput
	err := iamapi.WaitConsistent(ctx, func() error {
		var err error
		got, err = api.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("iam:GetUser %s (it exists: iam:CreateUser said so): %w", name, err)
	}
	return got.User, nil
}
