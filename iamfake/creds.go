package iamfake

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"time"
)

// The other credentials a user can hold: login profile, signing
// certificates, SSH public keys, service-specific credentials and MFA
// devices. Each blocks DeleteUser until removed. Passwords and MFA seeds
// are answered once and never kept.

const (
	signingCertsPerUser = 2
	sshKeysPerUser      = 5
	svcCredsPerService  = 2
)

// credOwner is the user named by UserName, or the calling user.
func (s *Server) credOwner(q *request) (*user, *apiError) { return s.keyOwner(q) }

// userCreds describes a kind of credential a user holds in a slice and
// names by ID (signing certificates, SSH public keys, service-specific
// credentials): their Update and Delete actions are alike.
type userCreds[T credential] struct {
	owner            func(*Server, *request) (*user, *apiError)
	held             func(*user) *[]T
	idParam, idField string // the ID's parameter, and its name in IAM's model
	notFound         string // NoSuchEntity message, %s the ID
}

type credential interface {
	credID() string
	setStatus(string)
}

func (c *signingCert) credID() string      { return c.ID }
func (c *signingCert) setStatus(st string) { c.Status = st }
func (k *sshKey) credID() string           { return k.ID }
func (k *sshKey) setStatus(st string)      { k.Status = st }
func (c *serviceCred) credID() string      { return c.ID }
func (c *serviceCred) setStatus(st string) { c.Status = st }

var (
	signingCerts = &userCreds[*signingCert]{
		owner: (*Server).credOwner, held: func(u *user) *[]*signingCert { return &u.Certs },
		idParam: "CertificateId", idField: "certificateId",
		notFound: "The Certificate with id %s cannot be found.",
	}
	sshKeys = &userCreds[*sshKey]{
		owner: (*Server).userParam, held: func(u *user) *[]*sshKey { return &u.SSHKeys },
		idParam: "SSHPublicKeyId", idField: "sSHPublicKeyId",
		notFound: "The Public Key with id %s cannot be found.",
	}
	serviceCreds = &userCreds[*serviceCred]{
		owner: (*Server).credOwner, held: func(u *user) *[]*serviceCred { return &u.SvcCreds },
		idParam: "ServiceSpecificCredentialId", idField: "serviceSpecificCredentialId",
		notFound: "No such credential %s exists",
	}
)

// find reads the owner and the ID parameter: the owner and the
// credential's position among the owner's.
func (k *userCreds[T]) find(s *Server, q *request) (*user, int, *apiError) {
	u, err := k.owner(s, q)
	if err != nil {
		return nil, 0, err
	}
	id, err := q.need(k.idParam, k.idField)
	if err != nil {
		return nil, 0, err
	}
	if err := checkWordID(k.idField, id); err != nil {
		return nil, 0, err
	}
	for i, c := range *k.held(u) {
		if c.credID() == id {
			return u, i, nil
		}
	}
	return nil, 0, errf(NoSuchEntity, k.notFound, id)
}

func (k *userCreds[T]) update(s *Server, q *request) *apiError {
	status, err := q.need("Status", "status")
	if err != nil {
		return err
	}
	if err := checkStatus("status", status); err != nil {
		return err
	}
	u, i, err := k.find(s, q)
	if err != nil {
		return err
	}
	(*k.held(u))[i].setStatus(status)
	return nil
}

func (k *userCreds[T]) delete(s *Server, q *request) *apiError {
	u, i, err := k.find(s, q)
	if err != nil {
		return err
	}
	all := k.held(u)
	*all = append((*all)[:i:i], (*all)[i+1:]...)
	return nil
}

// --- Login profiles

func noLoginProfile(name string) *apiError {
	return errf(NoSuchEntity, "Login Profile for User %s cannot be found.", name)
}

