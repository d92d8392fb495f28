package provision

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/tty"
	"golang.org/x/time/rate"
)

// List defaults. IAM publishes no request rate and its throttling limits
// cannot be raised, so list paces itself rather than lean on retries.
const (
	DefaultListConcurrency = 8
	DefaultListRate        = 20 // IAM calls per second
	DefaultMaxAge          = 90 * 24 * time.Hour
)

// Access says how a user gets SES sending rights.
type Access string

// The ways an SMTP user gets SES access.
const (
	AccessGroup  Access = "group"  // member of the sending group
	AccessInline Access = "inline" // the console's legacy inline user policy
	AccessBoth   Access = "both"   // both (a migration not finished)
)

// ListInput is what list was asked to do.
type ListInput struct {
	GroupName   string        // the sending group; default AWSSESSendingGroupDoNotRename
	PolicyName  string        // the legacy inline policy; default AmazonSesSendingAccess
	MaxAge      time.Duration // keys older than this are flagged; 0 flags none
	Concurrency int           // per-user calls in flight; default 8
	Rate        float64       // IAM calls per second; 0 means no limit
	Now         func() time.Time
}

// ListedUser is one SMTP user as list reports it.
type ListedUser struct {
	UserName string      `json:"user_name"`
	UserARN  string      `json:"user_arn"`
	Access   Access      `json:"access"`
	Created  time.Time   `json:"created"`
	Keys     []ListedKey `json:"access_keys"`
}

// ListedKey is one access key of an SMTP user.
type ListedKey struct {
	AccessKeyID     string     `json:"access_key_id"`
	Status          string     `json:"status"`
	Created         time.Time  `json:"created"`
	AgeDays         int        `json:"age_days"`
	LastUsed        *time.Time `json:"last_used"` // null: never used
	LastUsedService string     `json:"last_used_service,omitempty"`
	LastUsedRegion  string     `json:"last_used_region,omitempty"`
	OverMaxAge      bool       `json:"over_max_age"`
}

// UserSink receives listed users in order. Flush is called after each page of
// users, so output streams instead of waiting for the whole account.
type UserSink interface {
	WriteUser(ListedUser) error
	Flush() error
}

// ListSMTPUsers finds every SMTP user — the sending group's members, then the
// users with the legacy inline policy who are not members — and writes each,
// with its keys, to sink. It holds one page of users (at most 100) at a
// time, whatever the size of the account, and runs the per-user calls of a
// page concurrently, paced to in.Rate calls per second.
func ListSMTPUsers(ctx context.Context, client iamapi.IAM, in ListInput, sink UserSink) error {
	in.GroupName = defaultString(in.GroupName, DefaultGroupName)
	in.PolicyName = defaultString(in.PolicyName, DefaultPolicyName)
	if in.Concurrency <= 0 {
		in.Concurrency = DefaultListConcurrency
	}
	if in.Now == nil {
		in.Now = time.Now
	}
	l := &lister{in: in, client: client}
	if in.Rate > 0 {
		l.client = &pacedIAM{IAM: client, lim: rate.NewLimiter(rate.Limit(in.Rate), in.Concurrency)}
	}
	if err := l.groupMembers(ctx, sink); err != nil {
		return err
	}
	return l.inlineOnlyUsers(ctx, sink)
}

type lister struct {
	in     ListInput
	client iamapi.IAM
}

