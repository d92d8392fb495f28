package rotate

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/provision"
)

// execution is one Execute: the plan, the engine's run and what it did so far.
type execution struct {
	*Rotation
	client iamapi.IAM
	r      *provision.Run
	res    *Result

	started string // this run's started record
	old     string // the key retired, for messages ("none")
	// newID is the key this run made, once CreateAccessKey answered: the
	// only key its rollback deletes (another run's key is not its to judge).
	newID string
	// createTried: CreateAccessKey was called (a key this run's record does
	// not name may be this run's, from a lost answer).
	createTried bool
	// deliveredAt is the time recorded with this run's delivery.
	deliveredAt time.Time
}

// wait reports that the superseded keys of newKey stay active until end
// (the grace period): nothing else is done now.
func (e *execution) wait(newKey string, end time.Time) {
	e.r.Note("superseded key(s) of user %s stay active until %s (--grace): a run after that retires them", e.UserName, end.UTC().Format(time.RFC3339))
	e.res.NewKeyID = newKey
	e.res.Waiting = true
	e.res.WaitUntil = &end
}

// Execute carries out the plan: make the new key, derive its passwords,
// verify them (when verify is set), deliver them, and only then retire the
// old key. Until delivery succeeds, a failure deletes the new key again (its
// secret would otherwise be lost) and the old key is untouched. The rotation
// tag records progress for a re-run after a crash.
func (p *Rotation) Execute(ctx context.Context, client iamapi.IAM, deliver Deliverer, verify Verifier) (*Result, error) {
	e := &execution{Rotation: p, client: client, r: provision.NewRun(p.opts.DryRun, p.opts.Log), old: recordNoOldKey,
		res: &Result{UserName: p.UserName, OldKey: string(p.opts.OldKey), DryRun: p.opts.DryRun, Retired: []string{}, Deleted: []string{}, Lost: []string{}}}
	defer func() { e.res.Plan = e.r.Planned() }()
	if len(p.Old) == 1 {
		e.old = p.Old[0]
	}
	switch {
	case p.Fresh:
		e.res.Fresh = true
		return e.res, nil
	case !p.WaitUntil.IsZero():
		e.res.Finished = true // no new key: an earlier run's delivery is in its grace period
		e.wait(p.Finish, p.WaitUntil)
		return e.res, nil
	}
	// Another run may have started since this one read the user: nothing
	// is changed unless the tag is still as read.
	if !p.opts.DryRun {
		if err := e.expectTag(ctx, p.tag, "changing anything"); err != nil {
			return e.res, fmt.Errorf("%w; nothing was changed", err)
		}
		if p.mayBeStale() {
			if err := e.checkKeys(ctx); err != nil {
				return e.res, err
			}
		}
	}
	if err := e.deleteLost(ctx); err != nil {
		return e.res, err
	}
	if p.Finish != "" {
		return e.res, e.finish(ctx)
	}
	return e.res, e.rotate(ctx, deliver, verify)
}

// deleteLost deletes the keys an interrupted rotation made and never handed out.
func (e *execution) deleteLost(ctx context.Context) error {
	for _, id := range e.Lost {
		if e.r.Plan("delete access key %s of user %s: an interrupted rotation made it and its secret never got out", id, e.UserName) {
			if err := iamapi.DeleteAccessKey(ctx, e.client, e.UserName, id); err != nil {
				return err
			}
		}
		e.res.Deleted = append(e.res.Deleted, id)
		e.res.Lost = append(e.res.Lost, id)
	}
	return nil
}

// finish completes a rotation whose key was delivered by an earlier run.
func (e *execution) finish(ctx context.Context) error {
	e.r.Note("key %s was delivered by an interrupted rotation: finishing it, no new key", e.Finish)
	e.res.Finished = true
	e.res.NewKeyID = e.Finish
	e.res.GraceEnded = e.grace > 0
	if err := e.checkInUse(ctx); err != nil {
		return err
	}
	if err := e.retire(ctx); err != nil {
		return err
	}
	return e.untag(ctx)
}