func checkPassword(field, pw string) *apiError {
	if len(pw) < 1 || len(pw) > 128 {
		return constraint(field, "*****", "Member must have length less than or equal to 128")
	}
	if len(pw) < 8 {
		return errf("PasswordPolicyViolation", "Password should have a minimum length of 8")
	}
	return nil
}

func (s *Server) writeLoginProfile(w *xmlw, u *user) {
	w.open("LoginProfile")
	w.el("UserName", u.Name)
	w.time("CreateDate", u.Login.Created)
	w.bool("PasswordResetRequired", u.Login.ResetRequired)
	w.close("LoginProfile")
}

func (s *Server) createLoginProfile(q *request, w *xmlw) *apiError {
	u, err := s.credOwner(q)
	if err != nil {
		return err
	}
	if q.has("Password") {
		if err := checkPassword("password", q.get("Password")); err != nil {
			return err
		}
	}
	if u.Login != nil {
		return errf(EntityAlreadyExists, "Login Profile for user %s already exists.", u.Name)
	}
	u.Login = &loginProfile{Created: q.now, ResetRequired: q.boolean("PasswordResetRequired")}
	s.writeLoginProfile(w, u)
	return nil
}

func (s *Server) getLoginProfile(q *request, w *xmlw) *apiError {
	u, err := s.credOwner(q)
	if err != nil {
		return err
	}
	if u.Login == nil {
		return noLoginProfile(u.Name)
	}
	s.writeLoginProfile(w, u)
	return nil
}

func (s *Server) updateLoginProfile(q *request, w *xmlw) *apiError {
	u, err := s.credOwner(q)
	if err != nil {
		return err
	}
	if q.has("Password") {
		if err := checkPassword("password", q.get("Password")); err != nil {
			return err
		}
	}
	if u.Login == nil {
		return noLoginProfile(u.Name)
	}
	if q.has("PasswordResetRequired") {
		u.Login.ResetRequired = q.boolean("PasswordResetRequired")
	}
	return nil
}

func (s *Server) deleteLoginProfile(q *request, w *xmlw) *apiError {
	u, err := s.credOwner(q)
	if err != nil {
		return err
	}
	if u.Login == nil {
		return noLoginProfile(u.Name)
	}
	u.Login = nil
	return nil
}

// --- Signing certificates

func (s *Server) writeCert(w *xmlw, u *user, c *signingCert) {
	w.el("UserName", u.Name)
	w.el("CertificateId", c.ID)
	w.el("CertificateBody", c.Body)
	w.el("Status", c.Status)
	w.time("UploadDate", c.Uploaded)
}

func (s *Server) uploadSigningCertificate(q *request, w *xmlw) *apiError {
	u, err := s.credOwner(q)
	if err != nil {
		return err
	}
	body, err := q.need("CertificateBody", "certificateBody")
	if err != nil {
		return err
	}
	block, _ := pem.Decode([]byte(body))
	if block == nil || block.Type != "CERTIFICATE" {
		return errf(MalformedCertificate, "Unable to parse certificate. Please ensure the certificate is in PEM format.")
	}
	if _, e := x509.ParseCertificate(block.Bytes); e != nil {
		return errf(MalformedCertificate, "Unable to parse certificate. Please ensure the certificate is in PEM format.")
	}
	for _, c := range u.Certs {
		if c.Body == body {
			return errf("DuplicateCertificate", "The certificate is already associated with user %s.", u.Name)
		}
	}
	if len(u.Certs) >= signingCertsPerUser {
		return quota("CertificatesPerUser", signingCertsPerUser)
	}
	c := &signingCert{ID: randomID("", 32), Body: body, Status: "Active", Uploaded: q.now}
	u.Certs = append(u.Certs, c)
	w.open("Certificate")
	s.writeCert(w, u, c)
	w.close("Certificate")
	return nil
}

func (s *Server) listSigningCertificates(q *request, w *xmlw) *apiError {
	u, err := s.credOwner(q)
	if err != nil {
		return err
	}
	page, next, err := pageSliceFor(q, u.Certs)
	if err != nil {
		return err
	}
	writeList(w, "Certificates", page, next, func(c *signingCert) { s.writeCert(w, u, c) })
	return nil
}

