package migrate

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/policy"
	"github.com/sesprov/sesprov/provision"
)

// userRun is one user's steps 10–16. The engine's plan is the one record of
// its changes: made counts those that took effect (all of them, in a dry
// run).
type userRun struct {
	*migrator
	u      provision.LegacyUser
	r      *provision.Run
	doc    string // the inline policy's document
	member bool   // seen in the group before any change
	made   int
}

// migrateUser never returns an error: the outcome and its reason are the
// result.
func (m *migrator) migrateUser(ctx context.Context, u provision.LegacyUser) UserResult {
	ur := &userRun{migrator: m, u: u, r: provision.NewRun(m.opts.DryRun, m.opts.Log.With("user", u.UserName))}
	res := UserResult{UserName: u.UserName}
	err := ur.observe(ctx)
	if err == nil {
		res.Outcome, res.Reason = ur.decide()
	}
	if err == nil && res.Outcome == "" {
		err = ur.act(ctx)
		res.Outcome = Migrated
		if m.opts.DryRun {
			res.Outcome = WouldMigrate
		}
	}
	res.Changes = ur.changes()
	if err != nil {
		res.Outcome, res.Reason = Failed, err.Error()
		if len(res.Changes) > 0 {
			res.Reason += " (made so far: " + strings.Join(res.Changes, "; ") + ")"
		}
		m.opts.Log.Warn("migrate failed", "user", u.UserName, "err", err)
	}
	return res
}

// observe reads the inline policy's document and whether the user is in
// the group.
func (ur *userRun) observe(ctx context.Context) error {
	name := ur.u.UserName
	if ur.u.InlinePolicy != "" {
		out, err := ur.api.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String(ur.u.InlinePolicy)})
		switch {
		case iamapi.HasCode(err, "NoSuchEntity"):
			ur.u.InlinePolicy = "" // deleted since discovery
		case err != nil:
			return fmt.Errorf("iam:GetUserPolicy %s of user %s: %w; nothing was changed", ur.u.InlinePolicy, name, err)
		default:
			ur.doc = aws.ToString(out.PolicyDocument)
		}
	}
	member, err := iamapi.UserInGroup(ctx, ur.api, name, ur.opts.GroupName)
	if err != nil {
		return fmt.Errorf("%w; nothing was changed", err)
	}
	ur.member = member
	return nil
}

// standard reports whether the inline policy, if any, is the console's.
func (ur *userRun) standard() bool { return ur.u.InlinePolicy == "" || policy.IsStandard(ur.doc) }

// decide returns an outcome when the user is to be left as it is, or ""
// when it is to be migrated.
func (ur *userRun) decide() (Outcome, string) {
	group, pol := ur.opts.GroupName, ur.opts.PolicyName
	tag := provision.TagConsoleKey + "=" + provision.TagConsoleValue
	switch {
	case !ur.u.Legacy() && ur.member:
		return AlreadyDone, fmt.Sprintf("in group %s; no inline policy %s, no %s tag", group, pol, tag)
	case !ur.u.Legacy():
		return Skipped, fmt.Sprintf("not a legacy SMTP user (no inline policy %s, no %s tag, not in group %s): nothing to migrate; 'sesprov create-user' makes SMTP users", pol, tag, group)
	case !ur.standard() && !ur.opts.Force:
		return Skipped, fmt.Sprintf("inline policy %s holds more than the standard statement (Allow %s on \"*\"): %s; kept, and the user left as it is: review it, or run with --force to delete it anyway", ur.u.InlinePolicy, policy.SendAction, describePolicy(ur.doc))
	case ur.u.InlinePolicy == "" && !ur.member && !ur.opts.Force:
		return Skipped, fmt.Sprintf("tagged %s but has no SES access (no inline policy %s, not in group %s): not granted one without a decision; run with --force to add it to the group", tag, pol, group)
	}
	return "", ""
}

// act makes the changes, in AWS's order.
func (ur *userRun) act(ctx context.Context) error {
	if !ur.member {
		if err := ur.joinGroup(ctx); err != nil {
			return err
		}
	}
	if ur.u.InlinePolicy != "" {
		if err := ur.dropInlinePolicy(ctx); err != nil {
			return err
		}
	}
	if ur.u.ConsoleTag {
		return ur.untag(ctx)
	}
	return nil
}

// change records todo in the plan and, unless in a dry run, does it.
func (ur *userRun) change(todo string, do func() error) error {
	if ur.r.Plan("%s", todo) {
		if err := do(); err != nil {
			return err
		}
	}
	ur.made++
	return nil
}

