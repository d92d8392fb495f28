// Package list finds every SMTP user of an account, with its keys' age and
// last use, and writes them as a table, JSON or CSV.
package list

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/scope"
	"golang.org/x/time/rate"
)

// List defaults. IAM publishes no request rate and its throttling limits
// cannot be raised, so list paces itself rather than lean on retries.
const (
	DefaultConcurrency = 8
	DefaultRate        = 20 // IAM calls per second
	DefaultMaxAge      = 90 * 24 * time.Hour
)

// Access says how a user gets SES sending rights.
type Access string

// The ways an SMTP user gets SES access.
const (
	AccessGroup  Access = "group"  // member of the sending group
	AccessInline Access = "inline" // the console's legacy inline user policy
	AccessBoth   Access = "both"   // both (a migration not finished)
)

// Options is what list was asked to do.
type Options struct {
	GroupName   string        // the sending group; default AWSSESSendingGroupDoNotRename
	PolicyName  string        // the legacy inline policy; default AmazonSesSendingAccess
	MaxAge      time.Duration // keys older than this are flagged; 0 flags none
	Concurrency int           // per-user calls in flight; default 8
	Rate        float64       // IAM calls per second; 0 means no limit
	Now         func() time.Time
	// Notices receives the one notice that the paged scan was denied.
	Notices provision.Notices
}

// User is one SMTP user as list reports it.
type User struct {
	AccountID string    `json:"account_id,omitempty"` // with --org
	UserName  string    `json:"user_name"`
	UserARN   string    `json:"user_arn"`
	Access    Access    `json:"access"`
	Created   time.Time `json:"created"`
	Keys      []Key     `json:"access_keys"`
	// Tags are the user's tags when the paged scan read them (non-nil,
	// maybe empty); nil when it did not. Not written: audit reads them.
	Tags []types.Tag `json:"-"`
	// AllowFrom is the user's From-address scope (provision/scope); null
	// when it has none and may send as any verified identity.
	AllowFrom []string `json:"allow_from"`
}

// Key is one access key of an SMTP user.
type Key struct {
	AccessKeyID     string     `json:"access_key_id"`
	Status          string     `json:"status"`
	Created         time.Time  `json:"created"`
	AgeDays         int        `json:"age_days"`
	LastUsed        *time.Time `json:"last_used"` // null: never used
	LastUsedService string     `json:"last_used_service,omitempty"`
	LastUsedRegion  string     `json:"last_used_region,omitempty"`
	OverMaxAge      bool       `json:"over_max_age"`
}

// Sink receives listed users in order. Flush is called after each page of
// users, so output streams instead of waiting for the whole account.
type Sink interface {
	WriteUser(User) error
	Flush() error
}

// Run finds every SMTP user — the sending group's members, then the
// users with the legacy inline policy who are not members — and writes each,
// with its keys, to sink. It reads the account in pages of
// iam:GetAccountAuthorizationDetails (1,000 users a call) and then only the
// SMTP users' keys; where that is denied it says so once (in.Notices) and
// reads user by user, one page of 100 users at a time. The per-user calls
// of a page run concurrently, paced to in.Rate calls per second.
func Run(ctx context.Context, client iamapi.IAM, in Options, sink Sink) error {
	in.GroupName = cmp.Or(in.GroupName, provision.DefaultGroupName)
	in.PolicyName = cmp.Or(in.PolicyName, provision.DefaultPolicyName)
	if in.Concurrency <= 0 {
		in.Concurrency = DefaultConcurrency
	}
	if in.Now == nil {
		in.Now = time.Now
	}
	l := &lister{in: in, client: client}
	if in.Rate > 0 {
		l.client = &pacedIAM{IAM: client, lim: rate.NewLimiter(rate.Limit(in.Rate), in.Concurrency)}
	}
	err := l.scan(ctx, sink)
	if !errors.Is(err, provision.ErrScanDenied) {
		return err
	}
	in.Notices.Info("", "%s", provision.ScanNotice)
	if err := l.groupMembers(ctx, sink); err != nil {
		return err
	}
	return l.inlineOnlyUsers(ctx, sink)
}

type lister struct {
	in     Options
	client iamapi.IAM
	// scanned holds the scopes the paged scan already read (a user's
	// inline documents come with it): user name → addresses, nil for none.
	scanned sync.Map
}

