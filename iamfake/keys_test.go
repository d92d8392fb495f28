package iamfake_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

func TestAccessKeys(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	u := aws.String("k")
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: u}))(t)
	k1 := ok(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: u}))(t).AccessKey
	k2 := ok(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: u}))(t).AccessKey
	for _, id := range []string{aws.ToString(k1.AccessKeyId), aws.ToString(k2.AccessKeyId)} {
		if len(id) != 20 || id[:4] != "AKIA" {
			t.Errorf("key id %s", id)
		}
		for _, r := range id[4:] {
			if !(r >= 'A' && r <= 'Z' || r >= '2' && r <= '7') {
				t.Errorf("key id %s has %q", id, r)
			}
		}
	}
	// Two keys, active or not, is the limit.
	ok(c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: u, AccessKeyId: k1.AccessKeyId, Status: types.StatusTypeInactive}))(t)
	_, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: u})
	wantCode(t, err, "LimitExceeded")
	l := ok(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: u}))(t)
	if len(l.AccessKeyMetadata) != 2 || l.AccessKeyMetadata[0].Status != types.StatusTypeInactive || l.AccessKeyMetadata[1].Status != types.StatusTypeActive {
		t.Errorf("keys = %+v", l.AccessKeyMetadata)
	}
	n := 0
	p := iam.NewListAccessKeysPaginator(c, &iam.ListAccessKeysInput{UserName: u, MaxItems: aws.Int32(1)})
	for p.HasMorePages() {
		out := ok(p.NextPage(ctx))(t)
		n += len(out.AccessKeyMetadata)
	}
	if n != 2 {
		t.Errorf("paged keys = %d", n)
	}
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: u, AccessKeyId: k1.AccessKeyId, Status: "Expired"})
	wantCode(t, err, "ValidationError")
	_, err = c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: u, AccessKeyId: aws.String("short"), Status: types.StatusTypeActive})
	wantCode(t, err, "ValidationError")

	lu := ok(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k2.AccessKeyId}))(t)
	if aws.ToString(lu.UserName) != "k" || lu.AccessKeyLastUsed.LastUsedDate != nil || aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "N/A" {
		t.Errorf("never used key: %+v", lu.AccessKeyLastUsed)
	}
	_, err = c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIAAAAAAAAAAAAAAAAA")})
	wantCode(t, err, "NoSuchEntity")

	// A key of another user is not this user's.
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("other")}))(t)
	_, err = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("other"), AccessKeyId: k1.AccessKeyId})
	wantCode(t, err, "NoSuchEntity")
	ok(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: u, AccessKeyId: k1.AccessKeyId}))(t)
	_, err = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: u, AccessKeyId: k1.AccessKeyId})
	wantCode(t, err, "NoSuchEntity")
	// Without UserName the caller's own key is meant: the operator has none.
	_, err = c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: k2.AccessKeyId})
	wantCode(t, err, "NoSuchEntity")
	ok(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: u, AccessKeyId: k2.AccessKeyId}))(t)
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ghost")})
	wantCode(t, err, "NoSuchEntity")
}

