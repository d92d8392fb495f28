// Package deleteuser removes an SMTP user and everything IAM requires to be
// removed first. One ordered table of deleters, one per kind of dependent,
// gives both the plan (--dry-run, the confirmation prompt) and the deletion.
package deleteuser

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/redact"
	"github.com/sesprov/sesprov/provision"
)

// Options is what delete-user was asked to do.
type Options struct {
	UserName   string
	GroupName  string // the sending group whose members count as SMTP users
	PolicyName string // the SES inline policy name of legacy console users
	Force      bool   // delete a user that is not an SMTP user
	DryRun     bool   // return the plan, change nothing
	// Confirm, when set, is shown the plan and returns whether to go ahead.
	// The CLI sets it only when stdin is a terminal and --yes was not given.
	Confirm func(*Plan) (bool, error)
	Log     *slog.Logger // nil discards
}

// Plan is everything a user holds that must go before the user, in the
// order IAM needs (DeleteUser answers DeleteConflict until they are gone).
type Plan struct {
	UserName         string   `json:"user_name"`
	UserARN          string   `json:"user_arn"`
	SMTPUser         string   `json:"smtp_user,omitempty"` // why it is an SMTP user; "" if it is not
	DurableTag       bool     `json:"-"`                   // recognised by a tag that lasts until the user is gone
	LoginProfile     bool     `json:"login_profile"`
	AccessKeys       []string `json:"access_keys"`
	SigningCerts     []string `json:"signing_certificates"`
	SSHPublicKeys    []string `json:"ssh_public_keys"`
	ServiceCreds     []string `json:"service_specific_credentials"`
	MFADevices       []string `json:"mfa_devices"`
	InlinePolicies   []string `json:"inline_policies"`
	AttachedPolicies []string `json:"attached_policies"`
	Groups           []string `json:"groups"`
	// Unchecked names what could not be listed (DeleteUser refuses with
	// DeleteConflict if any of it exists).
	Unchecked []string `json:"unchecked,omitempty"`
	DryRun    bool     `json:"dry_run"`
	Deleted   bool     `json:"deleted"`

	loginProfile []string // [""] when the user has one: the table's view of LoginProfile
}

// ErrDeclined is returned when the operator answers no at the prompt.
var ErrDeclined = fail.Usagef("not confirmed: nothing was deleted")

// Run removes a user and everything IAM requires to be removed first.
// Every step treats NoSuchEntity as done, so a run cut short and repeated
// finishes the job. A user that is not an SMTP user is refused (a conflict)
// unless opts.Force; a user that does not exist is a usage error.
func Run(ctx context.Context, opts Options, api iamapi.IAM) (*Plan, error) {
	opts.Log = cmp.Or(opts.Log, redact.DiscardLogger())
	if err := provision.ValidateUserName(opts.UserName); err != nil {
		return nil, err
	}
	opts.GroupName = cmp.Or(opts.GroupName, provision.DefaultGroupName)
	opts.PolicyName = cmp.Or(opts.PolicyName, provision.DefaultPolicyName)
	plan, err := read(ctx, api, opts)
	if err != nil {
		return nil, err
	}
	if plan.SMTPUser == "" && !opts.Force {
		return plan, fail.Conflictf("user %s is not an SMTP user (not in group %s, no inline policy %s, not tagged by sesprov or the SES console): nothing was deleted; pass --force to delete it anyway",
			opts.UserName, opts.GroupName, opts.PolicyName)
	}
	if opts.DryRun {
		plan.DryRun = true
		return plan, nil
	}
	if opts.Confirm != nil {
		ok, err := opts.Confirm(plan)
		if err != nil {
			return plan, err
		}
		if !ok {
			return plan, ErrDeclined
		}
	}
	if err := execute(ctx, api, plan, opts.Log); err != nil {
		return plan, err
	}
	plan.Deleted = true
	return plan, nil
}

// Items lists what the plan removes before the user, one line each, in the
// order they are removed.
func (p *Plan) Items() []string {
	var out []string
	for _, d := range deleters {
		for _, id := range *d.held(p) {
			out = append(out, strings.TrimSpace(d.what+" "+id))
		}
	}
	return out
}

// read observes the user and everything it holds. It changes nothing.
func read(ctx context.Context, api iamapi.IAM, opts Options) (*Plan, error) {
	name := opts.UserName
	u, err := api.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
	if err != nil {
		if iamapi.IsNoSuchEntity(err) {
			return nil, fail.Usagef("GetUser: user %s does not exist: nothing to delete (check the name with 'sesprov list')", name)
		}
		return nil, fmt.Errorf("GetUser %s: %w", name, err)
	}
	p := &Plan{UserName: name, UserARN: aws.ToString(u.User.Arn)}
	for _, d := range deleters {
		ids, err := d.list(ctx, api, name)
		switch {
		case err == nil:
		case d.mayFail && ctx.Err() == nil:
			p.Unchecked = append(p.Unchecked, fmt.Sprintf("%s (%s failed: %s)", d.plural, d.lister, errSummary(err)))
		case d.mayFail:
			return nil, err
		default:
			return nil, fmt.Errorf("%s %s: %w", d.lister, name, err)
		}
		*d.held(p) = append([]string{}, ids...) // empty lists, not null, in the JSON plan
	}
	p.LoginProfile = len(p.loginProfile) > 0
	return p, judge(ctx, api, opts, p)
}