// groupMembers lists the sending group's members, page by page.
func (l *lister) groupMembers(ctx context.Context, sink Sink) error {
	pages := iam.NewGetGroupPaginator(l.client, &iam.GetGroupInput{GroupName: aws.String(l.in.GroupName)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if iamapi.IsNoSuchEntity(err) {
			return nil // no group: only legacy inline users, if any
		}
		if err != nil {
			return fmt.Errorf("GetGroup %s (list its members): %w", l.in.GroupName, err)
		}
		users, err := forEach(ctx, page.Users, l.in.Concurrency, func(ctx context.Context, u types.User) (*User, error) {
			inline, err := l.hasInlinePolicy(ctx, aws.ToString(u.UserName))
			if err != nil {
				return nil, err
			}
			access := AccessGroup
			if inline {
				access = AccessBoth
			}
			return l.describe(ctx, u, access)
		})
		if err != nil {
			return err
		}
		if err := emit(sink, users); err != nil {
			return err
		}
	}
	return nil
}

// inlineOnlyUsers lists the users with the legacy inline policy who are not
// in the sending group (those were listed with it).
func (l *lister) inlineOnlyUsers(ctx context.Context, sink Sink) error {
	pages := iam.NewListUsersPaginator(l.client, &iam.ListUsersInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListUsers: %w", err)
		}
		users, err := forEach(ctx, page.Users, l.in.Concurrency, func(ctx context.Context, u types.User) (*User, error) {
			name := aws.ToString(u.UserName)
			inline, err := l.hasInlinePolicy(ctx, name)
			if err != nil || !inline {
				return nil, err
			}
			member, err := l.inGroup(ctx, name)
			if err != nil || member {
				return nil, err
			}
			return l.describe(ctx, u, AccessInline)
		})
		if err != nil {
			return err
		}
		if err := emit(sink, users); err != nil {
			return err
		}
	}
	return nil
}

func emit(sink Sink, users []*User) error {
	for _, u := range users {
		if u == nil {
			continue
		}
		if err := sink.WriteUser(*u); err != nil {
			return err
		}
	}
	return sink.Flush()
}

// hasInlinePolicy and inGroup ask provision.Classify one kind of evidence
// at a time; a user deleted while we listed has neither.
func (l *lister) hasInlinePolicy(ctx context.Context, user string) (bool, error) {
	ev, err := l.classify(ctx, user, provision.LookPolicy)
	return ev.InlinePolicy != "", err
}

func (l *lister) inGroup(ctx context.Context, user string) (bool, error) {
	ev, err := l.classify(ctx, user, provision.LookGroup)
	return ev.Group != "", err
}

func (l *lister) classify(ctx context.Context, user string, look provision.Look) (provision.Evidence, error) {
	ev, err := provision.Classify(ctx, l.client, user, provision.ClassifyOptions{Group: l.in.GroupName, Policy: l.in.PolicyName, Looks: look})
	if iamapi.IsNoSuchEntity(err) {
		return provision.Evidence{}, nil
	}
	return ev, err
}

// describe reads a user's keys and when each was last used.
func (l *lister) describe(ctx context.Context, u types.User, access Access) (*User, error) {
	name := aws.ToString(u.UserName)
	out := &User{UserName: name, UserARN: aws.ToString(u.Arn), Access: access, Created: aws.ToTime(u.CreateDate), Keys: []Key{}, Tags: u.Tags}
	now := l.in.Now()
	pages := iam.NewListAccessKeysPaginator(l.client, &iam.ListAccessKeysInput{UserName: aws.String(name)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if iamapi.IsNoSuchEntity(err) {
			return nil, nil // deleted while we listed
		}
		if err != nil {
			return nil, fmt.Errorf("ListAccessKeys %s: %w", name, err)
		}
		for _, k := range page.AccessKeyMetadata {
			id := aws.ToString(k.AccessKeyId)
			created := aws.ToTime(k.CreateDate)
			age := now.Sub(created)
			lk := Key{
				AccessKeyID: id,
				Status:      string(k.Status),
				Created:     created,
				AgeDays:     int(age / (24 * time.Hour)),
				OverMaxAge:  l.in.MaxAge > 0 && age > l.in.MaxAge,
			}
			lu, err := l.client.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)})
			switch {
			case iamapi.IsNoSuchEntity(err):
				continue // deleted while we listed
			case err != nil:
				return nil, fmt.Errorf("GetAccessKeyLastUsed %s (user %s): %w", id, name, err)
			}
			if used := lu.AccessKeyLastUsed; used != nil && used.LastUsedDate != nil {
				t := *used.LastUsedDate
				lk.LastUsed = &t
				lk.LastUsedService = notApplicable(aws.ToString(used.ServiceName))
				lk.LastUsedRegion = notApplicable(aws.ToString(used.Region))
			}
			out.Keys = append(out.Keys, lk)
		}
	}
	from, err := l.scope(ctx, name)
	if err != nil {
		return nil, err
	}
	out.AllowFrom = scope.Shown(from)
	return out, nil
}

// scope is the user's From-address scope: from the paged scan when it read
// the user, else one iam:GetUserPolicy.
func (l *lister) scope(ctx context.Context, name string) ([]string, error) {
	if v, ok := l.scanned.Load(name); ok {
		return v.([]string), nil
	}
	return scope.Read(ctx, l.client, name)
}

// notApplicable maps IAM's "N/A" to "".
func notApplicable(s string) string {
	if s == "N/A" {
		return ""
	}
	return s
}

// forEach runs fn on every item with at most n in flight (ForEach) and
// returns the results in the items' order. The first error cancels the rest.
func forEach[T, R any](ctx context.Context, items []T, n int, fn func(context.Context, T) (R, error)) ([]R, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make([]R, len(items))
	var (
		mu       sync.Mutex
		firstErr error
	)
	provision.ForEach(ctx, len(items), n, func(ctx context.Context, i int) {
		r, err := fn(ctx, items[i])
		if err != nil {
			mu.Lock()
			if firstErr == nil {
				firstErr = err
				cancel()
			}
			mu.Unlock()
			return
		}
		out[i] = r
	})
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