// groupMembers lists the sending group's members, page by page.
func (l *lister) groupMembers(ctx context.Context, sink UserSink) error {
	pages := iam.NewGetGroupPaginator(l.client, &iam.GetGroupInput{GroupName: aws.String(l.in.GroupName)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if iamapi.IsNoSuchEntity(err) {
			return nil // no group: only legacy inline users, if any
		}
		if err != nil {
			return fmt.Errorf("GetGroup %s (list its members): %w", l.in.GroupName, err)
		}
		users, err := forEach(ctx, page.Users, l.in.Concurrency, func(ctx context.Context, u types.User) (*ListedUser, error) {
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
func (l *lister) inlineOnlyUsers(ctx context.Context, sink UserSink) error {
	pages := iam.NewListUsersPaginator(l.client, &iam.ListUsersInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("ListUsers: %w", err)
		}
		users, err := forEach(ctx, page.Users, l.in.Concurrency, func(ctx context.Context, u types.User) (*ListedUser, error) {
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

func emit(sink UserSink, users []*ListedUser) error {
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

// hasInlinePolicy and inGroup read as discovery does; a user deleted while
// we listed has neither.
func (l *lister) hasInlinePolicy(ctx context.Context, user string) (bool, error) {
	name, err := iamapi.FindUserInlinePolicy(ctx, l.client, user, l.in.PolicyName)
	if iamapi.IsNoSuchEntity(err) {
		return false, nil
	}
	return name != "", err
}

func (l *lister) inGroup(ctx context.Context, user string) (bool, error) {
	member, err := iamapi.UserInGroup(ctx, l.client, user, l.in.GroupName)
	if iamapi.IsNoSuchEntity(err) {
		return false, nil
	}
	return member, err
}

// describe reads a user's keys and when each was last used.
func (l *lister) describe(ctx context.Context, u types.User, access Access) (*ListedUser, error) {
	name := aws.ToString(u.UserName)
	out := &ListedUser{UserName: name, UserARN: aws.ToString(u.Arn), Access: access, Created: aws.ToTime(u.CreateDate), Keys: []ListedKey{}}
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
			lk := ListedKey{
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
	return out, nil
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
	ForEach(ctx, len(items), n, func(ctx context.Context, i int) {
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

// pacedIAM waits for the rate limiter before each call list makes.
type pacedIAM struct {
	iamapi.IAM
	lim *rate.Limiter
}

// paced waits for the limiter, then makes the call.
func paced[In, Out any](ctx context.Context, lim *rate.Limiter, call func(context.Context, In, ...func(*iam.Options)) (Out, error), in In, o []func(*iam.Options)) (Out, error) {
	if err := lim.Wait(ctx); err != nil {
		var zero Out
		return zero, err
	}
	return call(ctx, in, o...)
}

func (p *pacedIAM) GetGroup(ctx context.Context, in *iam.GetGroupInput, o ...func(*iam.Options)) (*iam.GetGroupOutput, error) {
	return paced(ctx, p.lim, p.IAM.GetGroup, in, o)
}

func (p *pacedIAM) ListUsers(ctx context.Context, in *iam.ListUsersInput, o ...func(*iam.Options)) (*iam.ListUsersOutput, error) {
	return paced(ctx, p.lim, p.IAM.ListUsers, in, o)
}

func (p *pacedIAM) ListUserPolicies(ctx context.Context, in *iam.ListUserPoliciesInput, o ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error) {
	return paced(ctx, p.lim, p.IAM.ListUserPolicies, in, o)
}

func (p *pacedIAM) ListGroupsForUser(ctx context.Context, in *iam.ListGroupsForUserInput, o ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error) {
	return paced(ctx, p.lim, p.IAM.ListGroupsForUser, in, o)
}

func (p *pacedIAM) ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, o ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	return paced(ctx, p.lim, p.IAM.ListAccessKeys, in, o)
}

func (p *pacedIAM) GetAccessKeyLastUsed(ctx context.Context, in *iam.GetAccessKeyLastUsedInput, o ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error) {
	return paced(ctx, p.lim, p.IAM.GetAccessKeyLastUsed, in, o)
}

var daysRE = regexp.MustCompile(`^(\d+)d$`)

// ParseMaxAge reads --max-age: a whole number of days ("90d") or a Go
// duration ("2160h", "36h30m"). "0" turns the flag off.
func ParseMaxAge(s string) (time.Duration, error) {
	if m := daysRE.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 100000 {
			return 0, fail.Usagef("--max-age %q: too many days", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fail.Usagef("--max-age %q: give days (90d) or a duration (2160h); 0 flags nothing", s)
	}
	return d, nil
}

// ListWriter writes listed users as a table (one row per key), JSON (one
// object per user per line) or CSV (one row per key).
type ListWriter struct {
	w      io.Writer
	buf    bytes.Buffer // the table's page, before trailing blanks are trimmed
	count  int
	format output.Format
	maxAge time.Duration
	tw     *tabwriter.Writer
	cw     *csv.Writer
	header bool
	paint  tty.Palette // colour for STATUS and FLAG, on a terminal only
}

// NewListWriter returns a ListWriter; env output has no meaning for a list.
func NewListWriter(w io.Writer, f output.Format, maxAge time.Duration) (*ListWriter, error) {
	lw := &ListWriter{w: w, format: f, maxAge: maxAge, paint: tty.NewPalette(w)}
	switch f {
	case output.FormatTable:
		lw.tw = tabwriter.NewWriter(&lw.buf, 0, 0, 2, ' ', 0)
	case output.FormatCSV:
		lw.cw = csv.NewWriter(w)
	case output.FormatJSON:
	default:
		return nil, fail.Usagef("list prints table, json or csv, not %s", f)
	}
	return lw, nil
}

// WriteUser writes one user.
func (l *ListWriter) WriteUser(u ListedUser) error {
	l.count++
	switch l.format {
	case output.FormatJSON:
		b, err := json.Marshal(u)
		if err != nil {
			return err
		}
		_, err = l.w.Write(append(b, '\n'))
		return err
	case output.FormatCSV:
		if !l.header {
			l.header = true
			if err := l.cw.Write([]string{"User", "Access", "Access Key ID", "Status", "Created", "Age Days", "Last Used", "Last Used Service", "Last Used Region", "Over Max Age"}); err != nil {
				return err
			}
		}
		for _, r := range l.rows(u, time.RFC3339) {
			if err := l.cw.Write(r); err != nil {
				return err
			}
		}
		return nil
	default:
		if !l.header {
			l.header = true
			fmt.Fprintf(l.tw, "USER\tACCESS\tACCESS KEY\t%s\tAGE\tLAST USED\tSERVICE\tREGION\tFLAG\n", l.paint.Head("STATUS"))
		}
		for _, r := range l.rows(u, time.DateOnly) {
			if r[2] == "" {
				r[2] = "-"
			}
			if r[5] != "" {
				r[5] += "d"
			}
			if r[9] == "true" {
				r[9] = "older than " + FormatMaxAge(l.maxAge)
			} else {
				r[9] = ""
			}
			r[3] = paintKeyStatus(l.paint, r[3])
			if r[9] != "" {
				r[9] = l.paint.Warn(r[9])
			}
			r = append(r[:4], r[5:]...) // the table shows age, not the creation date
			fmt.Fprintln(l.tw, strings.Join(r, "\t"))
		}
		return nil
	}
}

// paintKeyStatus colours a key's status on a terminal: Active green,
// Inactive yellow (a key to retire or re-enable); every cell of the column
// is painted, so it stays aligned.
func paintKeyStatus(p tty.Palette, status string) string {
	switch status {
	case "Active":
		return p.Good(status)
	case "Inactive":
		return p.Warn(status)
	}
	return p.Plain(status)
}

// rows are a user's CSV rows: one per key, or one with no key.
func (l *ListWriter) rows(u ListedUser, layout string) [][]string {
	if len(u.Keys) == 0 {
		return [][]string{{u.UserName, string(u.Access), "", "", "", "", "", "", "", ""}}
	}
	var out [][]string
	for _, k := range u.Keys {
		used, svc, reg := "never", k.LastUsedService, k.LastUsedRegion
		if k.LastUsed != nil {
			used = k.LastUsed.UTC().Format(layout)
		}
		out = append(out, []string{u.UserName, string(u.Access), k.AccessKeyID, k.Status,
			k.Created.UTC().Format(layout), strconv.Itoa(k.AgeDays), used, svc, reg, strconv.FormatBool(k.OverMaxAge)})
	}
	return out
}

// Count is the number of users written.
func (l *ListWriter) Count() int { return l.count }

// Flush writes out what is buffered (called after each page).
func (l *ListWriter) Flush() error {
	if l.tw != nil {
		if err := l.tw.Flush(); err != nil {
			return err
		}
		var out bytes.Buffer
		for _, line := range bytes.SplitAfter(l.buf.Bytes(), []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			out.Write(bytes.TrimRight(line, " \n"))
			out.WriteByte('\n')
		}
		l.buf.Reset()
		_, err := l.w.Write(out.Bytes())
		return err
	}
	if l.cw != nil {
		l.cw.Flush()
		return l.cw.Error()
	}
	return nil
}

// FormatMaxAge prints a --max-age back the way users write it.
func FormatMaxAge(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
