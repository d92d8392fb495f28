package provision

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/redact"
)

// RotationTagKey is the user tag that records a rotation in progress, so that
// a rotation cut short and run again finishes the job instead of guessing (see
// docs/design.md, "rotate"). Its values:
//
//	started:<KEYS>@<T>@<RUN>
//	                  written before CreateAccessKey; KEYS are the user's
//	                  keys at that moment, comma-separated ("none" when it
//	                  had none), T the Unix time the run started, RUN a
//	                  random id of the run that owns the rotation. Any key
//	                  not in KEYS is this rotation's, and its secret never
//	                  reached anyone: a re-run deletes it — once the tag is
//	                  older than the lease (StaleAfter), since a younger one
//	                  may belong to a run still in progress. The owning run
//	                  reads the tag back before each step that counts (before
//	                  CreateAccessKey, before delivery, before writing
//	                  delivered:) and stops if another run's id is there.
//	                  (Older sesprov wrote started:<OLD>@<T>: read as KEYS.)
//	delivered:<NEW>   written once NEW's credentials were delivered. A re-run
//	                  retires every other key and removes the tag.
const RotationTagKey = "sesprov:rotation"

const (
	rotationStarted   = "started:"
	rotationDelivered = "delivered:"
	rotationNoOldKey  = "none"
)

// OldKeyAction is what rotate does with the replaced key (--old-key).
type OldKeyAction string

// The --old-key choices.
const (
	OldKeyDeactivate OldKeyAction = "deactivate" // kept, inactive: can be switched back on
	OldKeyDelete     OldKeyAction = "delete"
	OldKeyKeep       OldKeyAction = "keep" // left active: the user retires it
)

// DefaultStaleAfter is how long a started rotation is presumed alive. A
// rotation takes seconds; --verify --wait and a slow --deliver-cmd add
// minutes at most.
const DefaultStaleAfter = 10 * time.Minute

// ParseOldKeyAction validates --old-key.
func ParseOldKeyAction(s string) (OldKeyAction, error) {
	switch a := OldKeyAction(strings.ToLower(s)); a {
	case OldKeyDeactivate, OldKeyDelete, OldKeyKeep:
		return a, nil
	}
	return "", fail.Usagef("--old-key %q: use deactivate, delete or keep", s)
}

// RotateInput is what rotate was asked to do.
type RotateInput struct {
	UserName string
	Regions  []derive.Region
	OldKey   OldKeyAction // default OldKeyDeactivate
	DryRun   bool

	// StaleAfter is the lease of a started rotation: a "started" record
	// younger than this may belong to a run still in progress, which
	// another run must not disturb (it would delete that run's new key). 0
	// means DefaultStaleAfter; a negative value takes over at once.
	StaleAfter time.Duration
	Now        func() time.Time // default time.Now

	// A user that is not an SMTP user (see delete-user) is refused unless
	// Force: its key may serve something else.
	GroupName  string // default DefaultGroupName
	PolicyName string // default DefaultPolicyName
	Force      bool
}

// Deliverer writes new credentials to where they are going (stdout, an
// --out-file) and returns only once they are there. rotate calls it once,
// before it changes anything about the old key.
type Deliverer func(ctx context.Context, set creds.CredentialSet) error

// Verifier proves new credentials work (an SMTP AUTH per region) before they
// are delivered and the old key is retired.
type Verifier func(ctx context.Context, set creds.CredentialSet) error

// RotationPlan is what PlanRotation saw and decided; Execute carries it out.
type RotationPlan struct {
	UserName string
	UserARN  string

	// Finish is the key an interrupted rotation already delivered: this run
	// makes no key and only retires the others.
	Finish string
	// Lost are keys an interrupted rotation made whose secret never got
	// out: deleted before anything else.
	Lost []string
	// MakeRoom is an inactive key deleted so that a new key fits (IAM
	// allows two per user).
	MakeRoom string
	// Old are the keys retired once the new key is delivered.
	Old []string
	// StaleTag: the rotation tag names a key that no longer exists.
	StaleTag string

	// tag is the rotation tag as read (Execute checks nobody changed it
	// before changing anything); existing are the keys left once Lost and
	// MakeRoom are gone: the KEYS of this run's started record.
	tag      string
	existing []string

	in  RotateInput
	log *slog.Logger
}

