package provision

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/redact"
)

// DeleteUserInput is what delete-user was asked to do.
type DeleteUserInput struct {
	UserName   string
	GroupName  string // the sending group whose members count as SMTP users
	PolicyName string // the SES inline policy name of legacy console users
	Force      bool   // delete a user that is not an SMTP user
	DryRun     bool   // print the plan, change nothing
	// Confirm, when set, is shown the plan and returns whether to go ahead.
	// The CLI sets it only when stdin is a terminal and --yes was not given.
	Confirm func(*DeletePlan) (bool, error)
}

// DeletePlan is everything a user holds that DeleteUser must remove first, in
// the order IAM needs (DeleteUser answers DeleteConflict until they are gone).
type DeletePlan struct {
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
}

// ErrDeclined is returned when the operator answers no at the prompt.
var ErrDeclined = fail.Usagef("not confirmed: nothing was deleted")

// DeleteUser removes a user and everything IAM requires to be removed first.
// Every step treats NoSuchEntity as done, so a run cut short and repeated
// finishes the job. A user that is not an SMTP user is refused (a conflict)
// unless in.Force; a user that does not exist is a usage error.
func DeleteUser(ctx context.Context, client iamapi.IAM, in DeleteUserInput, log *slog.Logger) (*DeletePlan, error) {
	if log == nil {
		log = redact.DiscardLogger()
	}
	if err := ValidateUserName(in.UserName); err != nil {
		return nil, err
	}
	in.GroupName = defaultString(in.GroupName, DefaultGroupName)
	in.PolicyName = defaultString(in.PolicyName, DefaultPolicyName)
	plan, err := PlanDeleteUser(ctx, client, in)
	if err != nil {
		return nil, err
	}
	if plan.SMTPUser == "" && !in.Force {
		return plan, fail.Conflictf("user %s is not an SMTP user (not in group %s, no inline policy %s, not tagged by sesprov or the SES console): nothing was deleted; pass --force to delete it anyway",
			in.UserName, in.GroupName, in.PolicyName)
	}
	if in.DryRun {
		plan.DryRun = true
		return plan, nil
	}
	if in.Confirm != nil {
		ok, err := in.Confirm(plan)
		if err != nil {
			return plan, err
		}
		if !ok {
			return plan, ErrDeclined
		}
	}
	if err := executeDeletePlan(ctx, client, plan, log); err != nil {
		return plan, err
	}
	plan.Deleted = true
	return plan, nil
}