// changes are the plan's changes that took effect, worded as done (as to
// do, in a dry run).
func (ur *userRun) changes() []string {
	out := []string{}
	for _, it := range ur.r.Planned()[:ur.made] {
		text := it.Text
		if !ur.r.DryRun {
			verb, rest, _ := strings.Cut(text, " ")
			text = pastTense[verb] + " " + rest
		}
		out = append(out, text)
	}
	return out
}

var pastTense = map[string]string{"add": "added", "delete": "deleted", "remove": "removed"}

// joinGroup is steps 11–12.
func (ur *userRun) joinGroup(ctx context.Context) error {
	note := ""
	if ur.u.InlinePolicy == "" {
		note = " (it had no SES access: --force)"
	}
	return ur.change("add to group "+ur.opts.GroupName+note, func() error {
		if err := iamapi.AddUserToGroupChecked(ctx, ur.api, ur.u.UserName, ur.opts.GroupName); err != nil {
			return fmt.Errorf("%w; the inline policy was kept, the user can still send: run again", err)
		}
		return nil
	})
}

// dropInlinePolicy is steps 13–14: the membership and the group's grant
// must be seen before the user's own grant goes.
func (ur *userRun) dropInlinePolicy(ctx context.Context) error {
	name, group, inline := ur.u.UserName, ur.opts.GroupName, ur.u.InlinePolicy
	if !ur.r.DryRun {
		if err := ur.seeGroupGrant(ctx); err != nil {
			return err
		}
	}
	note := ""
	if !ur.standard() {
		note = " (it held more than the standard statement: --force)"
	}
	return ur.change("delete inline policy "+inline+note, func() error {
		_, err := ur.api.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String(inline)})
		if err != nil && !iamapi.HasCode(err, "NoSuchEntity") {
			return fmt.Errorf("iam:DeleteUserPolicy %s of user %s: %w; the user is in group %s and can send: run again to finish", inline, name, err, group)
		}
		return nil
	})
}

// seeGroupGrant waits until a membership just added is seen (one seen
// before any change needs no wait), then reads the group's grant again: it
// was seen once before the first user, but can change while a run goes on
// (someone edits the sending policy).
func (ur *userRun) seeGroupGrant(ctx context.Context) error {
	name, group, inline := ur.u.UserName, ur.opts.GroupName, ur.u.InlinePolicy
	if !ur.member {
		if err := iamapi.WaitForGroupMembership(ctx, ur.api, name, group); err != nil {
			return fmt.Errorf("%w; the inline policy %s was kept, the user can still send: run again", err, inline)
		}
	}
	via, ok, err := GroupGrantsSend(ctx, ur.api, group, ur.opts.PolicyName)
	if err != nil {
		return fmt.Errorf("check again that group %s grants %s: %w; the inline policy %s was kept, the user can still send: run again", group, policy.SendAction, err, inline)
	}
	if !ok {
		why := cmp.Or(via, "no policy of the group allows it any more")
		return fail.Conflictf("group %s no longer grants %s (%s); the inline policy %s was kept, the user can still send: fix the group's policy (--repair-policy restores the standard one) and run again", group, policy.SendAction, why, inline)
	}
	return nil
}

// untag is steps 15–16: the console's tag goes, other tags stay.
func (ur *userRun) untag(ctx context.Context) error {
	name := ur.u.UserName
	return ur.change("remove tag "+provision.TagConsoleKey+"="+provision.TagConsoleValue, func() error {
		_, err := ur.api.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String(name), TagKeys: []string{provision.TagConsoleKey}})
		if err != nil && !iamapi.HasCode(err, "NoSuchEntity") {
			return fmt.Errorf("iam:UntagUser %s (tag %s): %w; the user is in group %s and can send: run again to finish", name, provision.TagConsoleKey, err, ur.opts.GroupName)
		}
		return nil
	})
}

// describePolicy summarises what a non-standard policy says, for the
// report: its statements' effects and actions, never more than a line.
func describePolicy(doc string) string {
	p, err := policy.ParseDocument(doc)
	if err != nil {
		return "unreadable document"
	}
	var parts []string
	for _, st := range p.Statement {
		s := st.Effect + " " + strings.Join(st.Action, ",")
		if len(st.NotAction) > 0 {
			s = st.Effect + " all but " + strings.Join(st.NotAction, ",")
		}
		if len(st.Condition) > 0 {
			s += " with a condition"
		}
		if len(st.Resource) > 0 && !(len(st.Resource) == 1 && st.Resource[0] == "*") {
			s += " on " + strings.Join(st.Resource, ",")
		}
		parts = append(parts, s)
	}
	if len(parts) > 4 {
		parts = append(parts[:4], fmt.Sprintf("%d more", len(parts)-4))
	}
	return fmt.Sprintf("%d statement(s): %s", len(p.Statement), strings.Join(parts, "; "))
}
