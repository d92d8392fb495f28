package createuser

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
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
	"github.com/sesprov/sesprov/internal/policy"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/scope"
)

// userJob is the typed state of one user's steps.
type userJob struct {
	in      *Options
	deps    *Deps
	name    string
	access  provision.SendingAccess
	notices provision.Notices // a batch's user passes only warnings on

	batch       *batchJob // set in a batch (batch.go)
	defaultName bool      // name is DefaultUserName, not asked for: never adopt a user of that name

	arn     string
	created bool     // made by this run (or planned, in a dry run)
	keys    []string // the user's keys before ours (empty, or the run stops)
}

// steps are a user's steps after the sending access is known.
func (j *userJob) steps() []provision.Step {
	return []provision.Step{
		{Name: "user", Run: j.ensureUser},
		{Name: "from-address scope", Run: j.ensureScope},
		{Name: "group membership", Run: j.ensureMembership},
		{Name: "access key and delivery", Run: j.keyAndDeliver},
	}
}

// done says the user is a batch's user that is already done: nothing more
// to do for it.
func (j *userJob) done() bool { return j.batch != nil && j.batch.done }

func (j *userJob) tags() []types.Tag { return provision.NewUserTags(j.in.Tags, j.in.Regions) }

// regionsTag is the tag recording the regions the user's passwords are
// derived for (provision.RegionsTag), so that rotate derives the same ones
// without being told. It rides on the call that tags the user anyway
// (CreateUser, or the completing TagUser): no call of its own. ok is false
// when the user's other tags (have) leave no room, or the regions do not
// fit a tag value: rotate then needs --regions, and says so.
func (j *userJob) regionsTag(have int) (types.Tag, bool) {
	if have >= provision.MaxUserTags {
		return types.Tag{}, false
	}
	return provision.RegionsTag(j.in.Regions)
}

func (j *userJob) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "create user %s (path %s, tag %s=%s", j.name, j.in.Path, provision.TagCreatedBy, provision.TagCreatedByValue)
	for _, t := range j.in.Tags {
		fmt.Fprintf(&b, ", tag %s=%s", t.Key, t.Value)
	}
	if rt, ok := j.regionsTag(len(j.in.Tags) + 1); ok {
		fmt.Fprintf(&b, ", tag %s=%s", aws.ToString(rt.Key), aws.ToString(rt.Value))
	}
	if j.in.PermissionsBoundary != "" {
		fmt.Fprintf(&b, ", permissions boundary %s", j.in.PermissionsBoundary)
	}
	b.WriteString(")")
	return b.String()
}

// ensureUser makes the user in one call (name, path, tags and boundary
// together), or finds the one an earlier run left and judges it. A dry run
// reads instead (planUser).
func (j *userJob) ensureUser(ctx context.Context, r *provision.Run) error {
	if r.DryRun {
		return j.planUser(ctx, r)
	}
	r.Plan("%s", j.describe())
	out, err := j.createUser(ctx)
	switch {
	case err == nil:
		j.created, j.arn = true, aws.ToString(out.User.Arn)
		if j.batch != nil {
			// Made by this run: if a later step fails, it goes again, so
			// that no half-made user stays behind.
			r.OnFailure("delete user "+j.name+" made by this run", j.batch.undoUser)
		}
		return nil
	case !iamapi.HasCode(err, "EntityAlreadyExists"):
		if j.batch != nil && ctx.Err() != nil {
			// Interrupted mid-call: IAM may have made the user.
			r.OnFailure("delete user "+j.name+" if the interrupted call made it", j.batch.undoUnsure)
		}
		return fmt.Errorf("iam:CreateUser %s: %w", j.name, err)
	case j.defaultName:
		return fmt.Errorf("iam:CreateUser %s: %w (every default name tried is taken: pass --user-name)", j.name, err)
	}
	u, err := existingUser(ctx, j.deps.IAM, j.name)
	if err != nil {
		return err
	}
	return j.judge(ctx, r, u)
}

// createUser calls iam:CreateUser. A default name (one-second resolution)
// taken by another run of the same second is not a user to complete: it
// takes another name.
func (j *userJob) createUser(ctx context.Context) (*iam.CreateUserOutput, error) {
	in := &iam.CreateUserInput{UserName: aws.String(j.name), Path: aws.String(j.in.Path), Tags: j.tags()}
	if j.in.PermissionsBoundary != "" {
		in.PermissionsBoundary = aws.String(j.in.PermissionsBoundary)
	}
	out, err := j.deps.IAM.CreateUser(ctx, in)
	for try := 0; j.defaultName && iamapi.HasCode(err, "EntityAlreadyExists") && try < defaultNameTries; try++ {
		taken := j.name
		j.name = DefaultUserName(j.deps.Now()) + "-" + randomSuffix()
		j.deps.Deliver.Align([]string{j.name})
		j.notices.Info(j.name, "user %s exists (another run in the same second); using %s", taken, j.name)
		in.UserName = aws.String(j.name)
		out, err = j.deps.IAM.CreateUser(ctx, in)
	}
	return out, err
}

