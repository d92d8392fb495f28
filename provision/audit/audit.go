// Package audit judges every SMTP user of an account against the CIS AWS
// Foundations Benchmark's rules on access keys (1.12–1.15) and against
// sesprov's own rotation records, and reports one finding per problem.
package audit

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/list"
	"github.com/sesprov/sesprov/provision/rotate"
)

// Defaults of the thresholds.
const (
	DefaultMaxAge      = 90 * 24 * time.Hour // CIS 1.14
	DefaultUnusedAfter = 45 * 24 * time.Hour // CIS 1.12
	DefaultGrace       = 7 * 24 * time.Hour
	DefaultStaleAfter  = 24 * time.Hour
)

// The kinds of finding.
const (
	KeyAge           = "key-age"           // an active key older than MaxAge (CIS 1.14)
	TwoActiveKeys    = "two-active-keys"   // more than one active key (CIS 1.13)
	Unused           = "unused"            // an active key not used within UnusedAfter (CIS 1.12)
	InlinePolicy     = "inline-policy"     // SES access through a user policy (CIS 1.15)
	SupersededActive = "superseded-active" // a rotation's old key active past its grace
	RotationStuck    = "rotation-stuck"    // a started rotation older than StaleAfter
)

// Finding is one problem with one user or key.
type Finding struct {
	AccountID   string `json:"account_id"`
	UserName    string `json:"user_name"`
	AccessKeyID string `json:"access_key_id,omitempty"`
	Finding     string `json:"finding"`
	Detail      string `json:"detail"`
}

// Options is what audit was asked to judge by.
type Options struct {
	AccountID   string // written in every finding
	GroupName   string
	PolicyName  string
	MaxAge      time.Duration // 0: DefaultMaxAge
	UnusedAfter time.Duration // 0: DefaultUnusedAfter
	Grace       time.Duration // 0: DefaultGrace
	StaleAfter  time.Duration // 0: DefaultStaleAfter
	Concurrency int
	Rate        float64
	Now         func() time.Time
	Notices     provision.Notices
}

// Run lists the account's SMTP users (list.Run: the same discovery) and
// calls emit with each user's findings. It returns how many findings
// there were.
func Run(ctx context.Context, api iamapi.IAM, opts Options, emit func([]Finding) error) (int, error) {
	opts.MaxAge = cmp.Or(opts.MaxAge, DefaultMaxAge)
	opts.UnusedAfter = cmp.Or(opts.UnusedAfter, DefaultUnusedAfter)
	opts.Grace = cmp.Or(opts.Grace, DefaultGrace)
	opts.StaleAfter = cmp.Or(opts.StaleAfter, DefaultStaleAfter)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &sink{ctx: ctx, api: api, opts: opts, emit: emit}
	err := list.Run(ctx, api, list.Options{
		GroupName: opts.GroupName, PolicyName: opts.PolicyName, Concurrency: opts.Concurrency,
		Rate: opts.Rate, Now: opts.Now, Notices: opts.Notices,
	}, s)
	return s.n, err
}

// sink judges each listed user as it streams out of list.Run.
type sink struct {
	ctx  context.Context
	api  iamapi.IAM
	opts Options
	emit func([]Finding) error
	n    int
}

func (s *sink) Flush() error { return nil }

func (s *sink) WriteUser(u list.User) error {
	tags := u.Tags
	if tags == nil { // read user by user: the scan did not bring them
		var err error
		if tags, err = iamapi.ListAllUserTags(s.ctx, s.api, u.UserName); err != nil && !iamapi.IsNoSuchEntity(err) {
			return err
		}
	}
	record, _ := provision.TagValue(tags, rotate.TagKey)
	fs := Judge(u, record, s.opts)
	for i := range fs {
		fs[i].AccountID = s.opts.AccountID
	}
	s.n += len(fs)
	if len(fs) == 0 {
		return nil
	}
	return s.emit(fs)
}

// Judge is the rules: the findings of one user, whose rotation record
// (the sesprov:rotation tag) is record ("" when none).
func Judge(u list.User, record string, opts Options) []Finding {
	now := opts.Now()
	rec := parseRecord(record)
	var out []Finding
	add := func(key, kind, format string, args ...any) {
		out = append(out, Finding{UserName: u.UserName, AccessKeyID: key, Finding: kind, Detail: fmt.Sprintf(format, args...)})
	}
	if u.Access == list.AccessInline || u.Access == list.AccessBoth {
		add("", InlinePolicy, "SES access through the inline user policy %s, not the sending group (CIS 1.15): run 'sesprov migrate --user-name %s'", cmp.Or(opts.PolicyName, provision.DefaultPolicyName), u.UserName)
	}
	var active []string
	for _, k := range u.Keys {
		if k.Status != string(types.StatusTypeActive) {
			continue
		}
		if since, ok := rec.superseded(u, k, now); ok {
			if since > opts.Grace {
				add(k.AccessKeyID, SupersededActive, "superseded by %s %s ago, past the grace of %s: run 'sesprov rotate --user-name %s' to retire it", rec.delivered, days(since), days(opts.Grace), u.UserName)
			}
			continue // in its grace: the rotation retires it
		}
		active = append(active, k.AccessKeyID)
		age := now.Sub(k.Created)
		if age > opts.MaxAge {
			add(k.AccessKeyID, KeyAge, "active key is %s old, older than %s (CIS 1.14): rotate it", days(age), days(opts.MaxAge))
		}
		if age > opts.UnusedAfter && (k.LastUsed == nil || now.Sub(*k.LastUsed) > opts.UnusedAfter) {
			add(k.AccessKeyID, Unused, "active key %s, not used within %s (CIS 1.12): deactivate it if no sender needs it", lastUse(k, now), days(opts.UnusedAfter))
		}
	}
	if len(active) > 1 {
		add("", TwoActiveKeys, "%d active keys (%s); CIS 1.13 wants at most one: retire the one no sender uses", len(active), strings.Join(active, ", "))
	}
	if rec.startedAt != nil && now.Sub(*rec.startedAt) > opts.StaleAfter {
		add("", RotationStuck, "a rotation started %s ago and did not finish (tag %s=%s): run 'sesprov rotate --user-name %s' to finish it", days(now.Sub(*rec.startedAt)), rotate.TagKey, record, u.UserName)
	}
	return out
}

func lastUse(k list.Key, now time.Time) string {
	if k.LastUsed == nil {
		return "was never used"
	}
	return "was last used " + days(now.Sub(*k.LastUsed)) + " ago"
}

// days writes a duration in whole days, or hours below two days.
func days(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}
