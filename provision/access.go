package provision

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/policy"
)

// The names the console and AWS's SMTP credentials page use. The group's name says "do not
// rename": the console finds it by name.
const (
	DefaultGroupName  = "AWSSESSendingGroupDoNotRename"
	DefaultPolicyName = "AmazonSesSendingAccess"
)

// Account is the AWS account the clients act in.
type Account struct {
	ID        string // 123456789012
	Partition string // aws, aws-cn, aws-us-gov
	CallerARN string // who is calling (empty when learned from a policy ARN)
}

// ResolveAccount asks STS who is calling (sts:GetCallerIdentity).
func ResolveAccount(ctx context.Context, api iamapi.STS) (Account, error) {
	out, err := api.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if ce := (*iamapi.ConfigError)(nil); errors.As(err, &ce) { // carries its own hint
		return Account{}, fmt.Errorf("sts:GetCallerIdentity (who am I?): %w", err)
	}
	if err != nil {
		return Account{}, fmt.Errorf("sts:GetCallerIdentity (who am I?): %w; check your AWS credentials (--profile, AWS_PROFILE, aws sso login)", err)
	}
	a := Account{ID: aws.ToString(out.Account), CallerARN: aws.ToString(out.Arn), Partition: "aws"}
	if p := arnPartition(a.CallerARN); p != "" {
		a.Partition = p
	}
	return a, nil
}

func arnPartition(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[1]
}

func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// SendingAccessOptions says which group and policy give SMTP users their
// permission and how EnsureSendingAccess may change them.
type SendingAccessOptions struct {
	GroupName    string // default DefaultGroupName
	PolicyName   string // default DefaultPolicyName
	RepairPolicy bool   // replace a drifted managed policy's document (new default version)
	DryRun       bool   // plan only; ignored when Run is set (Run.DryRun rules)

	// STS resolves the account when the policy's ARN is not learned from
	// the group (a fresh account): sts:GetCallerIdentity is called only then.
	// Account, when set, saves even that call.
	STS     iamapi.STS
	Account *Account

	// Run receives the plan; nil gives a private one (SendingAccess.Plan).
	Run *Run
}

// How a group grants sending.
const (
	ViaManagedPolicy = "managed policy"
	ViaInlinePolicy  = "inline group policy"
)

// SendingAccess reports what EnsureSendingAccess found and did.
type SendingAccess struct {
	GroupName  string
	PolicyName string
	Via        string // ViaManagedPolicy or ViaInlinePolicy
	PolicyARN  string // the managed policy (Via == ViaManagedPolicy)
	InlineName string // the inline group policy (Via == ViaInlinePolicy)
	AccountID  string // when learned (STS or the policy's ARN)

	GroupCreated   bool // (or planned, in a dry run)
	PolicyCreated  bool
	PolicyAttached bool // attached by this run

	// Drifted is set when the managed policy's default version says
	// something other than the standard document; DriftGrantsSend says whether
	// it still allows ses:SendRawEmail. Repaired: a new default version was
	// made (RepairPolicy).
	Drifted         bool
	DriftGrantsSend bool
	Repaired        bool

	// Warnings are findings a person should read (printed on stderr).
	Warnings []string
	Plan     []PlanItem
}

// EnsureSendingAccess makes sure the group exists and grants
// ses:SendRawEmail, with as few IAM calls as the account allows:
//
//   - group with the managed policy attached: ListAttachedGroupPolicies,
//     GetPolicy, GetPolicyVersion (the drift check) — 3 reads, no change;
//   - group the console made, with an inline group policy granting sending:
//     ListAttachedGroupPolicies, ListGroupPolicies, GetGroupPolicy — accepted
//     as is, no managed policy is made;
//   - fresh account: ListAttachedGroupPolicies (NoSuchEntity),
//     GetCallerIdentity, GetPolicy (NoSuchEntity), CreatePolicy, CreateGroup,
//     AttachGroupPolicy.
//
// A managed policy whose document differs from the seed's is reported in
// Warnings and repaired only with RepairPolicy. EntityAlreadyExists from a
// concurrent run is success. Every change goes through the plan, so DryRun
// makes no mutating call.
func EnsureSendingAccess(ctx context.Context, api iamapi.IAM, opts SendingAccessOptions) (SendingAccess, error) {
	if opts.GroupName == "" {
		opts.GroupName = DefaultGroupName
	}
	if opts.PolicyName == "" {
		opts.PolicyName = DefaultPolicyName
	}
	r := opts.Run
	if r == nil {
		r = NewRun(opts.DryRun, nil)
	}
	planStart := len(r.plan)
	e := &accessEnsurer{api: api, opts: opts, r: r, acct: opts.Account}
	sa := SendingAccess{GroupName: opts.GroupName, PolicyName: opts.PolicyName}
	err := e.ensure(ctx, &sa)
	sa.Plan = append([]PlanItem(nil), r.plan[planStart:]...)
	return sa, err
}

type accessEnsurer struct {
	api  iamapi.IAM
	opts SendingAccessOptions
	r    *Run
	acct *Account
}