// planUser is ensureUser in a dry run: GetUser instead of CreateUser.
func (j *userJob) planUser(ctx context.Context, r *provision.Run) error {
	out, err := j.deps.IAM.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(j.name)})
	if iamapi.HasCode(err, "NoSuchEntity") {
		j.created = true
		r.Plan("%s", j.describe())
		return nil
	}
	if err != nil {
		return fmt.Errorf("iam:GetUser %s: %w", j.name, err)
	}
	return j.judge(ctx, r, out.User)
}

// judge decides about a user that exists: alone, a user with a key is a
// conflict (adopt); in a batch it is already done (judgeExisting).
func (j *userJob) judge(ctx context.Context, r *provision.Run, u *types.User) error {
	if j.batch == nil {
		return j.adopt(ctx, r, u)
	}
	j.arn = aws.ToString(u.Arn)
	keys, done, err := j.batch.judgeExisting(ctx, r, u)
	if done {
		j.batch.done, j.batch.keys = true, keys
		if r.DryRun {
			r.Note("user %s is already done (access key %s): left as is", j.name, strings.Join(keys, " and "))
		}
	}
	return err
}

// adopt decides about a user that exists: with a key it is a conflict (the
// key's secret is not ours to know); without one, it is completed when it is
// an SMTP user (sesprov's tag, the console's tag, or in the group) — an
// earlier run cut short. Another user is refused: an access key for it would
// carry whatever else it is allowed to do.
func (j *userJob) adopt(ctx context.Context, r *provision.Run, u *types.User) error {
	j.arn = aws.ToString(u.Arn)
	keys, err := iamapi.ListAccessKeys(ctx, j.deps.IAM, j.name)
	if err != nil {
		return err
	}
	tags, err := userTags(ctx, j.deps.IAM, u)
	if err != nil {
		return err
	}
	if len(keys) > 0 {
		return j.keyConflict(ctx, keys, tags)
	}
	why, err := j.smtpEvidence(ctx, tags)
	if err != nil {
		return err
	}
	if err := j.sameAsAsked(u, why); err != nil {
		return err
	}
	r.Note("user %s exists (%s) with no access key: an earlier run was cut short; completing it", j.name, why)
	j.notices.Info(j.name, "user %s exists (%s) with no access key; completing it", j.name, why)
	return j.addMissingTags(ctx, r, tags)
}

// userTags are u's tags: those GetUser gave, or iam:ListUserTags.
func userTags(ctx context.Context, api iamapi.IAM, u *types.User) ([]types.Tag, error) {
	if len(u.Tags) > 0 {
		return u.Tags, nil
	}
	t, err := api.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: u.UserName})
	if err != nil {
		return nil, fmt.Errorf("iam:ListUserTags %s: %w", aws.ToString(u.UserName), err)
	}
	return t.Tags, nil
}

// smtpEvidence says why the user is an SMTP user, or refuses it.
func (j *userJob) smtpEvidence(ctx context.Context, tags []types.Tag) (string, error) {
	ours, why := false, ""
	for _, t := range tags {
		k, v := aws.ToString(t.Key), aws.ToString(t.Value)
		if provision.IsCreatedByTag(k, v) {
			ours, why = true, "made by sesprov"
		} else if k == provision.TagConsoleKey && v == provision.TagConsoleValue && !ours {
			ours, why = true, "made by the SES console"
		}
	}
	if ours {
		return why, nil
	}
	inGroup, err := iamapi.UserInGroup(ctx, j.deps.IAM, j.name, j.access.GroupName)
	if err != nil {
		return "", err
	}
	if !inGroup {
		return "", fail.Conflictf("user %s exists and is not an SMTP user (no %s tag, not in group %s): an access key for it would carry its other permissions; choose another --user-name, or put it in the group yourself if it is meant for SMTP", j.name, provision.TagCreatedBy, j.access.GroupName)
	}
	return "already in group " + j.access.GroupName, nil
}

// sameAsAsked: what was asked for the user must hold for the user
// completed. A different path or permissions boundary is a decision for a
// person (sesprov does not move users or change their boundary).
func (j *userJob) sameAsAsked(u *types.User, why string) error {
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
	return nil
}

// addMissingTags adds the --tag tags the completed user lacks, and the
// regions of the key it is about to get (in the same call).
func (j *userJob) addMissingTags(ctx context.Context, r *provision.Run, tags []types.Tag) error {
	want := j.in.Tags
	if rt, ok := j.regionsTag(len(tags) + len(missingTags(tags, j.in.Tags))); ok {
		want = append(slices.Clip(want), provision.Tag{Key: aws.ToString(rt.Key), Value: aws.ToString(rt.Value)})
	}
	missing := missingTags(tags, want)
	if len(missing) == 0 {
		return nil
	}
	var kv []string
	for _, t := range missing {
		kv = append(kv, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	if r.Plan("tag user %s with %s", j.name, strings.Join(kv, ", ")) {
		if _, err := j.deps.IAM.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(j.name), Tags: missing}); err != nil {
			return fmt.Errorf("iam:TagUser %s (--tag, on the user being completed): %w", j.name, err)
		}
	}
	return nil
}