// Delivers reports whether Execute will make and deliver a new key (false
// when it only finishes an earlier rotation).
func (p *RotationPlan) Delivers() bool { return p.Finish == "" }

// RotateResult reports what Execute did (or would do, in a dry run).
type RotateResult struct {
	UserName string     `json:"user_name"`
	NewKeyID string     `json:"new_access_key_id,omitempty"`
	Finished bool       `json:"finished_earlier_rotation"` // no new key: an earlier run's was finished
	Retired  []string   `json:"retired_access_keys"`
	OldKey   string     `json:"old_key"` // what was done with them
	Deleted  []string   `json:"deleted_access_keys"`
	Lost     []string   `json:"lost_access_keys"` // deleted: an interrupted run made them, their secret never got out
	Plan     []PlanItem `json:"-"`
	DryRun   bool       `json:"dry_run"`
}

// PlanRotation reads the user's keys and rotation tag and decides what to do.
// It changes nothing. Two active keys with no rotation of sesprov's in
// progress is a conflict: sesprov never guesses which active key is in use.
func PlanRotation(ctx context.Context, client iamapi.IAM, in RotateInput, log *slog.Logger) (*RotationPlan, error) {
	if log == nil {
		log = redact.DiscardLogger()
	}
	if err := ValidateUserName(in.UserName); err != nil {
		return nil, err
	}
	if len(in.Regions) == 0 {
		return nil, fail.Usagef("rotate needs at least one region")
	}
	if in.OldKey == "" {
		in.OldKey = OldKeyDeactivate
	}
	if in.StaleAfter == 0 {
		in.StaleAfter = DefaultStaleAfter
	}
	if in.Now == nil {
		in.Now = time.Now
	}
	name := in.UserName
	u, err := client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
	if err != nil {
		if iamapi.IsNoSuchEntity(err) {
			return nil, fail.Usagef("GetUser: user %s does not exist: nothing to rotate (make it with 'sesprov create-user --user-name %s')", name, name)
		}
		return nil, fmt.Errorf("GetUser %s: %w", name, err)
	}
	keys, err := iamapi.ListAccessKeys(ctx, client, name)
	if err != nil {
		return nil, err
	}
	tags, err := iamapi.ListAllUserTags(ctx, client, name)
	if err != nil {
		return nil, err
	}
	tag := tagValue(tags, RotationTagKey)
	if !in.Force {
		ev, err := Classify(ctx, client, name, ClassifyOptions{Group: in.GroupName, Policy: in.PolicyName, Tags: tags})
		if err != nil {
			return nil, err
		}
		if !ev.IsSMTPUser() {
			return nil, fail.Conflictf("user %s is not an SMTP user (not in group %s, no inline policy %s, not tagged by sesprov or the SES console): rotating would retire a key something else may use; nothing was changed. Pass --force to rotate it anyway",
				name, defaultString(in.GroupName, DefaultGroupName), defaultString(in.PolicyName, DefaultPolicyName))
		}
	}
	p := &RotationPlan{UserName: name, UserARN: aws.ToString(u.User.Arn), tag: tag, in: in, log: log}

	switch {
	case strings.HasPrefix(tag, rotationDelivered):
		newKey := strings.TrimPrefix(tag, rotationDelivered)
		k, ok := findKey(keys, newKey)
		switch {
		case !ok:
			// Someone deleted the delivered key: the record is stale. Rotate
			// afresh by the plain rules.
			p.StaleTag = tag
		case k.Status != types.StatusTypeActive:
			return nil, fail.Conflictf("user %s: an interrupted rotation delivered key %s, but it is now inactive; sesprov will not retire the other key. Reactivate %s or remove the tag %s, then run rotate again",
				name, newKey, newKey, RotationTagKey)
		default:
			p.Finish = newKey
			for _, k := range keys {
				if id := aws.ToString(k.AccessKeyId); id != newKey {
					p.Old = append(p.Old, id)
				}
			}
			return p, nil
		}
	case strings.HasPrefix(tag, rotationStarted):
		st := parseStarted(strings.TrimPrefix(tag, rotationStarted))
		// T is the writer's clock. A key the record does not name was made
		// by that run after it wrote the record, and its CreateDate is IAM's
		// clock: the younger of the two ages counts, so a writer whose clock
		// runs slow is not taken for dead while its key is fresh.
		age := in.Now().Sub(st.at)
		for _, k := range keys {
			if c := aws.ToTime(k.CreateDate); !c.IsZero() && !slices.Contains(st.keys, aws.ToString(k.AccessKeyId)) {
				age = min(age, in.Now().Sub(c))
			}
		}
		if in.StaleAfter > 0 && age < in.StaleAfter {
			return nil, fmt.Errorf("user %s: a rotation started %s ago (tag %s=%s) may still be running; sesprov leaves it alone. If that run died, run rotate again after %s (or with a shorter --stale-after); nothing was changed",
				name, age.Round(time.Second), RotationTagKey, tag, in.Now().Add(in.StaleAfter-age).UTC().Format(time.RFC3339))
		}
		for _, id := range st.keys {
			if _, ok := findKey(keys, id); !ok {
				return nil, fail.Conflictf("user %s: an interrupted rotation recorded key %s, which is gone; sesprov cannot tell which remaining key is whose. Check the user's keys, remove the tag %s, then run rotate again",
					name, id, RotationTagKey)
			}
		}
		// Every key the record does not name is the interrupted run's: its
		// secret is lost. The keys it names were there before it.
		var remaining []types.AccessKeyMetadata
		for _, k := range keys {
			if id := aws.ToString(k.AccessKeyId); !slices.Contains(st.keys, id) {
				p.Lost = append(p.Lost, id)
			} else {
				remaining = append(remaining, k)
			}
		}
		keys = remaining
	case tag != "":
		return nil, fail.Conflictf("user %s has tag %s=%q, which sesprov does not understand; remove the tag and run rotate again", name, RotationTagKey, tag)
	}

	var active, inactive []types.AccessKeyMetadata
	for _, k := range keys {
		if k.Status == types.StatusTypeActive {
			active = append(active, k)
		} else {
			inactive = append(inactive, k)
		}
	}
	if len(active) > 1 {
		return nil, fail.Conflictf("user %s has two active access keys (%s): sesprov never guesses which one is in use. Deactivate the one no longer used (aws iam update-access-key --user-name %s --access-key-id ID --status Inactive), then run rotate again; nothing was changed",
			name, describeKeys(active), name)
	}
	if len(keys) >= 2 {
		// IAM allows two keys: the inactive one (the older, if both are)
		// makes room.
		slices.SortFunc(inactive, func(a, b types.AccessKeyMetadata) int {
			return aws.ToTime(a.CreateDate).Compare(aws.ToTime(b.CreateDate))
		})
		p.MakeRoom = aws.ToString(inactive[0].AccessKeyId)
	}
	for _, k := range keys {
		if id := aws.ToString(k.AccessKeyId); id != p.MakeRoom {
			p.existing = append(p.existing, id)
		}
	}
	for _, k := range active {
		p.Old = append(p.Old, aws.ToString(k.AccessKeyId))
	}
	return p, nil
}

