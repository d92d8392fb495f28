package deleteuser

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/internal/iamapi"
)

// A deleter handles one kind of thing a user holds: it lists them for the
// plan and removes one of them.
type deleter struct {
	what   string // a plan line is what, then the item's id
	plural string // what, for "could not check …"
	lister string // the IAM action that lists them
	// mayFail: a failure to list is reported (Plan.Unchecked), not fatal.
	// Signing certificates, SSH keys and service-specific credentials are
	// rare on SMTP users, and some IAM-compatible endpoints lack their
	// calls; if any exist, DeleteUser refuses with DeleteConflict.
	mayFail bool
	list    func(ctx context.Context, api iamapi.IAM, user string) ([]string, error)
	held    func(p *Plan) *[]string
	remove  func(ctx context.Context, r remover, id string) error
}

// deleters is in the order IAM needs things removed before DeleteUser.
var deleters = []deleter{
	{what: "login profile (console password)", plural: "login profile", lister: "GetLoginProfile",
		list: listLoginProfile, held: func(p *Plan) *[]string { return &p.loginProfile }, remove: removeLoginProfile},
	{what: "access key", plural: "access keys", lister: "ListAccessKeys",
		list: listAccessKeys, held: func(p *Plan) *[]string { return &p.AccessKeys }, remove: removeAccessKey},
	{what: "signing certificate", plural: "signing certificates", lister: "ListSigningCertificates", mayFail: true,
		list: listSigningCerts, held: func(p *Plan) *[]string { return &p.SigningCerts }, remove: removeSigningCert},
	{what: "SSH public key", plural: "SSH public keys", lister: "ListSSHPublicKeys", mayFail: true,
		list: listSSHKeys, held: func(p *Plan) *[]string { return &p.SSHPublicKeys }, remove: removeSSHKey},
	{what: "service-specific credential", plural: "service-specific credentials", lister: "ListServiceSpecificCredentials", mayFail: true,
		list: listServiceCreds, held: func(p *Plan) *[]string { return &p.ServiceCreds }, remove: removeServiceCred},
	{what: "MFA device", plural: "MFA devices", lister: "ListMFADevices",
		list: listMFADevices, held: func(p *Plan) *[]string { return &p.MFADevices }, remove: removeMFADevice},
	{what: "inline policy", plural: "inline policies", lister: "ListUserPolicies",
		list: listInlinePolicies, held: func(p *Plan) *[]string { return &p.InlinePolicies }, remove: removeInlinePolicy},
	{what: "attached policy", plural: "attached policies", lister: "ListAttachedUserPolicies",
		list: listAttachedPolicies, held: func(p *Plan) *[]string { return &p.AttachedPolicies }, remove: detachPolicy},
	{what: "group membership", plural: "group memberships", lister: "ListGroupsForUser",
		list: listGroups, held: func(p *Plan) *[]string { return &p.Groups }, remove: leaveGroup},
}

// fewRetries is for the lists whose failure is not fatal.
func fewRetries(o *iam.Options) { o.RetryMaxAttempts = 2 }

// remover carries what every removal needs.
type remover struct {
	api  iamapi.IAM
	user string
	log  *slog.Logger
}

func (r remover) name() *string { return aws.String(r.user) }

// done turns a removal's outcome into the run's: NoSuchEntity is done.
func (r remover) done(action, what string, err error) error {
	if err == nil || iamapi.IsNoSuchEntity(err) {
		r.log.Info("deleted", "user", r.user, "what", what)
		return nil
	}
	return fmt.Errorf("%s %s of user %s: %w (every step is safe to repeat: run delete-user again)", action, what, r.user, err)
}

func listLoginProfile(ctx context.Context, api iamapi.IAM, user string) ([]string, error) {
	_, err := api.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String(user)})
	switch {
	case err == nil:
		return []string{""}, nil // a login profile has no id: its plan line is what alone
	case iamapi.IsNoSuchEntity(err):
		return nil, nil
	}
	return nil, err
}

func removeLoginProfile(ctx context.Context, r remover, _ string) error {
	_, err := r.api.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: r.name()})
	return r.done("DeleteLoginProfile", "login profile", err)
}

func listAccessKeys(ctx context.Context, api iamapi.IAM, user string) (ids []string, err error) {
	pages := iam.NewListAccessKeysPaginator(api, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return ids, err
		}
		for _, k := range page.AccessKeyMetadata {
			ids = append(ids, aws.ToString(k.AccessKeyId))
		}
	}
	return ids, nil
}

func removeAccessKey(ctx context.Context, r remover, id string) error {
	_, err := r.api.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: r.name(), AccessKeyId: aws.String(id)})
	return r.done("DeleteAccessKey", "access key "+id, err)
}