func TestOtherCredentialErrors(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	u := aws.String("c")
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: u}))(t)

	_, err := c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: u})
	wantCode(t, err, "NoSuchEntity")
	_, err = c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: u, Password: aws.String("short")})
	wantCode(t, err, "PasswordPolicyViolation")
	lp := ok(c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: u, Password: aws.String("Correct-Horse-9"), PasswordResetRequired: true}))(t)
	if !lp.LoginProfile.PasswordResetRequired {
		t.Error("PasswordResetRequired lost")
	}
	_, err = c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: u, Password: aws.String("Correct-Horse-9")})
	wantCode(t, err, "EntityAlreadyExists")
	ok(c.UpdateLoginProfile(ctx, &iam.UpdateLoginProfileInput{UserName: u, PasswordResetRequired: aws.Bool(false)}))(t)
	if g := ok(c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: u}))(t); g.LoginProfile.PasswordResetRequired {
		t.Error("update ignored")
	}

	_, err = c.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: u, CertificateBody: aws.String("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")})
	wantCode(t, err, "MalformedCertificate")
	cert := iamfaketest.CertificatePEM(t)
	ok(c.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: u, CertificateBody: aws.String(cert)}))(t)
	_, err = c.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: u, CertificateBody: aws.String(cert)})
	wantCode(t, err, "DuplicateCertificate")
	ok(c.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: u, CertificateBody: aws.String(iamfaketest.CertificatePEM(t))}))(t)
	_, err = c.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: u, CertificateBody: aws.String(iamfaketest.CertificatePEM(t))})
	wantCode(t, err, "LimitExceeded")
	certs := ok(c.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{UserName: u}))(t)
	ok(c.UpdateSigningCertificate(ctx, &iam.UpdateSigningCertificateInput{UserName: u, CertificateId: certs.Certificates[0].CertificateId, Status: types.StatusTypeInactive}))(t)
	if certs = ok(c.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{UserName: u}))(t); certs.Certificates[0].Status != types.StatusTypeInactive {
		t.Errorf("certificate status %s", certs.Certificates[0].Status)
	}
	_, err = c.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: u, CertificateId: aws.String("NOPE0000000000000000000000")})
	wantCode(t, err, "NoSuchEntity")

	_, err = c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: u, SSHPublicKeyBody: aws.String("ssh-ed25519 AAAA comment")})
	wantCode(t, err, "InvalidPublicKey")
	key := iamfaketest.SSHPublicKey(t)
	up := ok(c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: u, SSHPublicKeyBody: aws.String(key)}))(t)
	if len(aws.ToString(up.SSHPublicKey.Fingerprint)) != 47 {
		t.Errorf("fingerprint %s", aws.ToString(up.SSHPublicKey.Fingerprint))
	}
	_, err = c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: u, SSHPublicKeyBody: aws.String(key)})
	wantCode(t, err, "DuplicateSSHPublicKey")
	got := ok(c.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: u, SSHPublicKeyId: up.SSHPublicKey.SSHPublicKeyId, Encoding: types.EncodingTypeSsh}))(t)
	if aws.ToString(got.SSHPublicKey.SSHPublicKeyBody) != key {
		t.Error("ssh key body changed")
	}
	ok(c.UpdateSSHPublicKey(ctx, &iam.UpdateSSHPublicKeyInput{UserName: u, SSHPublicKeyId: up.SSHPublicKey.SSHPublicKeyId, Status: types.StatusTypeInactive}))(t)

	_, err = c.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: u, ServiceName: aws.String("ses.amazonaws.com")})
	wantCode(t, err, "NoSuchEntity") // AWS's answer; its API reference says NotSupportedService
	for range 2 {
		ok(c.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: u, ServiceName: aws.String("codecommit.amazonaws.com")}))(t)
	}
	_, err = c.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: u, ServiceName: aws.String("codecommit.amazonaws.com")})
	wantCode(t, err, "LimitExceeded")
	ok(c.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: u, ServiceName: aws.String("cassandra.amazonaws.com")}))(t)
	l := ok(c.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: u, ServiceName: aws.String("cassandra.amazonaws.com")}))(t)
	ok(c.UpdateServiceSpecificCredential(ctx, &iam.UpdateServiceSpecificCredentialInput{UserName: u,
		ServiceSpecificCredentialId: l.ServiceSpecificCredentials[0].ServiceSpecificCredentialId, Status: types.StatusTypeInactive}))(t)
	_, err = c.UpdateServiceSpecificCredential(ctx, &iam.UpdateServiceSpecificCredentialInput{UserName: u,
		ServiceSpecificCredentialId: aws.String("ACCANOSUCHCREDENTIAL1"), Status: types.StatusTypeInactive})
	wantCode(t, err, "NoSuchEntity")
	if len(l.ServiceSpecificCredentials) != 1 || aws.ToString(l.ServiceSpecificCredentials[0].ServiceUserName) != "c-at-123456789012" {
		t.Errorf("service credentials = %+v", l.ServiceSpecificCredentials)
	}

	d := ok(c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("dev")}))(t)
	_, err = c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("DEV")})
	wantCode(t, err, "EntityAlreadyExists")
	_, err = c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: u, SerialNumber: d.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String("12345x"), AuthenticationCode2: aws.String("123456")})
	wantCode(t, err, "ValidationError")
	_, err = c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: u, SerialNumber: d.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("123456")})
	wantCode(t, err, "InvalidAuthenticationCode")
	_, err = c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: u, SerialNumber: aws.String("arn:aws:iam::123456789012:mfa/none"),
		AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")})
	wantCode(t, err, "NoSuchEntity")
	_, err = c.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: u, SerialNumber: d.VirtualMFADevice.SerialNumber})
	wantCode(t, err, "NoSuchEntity")
}