func (e *accessEnsurer) account(ctx context.Context) (Account, error) {
	if e.acct != nil {
		return *e.acct, nil
	}
	if e.opts.STS == nil {
		return Account{}, fmt.Errorf("cannot find the account id: no STS client")
	}
	a, err := ResolveAccount(ctx, e.opts.STS)
	if err != nil {
		return Account{}, err
	}
	e.acct = &a
	return a, nil
}

func (e *accessEnsurer) ensure(ctx context.Context, sa *SendingAccess) error {
	group := e.opts.GroupName
	attached, groupExists, err := e.attachedPolicies(ctx, group)
	if err != nil {
		return err
	}
	if groupExists {
		if arn, ok := findPolicyByName(attached, e.opts.PolicyName); ok {
			sa.Via, sa.PolicyARN, sa.AccountID = ViaManagedPolicy, arn, arnAccount(arn)
			e.r.Note("group %s has managed policy %s attached", group, arn)
			return e.checkDrift(ctx, sa, arn, "")
		}
		inline, ok, err := e.inlineGrant(ctx, group)
		if err != nil {
			return err
		}
		if ok {
			sa.Via, sa.InlineName = ViaInlinePolicy, inline
			e.r.Note("group %s grants %s through its inline policy %s (as the SES console makes it); accepted as is", group, policy.SendAction, inline)
			return nil
		}
	}

	// The group is missing or does not grant sending: the managed policy is
	// needed, attached to it.
	acct, err := e.account(ctx)
	if err != nil {
		return err
	}
	sa.AccountID = acct.ID
	arn := fmt.Sprintf("arn:%s:iam::%s:policy/%s", acct.Partition, acct.ID, e.opts.PolicyName)
	sa.Via, sa.PolicyARN = ViaManagedPolicy, arn
	if err := e.ensurePolicy(ctx, sa, arn); err != nil {
		return err
	}
	if !groupExists {
		sa.GroupCreated = true
		if e.r.Plan("create group %s", group) {
			_, err := e.api.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(group)})
			if err != nil && !iamapi.HasCode(err, "EntityAlreadyExists") {
				return fmt.Errorf("iam:CreateGroup %s: %w", group, err)
			}
		}
	}
	sa.PolicyAttached = true
	if e.r.Plan("attach policy %s to group %s", arn, group) {
		// Attaching an attached policy succeeds: safe to repeat. Right after
		// CreateGroup or CreatePolicy, either may be unseen for a moment.
		err := iamapi.WaitConsistent(ctx, func() error {
			_, err := e.api.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String(group), PolicyArn: aws.String(arn)})
			return err
		})
		if err != nil {
			return fmt.Errorf("iam:AttachGroupPolicy %s to group %s: %w", arn, group, err)
		}
	}
	return nil
}

// attachedPolicies lists the group's managed policies; exists is false when
// the group does not exist (NoSuchEntity).
func (e *accessEnsurer) attachedPolicies(ctx context.Context, group string) (map[string]string, bool, error) {
	byARN := map[string]string{}
	p := iam.NewListAttachedGroupPoliciesPaginator(e.api, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String(group)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if iamapi.HasCode(err, "NoSuchEntity") {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("iam:ListAttachedGroupPolicies for group %s: %w", group, err)
		}
		for _, ap := range page.AttachedPolicies {
			byARN[aws.ToString(ap.PolicyArn)] = aws.ToString(ap.PolicyName)
		}
	}
	return byARN, true, nil
}

// findPolicyByName prefers a customer-managed policy (arn:…:iam::<account>:…)
// over an AWS-managed one of the same name.
func findPolicyByName(attached map[string]string, name string) (string, bool) {
	var arns []string
	for arn, n := range attached {
		if strings.EqualFold(n, name) {
			arns = append(arns, arn)
		}
	}
	if len(arns) == 0 {
		return "", false
	}
	slices.SortFunc(arns, func(a, b string) int {
		aa, ba := arnAccount(a) == "aws", arnAccount(b) == "aws"
		if aa != ba {
			if aa {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	})
	return arns[0], true
}

// inlineGrant looks for an inline group policy granting ses:SendRawEmail,
// reading the one named like the managed policy (the console's) first.
func (e *accessEnsurer) inlineGrant(ctx context.Context, group string) (string, bool, error) {
	var names []string
	p := iam.NewListGroupPoliciesPaginator(e.api, &iam.ListGroupPoliciesInput{GroupName: aws.String(group)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", false, fmt.Errorf("iam:ListGroupPolicies for group %s: %w", group, err)
		}
		names = append(names, page.PolicyNames...)
	}
	slices.SortStableFunc(names, func(a, b string) int { return PreferName(a, b, e.opts.PolicyName) })
	for _, n := range names {
		out, err := e.api.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String(n)})
		if err != nil {
			return "", false, fmt.Errorf("iam:GetGroupPolicy %s of group %s: %w", n, group, err)
		}
		if policy.GrantsSend(aws.ToString(out.PolicyDocument)) {
			return n, true, nil
		}
	}
	return "", false, nil
}