// rotate makes, delivers and records a new key, then retires the old ones.
func (e *execution) rotate(ctx context.Context, deliver Deliverer, verify Verifier) error {
	if e.regions.recorded {
		e.r.Note("SMTP regions %s, as recorded in tag %s", derive.JoinNames(e.opts.Regions, ","), provision.RegionsTagKey)
	}
	if e.StaleTag != "" {
		e.r.Note("tag %s=%s names a key that no longer exists: ignored", TagKey, e.StaleTag)
	}
	if err := e.makeRoom(ctx); err != nil {
		return err
	}
	if err := e.start(ctx); err != nil {
		return err
	}
	if !e.r.Plan("create a new access key for user %s, derive SMTP passwords for %s", e.UserName, derive.JoinNames(e.opts.Regions, ",")) {
		e.planRest(verify != nil)
		return nil
	}
	set, err := e.makeAndDeliver(ctx, deliver, verify)
	if err != nil {
		return err
	}
	if err := e.recordDelivery(ctx, set); err != nil {
		return err
	}
	if e.opts.Grace > 0 {
		e.DeliveredAt = e.deliveredAt
		e.wait(set.AccessKeyID, e.graceEnds())
		return nil
	}
	if err := e.retire(ctx); err != nil {
		return err
	}
	return e.untag(ctx)
}

// makeRoom deletes the inactive key a new one needs the room of.
func (e *execution) makeRoom(ctx context.Context) error {
	if e.MakeRoom == "" {
		return nil
	}
	if e.r.Plan("delete inactive access key %s of user %s to make room (IAM allows two keys)", e.MakeRoom, e.UserName) {
		// checkKeys saw it still inactive a moment ago.
		if err := iamapi.DeleteAccessKey(ctx, e.client, e.UserName, e.MakeRoom); err != nil {
			return err
		}
	}
	e.res.Deleted = append(e.res.Deleted, e.MakeRoom)
	return nil
}

// start writes this run's started record and registers the rollback of an
// undelivered key.
func (e *execution) start(ctx context.Context) error {
	started, err := newStartedRecord(e.existing, e.opts.Now())
	if err != nil {
		return err
	}
	e.started = started
	if !e.r.Plan("tag user %s %s=%s (the rotation's progress, for a re-run)", e.UserName, TagKey, started) {
		return nil
	}
	if err := tagRotation(ctx, e.client, e.UserName, started); err != nil {
		return err
	}
	e.r.OnFailure("delete the undelivered new key", e.rollback)
	// TagUser overwrites: when two runs write at once, the last one owns
	// the rotation and the other stops here.
	if err := e.expectTag(ctx, started, "CreateAccessKey"); err != nil {
		return e.fail(ctx, fmt.Errorf("%w; %s", err, e.changedSoFar()))
	}
	return e.expectKeys(ctx)
}

// expectKeys reads the user's keys once this run's record is in place and
// stops the run unless they are the keys it recorded (KEYS). The tag alone
// cannot tell: another run may have made a key, delivered it and removed
// its record since this run read the user, leaving the tag as read (empty):
// a plan printed and applied later, or a run paused between two calls.
// Going on would make a second key and leave the other run's, which is in
// use, active beside it. Any such run made its key before this run's record
// was written (a run that starts later sees the record and stops), so this
// read finds it. This run made nothing: it removes its record and stops.
func (e *execution) expectKeys(ctx context.Context) error {
	var ids []string
	err := iamapi.WaitConsistent(ctx, func() (err error) { // a user made a moment ago (apply) may be unseen
		ids, err = iamapi.ListAccessKeyIDs(ctx, e.client, e.UserName)
		return err
	})
	if err != nil {
		return e.fail(ctx, fmt.Errorf("check the access keys of user %s before CreateAccessKey: %w; %s", e.UserName, err, e.changedSoFar()))
	}
	ids = e.notDeleted(ids)
	if sameKeys(ids, e.existing) {
		return nil
	}
	// The record names no key this run made: the rollback removes it if it
	// is still this run's, leaving the user as the other run left it.
	return e.fail(ctx, e.keysChanged(ids))
}

// keysChanged is the stop when the user's keys are not those this run read.
func (e *execution) keysChanged(ids []string) error {
	return fmt.Errorf("user %s: its access keys changed since this run read them (another run rotated it meanwhile, or someone changed them by hand; keys now: %s); %s. %s to plan from the user as it is now",
		e.UserName, cmp.Or(strings.Join(ids, ", "), "none"), e.changedSoFar(), upperFirst(e.opts.rerun()))
}

