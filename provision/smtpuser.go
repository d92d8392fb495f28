package provision

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/internal/iamapi"
)

// TagCreatedBy is the tag sesprov puts on every user it makes, in the
// CreateUser call itself, with the value TagCreatedByValue. list and
// delete-user recognise sesprov's SMTP users by it; create-user completes an
// existing key-less user only if it carries it (or is already in the group).
const (
	TagCreatedBy      = "sesprov:created-by"
	TagCreatedByValue = "sesprov"
)

// The SES console's tag on SMTP users it made before September 2024.
const (
	TagConsoleKey   = "InvokedBy"
	TagConsoleValue = "SESConsole"
)

// DeletingTagKey marks a user whose deletion has begun. It keeps a user that
// was an SMTP user only by its group membership or inline policy recognisable
// after a cut-short run removed those: the re-run finishes without --force.
// It is written only once the user was judged an SMTP user (never for a
// --force deletion of another user), with the value DeletingTagValue, which
// records that judgement; any other value is not evidence.
const DeletingTagKey = "sesprov:deleting"

// DeletingTagValue is the value of DeletingTagKey: the user was judged an
// SMTP user before its deletion began.
const DeletingTagValue = "smtp-user"

// deletingTagValueV1 is the value an earlier sesprov wrote, also only after
// judging the user an SMTP user.
const deletingTagValueV1 = "delete-user"

// Evidence is what makes a user an SMTP user, as sesprov found it. Every
// command that asks "is this an SMTP user?" asks Classify, so that list,
// rotate, delete-user, create-user and migrate agree.
type Evidence struct {
	Tag          string // "KEY=VALUE" of a tag that records the judgement
	Group        string // the sending group, as IAM spells it, when the user is a member
	InlinePolicy string // the user's inline policy of the sending policy's name
}

// IsSMTPUser reports whether any evidence was found.
func (e Evidence) IsSMTPUser() bool { return e.Tag != "" || e.Group != "" || e.InlinePolicy != "" }

// Reasons says what was found, one phrase each, in the order Classify looks.
func (e Evidence) Reasons() []string {
	var r []string
	if e.Tag != "" {
		r = append(r, "tag "+e.Tag)
	}
	if e.Group != "" {
		r = append(r, "member of group "+e.Group)
	}
	if e.InlinePolicy != "" {
		r = append(r, "inline policy "+e.InlinePolicy)
	}
	return r
}

// Reason is Reasons joined, or "" when the user is no SMTP user.
func (e Evidence) Reason() string { return strings.Join(e.Reasons(), ", ") }

// ClassifyOptions says where to look. Tags are the user's tags, already read
// by the caller (Classify reads no tags: every caller has them at hand).
type ClassifyOptions struct {
	Group  string // the sending group (DefaultGroupName when empty)
	Policy string // the sending policy's name (DefaultPolicyName when empty)
	Tags   []types.Tag
	// All looks for every kind of evidence; otherwise Classify stops at the
	// first, which spares IAM calls.
	All bool
	// Looks limits Classify to these kinds of evidence (0: every kind).
	// list asks about the inline policy and membership one at a time, each
	// only when its answer matters: most users of an account cost one call.
	Looks Look
	// Read says Groups and InlinePolicies below were already read (from
	// iam:GetAccountAuthorizationDetails): Classify then makes no call.
	Read           bool
	Groups         []string // the user's groups, when Read
	InlinePolicies []string // the names of the user's inline policies, when Read
}

// Look is a kind of evidence Classify looks for.
type Look uint8

// The kinds of evidence, in the order Classify looks.
const (
	LookTag    Look = 1 << iota // a tag that records the judgement
	LookGroup                   // membership of the sending group
	LookPolicy                  // an inline policy of the sending policy's name
)

// Classify gathers the evidence that user is an SMTP user: a tag that records
// the judgement (free: the tags are given), membership of the sending group
// (iam:ListGroupsForUser), an inline policy of the sending policy's name
// (iam:ListUserPolicies).
func Classify(ctx context.Context, api iamapi.IAM, user string, opts ClassifyOptions) (Evidence, error) {
	group := defaultString(opts.Group, DefaultGroupName)
	policyName := defaultString(opts.Policy, DefaultPolicyName)
	looks := opts.Looks
	if looks == 0 {
		looks = LookTag | LookGroup | LookPolicy
	}
	var e Evidence
	if looks&LookTag != 0 {
		e.Tag = TagEvidence(opts.Tags)
	}
	if opts.Read {
		return classifyRead(e, looks, opts, group, policyName), nil
	}
	if looks&LookGroup != 0 && (!e.IsSMTPUser() || opts.All) {
		var err error
		if e.Group, err = memberOf(ctx, api, user, group); err != nil {
			return e, err
		}
	}
	if looks&LookPolicy != 0 && (!e.IsSMTPUser() || opts.All) {
		var err error
		e.InlinePolicy, err = iamapi.FindUserInlinePolicy(ctx, api, user, policyName)
		return e, err
	}
	return e, nil
}

// classifyRead is Classify on names already read: the same rules, no call.
func classifyRead(e Evidence, looks Look, opts ClassifyOptions, group, policyName string) Evidence {
	if looks&LookGroup != 0 && (!e.IsSMTPUser() || opts.All) {
		for _, g := range opts.Groups {
			if strings.EqualFold(g, group) {
				e.Group = group
			}
		}
	}
	if looks&LookPolicy != 0 && (!e.IsSMTPUser() || opts.All) {
		for _, p := range opts.InlinePolicies {
			if strings.EqualFold(p, policyName) {
				e.InlinePolicy = p
			}
		}
	}
	return e
}

// memberOf returns group as IAM spells it when user is a member, else "".
func memberOf(ctx context.Context, api iamapi.IAM, user, group string) (string, error) {
	in, err := iamapi.UserInGroup(ctx, api, user, group)
	if err != nil || !in {
		return "", err
	}
	return group, nil
}

// TagEvidence returns "KEY=VALUE" of the tag in tags that marks an SMTP user,
// or "". Only tags that record a judgement count: sesprov:created-by=sesprov
// (set in CreateUser), the console's InvokedBy=SESConsole, and
// sesprov:deleting=smtp-user. sesprov:rotation does not: rotate --force
// writes it on any user, and a cut rotation would leave it behind.
func TagEvidence(tags []types.Tag) string {
	for _, t := range tags {
		k, v := aws.ToString(t.Key), aws.ToString(t.Value)
		switch {
		case k == TagConsoleKey && v == TagConsoleValue,
			k == TagCreatedBy && v == TagCreatedByValue:
			return k + "=" + v
		case k == DeletingTagKey && (v == DeletingTagValue || v == deletingTagValueV1):
			return k + "=" + v + " (an earlier delete-user was cut short)"
		}
	}
	return ""
}

// HasConsoleTag reports whether tags hold the console's InvokedBy=SESConsole.
func HasConsoleTag(tags []types.Tag) bool {
	for _, t := range tags {
		if aws.ToString(t.Key) == TagConsoleKey && aws.ToString(t.Value) == TagConsoleValue {
			return true
		}
	}
	return false
}