// ensurePolicy makes the managed policy unless it exists (then checks drift).
func (e *accessEnsurer) ensurePolicy(ctx context.Context, sa *SendingAccess, arn string) error {
	pol, err := e.api.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	switch {
	case err == nil:
		e.r.Note("managed policy %s exists", arn)
		return e.checkDrift(ctx, sa, arn, aws.ToString(pol.Policy.DefaultVersionId))
	case !iamapi.HasCode(err, "NoSuchEntity"):
		return fmt.Errorf("iam:GetPolicy %s: %w", arn, err)
	}
	sa.PolicyCreated = true
	if !e.r.Plan("create managed policy %s allowing %s", e.opts.PolicyName, policy.SendAction) {
		return nil
	}
	_, err = e.api.CreatePolicy(ctx, &iam.CreatePolicyInput{
		PolicyName:     aws.String(e.opts.PolicyName),
		PolicyDocument: aws.String(policy.SendingPolicyDocument),
		Description:    aws.String("Allows sending email through the Amazon SES SMTP interface (made by sesprov)"),
	})
	if iamapi.HasCode(err, "EntityAlreadyExists") {
		// Another run made it a moment ago, or a policy of this name exists
		// under another path (GetPolicy by the "/" ARN missed it).
		sa.PolicyCreated = false
		gerr := iamapi.WaitConsistent(ctx, func() error {
			_, err := e.api.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
			return err
		})
		if gerr != nil {
			return fmt.Errorf("iam:CreatePolicy %s: a policy of that name exists but iam:GetPolicy %s fails (%v): is it under another path? attach it to group %s yourself, or choose another --policy-name", e.opts.PolicyName, arn, gerr, e.opts.GroupName)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("iam:CreatePolicy %s: %w", e.opts.PolicyName, err)
	}
	return nil
}

// checkDrift compares the policy's default version with the standard document
// (iam:GetPolicy unless version is known, iam:GetPolicyVersion) and repairs
// it when asked.
func (e *accessEnsurer) checkDrift(ctx context.Context, sa *SendingAccess, arn, version string) error {
	if version == "" {
		pol, err := e.api.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
		if err != nil {
			return fmt.Errorf("iam:GetPolicy %s: %w", arn, err)
		}
		version = aws.ToString(pol.Policy.DefaultVersionId)
	}
	v, err := e.api.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(version)})
	if err != nil {
		return fmt.Errorf("iam:GetPolicyVersion %s %s: %w", arn, version, err)
	}
	doc := aws.ToString(v.PolicyVersion.Document)
	if policy.IsStandard(doc) {
		return nil
	}
	sa.Drifted = true
	sa.DriftGrantsSend = policy.GrantsSend(doc)
	what := "it still allows " + policy.SendAction
	if !sa.DriftGrantsSend {
		what = "it does NOT allow " + policy.SendAction + ": SMTP users in the group cannot send"
	}
	if !e.opts.RepairPolicy {
		sa.Warnings = append(sa.Warnings, fmt.Sprintf("managed policy %s (default version %s) differs from the standard document; %s; run again with --repair-policy to restore it", arn, version, what))
		e.r.Note("policy %s has drifted (%s); not repaired (use --repair-policy)", arn, what)
		return nil
	}
	if !e.r.Plan("repair policy %s: new default version with the standard document (was %s)", arn, version) {
		return nil
	}
	if err := e.repair(ctx, arn); err != nil {
		return err
	}
	sa.Repaired = true
	return nil
}

// repair makes the standard document the default version, deleting the
// oldest non-default version first when the policy has IAM's maximum of 5.
func (e *accessEnsurer) repair(ctx context.Context, arn string) error {
	create := func() error {
		_, err := e.api.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{
			PolicyArn: aws.String(arn), PolicyDocument: aws.String(policy.SendingPolicyDocument), SetAsDefault: true,
		})
		return err
	}
	err := create()
	if iamapi.HasCode(err, "LimitExceeded") {
		vs, lerr := e.api.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(arn)})
		if lerr != nil {
			return fmt.Errorf("iam:ListPolicyVersions %s: %w", arn, lerr)
		}
		var oldest string
		var oldestAt int64
		for _, v := range vs.Versions {
			if v.IsDefaultVersion || v.CreateDate == nil {
				continue
			}
			if at := v.CreateDate.UnixNano(); oldest == "" || at < oldestAt {
				oldest, oldestAt = aws.ToString(v.VersionId), at
			}
		}
		if oldest != "" {
			_, derr := e.api.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(oldest)})
			if derr != nil && !iamapi.HasCode(derr, "NoSuchEntity") {
				return fmt.Errorf("iam:DeletePolicyVersion %s %s (to make room for the repair): %w", arn, oldest, derr)
			}
			err = create()
		}
	}
	if err != nil {
		return fmt.Errorf("iam:CreatePolicyVersion %s (repair): %w", arn, err)
	}
	return nil
}

// PreferName orders names equal to want (case-insensitively) first, for
// slices.SortStableFunc: the standard policy is looked at before others.
func PreferName(a, b, want string) int {
	ai, bi := strings.EqualFold(a, want), strings.EqualFold(b, want)
	switch {
	case ai && !bi:
		return -1
	case bi && !ai:
		return 1
	}
	return 0
}
