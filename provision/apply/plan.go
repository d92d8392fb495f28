package apply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/rotate"
	"github.com/sesprov/sesprov/provision/scope"
)

// The status of a sender (or of an unlisted user) after a run, or in a dry
// run what a real run would make it.
const (
	StatusCreated   = "created"   // the user was made and its credentials delivered
	StatusRotated   = "rotated"   // a new key was made and delivered
	StatusRetired   = "retired"   // a superseded key was retired after its grace period
	StatusScoped    = "scoped"    // the From-address scope was set, changed or removed
	StatusUpdated   = "updated"   // tags, the permissions boundary or group membership were set
	StatusUnchanged = "unchanged" // nothing was due
	StatusUnlisted  = "unlisted"  // made by sesprov, not in the file: left alone (see Prune)
	StatusPruned    = "pruned"    // made by sesprov, not in the file: deleted (Prune)
	StatusFailed    = "failed"    // see Error; the other senders went on
	StatusConflict  = "conflict"  // needs a person (see Error); its keys were left as they were
)

// The operations of a Change, as terraform plan marks them.
const (
	OpCreate = "+"
	OpChange = "~"
	OpDelete = "-"
)

// Change is one difference between the file and the account, and what apply
// does about it.
type Change struct {
	Op     string `json:"op"`     // OpCreate, OpChange or OpDelete
	What   string `json:"what"`   // user, key, allow_from, tags, permissions_boundary, group
	Detail string `json:"detail"` // what and why, for a person; never a secret
}

// Options say how apply runs.
type Options struct {
	DryRun bool
	Prune  bool // delete the unlisted users (the caller has confirmed)
	// Force retires a superseded key at the end of its grace period even
	// though it was used late in it (rotate's Force).
	Force       bool
	Concurrency int // senders worked on at once; 0: DefaultConcurrency
	GroupName   string
	PolicyName  string
	Now         func() time.Time // default time.Now
	Log         *slog.Logger
	Notices     provision.Notices
}

// DefaultConcurrency is how many senders apply works on at once (IAM's rate
// is kept by the clients' limiter whatever it is).
const DefaultConcurrency = 8

// MaxConcurrency bounds Options.Concurrency.
const MaxConcurrency = 64

