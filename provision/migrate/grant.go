package migrate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/policy"
	"github.com/sesprov/sesprov/provision"
)

// WaitForGroupGrant waits, within the consistency bound, until group is
// seen to grant ses:SendRawEmail through an attached managed policy's
// default version or an inline group policy, and says which. The policy
// named policyName (the one EnsureSendingAccess ensures) is read first.
func WaitForGroupGrant(ctx context.Context, api iamapi.IAM, group, policyName string) (string, error) {
	var via string
	notYet := &smithy.GenericAPIError{Code: "NoSuchEntity", Message: "no policy granting " + policy.SendAction + " is visible yet"}
	err := iamapi.WaitConsistent(ctx, func() error {
		var ok bool
		var err error
		via, ok, err = GroupGrantsSend(ctx, api, group, policyName)
		if err == nil && !ok && via != "" {
			// A Deny, or only a conditional Allow: not a lag to wait out.
			return fail.Conflictf("%s", via)
		}
		if err == nil && !ok {
			return notYet
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("confirm that group %s grants %s: %w", group, policy.SendAction, err)
	}
	return via, nil
}

// GroupGrantsSend reads whether group grants ses:SendRawEmail: an attached
// managed policy whose default version allows it (iam:ListAttachedGroupPolicies,
// iam:GetPolicy, iam:GetPolicyVersion), or an inline group policy that does
// (iam:ListGroupPolicies, iam:GetGroupPolicy), and none of them denies it.
// Every policy is read: an explicit Deny in any of them wins. It is stricter
// than PolicyGrantsSend because migrate removes a user's own grant on its
// word: an Allow with a Condition is not counted as a grant (the condition
// may not hold for the user's sending), and a Deny counts whatever its
// condition. Resources are not evaluated. Policies named policyName are read
// first; another policy the caller may not read (AccessDenied: an operator
// policy scoped to the sending policy) is passed over. via names the policy
// that grants, or (ok false) the one that denies or only grants with a
// condition, when there is one.
func GroupGrantsSend(ctx context.Context, api iamapi.IAM, group, policyName string) (via string, ok bool, err error) {
	type attachedPolicy struct{ arn, name string }
	var attached []attachedPolicy
	pages := iam.NewListAttachedGroupPoliciesPaginator(api, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String(group)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", false, fmt.Errorf("iam:ListAttachedGroupPolicies %s: %w", group, err)
		}
		for _, p := range page.AttachedPolicies {
			attached = append(attached, attachedPolicy{aws.ToString(p.PolicyArn), aws.ToString(p.PolicyName)})
		}
	}
	slices.SortStableFunc(attached, func(a, b attachedPolicy) int {
		return provision.PreferName(a.name, b.name, policyName)
	})
	var grant, conditional, deny string
	see := func(name, doc string) {
		e, err := policy.EvalSend(doc)
		switch {
		case err != nil:
		case e.Deny && deny == "":
			deny = name
		case e.Allow && grant == "":
			grant = name
		case e.CondAllow && conditional == "":
			conditional = name
		}
	}
	for _, p := range attached {
		mine := strings.EqualFold(p.name, policyName)
		pol, err := api.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(p.arn)})
		if err != nil {
			if !mine && iamapi.HasCode(err, "AccessDenied") {
				continue
			}
			return "", false, fmt.Errorf("iam:GetPolicy %s: %w", p.arn, err)
		}
		v, err := api.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(p.arn), VersionId: pol.Policy.DefaultVersionId})
		if err != nil {
			if !mine && iamapi.HasCode(err, "AccessDenied") {
				continue
			}
			return "", false, fmt.Errorf("iam:GetPolicyVersion %s %s: %w", p.arn, aws.ToString(pol.Policy.DefaultVersionId), err)
		}
		see("managed policy "+p.arn, aws.ToString(v.PolicyVersion.Document))
	}
	var names []string
	inline := iam.NewListGroupPoliciesPaginator(api, &iam.ListGroupPoliciesInput{GroupName: aws.String(group)})
	for inline.HasMorePages() {
		page, err := inline.NextPage(ctx)
		if err != nil {
			return "", false, fmt.Errorf("iam:ListGroupPolicies %s: %w", group, err)
		}
		names = append(names, page.PolicyNames...)
	}
	slices.SortStableFunc(names, func(a, b string) int { return provision.PreferName(a, b, policyName) })
	for _, n := range names {
		out, err := api.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String(n)})
		if err != nil {
			return "", false, fmt.Errorf("iam:GetGroupPolicy %s of group %s: %w", n, group, err)
		}
		see("inline group policy "+n, aws.ToString(out.PolicyDocument))
	}
	switch {
	case deny != "":
		return deny + " denies it", false, nil
	case grant != "":
		return grant, true, nil
	case conditional != "":
		return conditional + " allows it only with a condition", false, nil
	}
	return "", false, nil
}