// mayBeStale reports whether Execute checks the keys before its first
// change (checkKeys). A caller's read (Options.Known) may be minutes old:
// apply prints its plan and carries it out later, and apply and rotate
// --all plan from their scan of the account. A plan that read the user
// itself did so a moment ago, and expectKeys covers that moment for a plain
// rotation; one that deletes or retires a key it read checks all the same.
func (p *Rotation) mayBeStale() bool {
	return p.opts.Known != nil || p.MakeRoom != "" || len(p.Lost) > 0 || p.Finish != ""
}

// checkKeys stops the run unless the user's keys are those the plan read,
// with the key that makes room still inactive: the tag alone cannot show a
// rotation that began and ended since (see expectKeys), and stopping here
// leaves no record behind.
func (e *execution) checkKeys(ctx context.Context) error {
	var keys []types.AccessKeyMetadata
	err := iamapi.WaitConsistent(ctx, func() (err error) { // a user made a moment ago (apply) may be unseen
		keys, err = iamapi.ListAccessKeys(ctx, e.client, e.UserName)
		return err
	})
	if err != nil {
		return fmt.Errorf("check the access keys of user %s before changing anything: %w; nothing was changed", e.UserName, err)
	}
	if !sameKeys(iamapi.KeyIDs(keys), iamapi.KeyIDs(e.seen)) {
		return e.keysChanged(iamapi.KeyIDs(keys))
	}
	if k, ok := findKey(keys, e.MakeRoom); ok && k.Status != types.StatusTypeInactive {
		return fmt.Errorf("user %s: access key %s, inactive when this run read the user, is %s now (someone switched it back on): this run deletes no key in use; nothing was changed. %s to plan from the user as it is now",
			e.UserName, e.MakeRoom, k.Status, upperFirst(e.opts.rerun()))
	}
	return nil
}

// notDeleted is ids without the keys this run deleted (to make room, or
// lost by an interrupted run): a read a moment after the deletion may still
// list them, as IAM's reads lag its writes.
func (e *execution) notDeleted(ids []string) []string {
	return slices.DeleteFunc(ids, func(id string) bool { return slices.Contains(e.res.Deleted, id) })
}

// changedSoFar says what this run changed before it stopped: nothing, or
// the keys it deleted as planned (lost ones, the inactive one that made room).
func (e *execution) changedSoFar() string {
	if len(e.res.Deleted) == 0 {
		return "nothing was changed"
	}
	return "this run only deleted key(s) " + strings.Join(e.res.Deleted, ", ") + ", as planned"
}

// sameKeys reports whether a and b hold the same key IDs.
func sameKeys(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// rollback deletes the key this run made (its secret would go nowhere), then
// the tag if it is still this run's. Once CreateAccessKey was called, the
// tag stays if a key it does not name remains (a key made by a call whose
// answer was lost): it tells the re-run which key is which. Before that, a
// key the record does not name is not this run's (another run's, found by
// expectKeys): the record must go, or a run after the lease would take
// that key for lost and delete it.
func (e *execution) rollback(ctx context.Context) error {
	if e.newID != "" {
		if err := iamapi.DeleteAccessKey(ctx, e.client, e.UserName, e.newID); err != nil {
			return err
		}
	}
	tags, err := iamapi.ListAllUserTags(ctx, e.client, e.UserName)
	if err != nil {
		return err
	}
	if got, _ := provision.TagValue(tags, TagKey); got != e.started {
		return nil // another run's record now: leave it
	}
	if e.createTried {
		keys, err := iamapi.ListAccessKeyIDs(ctx, e.client, e.UserName)
		if err != nil {
			return err
		}
		for _, id := range e.notDeleted(keys) {
			if id != e.newID && !slices.Contains(e.existing, id) {
				return fmt.Errorf("key %s, which this run may have made (a lost answer), remains; tag %s kept: %s %s to delete it", id, TagKey, e.opts.rerun(), e.opts.afterLease())
			}
		}
	}
	_, err = e.client.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String(e.UserName), TagKeys: []string{TagKey}})
	if err != nil && !iamapi.IsNoSuchEntity(err) {
		if !e.createTried {
			return fmt.Errorf("UntagUser %s (remove this run's record %s=%s, which may not name a key another run delivered): %w; remove it by hand before any other run (aws iam untag-user --user-name %s --tag-keys %s)",
				e.UserName, TagKey, e.started, err, e.UserName, TagKey)
		}
		return fmt.Errorf("UntagUser %s: %w", e.UserName, err)
	}
	return nil
}

