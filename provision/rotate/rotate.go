// Package rotate replaces an SMTP user's access key and passwords, retiring
// the old key only once the new credentials were delivered.
//
// It has two entry points, Plan and (*Rotation).Execute, rather than one Run:
// the command line must know whether the run will deliver anything (finishing
// an earlier rotation delivers nothing) before it opens the destination, and
// the destination must be open before the first change.
package rotate

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/redact"
	"github.com/sesprov/sesprov/provision"
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

// Options is what rotate was asked to do.
type Options struct {
	UserName string
	// Regions are the SMTP regions to derive passwords for. Empty: the
	// regions recorded on the user (provision.RegionsTagKey). The regions
	// are recorded with the delivery, for the next rotation.
	Regions []derive.Region
	OldKey  OldKeyAction // default OldKeyDeactivate
	DryRun  bool

	// StaleAfter is the lease of a started rotation: a "started" record
	// younger than this may belong to a run still in progress, which
	// another run must not disturb (it would delete that run's new key). 0
	// means DefaultStaleAfter; a negative value takes over at once.
	StaleAfter time.Duration
	Now        func() time.Time // default time.Now

	// A user that is not an SMTP user (see delete-user) is refused unless
	// Force: its key may serve something else.
	GroupName  string // default provision.DefaultGroupName
	PolicyName string // default provision.DefaultPolicyName
	// Force also retires a superseded key that was used after its grace
	// period began (see Grace).
	Force bool
	// Classified: the caller already found the user to be an SMTP user
	// (rotate --all, from list's discovery): Plan does not ask IAM again.
	Classified bool

	// Grace keeps the superseded key active for this long after the new
	// key was delivered: the delivery is recorded with its time and a
	// later run retires the old key (see grace.go). 0 retires it at once.
	Grace time.Duration
	// OlderThan: rotate only when the newest active key is older than
	// this (a finished delivery's superseded key is retired regardless).
	// 0 rotates whatever the keys' age.
	OlderThan time.Duration

	// Command is the command a person runs again, named in advice
	// ("rotate" when empty; apply rotates through this package too).
	Command string

	// Known, when set, is the user as the caller read it a moment ago:
	// Plan takes its ARN, keys and tags from it instead of reading them
	// again. Execute still reads the rotation record back before its first
	// change, so another run's record written since is found.
	Known *Known

	Log     *slog.Logger      // may be nil
	Notices provision.Notices // may be nil
}

// Known is a user as a caller already read it (see Options.Known).
type Known struct {
	ARN  string
	Keys []types.AccessKeyMetadata
	Tags []types.Tag
}

// Deliverer writes new credentials to where they are going (stdout, an
// --out-file) and returns only once they are there. rotate calls it once,
// before it changes anything about the old key.
type Deliverer func(ctx context.Context, set creds.CredentialSet) error

// Verifier proves new credentials work (an SMTP AUTH per region) before they
// are delivered and the old key is retired.
type Verifier func(ctx context.Context, set creds.CredentialSet) error

// Rotation is what Plan saw and decided; Execute carries it out.
type Rotation struct {
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
	// DeliveredAt is when the key Finish was delivered (zero: unknown,
	// an older sesprov's record).
	DeliveredAt time.Time
	// WaitUntil, when set, is the end of Finish's grace period: this run
	// changes nothing.
	WaitUntil time.Time
	// Fresh: the newest active key is younger than OlderThan; nothing is due.
	Fresh bool

	// tag is the rotation tag as read (Execute checks nobody changed it
	// before changing anything); existing are the keys left once Lost and
	// MakeRoom are gone: the KEYS of this run's started record.
	tag      string
	existing []string
	// seen are the user's keys as read (by Plan, or by the caller:
	// Options.Known); Execute reads them again before its first change.
	seen []types.AccessKeyMetadata
	// superseded are the active keys Finish supersedes: checked for use
	// before they are retired after a grace period.
	superseded []string

	// inUseChecked: CheckInUse passed (a plan checked): Execute does not
	// read the keys' last use again.
	inUseChecked bool

	regions regionsRecord
	// grace is the grace period: the one recorded with the delivery being
	// finished, else Options.Grace.
	grace time.Duration

	opts Options
}