// missingTags returns the tags of want that have is missing or has with
// another value.
func missingTags(have []types.Tag, want []provision.Tag) []types.Tag {
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
func cannotSend(in *Options, sa provision.SendingAccess) error {
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
	return j.keyConflictError(descs, young && provision.CreatedBySesprov(tags), tags)
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

// keyConflictError words the conflict; orphan says the only key looks like
// the key of a run cut short. The rotate advised takes the regions the user
// records (tags), if any: those its credentials were made for, which this
// run's --regions may not all be.
func (j *userJob) keyConflictError(descs []string, orphan bool, tags []types.Tag) error {
	rotate := "sesprov rotate --user-name " + j.name
	if provision.ParseRegionsTag(tags) == nil {
		regions := make([]string, len(j.in.Regions))
		for i, rg := range j.in.Regions {
			regions[i] = rg.Name
		}
		rotate += " --regions " + strings.Join(regions, ",")
	}
	msg := fmt.Sprintf("user %s already has access key %s; sesprov cannot know its secret", j.name, strings.Join(descs, " and "))
	if orphan {
		done := ""
		if j.batch != nil {
			done = " (in a batch, run the same command again with --done FILE, FILE holding that run's output: users whose key ID it names are reported done)"
		}
		return fail.Conflictf("%s. The user was made by sesprov and the key, less than an hour old, was never used: if you received its credentials, nothing needs doing%s; if you did not, an earlier run was cut short after IAM made the key (killed before delivering it), and '%s' delivers a new key's SMTP passwords and deactivates this one (reversible: if someone did have it, reactivate it with aws iam update-access-key)", msg, done, rotate)
	}
	return fail.Conflictf("%s: use '%s' for new SMTP credentials (it deactivates the old key after delivery; delete it once nothing sends with it)", msg, rotate)
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
func checkBoundaryExists(ctx context.Context, api iamapi.IAM, arn string, notices provision.Notices) error {
	_, err := api.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	switch {
	case err == nil:
		return nil
	case iamapi.HasCode(err, "NoSuchEntity"):
		return fail.Usagef("--permissions-boundary %s does not exist (iam:GetPolicy: NoSuchEntity): check the ARN, or create the policy first; nothing was changed", arn)
	case iamapi.HasCode(err, "AccessDenied"):
		notices.Warn("", "cannot read permissions boundary %s (iam:GetPolicy: access denied); iam:CreateUser will check it", arn)
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

// ensureScope puts the user's From-address scope before the user joins the
// sending group, so the user is never able to send unscoped. PutUserPolicy
// replaces the policy, so a run cut short and repeated ends the same.
func (j *userJob) ensureScope(ctx context.Context, r *provision.Run) error {
	if len(j.in.AllowFrom) == 0 || j.done() ||
		!r.Plan("scope user %s to send only as %s (inline policy %s)", j.name, strings.Join(scope.Shown(j.in.AllowFrom), ", "), scope.PolicyName) {
		return nil
	}
	// The first call on a user just made: IAM may not see it yet.
	return iamapi.WaitConsistent(ctx, func() error { return scope.Put(ctx, j.deps.IAM, j.name, j.in.AllowFrom) })
}

func (j *userJob) ensureMembership(ctx context.Context, r *provision.Run) error {
	if j.done() || !r.Plan("add user %s to group %s", j.name, j.access.GroupName) {
		return nil
	}
	return iamapi.AddUserToGroupChecked(ctx, j.deps.IAM, j.name, j.access.GroupName)
}

// keyAndDeliver makes the access key and hands its credentials to the
// Deliverer; a key whose credentials were not delivered is deleted.
func (j *userJob) keyAndDeliver(ctx context.Context, r *provision.Run) error {
	if j.done() || !r.Plan("create an access key for user %s, derive SMTP passwords for %s, write them to %s", j.name, derive.JoinNames(j.in.Regions, ", "), j.in.Dest.For(j.name)) {
		return nil
	}
	api := j.deps.IAM
	keyID, secret, err := iamapi.CreateAccessKeyAfter(ctx, api, j.name, j.keys)
	if err != nil {
		if keyID == "" {
			return err
		}
		// A key was made but a stray one may remain: deliver, then report.
		j.notices.Warn(j.name, "%v", err)
	}
	return deliver.DeliverOrRollback(ctx, api, j.name, keyID, func() error {
		set := creds.DeriveCredentials(j.name, keyID, secret, j.in.Regions)
		set.UserARN = j.arn
		set.Status = j.batchStatus()
		if err := j.deps.Deliver.Deliver(ctx, set); err != nil {
			return err
		}
		j.reportMade(keyID)
		return nil
	})
}

func (j *userJob) reportMade(keyID string) {
	verb := "created"
	if !j.created {
		verb = "completed"
	}
	note := "; the SMTP passwords cannot be shown again: store them now"
	if !j.deps.Deliver.ToStdout() {
		note = ""
	}
	j.notices.Info(j.name, "%s user %s in group %s with access key %s%s", verb, j.name, j.access.GroupName, keyID, note)
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