// PlanDeleteUser reads everything the user holds. It changes nothing.
func PlanDeleteUser(ctx context.Context, client iamapi.IAM, in DeleteUserInput) (*DeletePlan, error) {
	name := in.UserName
	u, err := client.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
	if err != nil {
		if iamapi.IsNoSuchEntity(err) {
			return nil, fail.Usagef("GetUser: user %s does not exist: nothing to delete (check the name with 'sesprov list')", name)
		}
		return nil, fmt.Errorf("GetUser %s: %w", name, err)
	}
	p := &DeletePlan{UserName: name, UserARN: aws.ToString(u.User.Arn)}
	// Empty lists, not null, in the JSON plan.
	p.AccessKeys, p.SigningCerts, p.SSHPublicKeys, p.ServiceCreds = []string{}, []string{}, []string{}, []string{}
	p.MFADevices, p.InlinePolicies, p.AttachedPolicies, p.Groups = []string{}, []string{}, []string{}, []string{}

	if _, err := client.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String(name)}); err == nil {
		p.LoginProfile = true
	} else if !iamapi.IsNoSuchEntity(err) {
		return nil, fmt.Errorf("GetLoginProfile %s: %w", name, err)
	}

	keys := iam.NewListAccessKeysPaginator(client, &iam.ListAccessKeysInput{UserName: aws.String(name)})
	for keys.HasMorePages() {
		page, err := keys.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListAccessKeys %s: %w", name, err)
		}
		for _, k := range page.AccessKeyMetadata {
			p.AccessKeys = append(p.AccessKeys, aws.ToString(k.AccessKeyId))
		}
	}

	// Signing certificates, SSH keys and service-specific credentials are
	// rare on SMTP users, and some IAM-compatible endpoints do not implement
	// their calls. A failure to list them is reported, not fatal: if any
	// exist, DeleteUser refuses with DeleteConflict and nothing is lost.
	fewRetries := func(o *iam.Options) { o.RetryMaxAttempts = 2 }
	unchecked := func(action, what string, err error) error {
		if ctx.Err() != nil {
			return err
		}
		p.Unchecked = append(p.Unchecked, fmt.Sprintf("%s (%s failed: %s)", what, action, errSummary(err)))
		return nil
	}
	certs := iam.NewListSigningCertificatesPaginator(client, &iam.ListSigningCertificatesInput{UserName: aws.String(name)})
	for certs.HasMorePages() {
		page, err := certs.NextPage(ctx, fewRetries)
		if err != nil {
			if err := unchecked("ListSigningCertificates", "signing certificates", err); err != nil {
				return nil, err
			}
			break
		}
		for _, c := range page.Certificates {
			p.SigningCerts = append(p.SigningCerts, aws.ToString(c.CertificateId))
		}
	}

	ssh := iam.NewListSSHPublicKeysPaginator(client, &iam.ListSSHPublicKeysInput{UserName: aws.String(name)})
	for ssh.HasMorePages() {
		page, err := ssh.NextPage(ctx, fewRetries)
		if err != nil {
			if err := unchecked("ListSSHPublicKeys", "SSH public keys", err); err != nil {
				return nil, err
			}
			break
		}
		for _, k := range page.SSHPublicKeys {
			p.SSHPublicKeys = append(p.SSHPublicKeys, aws.ToString(k.SSHPublicKeyId))
		}
	}

	// ListServiceSpecificCredentials has no paginator: it returns them all.
	if sc, err := client.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: aws.String(name)}, fewRetries); err != nil {
		if err := unchecked("ListServiceSpecificCredentials", "service-specific credentials", err); err != nil {
			return nil, err
		}
	} else {
		for _, c := range sc.ServiceSpecificCredentials {
			p.ServiceCreds = append(p.ServiceCreds, aws.ToString(c.ServiceSpecificCredentialId))
		}
	}

	mfa := iam.NewListMFADevicesPaginator(client, &iam.ListMFADevicesInput{UserName: aws.String(name)})
	for mfa.HasMorePages() {
		page, err := mfa.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListMFADevices %s: %w", name, err)
		}
		for _, d := range page.MFADevices {
			p.MFADevices = append(p.MFADevices, aws.ToString(d.SerialNumber))
		}
	}

	inline := iam.NewListUserPoliciesPaginator(client, &iam.ListUserPoliciesInput{UserName: aws.String(name)})
	for inline.HasMorePages() {
		page, err := inline.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListUserPolicies %s: %w", name, err)
		}
		p.InlinePolicies = append(p.InlinePolicies, page.PolicyNames...)
	}

	attached := iam.NewListAttachedUserPoliciesPaginator(client, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(name)})
	for attached.HasMorePages() {
		page, err := attached.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListAttachedUserPolicies %s: %w", name, err)
		}
		for _, a := range page.AttachedPolicies {
			p.AttachedPolicies = append(p.AttachedPolicies, aws.ToString(a.PolicyArn))
		}
	}

	groups := iam.NewListGroupsForUserPaginator(client, &iam.ListGroupsForUserInput{UserName: aws.String(name)})
	for groups.HasMorePages() {
		page, err := groups.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListGroupsForUser %s: %w", name, err)
		}
		for _, g := range page.Groups {
			p.Groups = append(p.Groups, aws.ToString(g.GroupName))
		}
	}

	// Why is this an SMTP user? The strongest reason first.
	var reasons []string
	for _, g := range p.Groups {
		if strings.EqualFold(g, in.GroupName) {
			reasons = append(reasons, "member of group "+g)
		}
	}
	for _, pol := range p.InlinePolicies {
		if strings.EqualFold(pol, in.PolicyName) {
			reasons = append(reasons, "inline policy "+pol)
		}
	}
	tags := iam.NewListUserTagsPaginator(client, &iam.ListUserTagsInput{UserName: aws.String(name)})
	for tags.HasMorePages() {
		page, err := tags.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListUserTags %s: %w", name, err)
		}
		if r := TagEvidence(page.Tags); r != "" {
			reasons = append(reasons, "tag "+r)
			p.DurableTag = true
		}
	}
	p.SMTPUser = strings.Join(reasons, ", ")
	return p, nil
}