// Delivers reports whether Execute will make and deliver a new key (false
// when it only finishes an earlier rotation).
func (p *Rotation) Delivers() bool { return p.Finish == "" && !p.Fresh }

// Result reports what Execute did (or would do, in a dry run).
type Result struct {
	UserName string   `json:"user_name"`
	NewKeyID string   `json:"new_access_key_id,omitempty"`
	Finished bool     `json:"finished_earlier_rotation"` // no new key: an earlier run's was finished
	Retired  []string `json:"retired_access_keys"`
	OldKey   string   `json:"old_key"` // what was done with them
	Deleted  []string `json:"deleted_access_keys"`
	Lost     []string `json:"lost_access_keys"` // deleted: an interrupted run made them, their secret never got out
	// Fresh: nothing was due (OlderThan); Waiting: the superseded keys
	// stay active until WaitUntil (Grace), after a delivery by this run or
	// an earlier one.
	Fresh     bool       `json:"fresh,omitempty"`
	Waiting   bool       `json:"waiting,omitempty"`
	WaitUntil *time.Time `json:"wait_until,omitempty"`
	// GraceEnded: Finished a delivery whose grace period is over (rather
	// than an interrupted rotation).
	GraceEnded bool                 `json:"grace_ended,omitempty"`
	Plan       []provision.PlanItem `json:"-"`
	DryRun     bool                 `json:"dry_run"`
}

// rerun is the advice to run the command again.
func (o *Options) rerun() string { return "run " + cmp.Or(o.Command, "rotate") + " again" }

// isRotate: the advice may name rotate's own flags.
func (o *Options) isRotate() bool { return o.Command == "" || o.Command == "rotate" }

// afterLease says when a run may take over a started rotation.
func (o *Options) afterLease() string {
	if o.isRotate() {
		return "after --stale-after"
	}
	return "once the lease (" + o.StaleAfter.String() + ") runs out"
}