// judge says why the user is an SMTP user (p.SMTPUser, "" if it is not), in
// delete-user's order: group, inline policy, tag.
func judge(ctx context.Context, api iamapi.IAM, opts Options, p *Plan) error {
	tags, err := listTags(ctx, api, p.UserName)
	if err != nil {
		return err
	}
	// Classify reads the groups and inline policies the plan has just listed.
	ev, err := provision.Classify(ctx, listed{IAM: api, plan: p}, p.UserName, provision.ClassifyOptions{
		Group: opts.GroupName, Policy: opts.PolicyName, Tags: tags, All: true})
	if err != nil {
		return err
	}
	var reasons []string
	if ev.Group != "" {
		reasons = append(reasons, "member of group "+spelled(p.Groups, ev.Group))
	}
	if ev.InlinePolicy != "" {
		reasons = append(reasons, "inline policy "+ev.InlinePolicy)
	}
	if ev.Tag != "" {
		reasons = append(reasons, "tag "+ev.Tag)
		p.DurableTag = true
	}
	p.SMTPUser = strings.Join(reasons, ", ")
	return nil
}

// listTags reads the user's tags (iam:ListUserTags).
func listTags(ctx context.Context, api iamapi.IAM, name string) ([]types.Tag, error) {
	var tags []types.Tag
	pages := iam.NewListUserTagsPaginator(api, &iam.ListUserTagsInput{UserName: aws.String(name)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListUserTags %s: %w", name, err)
		}
		tags = append(tags, page.Tags...)
	}
	return tags, nil
}

// spelled returns name as IAM spells it in names (IAM names are
// case-insensitive).
func spelled(names []string, name string) string {
	for _, n := range names {
		if strings.EqualFold(n, name) {
			return n
		}
	}
	return name
}

// listed answers the two reads Classify makes from what the plan already
// listed, so judging costs no IAM call beyond the plan's own.
type listed struct {
	iamapi.IAM
	plan *Plan
}

func (l listed) ListGroupsForUser(context.Context, *iam.ListGroupsForUserInput, ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error) {
	out := &iam.ListGroupsForUserOutput{}
	for _, g := range l.plan.Groups {
		out.Groups = append(out.Groups, types.Group{GroupName: aws.String(g)})
	}
	return out, nil
}

func (l listed) ListUserPolicies(context.Context, *iam.ListUserPoliciesInput, ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error) {
	return &iam.ListUserPoliciesOutput{PolicyNames: l.plan.InlinePolicies}, nil
}

// execute removes everything in the plan, then the user, in IAM's order.
// NoSuchEntity on any delete means someone (or an earlier run) already did
// it.
func execute(ctx context.Context, api iamapi.IAM, p *Plan, log *slog.Logger) error {
	if err := markDeleting(ctx, api, p, log); err != nil {
		return err
	}
	r := remover{api: api, user: p.UserName, log: log}
	for _, d := range deleters {
		for _, id := range *d.held(p) {
			if err := d.remove(ctx, r, id); err != nil {
				return err
			}
		}
	}
	_, err := api.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(p.UserName)})
	if iamapi.IsDeleteConflict(err) {
		why := "something was added to the user while sesprov worked: run delete-user again"
		if len(p.Unchecked) > 0 {
			why = "the user still holds something sesprov could not list: " + strings.Join(p.Unchecked, "; ")
		}
		return fmt.Errorf("DeleteUser %s: %w (%s)", p.UserName, err, why)
	}
	return r.done("DeleteUser", "the user itself", err)
}

// markDeleting tags an SMTP user known only by its group or inline policy,
// so that a re-run after those are gone still knows it without --force.
func markDeleting(ctx context.Context, api iamapi.IAM, p *Plan, log *slog.Logger) error {
	if p.SMTPUser == "" || p.DurableTag {
		return nil
	}
	_, err := api.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(p.UserName),
		Tags: []types.Tag{{Key: aws.String(provision.DeletingTagKey), Value: aws.String(provision.DeletingTagValue)}}})
	switch {
	case iamapi.HasCode(err, "LimitExceeded"):
		log.Warn("cannot mark the user as being deleted (50 tags): if this run is cut short, the re-run needs --force", "user", p.UserName)
	case err != nil:
		return fmt.Errorf("TagUser %s %s (mark the deletion, so a re-run recognises the user): %w; nothing was deleted", p.UserName, provision.DeletingTagKey, err)
	}
	return nil
}

// errSummary is an error's IAM code, or its message when it has none.
func errSummary(err error) string {
	if c := iamapi.ErrorCode(err); c != "" && c != "NetworkError" {
		return c
	}
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120] + "…"
	}
	return msg
}