// Execute carries out the plan: make the new key, derive its passwords,
// verify them (when verify is set), deliver them, and only then retire the
// old key. Until delivery succeeds, a failure deletes the new key again (its
// secret would otherwise be lost) and the old key is untouched. The rotation
// tag records progress for a re-run after a crash.
func (p *RotationPlan) Execute(ctx context.Context, client iamapi.IAM, deliver Deliverer, verify Verifier) (*RotateResult, error) {
	r := NewRun(p.in.DryRun, p.log)
	name := aws.String(p.UserName)
	res := &RotateResult{UserName: p.UserName, OldKey: string(p.in.OldKey), DryRun: p.in.DryRun, Retired: []string{}, Deleted: []string{}, Lost: []string{}}
	defer func() { res.Plan = r.Planned() }()

	// Another run may have started since this one read the user: nothing
	// is changed unless the tag is still as read.
	if !p.in.DryRun {
		if err := p.expectTag(ctx, client, p.tag, "changing anything"); err != nil {
			return res, fmt.Errorf("%w; nothing was changed", err)
		}
	}
	for _, id := range p.Lost {
		if r.Plan("delete access key %s of user %s: an interrupted rotation made it and its secret never got out", id, p.UserName) {
			if err := iamapi.DeleteAccessKey(ctx, client, p.UserName, id); err != nil {
				return res, err
			}
		}
		res.Deleted = append(res.Deleted, id)
		res.Lost = append(res.Lost, id)
	}

	if p.Finish != "" {
		r.Note("key %s was delivered by an interrupted rotation: finishing it, no new key", p.Finish)
		res.Finished = true
		res.NewKeyID = p.Finish
		if err := p.retire(ctx, client, r, res); err != nil {
			return res, err
		}
		return res, p.untag(ctx, client, r)
	}

	if p.StaleTag != "" {
		r.Note("tag %s=%s names a key that no longer exists: ignored", RotationTagKey, p.StaleTag)
	}
	if p.MakeRoom != "" {
		if r.Plan("delete inactive access key %s of user %s to make room (IAM allows two keys)", p.MakeRoom, p.UserName) {
			if err := iamapi.DeleteAccessKey(ctx, client, p.UserName, p.MakeRoom); err != nil {
				return res, err
			}
		}
		res.Deleted = append(res.Deleted, p.MakeRoom)
	}

	old := rotationNoOldKey
	if len(p.Old) == 1 {
		old = p.Old[0]
	}
	started, err := startedRecord(p.existing, p.in.Now())
	if err != nil {
		return res, err
	}
	// newID is the key this run made, once CreateAccessKey answered: the
	// only key its rollback deletes (another run's key is not its to judge).
	var newID string
	if r.Plan("tag user %s %s=%s (the rotation's progress, for a re-run)", p.UserName, RotationTagKey, started) {
		if err := tagRotation(ctx, client, p.UserName, started); err != nil {
			return res, err
		}
		// Until delivery, a failure deletes the key this run made (its
		// secret would go nowhere), then the tag if it is still this run's.
		// The tag stays if a key it does not name remains (a key made by a
		// call whose answer was lost): it tells the re-run which key is which.
		r.OnFailure("delete the undelivered new key", func(ctx context.Context) error {
			if newID != "" {
				if err := iamapi.DeleteAccessKey(ctx, client, p.UserName, newID); err != nil {
					return err
				}
			}
			tags, err := iamapi.ListAllUserTags(ctx, client, p.UserName)
			if err != nil {
				return err
			}
			if tagValue(tags, RotationTagKey) != started {
				return nil // another run's record now: leave it
			}
			keys, err := iamapi.ListAccessKeyIDs(ctx, client, p.UserName)
			if err != nil {
				return err
			}
			for _, id := range keys {
				if id != newID && !slices.Contains(p.existing, id) {
					return fmt.Errorf("key %s, which this run may have made (a lost answer), remains; tag %s kept: run rotate again after --stale-after to delete it", id, RotationTagKey)
				}
			}
			_, err = client.UntagUser(ctx, &iam.UntagUserInput{UserName: name, TagKeys: []string{RotationTagKey}})
			if err != nil && !iamapi.IsNoSuchEntity(err) {
				return fmt.Errorf("UntagUser %s: %w", p.UserName, err)
			}
			return nil
		})
		// TagUser overwrites: when two runs write at once, the last one
		// owns the rotation and the other stops here.
		if err := p.expectTag(ctx, client, started, "CreateAccessKey"); err != nil {
			return res, r.fail(ctx, fmt.Errorf("%w; nothing was changed", err))
		}
	}
	if !r.Plan("create a new access key for user %s, derive SMTP passwords for %s", p.UserName, regionNames(p.in.Regions)) {
		if verify != nil {
			r.Plan("verify the new passwords with SMTP AUTH")
		}
		r.Plan("deliver the new credentials")
		r.Plan("tag user %s %s=%s<new key>", p.UserName, RotationTagKey, rotationDelivered)
		p.planRetire(r)
		r.Plan("remove tag %s from user %s", RotationTagKey, p.UserName)
		return res, nil
	}

	// CreateAccessKeyAfter never leaves a key whose response was lost.
	id, secret, err := iamapi.CreateAccessKeyAfter(ctx, client, p.UserName, p.existing)
	newID = id
	if err != nil {
		return res, r.fail(ctx, err)
	}
	set := creds.DeriveCredentials(p.UserName, id, secret, p.in.Regions)
	set.UserARN = p.UserARN
	res.NewKeyID = set.AccessKeyID
	if err := p.expectTag(ctx, client, started, "delivering"); err != nil {
		return res, r.fail(ctx, fmt.Errorf("%w; this run's new key %s was deleted, old key %s is untouched", err, id, old))
	}
	if verify != nil {
		r.Plan("verify the new passwords with SMTP AUTH")
		if err := verify(ctx, set); err != nil {
			return res, r.fail(ctx, fmt.Errorf("the new key %s failed verification; it was deleted and old key %s is untouched: %w", set.AccessKeyID, old, err))
		}
	}
	r.Plan("deliver the new credentials")
	if err := deliver(ctx, set); err != nil {
		return res, r.fail(ctx, fmt.Errorf("deliver the new credentials: %w (the new key %s was deleted; old key %s is untouched)", err, set.AccessKeyID, old))
	}
	// Delivered: the new key is wanted whatever happens next.
	r.Keep()
	// The record of delivery and the check before it are made even if the
	// run is being interrupted: without the record the re-run could not tell
	// the delivered key from a lost one, and would replace it.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), iamapi.CleanupTimeout)
	defer cancel()
	if err := p.expectTag(rctx, client, started, "recording the delivery"); err != nil {
		// Another run took the rotation over (this run's record looked
		// stale to it, e.g. a slow clock here) and may have deleted the key
		// just delivered: retiring old keys now could leave none working.
		return res, fmt.Errorf("%w. Key %s was delivered, but the other run may have deleted it: this run retires nothing (old key %s stays as it is); use the other run's delivery, and check the user's keys with 'sesprov list'", err, set.AccessKeyID, old)
	}
	r.Plan("tag user %s %s=%s%s", p.UserName, RotationTagKey, rotationDelivered, set.AccessKeyID)
	err = tagRotation(rctx, client, p.UserName, rotationDelivered+set.AccessKeyID)
	if err != nil {
		return res, fmt.Errorf("%w; the new key %s was delivered, old key %s is still active. Run rotate again: it cannot recover the delivered secret, so it replaces %s with a fresh key, delivers that and then retires %s",
			err, set.AccessKeyID, old, set.AccessKeyID, old)
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("interrupted after delivering key %s (%w): run rotate again to retire old key %s; it makes no new key", set.AccessKeyID, err, old)
	}
	if err := p.retire(ctx, client, r, res); err != nil {
		return res, err
	}
	return res, p.untag(ctx, client, r)
}