func (o *Options) setDefaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.GroupName == "" {
		o.GroupName = provision.DefaultGroupName
	}
	if o.PolicyName == "" {
		o.PolicyName = provision.DefaultPolicyName
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// keyAction is what a sender's keys need.
type keyAction int

const (
	keysNone   keyAction = iota // nothing due
	keysCreate                  // make the user (or finish one an earlier run left key-less) and deliver
	keysRotate                  // a new key, delivered, then the old one retired (rotation.Delivers)
	keysFinish                  // an earlier rotation's superseded key retired (or still in grace)
)

// SenderPlan is what apply found for one sender and decided to do.
type SenderPlan struct {
	Sender  Sender
	Have    *provision.UserDetail // nil: no such user
	Changes []Change

	keys     keyAction
	rotation *rotate.Rotation // keysRotate, keysFinish
	scopeSet bool             // put Sender.AllowFrom (or, empty, delete the scope)
	tags     []types.Tag      // to set
	boundary bool             // set Sender.PermissionsBoundary
	join     bool             // add the user to the sending group
	err      error            // a conflict or a failure found while planning
}

// Delivers reports whether applying the plan makes a key whose credentials
// go to the sender's destination.
func (sp *SenderPlan) Delivers() bool {
	return sp.err == nil && (sp.keys == keysCreate || sp.keys == keysRotate)
}

// Err is the conflict or failure found while planning; nil: none.
func (sp *SenderPlan) Err() error { return sp.err }

func (sp *SenderPlan) add(op, what, format string, args ...any) {
	sp.Changes = append(sp.Changes, Change{Op: op, What: what, Detail: fmt.Sprintf(format, args...)})
}

// planSender compares one sender with its user (have, from the scan) and
// decides. It only reads: one ListAccessKeys for an existing user, and
// rotate's own reads when a rotation is due or on record.
func planSender(ctx context.Context, api iamapi.IAM, s Sender, have *provision.UserDetail, o *Options) *SenderPlan {
	sp := &SenderPlan{Sender: s, Have: have}
	if have == nil {
		sp.keys = keysCreate
		sp.add(OpCreate, "user", "new SMTP user: regions %s, credentials to %s%s", derive.JoinNames(s.Regions, ","), destText(s), scopeText(s.AllowFrom))
		return sp
	}
	if ev := have.Classify(o.GroupName, o.PolicyName, 0); !ev.IsSMTPUser() {
		sp.err = fail.Conflictf("user %s exists and is not an SMTP user (not in group %s, no inline policy %s, not tagged by sesprov or the SES console): apply will not take over a user something else may use; nothing about it was changed. Rename the sender in the file; or, if the user is meant to send, add it to the group (aws iam add-user-to-group --user-name %s --group-name %s) and apply again",
			s.Name, o.GroupName, o.PolicyName, s.Name, o.GroupName)
		return sp
	}
	keys, err := iamapi.ListAccessKeys(ctx, api, s.Name)
	if err != nil {
		sp.err = err
		return sp
	}
	sp.planAttributes(o)
	sp.planScope()
	if len(keys) == 0 {
		// Made by an earlier run cut short before its key, or stripped of
		// its keys: create-user finishes it (group, key, delivery).
		sp.keys = keysCreate
		sp.add(OpCreate, "key", "the user has no access key: a key is made and its credentials delivered to %s", destText(s))
		return sp
	}
	sp.planKeys(ctx, api, keys, o)
	return sp
}

// planAttributes compares tags, the permissions boundary and group
// membership. A different path is reported, not changed: moving a user
// changes its ARN, which policies elsewhere may name.
func (sp *SenderPlan) planAttributes(o *Options) {
	s, have := sp.Sender, sp.Have
	if have.Path != "" && have.Path != s.Path {
		o.Notices.Warn(s.Name, "user %s has path %s, the file says %s: apply does not move users (their ARN would change). Fix the file, or delete the user and apply again", s.Name, have.Path, s.Path)
	}
	for _, t := range s.Tags {
		if v, ok := provision.TagValue(have.Tags, t.Key); !ok || v != t.Value {
			sp.tags = append(sp.tags, types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
			if ok {
				sp.add(OpChange, "tags", "tag %s: %q → %q", t.Key, v, t.Value)
			} else {
				sp.add(OpChange, "tags", "tag %s: set to %q", t.Key, t.Value)
			}
		}
	}
	if b := s.PermissionsBoundary; b != "" && have.Boundary != b {
		sp.boundary = true
		sp.add(OpChange, "permissions_boundary", "%s → %s", orNone(have.Boundary), b)
	}
	if !slices.ContainsFunc(have.Groups, func(g string) bool { return strings.EqualFold(g, o.GroupName) }) &&
		!slices.Contains(have.InlinePolicies, o.PolicyName) {
		sp.join = true
		sp.add(OpChange, "group", "not in group %s (it cannot send): added", o.GroupName)
	}
}

// planScope compares the From-address scope.
func (sp *SenderPlan) planScope() {
	want := sp.Sender.AllowFrom
	var have []string
	if doc, ok := sp.Have.InlineDocuments[scope.PolicyName]; ok {
		var err error
		if have, err = scope.AddressesOf(doc); err != nil || len(have) == 0 {
			// A policy of that name sesprov cannot read is rewritten as the
			// file says (or removed).
			have = []string{"(unreadable " + scope.PolicyName + ")"}
		}
	}
	if sameSet(have, want) {
		return
	}
	sp.scopeSet = true
	switch {
	case len(have) == 0:
		sp.add(OpCreate, "allow_from", "scoped to %s", strings.Join(scope.Shown(want), ", "))
	case len(want) == 0:
		sp.add(OpDelete, "allow_from", "scope %s removed: the user may send from any address its account may", strings.Join(scope.Shown(have), ", "))
	default:
		sp.add(OpChange, "allow_from", "%s → %s", strings.Join(scope.Shown(have), ", "), strings.Join(scope.Shown(want), ", "))
	}
}

// planKeys decides whether the keys are due: a rotation on record is
// followed (finished, or still in its grace period); otherwise a rotation is
// due when there is no active key, the newest active key is older than
// max_key_age, or the file's regions are not all among those the user's
// credentials were made for.
func (sp *SenderPlan) planKeys(ctx context.Context, api iamapi.IAM, keys []types.AccessKeyMetadata, o *Options) {
	s := sp.Sender
	_, onRecord := provision.TagValue(sp.Have.Tags, rotate.TagKey)
	why := ""
	if !onRecord { // a rotation on record is finished first; the next run judges the new key
		if why = dueReason(s, keys, sp.Have.Tags, o.Now()); why == "" {
			return
		}
	}
	ro := rotate.Options{
		UserName: s.Name, Regions: s.Regions, Grace: s.Grace, Classified: true, Force: o.Force, Command: "apply",
		Known:     &rotate.Known{ARN: sp.Have.UserARN, Keys: keys, Tags: sp.Have.Tags}, // read by the scan and just now
		GroupName: o.GroupName, PolicyName: o.PolicyName, Now: o.Now, Log: o.Log, Notices: o.Notices,
	}
	r, err := rotate.Plan(ctx, api, ro)
	if err != nil {
		sp.err = err
		return
	}
	sp.rotation = r
	switch {
	case r.Delivers():
		sp.keys = keysRotate
		if r.MakeRoom != "" {
			sp.add(OpDelete, "key", "delete inactive key %s to make room for the new one (IAM allows two keys; a deleted key cannot be switched back on)", r.MakeRoom)
		}
		sp.add(OpChange, "key", "rotate: %s; the new key's credentials go to %s%s", orText(why, "an interrupted rotation is taken over"), destText(s), retireText(r, s.Grace))
	case !r.WaitUntil.IsZero():
		sp.keys = keysFinish // nothing changes before WaitUntil
		sp.pending(keys, r, o, "after "+r.WaitUntil.UTC().Format(time.RFC3339))
	default:
		sp.keys = keysFinish
		// The in-use check a real run makes before retiring, made now so
		// that a plan says what the run will do (it only reads).
		if err := r.CheckInUse(ctx, api); err != nil {
			sp.err = err
			return
		}
		sp.add(OpDelete, "key", "retire %s: superseded by %s, delivered %s; its grace period is over and it was not used late in it", strings.Join(r.Old, ", "), r.Finish, timeText(r.DeliveredAt))
		sp.pending(keys, r, o, "at the next apply")
	}
}

// pending notes what the file asks of the keys that must wait until an
// earlier rotation is finished: a rotation is made from the delivered key
// on, by a later run.
func (sp *SenderPlan) pending(keys []types.AccessKeyMetadata, r *rotate.Rotation, o *Options, when string) {
	var delivered []types.AccessKeyMetadata
	for _, k := range keys {
		if aws.ToString(k.AccessKeyId) == r.Finish {
			delivered = append(delivered, k)
		}
	}
	if why := dueReason(sp.Sender, delivered, sp.Have.Tags, o.Now()); why != "" {
		sp.add(OpChange, "key", "pending: %s; rotated %s, once the earlier rotation (key %s) is finished", why, when, r.Finish)
	}
}

// dueReason says why a sender's key is due for rotation ("" when it is not).
func dueReason(s Sender, keys []types.AccessKeyMetadata, tags []types.Tag, now time.Time) string {
	var newest time.Time
	active := 0
	for _, k := range keys {
		if k.Status == types.StatusTypeActive {
			active++
			newest = maxTime(newest, aws.ToTime(k.CreateDate))
		}
	}
	switch recorded := provision.ParseRegionsTag(tags); {
	case active == 0:
		return "the user has no active key"
	case active > 1:
		return "the user has two active keys" // rotate.Plan says which decision it needs
	case s.MaxKeyAge > 0 && now.Sub(newest) > s.MaxKeyAge:
		return fmt.Sprintf("newest key is %s old (max_key_age %s)", ageText(now.Sub(newest)), durationText(s.MaxKeyAge))
	case len(recorded) == 0:
		return fmt.Sprintf("the regions its credentials were made for are not recorded (tag %s); the file asks for %s", provision.RegionsTagKey, derive.JoinNames(s.Regions, ","))
	default:
		if grew := missingRegions(recorded, s.Regions); len(grew) > 0 {
			return fmt.Sprintf("regions grew: +%s (a password for a new region needs the secret key, which sesprov never keeps)", strings.Join(grew, ", +"))
		}
	}
	return ""
}

// missingRegions are the regions of want not in recorded.
func missingRegions(recorded []string, want []derive.Region) []string {
	var out []string
	for _, r := range want {
		if !slices.Contains(recorded, r.Name) {
			out = append(out, r.Name)
		}
	}
	return out
}

// PruneIdle is how long a user's keys must have gone unused before --prune
// deletes it without --force: a sender dropped from the file that still
// sends is more likely a mistake than a decision.
const PruneIdle = 7 * 24 * time.Hour

// planUnlisted is a user sesprov made that the file does not list. With
// prune, its keys' last use is read: one used in the last PruneIdle is a
// conflict unless Force.
func planUnlisted(ctx context.Context, api iamapi.IAM, d *provision.UserDetail, o *Options) *SenderPlan {
	sp := &SenderPlan{Sender: Sender{Name: d.UserName}, Have: d}
	if !o.Prune {
		sp.add(OpDelete, "user", "made by sesprov, not in the file: left alone (--prune deletes it)")
		return sp
	}
	used, err := lastUse(ctx, api, d.UserName)
	switch {
	case err != nil:
		sp.err = err
	case !used.at.IsZero() && o.Now().Sub(used.at) < PruneIdle && !o.Force:
		sp.err = fail.Conflictf("user %s is not in the file, but its key %s was used at %s in region %s (less than %s ago): it still sends, so --prune leaves it. Put it back in the file, stop that sender and prune later, or pass --force to delete it anyway",
			d.UserName, used.key, used.at.UTC().Format(time.RFC3339), orText(used.region, "unknown"), durationText(PruneIdle))
	}
	sp.add(OpDelete, "user", "made by sesprov, not in the file: deleted with its keys (--prune); %s", used.text())
	return sp
}

// keyUse is a user's most recent key use.
type keyUse struct {
	key, region string
	at          time.Time
}

func (u keyUse) text() string {
	if u.at.IsZero() {
		return "its keys were never used"
	}
	return fmt.Sprintf("last used %s (key %s)", u.at.UTC().Format(time.RFC3339), u.key)
}

// lastUse reads the last use of each of the user's keys and returns the
// most recent.
func lastUse(ctx context.Context, api iamapi.IAM, user string) (keyUse, error) {
	keys, err := iamapi.ListAccessKeys(ctx, api, user)
	if err != nil {
		return keyUse{}, err
	}
	var last keyUse
	for _, k := range keys {
		id := aws.ToString(k.AccessKeyId)
		out, err := api.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)})
		if err != nil {
			return keyUse{}, fmt.Errorf("iam:GetAccessKeyLastUsed %s (is the unlisted user still sending?): %w", id, err)
		}
		if lu := out.AccessKeyLastUsed; lu != nil && aws.ToTime(lu.LastUsedDate).After(last.at) {
			last = keyUse{key: id, region: aws.ToString(lu.Region), at: aws.ToTime(lu.LastUsedDate)}
		}
	}
	return last, nil
}

// status is the sender's status once its plan was applied without error
// (or, in a dry run, would be).
func (sp *SenderPlan) status() string {
	switch {
	case sp.Have == nil || sp.keys == keysCreate:
		return StatusCreated
	case sp.keys == keysRotate:
		return StatusRotated
	case sp.keys == keysFinish && sp.rotation != nil && sp.rotation.WaitUntil.IsZero():
		return StatusRetired
	case sp.scopeSet:
		return StatusScoped
	case len(sp.tags) > 0 || sp.boundary || sp.join:
		return StatusUpdated
	}
	return StatusUnchanged
}

func errStatus(err error) string {
	if fail.KindOf(err) == fail.KindConflict {
		return StatusConflict
	}
	return StatusFailed
}

var errNotStarted = errors.New("not started: the run was interrupted")