func (s *Server) updateSigningCertificate(q *request, w *xmlw) *apiError {
	return signingCerts.update(s, q)
}

func (s *Server) deleteSigningCertificate(q *request, w *xmlw) *apiError {
	return signingCerts.delete(s, q)
}

// --- SSH public keys

// writeSSHKey writes a key; encoding ("SSH" or "PEM") is the form of the
// body GetSSHPublicKey asked for, "" for none (lists).
func (s *Server) writeSSHKey(w *xmlw, u *user, k *sshKey, encoding string) {
	w.el("UserName", u.Name)
	w.el("SSHPublicKeyId", k.ID)
	if encoding != "" {
		w.el("Fingerprint", k.Fingerprint)
		w.el("SSHPublicKeyBody", sshKeyBody(k.Body, encoding))
	}
	w.el("Status", k.Status)
	w.time("UploadDate", k.Uploaded)
}

func (s *Server) uploadSSHPublicKey(q *request, w *xmlw) *apiError {
	u, err := s.userParam(q)
	if err != nil {
		return err
	}
	body, err := q.need("SSHPublicKeyBody", "sSHPublicKeyBody")
	if err != nil {
		return err
	}
	fp, ok := sshFingerprint(body)
	if !ok {
		return errf(InvalidPublicKey, "The public key is not in a supported format: ssh-rsa or PEM-encoded RSA keys are accepted.")
	}
	for _, k := range u.SSHKeys {
		if k.Fingerprint == fp {
			return errf("DuplicateSSHPublicKey", "The public key is already associated with user %s.", u.Name)
		}
	}
	if len(u.SSHKeys) >= sshKeysPerUser {
		return quota("SSHPublicKeysPerUser", sshKeysPerUser)
	}
	k := &sshKey{ID: randomID("APKA", 16), Body: body, Fingerprint: fp, Status: "Active", Uploaded: q.now}
	u.SSHKeys = append(u.SSHKeys, k)
	w.open("SSHPublicKey")
	s.writeSSHKey(w, u, k, "SSH")
	w.close("SSHPublicKey")
	return nil
}

func (s *Server) getSSHPublicKey(q *request, w *xmlw) *apiError {
	enc, err := q.need("Encoding", "encoding")
	if err != nil {
		return err
	}
	if enc != "SSH" && enc != "PEM" {
		return constraint("encoding", enc, "Member must satisfy enum value set: [SSH, PEM]")
	}
	u, i, err := sshKeys.find(s, q)
	if err != nil {
		return err
	}
	w.open("SSHPublicKey")
	s.writeSSHKey(w, u, u.SSHKeys[i], enc)
	w.close("SSHPublicKey")
	return nil
}

func (s *Server) listSSHPublicKeys(q *request, w *xmlw) *apiError {
	u, err := s.credOwner(q)
	if err != nil {
		return err
	}
	page, next, err := pageSliceFor(q, u.SSHKeys)
	if err != nil {
		return err
	}
	writeList(w, "SSHPublicKeys", page, next, func(k *sshKey) { s.writeSSHKey(w, u, k, "") })
	return nil
}

func (s *Server) updateSSHPublicKey(q *request, w *xmlw) *apiError {
	return sshKeys.update(s, q)
}

func (s *Server) deleteSSHPublicKey(q *request, w *xmlw) *apiError {
	return sshKeys.delete(s, q)
}

// --- Service-specific credentials

var credServices = map[string]bool{
	"codecommit.amazonaws.com": true,
	"cassandra.amazonaws.com":  true,
	"bedrock.amazonaws.com":    true,
}