// planRest records the steps a dry run stops before.
func (e *execution) planRest(verify bool) {
	if verify {
		e.r.Plan("verify the new passwords with SMTP AUTH")
	}
	e.r.Plan("deliver the new credentials")
	e.r.Plan("tag user %s %s=%s<new key>@<time>%s", e.UserName, TagKey, recordDelivered, e.regionsText())
	if e.opts.Grace > 0 {
		e.r.Note("keep the old key active for %s (--grace); a run after that retires it", e.opts.Grace)
		return
	}
	e.planRetire()
	e.r.Plan("remove tag %s from user %s", TagKey, e.UserName)
}

// makeAndDeliver makes the new key, derives its passwords, verifies and
// delivers them. A failure deletes the new key (the run's cleanups).
func (e *execution) makeAndDeliver(ctx context.Context, deliver Deliverer, verify Verifier) (creds.CredentialSet, error) {
	// CreateAccessKeyAfter never leaves a key whose response was lost.
	e.createTried = true
	id, secret, err := iamapi.CreateAccessKeyAfter(ctx, e.client, e.UserName, e.existing)
	e.newID = id
	if err != nil {
		return creds.CredentialSet{}, e.fail(ctx, err)
	}
	set := creds.DeriveCredentials(e.UserName, id, secret, e.opts.Regions)
	set.UserARN = e.UserARN
	e.res.NewKeyID = set.AccessKeyID
	if err := e.expectTag(ctx, e.started, "delivering"); err != nil {
		return set, e.fail(ctx, fmt.Errorf("%w; this run's new key %s was deleted, %s", err, id, e.oldUntouched()))
	}
	if verify != nil {
		e.r.Plan("verify the new passwords with SMTP AUTH")
		if err := verify(ctx, set); err != nil {
			return set, e.fail(ctx, fmt.Errorf("the new key %s failed verification; it was deleted and %s: %w", set.AccessKeyID, e.oldUntouched(), err))
		}
	}
	e.r.Plan("deliver the new credentials")
	if err := deliver(ctx, set); err != nil {
		return set, e.fail(ctx, fmt.Errorf("deliver the new credentials: %w (the new key %s was deleted; %s)", err, set.AccessKeyID, e.oldUntouched()))
	}
	// Delivered: the new key is wanted whatever happens next.
	e.r.Keep()
	return set, nil
}

// recordDelivery writes delivered:<NEW>. The record and the check before it
// are made even if the run is being interrupted: without the record the
// re-run could not tell the delivered key from a lost one, and would
// replace it.
func (e *execution) recordDelivery(ctx context.Context, set creds.CredentialSet) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), iamapi.CleanupTimeout)
	defer cancel()
	if err := e.expectTag(rctx, e.started, "recording the delivery"); err != nil {
		// Another run took the rotation over (this run's record looked
		// stale to it, e.g. a slow clock here) and may have deleted the key
		// just delivered: retiring old keys now could leave none working.
		return fmt.Errorf("%w. Key %s was delivered, but the other run may have deleted it: this run retires nothing (old key %s stays as it is); use the other run's delivery, and check the user's keys with 'sesprov list'", err, set.AccessKeyID, e.old)
	}
	e.r.Plan("tag user %s %s=%s%s%s", e.UserName, TagKey, recordDelivered, set.AccessKeyID, e.regionsText())
	// The regions are recorded in the same call: they are the new key's.
	e.deliveredAt = e.opts.Now().UTC().Truncate(time.Second) // as recorded
	tags := []types.Tag{tag(TagKey, deliveredRecord(set.AccessKeyID, e.deliveredAt, e.opts.Grace))}
	if e.regions.write != nil {
		tags = append(tags, *e.regions.write)
	}
	if err := tagUser(rctx, e.client, e.UserName, "record the rotation's progress", tags...); err != nil {
		return fmt.Errorf("%w; the new key %s was delivered, old key %s is still active. %s: it cannot recover the delivered secret, so it replaces %s with a fresh key, delivers that and then retires %s",
			err, set.AccessKeyID, e.old, upperFirst(e.opts.rerun()), set.AccessKeyID, e.old)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted after delivering key %s (%w): %s to retire old key %s; it makes no new key", set.AccessKeyID, err, e.opts.rerun(), e.old)
	}
	return nil
}