func listSigningCerts(ctx context.Context, api iamapi.IAM, user string) (ids []string, err error) {
	pages := iam.NewListSigningCertificatesPaginator(api, &iam.ListSigningCertificatesInput{UserName: aws.String(user)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx, fewRetries)
		if err != nil {
			return ids, err
		}
		for _, c := range page.Certificates {
			ids = append(ids, aws.ToString(c.CertificateId))
		}
	}
	return ids, nil
}

func removeSigningCert(ctx context.Context, r remover, id string) error {
	_, err := r.api.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: r.name(), CertificateId: aws.String(id)})
	return r.done("DeleteSigningCertificate", "signing certificate "+id, err)
}

func listSSHKeys(ctx context.Context, api iamapi.IAM, user string) (ids []string, err error) {
	pages := iam.NewListSSHPublicKeysPaginator(api, &iam.ListSSHPublicKeysInput{UserName: aws.String(user)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx, fewRetries)
		if err != nil {
			return ids, err
		}
		for _, k := range page.SSHPublicKeys {
			ids = append(ids, aws.ToString(k.SSHPublicKeyId))
		}
	}
	return ids, nil
}

func removeSSHKey(ctx context.Context, r remover, id string) error {
	_, err := r.api.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: r.name(), SSHPublicKeyId: aws.String(id)})
	return r.done("DeleteSSHPublicKey", "SSH public key "+id, err)
}

// listServiceCreds: ListServiceSpecificCredentials has no paginator; it
// returns them all.
func listServiceCreds(ctx context.Context, api iamapi.IAM, user string) (ids []string, err error) {
	out, err := api.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: aws.String(user)}, fewRetries)
	if err != nil {
		return nil, err
	}
	for _, c := range out.ServiceSpecificCredentials {
		ids = append(ids, aws.ToString(c.ServiceSpecificCredentialId))
	}
	return ids, nil
}

func removeServiceCred(ctx context.Context, r remover, id string) error {
	_, err := r.api.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: r.name(), ServiceSpecificCredentialId: aws.String(id)})
	return r.done("DeleteServiceSpecificCredential", "service-specific credential "+id, err)
}

func listMFADevices(ctx context.Context, api iamapi.IAM, user string) (ids []string, err error) {
	pages := iam.NewListMFADevicesPaginator(api, &iam.ListMFADevicesInput{UserName: aws.String(user)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return ids, err
		}
		for _, d := range page.MFADevices {
			ids = append(ids, aws.ToString(d.SerialNumber))
		}
	}
	return ids, nil
}

// removeMFADevice deactivates the device. A virtual device (its serial is an
// ARN) is of no use to anyone once its user is gone: it is deleted too. A
// hardware device is only detached.
func removeMFADevice(ctx context.Context, r remover, serial string) error {
	_, err := r.api.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: r.name(), SerialNumber: aws.String(serial)})
	if err := r.done("DeactivateMFADevice", "MFA device "+serial, err); err != nil || !strings.HasPrefix(serial, "arn:") {
		return err
	}
	_, err = r.api.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)})
	return r.done("DeleteVirtualMFADevice", "virtual MFA device "+serial, err)
}

func listInlinePolicies(ctx context.Context, api iamapi.IAM, user string) (names []string, err error) {
	pages := iam.NewListUserPoliciesPaginator(api, &iam.ListUserPoliciesInput{UserName: aws.String(user)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return names, err
		}
		names = append(names, page.PolicyNames...)
	}
	return names, nil
}

func removeInlinePolicy(ctx context.Context, r remover, name string) error {
	_, err := r.api.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: r.name(), PolicyName: aws.String(name)})
	return r.done("DeleteUserPolicy", "inline policy "+name, err)
}

func listAttachedPolicies(ctx context.Context, api iamapi.IAM, user string) (arns []string, err error) {
	pages := iam.NewListAttachedUserPoliciesPaginator(api, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(user)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return arns, err
		}
		for _, a := range page.AttachedPolicies {
			arns = append(arns, aws.ToString(a.PolicyArn))
		}
	}
	return arns, nil
}

func detachPolicy(ctx context.Context, r remover, arn string) error {
	_, err := r.api.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: r.name(), PolicyArn: aws.String(arn)})
	return r.done("DetachUserPolicy", "attached policy "+arn, err)
}

func listGroups(ctx context.Context, api iamapi.IAM, user string) (names []string, err error) {
	pages := iam.NewListGroupsForUserPaginator(api, &iam.ListGroupsForUserInput{UserName: aws.String(user)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return names, err
		}
		for _, g := range page.Groups {
			names = append(names, aws.ToString(g.GroupName))
		}
	}
	return names, nil
}

func leaveGroup(ctx context.Context, r remover, group string) error {
	_, err := r.api.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: r.name(), GroupName: aws.String(group)})
	return r.done("RemoveUserFromGroup", "group membership "+group, err)
}
