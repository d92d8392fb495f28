package iamfake_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

// GetPolicy shows Description and Tags (an empty list when there are
// none); ListPolicies shows neither.
func TestPolicyResponseShapes(t *testing.T) {
	ctx := context.Background()
	srv, c := newClient(t)
	p := ok(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(sesPolicy),
		Description: aws.String("d"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))(t)
	if len(p.Policy.Tags) != 1 {
		t.Errorf("CreatePolicy tags %v", p.Policy.Tags)
	}
	ok(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("bare"), PolicyDocument: aws.String(sesPolicy)}))(t)
	got := ok(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: p.Policy.Arn}))(t)
	if aws.ToString(got.Policy.Description) != "d" || len(got.Policy.Tags) != 1 {
		t.Errorf("GetPolicy = %+v", got.Policy)
	}
	body := rawCall(t, srv, "Action=GetPolicy&PolicyArn=arn:aws:iam::123456789012:policy/bare")
	if !strings.Contains(body, "<Tags></Tags>") {
		t.Errorf("GetPolicy of an untagged policy has no empty Tags: %s", body)
	}
	list := rawCall(t, srv, "Action=ListPolicies&Scope=Local")
	if strings.Contains(list, "<Tags>") || strings.Contains(list, "<Description>") {
		t.Errorf("ListPolicies shows tags or descriptions: %s", list)
	}
}

func TestCredentialErrorsAsAWSAnswers(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	u := aws.String("u")
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: u}))(t)
	// AWS's quota name for signing certificates.
	for range 2 {
		ok(c.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: u, CertificateBody: aws.String(iamfaketest.CertificatePEM(t))}))(t)
	}
	_, err := c.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: u, CertificateBody: aws.String(iamfaketest.CertificatePEM(t))})
	if got := message(t, err); got != "Cannot exceed quota for CertificatesPerUser: 2" {
		t.Errorf("third certificate: %q", got)
	}
	// IDs outside [\w]+ are refused before they are looked up.
	for _, call := range []func() error{
		func() error {
			return drop(c.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: u, CertificateId: aws.String("not/an-id")}))
		},
		func() error {
			return drop(c.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: u, SSHPublicKeyId: aws.String("APKA-bad")}))
		},
		func() error {
			return drop(c.ResetServiceSpecificCredential(ctx, &iam.ResetServiceSpecificCredentialInput{UserName: u, ServiceSpecificCredentialId: aws.String("ACCA bad")}))
		},
	} {
		wantCode(t, call(), "ValidationError")
	}
	_, err = c.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: u, ServiceName: aws.String("ses.amazonaws.com")})
	wantCode(t, err, "NoSuchEntity")
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("not-an-arn-but-long-enough")})
	wantCode(t, err, "ValidationError")
}

func TestResetServiceSpecificCredential(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	u := aws.String("u")
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: u}))(t)
	cr := ok(c.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: u, ServiceName: aws.String("codecommit.amazonaws.com")}))(t)
	id := cr.ServiceSpecificCredential.ServiceSpecificCredentialId
	r := ok(c.ResetServiceSpecificCredential(ctx, &iam.ResetServiceSpecificCredentialInput{UserName: u, ServiceSpecificCredentialId: id}))(t)
	if pw := aws.ToString(r.ServiceSpecificCredential.ServicePassword); pw == "" || pw == aws.ToString(cr.ServiceSpecificCredential.ServicePassword) {
		t.Errorf("reset password %q", pw)
	}
	_, err := c.ResetServiceSpecificCredential(ctx, &iam.ResetServiceSpecificCredentialInput{UserName: u, ServiceSpecificCredentialId: aws.String("ACCAMISSING000000000")})
	wantCode(t, err, "NoSuchEntity")
}

// A PEM key is accepted and has the fingerprint of its ssh-rsa form.
func TestSSHPublicKeyPEM(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	u := aws.String("u")
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: u}))(t)
	pemKey := pemPublicKey(t)
	up := ok(c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: u, SSHPublicKeyBody: aws.String(pemKey)}))(t)
	id := up.SSHPublicKey.SSHPublicKeyId
	asSSH := ok(c.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: u, SSHPublicKeyId: id, Encoding: types.EncodingTypeSsh}))(t)
	if !strings.HasPrefix(aws.ToString(asSSH.SSHPublicKey.SSHPublicKeyBody), "ssh-rsa AAAA") {
		t.Errorf("SSH encoding: %q", aws.ToString(asSSH.SSHPublicKey.SSHPublicKeyBody))
	}
	asPEM := ok(c.GetSSHPublicKey(ctx, &iam.GetSSHPublicKeyInput{UserName: u, SSHPublicKeyId: id, Encoding: types.EncodingTypePem}))(t)
	if aws.ToString(asPEM.SSHPublicKey.SSHPublicKeyBody) != pemKey {
		t.Errorf("PEM encoding changed the key")
	}
	// The same key again, in the other form, is a duplicate.
	_, err := c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: u, SSHPublicKeyBody: asSSH.SSHPublicKey.SSHPublicKeyBody})
	wantCode(t, err, "DuplicateSSHPublicKey")
	_, err = c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: u, SSHPublicKeyBody: aws.String("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")})
	wantCode(t, err, "InvalidPublicKey")
}

// rawCall posts a Query request straight to the server and returns the
// body: for shapes the SDK's decoding hides (an empty list or none).
func rawCall(t *testing.T, srv *iamfake.Server, form string) string {
	t.Helper()
	r := httptest.NewRequest("POST", "/", strings.NewReader(form+"&Version=2010-05-08"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	return w.Body.String()
}

// pemPublicKey is a fresh RSA public key in PEM (PKIX), as
// UploadSSHPublicKey also takes it.
func pemPublicKey(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}