// planRetire records the retire steps of a dry run.
func (e *execution) planRetire() {
	for _, id := range e.Old {
		switch e.opts.OldKey {
		case OldKeyKeep:
			e.r.Note("keep old access key %s active (--old-key keep)", id)
		case OldKeyDelete:
			e.r.Plan("delete old access key %s", id)
		default:
			e.r.Plan("deactivate old access key %s", id)
		}
	}
}

// retire applies --old-key to the old keys.
func (e *execution) retire(ctx context.Context) error {
	for _, id := range e.Old {
		switch e.opts.OldKey {
		case OldKeyKeep:
			e.r.Note("kept old access key %s active (--old-key keep): retire it yourself once unused", id)
			continue
		case OldKeyDelete:
			if e.r.Plan("delete old access key %s", id) {
				if err := iamapi.DeleteAccessKey(ctx, e.client, e.UserName, id); err != nil {
					return e.retireErr(err)
				}
			}
		default:
			if e.r.Plan("deactivate old access key %s", id) {
				_, err := e.client.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{
					UserName: aws.String(e.UserName), AccessKeyId: aws.String(id), Status: types.StatusTypeInactive,
				})
				if err != nil && !iamapi.IsNoSuchEntity(err) {
					return e.retireErr(fmt.Errorf("UpdateAccessKey %s (deactivate the old key): %w", id, err))
				}
			}
		}
		e.res.Retired = append(e.res.Retired, id)
	}
	return nil
}

func (e *execution) retireErr(err error) error {
	return fmt.Errorf("%w; the new credentials were delivered. %s to retire the old key: it finishes this rotation without making another key", err, upperFirst(e.opts.rerun()))
}

// regionsText is the regions tag of the delivery record, for the plan.
func (e *execution) regionsText() string {
	if t := e.regions.write; t != nil {
		return " " + aws.ToString(t.Key) + "=" + aws.ToString(t.Value)
	}
	return ""
}

func (e *execution) untag(ctx context.Context) error {
	keys := []string{TagKey}
	if e.regions.drop {
		keys = append(keys, provision.RegionsTagKey) // stale: too many regions to record
	}
	if !e.r.Plan("remove tag %s from user %s", strings.Join(keys, ", "), e.UserName) {
		return nil
	}
	_, err := e.client.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String(e.UserName), TagKeys: keys})
	if err != nil && !iamapi.IsNoSuchEntity(err) {
		return fmt.Errorf("UntagUser %s (remove %s; the rotation itself is done): %w; %s to finish", e.UserName, TagKey, err, e.opts.rerun())
	}
	return nil
}

// expectTag reads the rotation tag back and fails (exit 1) unless it is
// want: another run started, took this one over, or finished meanwhile.
func (e *execution) expectTag(ctx context.Context, want, before string) error {
	tags, err := iamapi.ListAllUserTags(ctx, e.client, e.UserName)
	if err != nil {
		return fmt.Errorf("check tag %s before %s: %w", TagKey, before, err)
	}
	if got, _ := provision.TagValue(tags, TagKey); got != want {
		if got == "" {
			got = "(none)"
		}
		return fmt.Errorf("user %s: another sesprov run changed tag %s to %s before %s (this run expected %q): it owns the rotation now, so this run stops",
			e.UserName, TagKey, got, before, want)
	}
	return nil
}

// fail runs the cleanups registered so far (Execute is not driven by
// provision.Run.Execute, whose steps would hide the order rotate's checks
// need) and returns err with any cleanup failure added.
func (e *execution) fail(ctx context.Context, err error) error {
	if cerr := e.r.Cleanup(ctx); cerr != nil {
		return fmt.Errorf("%w; and then %w", err, cerr)
	}
	return err
}

// oldUntouched says what became of the user's other key after a failure
// before delivery.
func (e *execution) oldUntouched() string {
	if e.old == recordNoOldKey {
		return "the user had no other key"
	}
	return "old key " + e.old + " is untouched"
}

func upperFirst(s string) string { return strings.ToUpper(s[:1]) + s[1:] }