// planRetire records the retire steps of a dry run.
func (p *RotationPlan) planRetire(r *Run) {
	for _, id := range p.Old {
		switch p.in.OldKey {
		case OldKeyKeep:
			r.Note("keep old access key %s active (--old-key keep)", id)
		case OldKeyDelete:
			r.Plan("delete old access key %s", id)
		default:
			r.Plan("deactivate old access key %s", id)
		}
	}
}

// retire applies --old-key to the old keys.
func (p *RotationPlan) retire(ctx context.Context, client iamapi.IAM, r *Run, res *RotateResult) error {
	for _, id := range p.Old {
		switch p.in.OldKey {
		case OldKeyKeep:
			r.Note("kept old access key %s active (--old-key keep): retire it yourself once unused", id)
			continue
		case OldKeyDelete:
			if r.Plan("delete old access key %s", id) {
				if err := iamapi.DeleteAccessKey(ctx, client, p.UserName, id); err != nil {
					return retireErr(err)
				}
			}
		default:
			if r.Plan("deactivate old access key %s", id) {
				_, err := client.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{
					UserName: aws.String(p.UserName), AccessKeyId: aws.String(id), Status: types.StatusTypeInactive,
				})
				if err != nil && !iamapi.IsNoSuchEntity(err) {
					return retireErr(fmt.Errorf("UpdateAccessKey %s (deactivate the old key): %w", id, err))
				}
			}
		}
		res.Retired = append(res.Retired, id)
	}
	return nil
}