func (o *Options) setDefaults() error {
	if o.Log == nil {
		o.Log = redact.DiscardLogger()
	}
	if err := provision.ValidateUserName(o.UserName); err != nil {
		return err
	}
	if o.OldKey == "" {
		o.OldKey = OldKeyDeactivate
	}
	if o.StaleAfter == 0 {
		o.StaleAfter = DefaultStaleAfter
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Plan reads the user's keys and rotation tag and decides what to do. It
// changes nothing. Two active keys with no rotation of sesprov's in progress
// is a conflict: sesprov never guesses which active key is in use.
func Plan(ctx context.Context, client iamapi.IAM, opts Options) (*Rotation, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	p, err := plan(ctx, client, opts)
	if err != nil && opts.Known != nil && opts.Classified && fail.KindOf(err) != fail.KindUsage {
		// What the caller read is older than this moment, and its tags and
		// keys were not read together (a page of the account, then each
		// user's keys): a rotation under way in between looks like two
		// active keys. Before reporting a stop, read the user afresh.
		fresh := opts
		fresh.Known = nil
		return plan(ctx, client, fresh)
	}
	return p, err
}

// plan is Plan on opts with defaults set.
func plan(ctx context.Context, client iamapi.IAM, opts Options) (*Rotation, error) {
	u, keys, tags, err := readUser(ctx, client, opts)
	if err != nil {
		return nil, err
	}
	record, _ := provision.TagValue(tags, TagKey)
	p := &Rotation{UserName: opts.UserName, UserARN: aws.ToString(u.Arn), tag: record, seen: keys, opts: opts}
	keys, done, err := p.followRecord(keys)
	if err != nil {
		return nil, err
	}
	if !done {
		if err := p.decideKeys(keys); err != nil {
			return nil, err
		}
	}
	if p.grace == 0 {
		p.grace = p.opts.Grace
	}
	if done && p.grace > 0 {
		p.decideGrace()
	}
	if p.Fresh {
		return p, nil // nothing due: the regions do not matter
	}
	if err := p.chooseRegions(tags); err != nil {
		return nil, err
	}
	return p, nil
}

// readUser reads the user, its keys and its tags, and refuses a user that is
// not an SMTP user unless Force.
func readUser(ctx context.Context, client iamapi.IAM, opts Options) (*types.User, []types.AccessKeyMetadata, []types.Tag, error) {
	name := opts.UserName
	if k := opts.Known; k != nil && opts.Classified {
		return &types.User{UserName: aws.String(name), Arn: aws.String(k.ARN)}, k.Keys, k.Tags, nil
	}
	u, err := client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
	if err != nil {
		if iamapi.IsNoSuchEntity(err) && len(opts.Regions) == 0 {
			return nil, nil, nil, fail.Usagef("no region given, and GetUser: user %s does not exist: nothing to rotate (make it with 'sesprov create-user --user-name %s --regions R1,R2')", name, name)
		}
		if iamapi.IsNoSuchEntity(err) {
			return nil, nil, nil, fail.Usagef("GetUser: user %s does not exist: nothing to rotate (make it with 'sesprov create-user --user-name %s')", name, name)
		}
		return nil, nil, nil, fmt.Errorf("GetUser %s: %w", name, err)
	}
	keys, err := iamapi.ListAccessKeys(ctx, client, name)
	if err != nil {
		return nil, nil, nil, err
	}
	tags, err := iamapi.ListAllUserTags(ctx, client, name)
	if err != nil {
		return nil, nil, nil, err
	}
	if opts.Force || opts.Classified {
		return u.User, keys, tags, nil
	}
	ev, err := provision.Classify(ctx, client, name, provision.ClassifyOptions{Group: opts.GroupName, Policy: opts.PolicyName, Tags: tags})
	if err != nil {
		return nil, nil, nil, err
	}
	if !ev.IsSMTPUser() {
		return nil, nil, nil, fail.Conflictf("user %s is not an SMTP user (not in group %s, no inline policy %s, not tagged by sesprov or the SES console): rotating would retire a key something else may use; nothing was changed. Pass --force to rotate it anyway",
			name, defaultString(opts.GroupName, provision.DefaultGroupName), defaultString(opts.PolicyName, provision.DefaultPolicyName))
	}
	return u.User, keys, tags, nil
}

// followRecord reads the rotation tag. done: an interrupted rotation
// delivered its key, which this run finishes. Otherwise it returns the keys
// left to judge by the plain rules (a started record's lost keys set aside).
func (p *Rotation) followRecord(keys []types.AccessKeyMetadata) (_ []types.AccessKeyMetadata, done bool, _ error) {
	switch tag := p.tag; {
	case strings.HasPrefix(tag, recordDelivered):
		newKey, at, grace := parseDelivered(strings.TrimPrefix(tag, recordDelivered))
		p.DeliveredAt, p.grace = at, grace
		done, err := p.followDelivered(keys, newKey)
		return keys, done, err
	case strings.HasPrefix(tag, recordStarted):
		keys, err := p.followStarted(keys, parseStarted(strings.TrimPrefix(tag, recordStarted)))
		return keys, false, err
	case tag != "":
		return nil, false, fail.Conflictf("user %s has tag %s=%q, which sesprov does not understand; remove the tag and %s", p.UserName, TagKey, tag, p.opts.rerun())
	}
	return keys, false, nil
}

// followDelivered finishes a rotation whose key newKey was delivered. It
// returns false when the key is gone: the record is stale, and the run
// rotates afresh by the plain rules.
func (p *Rotation) followDelivered(keys []types.AccessKeyMetadata, newKey string) (bool, error) {
	k, ok := findKey(keys, newKey)
	switch {
	case !ok:
		p.StaleTag = p.tag
		return false, nil
	case k.Status != types.StatusTypeActive:
		return false, fail.Conflictf("user %s: an interrupted rotation delivered key %s, but it is now inactive; sesprov will not retire the other key. Reactivate %s or remove the tag %s, then %s",
			p.UserName, newKey, newKey, TagKey, p.opts.rerun())
	}
	p.Finish = newKey
	for _, k := range keys {
		if id := aws.ToString(k.AccessKeyId); id != newKey {
			p.Old = append(p.Old, id)
			if k.Status == types.StatusTypeActive {
				p.superseded = append(p.superseded, id)
			}
		}
	}
	return true, nil
}

// followStarted takes over a started rotation once its lease ran out: the
// keys it does not name are its lost ones; the others are returned.
func (p *Rotation) followStarted(keys []types.AccessKeyMetadata, st startedRecord) ([]types.AccessKeyMetadata, error) {
	if age := st.age(keys, p.opts.Now()); p.opts.StaleAfter > 0 && age < p.opts.StaleAfter {
		return nil, fmt.Errorf("user %s: a rotation started %s ago (tag %s=%s) may still be running; sesprov leaves it alone. If that run died, %s after %s%s; nothing was changed",
			p.UserName, age.Round(time.Second), TagKey, p.tag, p.opts.rerun(), p.opts.Now().Add(p.opts.StaleAfter-age).UTC().Format(time.RFC3339), shorterLease(&p.opts))
	}
	for _, id := range st.keys {
		if _, ok := findKey(keys, id); !ok {
			return nil, fail.Conflictf("user %s: an interrupted rotation recorded key %s, which is gone; sesprov cannot tell which remaining key is whose. Check the user's keys, remove the tag %s, then %s",
				p.UserName, id, TagKey, p.opts.rerun())
		}
	}
	var remaining []types.AccessKeyMetadata
	for _, k := range keys {
		if id := aws.ToString(k.AccessKeyId); !st.names(id) {
			p.Lost = append(p.Lost, id)
		} else {
			remaining = append(remaining, k)
		}
	}
	return remaining, nil
}

// decideKeys applies the plain rules: one active key at most; an inactive
// key makes room when the user has two.
func (p *Rotation) decideKeys(keys []types.AccessKeyMetadata) error {
	var active, inactive []types.AccessKeyMetadata
	for _, k := range keys {
		if k.Status == types.StatusTypeActive {
			active = append(active, k)
		} else {
			inactive = append(inactive, k)
		}
	}
	if len(active) > 1 {
		return fail.Conflictf("user %s has two active access keys (%s): sesprov never guesses which one is in use. Deactivate the one no longer used (aws iam update-access-key --user-name %s --access-key-id ID --status Inactive), then %s; nothing was changed",
			p.UserName, describeKeys(active), p.UserName, p.opts.rerun())
	}
	if len(keys) >= 2 {
		// IAM allows two keys: the oldest inactive one makes room.
		p.MakeRoom = aws.ToString(oldest(inactive).AccessKeyId)
	}
	for _, k := range keys {
		if id := aws.ToString(k.AccessKeyId); id != p.MakeRoom {
			p.existing = append(p.existing, id)
		}
	}
	for _, k := range active {
		p.Old = append(p.Old, aws.ToString(k.AccessKeyId))
	}
	if p.opts.OlderThan > 0 && len(active) > 0 && p.tag == "" {
		// The newest active key is what senders use: it decides. A
		// rotation on record (taken over) was due when it started: it
		// goes on, so that its record is not left behind.
		newest := aws.ToTime(slices.MaxFunc(active, func(a, b types.AccessKeyMetadata) int {
			return aws.ToTime(a.CreateDate).Compare(aws.ToTime(b.CreateDate))
		}).CreateDate)
		p.Fresh = p.opts.Now().Sub(newest) < p.opts.OlderThan
	}
	return nil
}

// shorterLease is rotate's way to take over sooner, "" for another command.
func shorterLease(o *Options) string {
	if o.isRotate() {
		return " (or with a shorter --stale-after)"
	}
	return ""
}