// executeDeletePlan removes everything in the plan, then the user, in IAM's
// order. NoSuchEntity on any delete means someone (or an earlier run) already
// did it.
func executeDeletePlan(ctx context.Context, client iamapi.IAM, p *DeletePlan, log *slog.Logger) error {
	name := aws.String(p.UserName)
	if p.SMTPUser != "" && !p.DurableTag {
		_, err := client.TagUser(ctx, &iam.TagUserInput{UserName: name, Tags: []types.Tag{{Key: aws.String(DeletingTagKey), Value: aws.String(DeletingTagValue)}}})
		switch {
		case iamapi.HasCode(err, "LimitExceeded"):
			log.Warn("cannot mark the user as being deleted (50 tags): if this run is cut short, the re-run needs --force", "user", p.UserName)
		case err != nil:
			return fmt.Errorf("TagUser %s %s (mark the deletion, so a re-run recognises the user): %w; nothing was deleted", p.UserName, DeletingTagKey, err)
		}
	}
	step := func(action, what string, err error) error {
		if err == nil || iamapi.IsNoSuchEntity(err) {
			log.Info("deleted", "user", p.UserName, "what", what)
			return nil
		}
		return fmt.Errorf("%s %s of user %s: %w (every step is safe to repeat: run delete-user again)", action, what, p.UserName, err)
	}
	if p.LoginProfile {
		_, err := client.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: name})
		if err := step("DeleteLoginProfile", "login profile", err); err != nil {
			return err
		}
	}
	for _, id := range p.AccessKeys {
		_, err := client.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: name, AccessKeyId: aws.String(id)})
		if err := step("DeleteAccessKey", "access key "+id, err); err != nil {
			return err
		}
	}
	for _, id := range p.SigningCerts {
		_, err := client.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: name, CertificateId: aws.String(id)})
		if err := step("DeleteSigningCertificate", "signing certificate "+id, err); err != nil {
			return err
		}
	}
	for _, id := range p.SSHPublicKeys {
		_, err := client.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: name, SSHPublicKeyId: aws.String(id)})
		if err := step("DeleteSSHPublicKey", "SSH public key "+id, err); err != nil {
			return err
		}
	}
	for _, id := range p.ServiceCreds {
		_, err := client.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: name, ServiceSpecificCredentialId: aws.String(id)})
		if err := step("DeleteServiceSpecificCredential", "service-specific credential "+id, err); err != nil {
			return err
		}
	}
	for _, serial := range p.MFADevices {
		_, err := client.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: name, SerialNumber: aws.String(serial)})
		if err := step("DeactivateMFADevice", "MFA device "+serial, err); err != nil {
			return err
		}
		// A virtual device (its serial is an ARN) is of no use to anyone once
		// its user is gone: delete it too. A hardware device is only detached.
		if strings.HasPrefix(serial, "arn:") {
			_, err := client.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
			if err := step("DeleteVirtualMFADevice", "virtual MFA device "+serial, err); err != nil {
				return err
			}
		}
	}
	for _, pol := range p.InlinePolicies {
		_, err := client.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: name, PolicyName: aws.String(pol)})
		if err := step("DeleteUserPolicy", "inline policy "+pol, err); err != nil {
			return err
		}
	}
	for _, arn := range p.AttachedPolicies {
		_, err := client.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: name, PolicyArn: aws.String(arn)})
		if err := step("DetachUserPolicy", "attached policy "+arn, err); err != nil {
			return err
		}
	}
	for _, g := range p.Groups {
		_, err := client.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: name, GroupName: aws.String(g)})
		if err := step("RemoveUserFromGroup", "group membership "+g, err); err != nil {
			return err
		}
	}
	_, err := client.DeleteUser(ctx, &iam.DeleteUserInput{UserName: name})
	if iamapi.IsDeleteConflict(err) {
		why := "something was added to the user while sesprov worked: run delete-user again"
		if len(p.Unchecked) > 0 {
			why = "the user still holds something sesprov could not list: " + strings.Join(p.Unchecked, "; ")
		}
		return fmt.Errorf("DeleteUser %s: %w (%s)", p.UserName, err, why)
	}
	return step("DeleteUser", "the user itself", err)
}

// WriteDeletePlan prints what delete-user did, or would do with --dry-run.
func WriteDeletePlan(w io.Writer, f output.Format, p *DeletePlan) error {
	if f == output.FormatJSON {
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	verb := "deleted"
	if !p.Deleted {
		verb = "would delete"
	}
	var b strings.Builder
	for _, line := range p.Items() {
		fmt.Fprintf(&b, "%s %s\n", verb, line)
	}
	fmt.Fprintf(&b, "%s user %s\n", verb, p.UserName)
	for _, u := range p.Unchecked {
		fmt.Fprintf(&b, "could not check %s\n", u)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Items lists what the plan removes before the user, one line each.
func (p *DeletePlan) Items() []string {
	var out []string
	if p.LoginProfile {
		out = append(out, "login profile (console password)")
	}
	add := func(what string, ids []string) {
		for _, id := range ids {
			out = append(out, what+" "+id)
		}
	}
	add("access key", p.AccessKeys)
	add("signing certificate", p.SigningCerts)
	add("SSH public key", p.SSHPublicKeys)
	add("service-specific credential", p.ServiceCreds)
	add("MFA device", p.MFADevices)
	add("inline policy", p.InlinePolicies)
	add("attached policy", p.AttachedPolicies)
	add("group membership", p.Groups)
	return out
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