func retireErr(err error) error {
	return fmt.Errorf("%w; the new credentials were delivered. Run rotate again to retire the old key: it finishes this rotation without making another key", err)
}

func (p *RotationPlan) untag(ctx context.Context, client iamapi.IAM, r *Run) error {
	if !r.Plan("remove tag %s from user %s", RotationTagKey, p.UserName) {
		return nil
	}
	_, err := client.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String(p.UserName), TagKeys: []string{RotationTagKey}})
	if err != nil && !iamapi.IsNoSuchEntity(err) {
		return fmt.Errorf("UntagUser %s (remove %s; the rotation itself is done): %w; run rotate again to finish", p.UserName, RotationTagKey, err)
	}
	return nil
}

func tagRotation(ctx context.Context, client iamapi.IAM, user, value string) error {
	_, err := client.TagUser(ctx, &iam.TagUserInput{
		UserName: aws.String(user),
		Tags:     []types.Tag{{Key: aws.String(RotationTagKey), Value: aws.String(value)}},
	})
	if err != nil {
		return fmt.Errorf("TagUser %s %s=%s (record the rotation's progress): %w", user, RotationTagKey, value, err)
	}
	return nil
}

func tagValue(tags []types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// expectTag reads the rotation tag back and fails (exit 1) unless it is
// want: another run started, took this one over, or finished meanwhile.
func (p *RotationPlan) expectTag(ctx context.Context, client iamapi.IAM, want, before string) error {
	tags, err := iamapi.ListAllUserTags(ctx, client, p.UserName)
	if err != nil {
		return fmt.Errorf("check tag %s before %s: %w", RotationTagKey, before, err)
	}
	if got := tagValue(tags, RotationTagKey); got != want {
		if got == "" {
			got = "(none)"
		}
		return fmt.Errorf("user %s: another sesprov run changed tag %s to %s before %s (this run expected %q): it owns the rotation now, so this run stops",
			p.UserName, RotationTagKey, got, before, want)
	}
	return nil
}

// startedRecord is the started:<KEYS>@<T>@<RUN> tag value.
func startedRecord(existing []string, now time.Time) (string, error) {
	var run [8]byte
	if _, err := rand.Read(run[:]); err != nil {
		return "", fmt.Errorf("make a run id: %w", err)
	}
	keys := rotationNoOldKey
	if len(existing) > 0 {
		keys = strings.Join(existing, ",")
	}
	return fmt.Sprintf("%s%s@%d@%s", rotationStarted, keys, now.Unix(), hex.EncodeToString(run[:])), nil
}

type startedTag struct {
	keys []string // the keys present when the rotation started
	at   time.Time
}

// parseStarted reads KEYS@UNIXTIME[@RUN]. A record without a time is taken
// as old.
func parseStarted(v string) startedTag {
	ids, rest, _ := strings.Cut(v, "@")
	var st startedTag
	for _, id := range strings.Split(ids, ",") {
		if id != "" && id != rotationNoOldKey {
			st.keys = append(st.keys, id)
		}
	}
	ts, _, _ := strings.Cut(rest, "@")
	if n, err := strconv.ParseInt(ts, 10, 64); err == nil {
		st.at = time.Unix(n, 0)
	}
	return st
}

func findKey(keys []types.AccessKeyMetadata, id string) (types.AccessKeyMetadata, bool) {
	for _, k := range keys {
		if aws.ToString(k.AccessKeyId) == id {
			return k, true
		}
	}
	return types.AccessKeyMetadata{}, false
}

func describeKeys(keys []types.AccessKeyMetadata) string {
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s created %s", aws.ToString(k.AccessKeyId), aws.ToTime(k.CreateDate).UTC().Format("2006-01-02")))
	}
	return strings.Join(parts, ", ")
}

func regionNames(rs []derive.Region) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Name
	}
	return strings.Join(names, ",")
}

// WritePlan prints a dry run's plan, as create-user does.
func WritePlan(w io.Writer, f output.Format, items []PlanItem) error { return printPlan(w, f, items) }