func (s *Server) writeSvcCred(w *xmlw, u *user, c *serviceCred, password string) {
	w.time("CreateDate", c.Created)
	w.el("ServiceName", c.Service)
	w.el("ServiceUserName", c.ServiceUser)
	if password != "" {
		w.el("ServicePassword", password)
	}
	w.el("ServiceSpecificCredentialId", c.ID)
	w.el("UserName", u.Name)
	w.el("Status", c.Status)
}

func (s *Server) createServiceSpecificCredential(q *request, w *xmlw) *apiError {
	u, err := s.userParam(q)
	if err != nil {
		return err
	}
	svc, err := q.need("ServiceName", "serviceName")
	if err != nil {
		return err
	}
	if !credServices[svc] {
		// AWS answers NoSuchEntity; its API reference says NotSupportedService.
		return errf(NoSuchEntity, "No such service %s is supported for Service Specific Credentials", svc)
	}
	n := 0
	for _, c := range u.SvcCreds {
		if c.Service == svc {
			n++
		}
	}
	if n >= svcCredsPerService {
		return quota("ServiceSpecificCredentialsPerUserPerService", svcCredsPerService)
	}
	c := &serviceCred{ID: randomID("ACCA", 17), Service: svc, ServiceUser: fmt.Sprintf("%s-at-%s", u.Name, s.opts.AccountID), Status: "Active", Created: q.now}
	u.SvcCreds = append(u.SvcCreds, c)
	w.open("ServiceSpecificCredential")
	s.writeSvcCred(w, u, c, newSecret())
	w.close("ServiceSpecificCredential")
	return nil
}

func (s *Server) listServiceSpecificCredentials(q *request, w *xmlw) *apiError {
	u, err := s.credOwner(q)
	if err != nil {
		return err
	}
	svc := q.get("ServiceName")
	var all []*serviceCred
	for _, c := range u.SvcCreds {
		if svc == "" || c.Service == svc {
			all = append(all, c)
		}
	}
	page, next, err := pageSliceFor(q, all)
	if err != nil {
		return err
	}
	writeList(w, "ServiceSpecificCredentials", page, next, func(c *serviceCred) { s.writeSvcCred(w, u, c, "") })
	return nil
}

func (s *Server) updateServiceSpecificCredential(q *request, w *xmlw) *apiError {
	return serviceCreds.update(s, q)
}

// resetServiceSpecificCredential answers a new password, once, as
// CreateServiceSpecificCredential does; the old one stops working.
func (s *Server) resetServiceSpecificCredential(q *request, w *xmlw) *apiError {
	u, i, err := serviceCreds.find(s, q)
	if err != nil {
		return err
	}
	w.open("ServiceSpecificCredential")
	s.writeSvcCred(w, u, u.SvcCreds[i], newSecret())
	w.close("ServiceSpecificCredential")
	return nil
}

func (s *Server) deleteServiceSpecificCredential(q *request, w *xmlw) *apiError {
	return serviceCreds.delete(s, q)
}

// --- MFA devices (virtual)

func (s *Server) createVirtualMFADevice(q *request, w *xmlw) *apiError {
	name, path, err := q.nameAndPath("VirtualMFADeviceName", "virtualMFADeviceName", 226)
	if err != nil {
		return err
	}
	serial := s.arn("mfa", path, name)
	for _, k := range s.st.MFA.keys {
		if lower(k) == lower(serial) {
			return errf(EntityAlreadyExists, "MFADevice entity at the same path and name already exists.")
		}
	}
	d := &mfaDevice{Serial: serial, Name: name, Path: path, Created: q.now}
	s.st.MFA.put(serial, d)
	// The seed is answered once and not kept.
	seed := randomID("", 64)
	w.open("VirtualMFADevice")
	w.el("SerialNumber", serial)
	w.blob("Base32StringSeed", []byte(seed))
	w.blob("QRCodePNG", []byte("\x89PNG\r\n\x1a\n"))
	w.close("VirtualMFADevice")
	return nil
}

func checkAuthCode(field, v string) *apiError {
	if len(v) != 6 || strings.Trim(v, "0123456789") != "" {
		return constraint(field, v, "Member must satisfy regular expression pattern: [\\d]+")
	}
	return nil
}

func noSuchMFA(serial string) *apiError {
	return errf(NoSuchEntity, "MFA Device with serial number %s does not exist.", serial)
}

func (s *Server) mfaParam(q *request) (*mfaDevice, *apiError) {
	serial, err := q.need("SerialNumber", "serialNumber")
	if err != nil {
		return nil, err
	}
	d, ok := s.st.MFA.get(serial)
	if !ok {
		return nil, noSuchMFA(serial)
	}
	return d, nil
}

func (s *Server) enableMFADevice(q *request, w *xmlw) *apiError {
	u, err := s.userParam(q)
	if err != nil {
		return err
	}
	for _, f := range []string{"AuthenticationCode1", "AuthenticationCode2"} {
		v, err := q.need(f, "a"+f[1:])
		if err != nil {
			return err
		}
		if err := checkAuthCode("a"+f[1:], v); err != nil {
			return err
		}
	}
	if q.get("AuthenticationCode1") == q.get("AuthenticationCode2") {
		return errf(InvalidAuthenticationCode, "Authentication code for device is not valid.")
	}
	d, err := s.mfaParam(q)
	if err != nil {
		return err
	}
	if d.User != "" {
		return errf(EntityAlreadyExists, "MFA Device is already in use.")
	}
	if u.MFA.len() >= 8 {
		return quota("MFADevicesPerUser", 8)
	}
	d.User, d.Enabled = u.Name, q.now
	u.MFA.put(d.Serial, d)
	return nil
}

func (s *Server) deactivateMFADevice(q *request, w *xmlw) *apiError {
	u, err := s.credOwner(q)
	if err != nil {
		return err
	}
	serial, err := q.need("SerialNumber", "serialNumber")
	if err != nil {
		return err
	}
	d, ok := u.MFA.get(serial)
	if !ok {
		return noSuchMFA(serial)
	}
	u.MFA.del(serial)
	d.User, d.Enabled = "", time.Time{}
	return nil
}

func (s *Server) deleteVirtualMFADevice(q *request, w *xmlw) *apiError {
	d, err := s.mfaParam(q)
	if err != nil {
		return err
	}
	if d.User != "" {
		return errf(DeleteConflict, "MFA device is still in use.")
	}
	s.st.MFA.del(d.Serial)
	return nil
}

func (s *Server) listMFADevices(q *request, w *xmlw) *apiError {
	u, err := s.credOwner(q)
	if err != nil {
		return err
	}
	ds, next, err := u.MFA.pageFor(q, nil)
	if err != nil {
		return err
	}
	writeList(w, "MFADevices", ds, next, func(d *mfaDevice) {
		w.el("UserName", u.Name)
		w.el("SerialNumber", d.Serial)
		w.time("EnableDate", d.Enabled)
	})
	return nil
}

func (s *Server) listVirtualMFADevices(q *request, w *xmlw) *apiError {
	status := q.get("AssignmentStatus")
	switch status {
	case "", "Any", "Assigned", "Unassigned":
	default:
		return constraint("assignmentStatus", status, "Member must satisfy enum value set: [Unassigned, Any, Assigned]")
	}
	ds, next, err := s.st.MFA.pageFor(q, func(d *mfaDevice) bool {
		return status == "" || status == "Any" || (status == "Assigned") == (d.User != "")
	})
	if err != nil {
		return err
	}
	writeList(w, "VirtualMFADevices", ds, next, func(d *mfaDevice) {
		w.el("SerialNumber", d.Serial)
		if d.User != "" {
			if u, ok := s.st.Users.get(lower(d.User)); ok {
				w.open("User")
				s.writeUser(w, u, false)
				w.close("User")
			}
			w.time("EnableDate", d.Enabled)
		}
	})
	return nil
}
