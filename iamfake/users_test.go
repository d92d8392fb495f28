package iamfake_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

func TestUserNameAndPathRules(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	for _, tc := range []struct {
		name, path, code string
	}{
		{"ok.user+tag=1,x@y-z_", "", ""},
		{strings.Repeat("a", 64), "", ""},
		{strings.Repeat("b", 65), "", "ValidationError"},
		{"has space", "", "ValidationError"},
		{"slash/name", "", "ValidationError"},
		{"ünicode", "", "ValidationError"},
		{"pathy", "/team/ses/", ""},
		{"badpath1", "team/", "ValidationError"},
		{"badpath2", "/team", "ValidationError"},
		{"badpath3", "/te am/", "ValidationError"},
		{"badpath4", "//", "ValidationError"}, // IAM's pattern needs a character between the slashes
		{"pathroot", "/", ""},
		{"longpath", "/" + strings.Repeat("p", 511) + "/", "ValidationError"},
	} {
		in := &iam.CreateUserInput{UserName: aws.String(tc.name)}
		if tc.path != "" {
			in.Path = aws.String(tc.path)
		}
		out, err := c.CreateUser(ctx, in)
		if got := code(t, err); got != tc.code {
			t.Errorf("CreateUser(%q, %q) = %q (%v), want %q", tc.name, tc.path, got, err, tc.code)
		}
		if err == nil && tc.path != "" {
			if arn := aws.ToString(out.User.Arn); arn != "arn:aws:iam::123456789012:user"+tc.path+tc.name {
				t.Errorf("arn with path = %s", arn)
			}
		}
	}
	// An empty name is caught by the SDK itself before any request.
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{}); err == nil {
		t.Error("CreateUser without a name succeeded")
	}
}

func TestListUsersPagination(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	want := map[string]bool{}
	for i := range 23 {
		name := fmt.Sprintf("user%02d", i)
		path := "/"
		if i%2 == 0 {
			path = "/even/"
		}
		ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name), Path: aws.String(path)}))(t)
		want[name] = true
	}
	pages, seen := 0, []string{}
	p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(5)})
	for p.HasMorePages() {
		out := ok(p.NextPage(ctx))(t)
		pages++
		if len(out.Users) > 5 {
			t.Fatalf("page of %d users, MaxItems 5", len(out.Users))
		}
		if out.IsTruncated != (aws.ToString(out.Marker) != "") {
			t.Errorf("IsTruncated %v with marker %q", out.IsTruncated, aws.ToString(out.Marker))
		}
		for _, u := range out.Users {
			seen = append(seen, aws.ToString(u.UserName))
		}
	}
	if pages != 5 || len(seen) != 23 {
		t.Errorf("pages %d, users %d", pages, len(seen))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i-1] >= seen[i] {
			t.Errorf("not in order: %v", seen)
		}
	}
	even := ok(c.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/even/")}))(t)
	if len(even.Users) != 12 || even.IsTruncated {
		t.Errorf("PathPrefix /even/: %d users", len(even.Users))
	}
	_, err := c.ListUsers(ctx, &iam.ListUsersInput{Marker: aws.String("not-a-marker!")})
	wantCode(t, err, "ValidationError")
	_, err = c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(1001)})
	wantCode(t, err, "ValidationError")
}

func TestUpdateUserRenames(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("old")}))(t)
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("other")}))(t)
	ok(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	ok(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("g"), UserName: aws.String("old")}))(t)
	k := ok(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("old")}))(t)

	_, err := c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("old"), NewUserName: aws.String("OTHER")})
	wantCode(t, err, "EntityAlreadyExists")
	ok(c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("old"), NewUserName: aws.String("new"), NewPath: aws.String("/p/")}))(t)
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("old")})
	wantCode(t, err, "NoSuchEntity")
	u := ok(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("new")}))(t)
	if aws.ToString(u.User.Arn) != "arn:aws:iam::123456789012:user/p/new" {
		t.Errorf("arn %s", aws.ToString(u.User.Arn))
	}
	g := ok(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("g")}))(t)
	if len(g.Users) != 1 || aws.ToString(g.Users[0].UserName) != "new" {
		t.Errorf("group members after rename: %+v", g.Users)
	}
	lu := ok(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKey.AccessKeyId}))(t)
	if aws.ToString(lu.UserName) != "new" {
		t.Errorf("key owner after rename: %s", aws.ToString(lu.UserName))
	}
}

func TestUserTags(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("t"),
		Tags: []types.Tag{{Key: aws.String("InvokedBy"), Value: aws.String("SESConsole")}}}))(t)
	ok(c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("t"), Tags: []types.Tag{
		{Key: aws.String("invokedby"), Value: aws.String("sesprov")}, // same key, other case: replaces
		{Key: aws.String("team"), Value: aws.String("mail")},
	}}))(t)
	tags := ok(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("t")}))(t)
	if len(tags.Tags) != 2 || aws.ToString(tags.Tags[0].Value) != "sesprov" {
		t.Errorf("tags = %+v", tags.Tags)
	}
	_, err := c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("t"), Tags: []types.Tag{
		{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("A"), Value: aws.String("2")}}})
	wantCode(t, err, "InvalidInput")
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("t"), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("1")}}})
	wantCode(t, err, "InvalidInput")
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("t"), Tags: []types.Tag{{Key: aws.String("bad!key"), Value: aws.String("1")}}})
	wantCode(t, err, "ValidationError")
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("nobody"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	wantCode(t, err, "NoSuchEntity")

	var many []types.Tag
	for i := range 48 {
		many = append(many, types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")})
	}
	ok(c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("t"), Tags: many}))(t) // 50 now
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("t"), Tags: []types.Tag{{Key: aws.String("one-more"), Value: aws.String("v")}}})
	wantCode(t, err, "LimitExceeded")

	n := 0
	p := iam.NewListUserTagsPaginator(c, &iam.ListUserTagsInput{UserName: aws.String("t"), MaxItems: aws.Int32(7)})
	for p.HasMorePages() {
		n += len(ok(p.NextPage(ctx))(t).Tags)
	}
	if n != 50 {
		t.Errorf("paged tags = %d", n)
	}
	ok(c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("t"), TagKeys: []string{"INVOKEDBY", "team"}}))(t)
	tags = ok(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("t"), MaxItems: aws.Int32(100)}))(t)
	if len(tags.Tags) != 48 {
		t.Errorf("after untag: %d tags", len(tags.Tags))
	}
	u := ok(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("t")}))(t)
	if len(u.User.Tags) != 48 {
		t.Errorf("GetUser tags = %d", len(u.User.Tags))
	}
}

// Every kind of dependent blocks DeleteUser with DeleteConflict until removed.
func TestDeleteUserConflicts(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	pol := ok(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(sesPolicy)}))(t)
	ok(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	cert := iamfaketest.CertificatePEM(t)
	sshKey := iamfaketest.SSHPublicKey(t)
	name := aws.String("u")

	type dep struct {
		kind   string
		add    func() func() // adds the dependent, returns its removal
		reason string
	}
	deps := []dep{
		{"login profile", func() func() {
			ok(c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: name, Password: aws.String("Correct-Horse-9")}))(t)
			return func() { ok(c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: name}))(t) }
		}, "login profile"},
		{"access key", func() func() {
			k := ok(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: name}))(t)
			return func() {
				ok(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: name, AccessKeyId: k.AccessKey.AccessKeyId}))(t)
			}
		}, "access keys"},
		{"signing certificate", func() func() {
			out := ok(c.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: name, CertificateBody: aws.String(cert)}))(t)
			l := ok(c.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{UserName: name}))(t)
			if len(l.Certificates) != 1 {
				t.Errorf("certificates listed: %d", len(l.Certificates))
			}
			return func() {
				ok(c.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: name, CertificateId: out.Certificate.CertificateId}))(t)
			}
		}, "signing certificates"},
		{"SSH public key", func() func() {
			out := ok(c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: name, SSHPublicKeyBody: aws.String(sshKey)}))(t)
			l := ok(c.ListSSHPublicKeys(ctx, &iam.ListSSHPublicKeysInput{UserName: name}))(t)
			if len(l.SSHPublicKeys) != 1 || !strings.HasPrefix(aws.ToString(out.SSHPublicKey.SSHPublicKeyId), "APKA") {
				t.Errorf("ssh keys listed: %+v", l.SSHPublicKeys)
			}
			return func() {
				ok(c.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: name, SSHPublicKeyId: out.SSHPublicKey.SSHPublicKeyId}))(t)
			}
		}, "SSH public keys"},
		{"service-specific credential", func() func() {
			out := ok(c.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: name, ServiceName: aws.String("codecommit.amazonaws.com")}))(t)
			if aws.ToString(out.ServiceSpecificCredential.ServicePassword) == "" {
				t.Error("no service password on create")
			}
			l := ok(c.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: name}))(t)
			if len(l.ServiceSpecificCredentials) != 1 {
				t.Errorf("service credentials listed: %d", len(l.ServiceSpecificCredentials))
			}
			return func() {
				ok(c.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: name,
					ServiceSpecificCredentialId: out.ServiceSpecificCredential.ServiceSpecificCredentialId}))(t)
			}
		}, "service specific credentials"},
		{"MFA device", func() func() {
			d := ok(c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("u-mfa")}))(t)
			serial := d.VirtualMFADevice.SerialNumber
			if len(d.VirtualMFADevice.Base32StringSeed) == 0 {
				t.Error("no seed")
			}
			ok(c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: name, SerialNumber: serial,
				AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")}))(t)
			l := ok(c.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: name}))(t)
			if len(l.MFADevices) != 1 || aws.ToString(l.MFADevices[0].SerialNumber) != aws.ToString(serial) {
				t.Errorf("MFA devices listed: %+v", l.MFADevices)
			}
			_, err := c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: serial})
			wantCode(t, err, "DeleteConflict")
			return func() {
				ok(c.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: name, SerialNumber: serial}))(t)
				ok(c.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: serial}))(t)
			}
		}, "MFA devices"},
		{"inline policy", func() func() {
			ok(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: name, PolicyName: aws.String("AmazonSesSendingAccess"), PolicyDocument: aws.String(sesPolicy)}))(t)
			return func() {
				ok(c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: name, PolicyName: aws.String("AmazonSesSendingAccess")}))(t)
			}
		}, "delete policies"},
		{"attached policy", func() func() {
			ok(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: name, PolicyArn: pol.Policy.Arn}))(t)
			return func() {
				ok(c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: name, PolicyArn: pol.Policy.Arn}))(t)
			}
		}, "detach all policies"},
		{"group membership", func() func() {
			ok(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: name, GroupName: aws.String("g")}))(t)
			return func() {
				ok(c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: name, GroupName: aws.String("g")}))(t)
			}
		}, "group"},
	}
	for _, d := range deps {
		t.Run(d.kind, func(t *testing.T) {
			ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: name}))(t)
			remove := d.add()
			_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: name})
			wantCode(t, err, "DeleteConflict")
			if !strings.Contains(err.Error(), d.reason) {
				t.Errorf("message %q does not name %q", err, d.reason)
			}
			remove()
			ok(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: name}))(t)
			_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: name})
			wantCode(t, err, "NoSuchEntity")
		})
	}
	// And all at once, torn down in IAM's order.
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: name}))(t)
	var removals []func()
	for _, d := range deps {
		removals = append(removals, d.add())
	}
	for _, remove := range removals {
		_, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: name})
		wantCode(t, err, "DeleteConflict")
		remove()
	}
	ok(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: name}))(t)
}

func TestCallerIsKeyOwner(t *testing.T) {
	ctx := context.Background()
	_, cfg := iamfaketest.Start(t)
	c := iam.NewFromConfig(cfg)
	// Without a name, GetUser answers for the caller: the operator.
	me := ok(c.GetUser(ctx, &iam.GetUserInput{}))(t)
	if aws.ToString(me.User.UserName) != "iamfake" {
		t.Errorf("GetUser() = %s", aws.ToString(me.User.UserName))
	}
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("smtp")}))(t)
	k := ok(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("smtp")}))(t)

	ucfg := cfg.Copy()
	ucfg.Credentials = aws.NewCredentialsCache(credsFunc(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)))
	id := ok(sts.NewFromConfig(ucfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(id.Arn) != "arn:aws:iam::123456789012:user/smtp" || !strings.HasPrefix(aws.ToString(id.UserId), "AIDA") {
		t.Errorf("identity = %s", aws.ToString(id.Arn))
	}
	uc := iam.NewFromConfig(ucfg)
	me = ok(uc.GetUser(ctx, &iam.GetUserInput{}))(t)
	if aws.ToString(me.User.UserName) != "smtp" {
		t.Errorf("GetUser() as smtp = %s", aws.ToString(me.User.UserName))
	}
	// Without UserName, key calls are about the caller's own keys.
	if l := ok(uc.ListAccessKeys(ctx, &iam.ListAccessKeysInput{}))(t); len(l.AccessKeyMetadata) != 1 {
		t.Errorf("own keys = %d", len(l.AccessKeyMetadata))
	}
	// The key's use is recorded.
	lu := ok(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKey.AccessKeyId}))(t)
	if lu.AccessKeyLastUsed.LastUsedDate == nil || aws.ToString(lu.AccessKeyLastUsed.ServiceName) != "iam" || aws.ToString(lu.AccessKeyLastUsed.Region) != "us-east-1" {
		t.Errorf("last used = %+v", lu.AccessKeyLastUsed)
	}
	// An inactive key is refused, as AWS refuses it.
	ok(c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("smtp"), AccessKeyId: k.AccessKey.AccessKeyId, Status: types.StatusTypeInactive}))(t)
	_, err := uc.GetUser(ctx, &iam.GetUserInput{})
	wantCode(t, err, "InvalidClientTokenId")
}

func credsFunc(id, secret string) aws.CredentialsProviderFunc {
	return func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, nil
	}
}

func TestPermissionsBoundary(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	p := ok(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Boundary"), PolicyDocument: aws.String(sesPolicy)}))(t)
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("b"), PermissionsBoundary: aws.String("arn:aws:iam::123456789012:policy/Missing")})
	wantCode(t, err, "NoSuchEntity")
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("b")}))(t)
	_, err = c.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("b")})
	wantCode(t, err, "NoSuchEntity")
	ok(c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("b"), PermissionsBoundary: p.Policy.Arn}))(t)
	u := ok(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("b")}))(t)
	if u.User.PermissionsBoundary == nil || aws.ToString(u.User.PermissionsBoundary.PermissionsBoundaryArn) != aws.ToString(p.Policy.Arn) ||
		u.User.PermissionsBoundary.PermissionsBoundaryType != "Policy" { // AWS's answer; the SDK's enum says PermissionsBoundaryPolicy
		t.Errorf("boundary = %+v", u.User.PermissionsBoundary)
	}
	got := ok(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: p.Policy.Arn}))(t)
	if aws.ToInt32(got.Policy.PermissionsBoundaryUsageCount) != 1 {
		t.Errorf("boundary usage = %d", aws.ToInt32(got.Policy.PermissionsBoundaryUsageCount))
	}
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: p.Policy.Arn})
	wantCode(t, err, "DeleteConflict")
	ok(c.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("b")}))(t)
	ok(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: p.Policy.Arn}))(t)
}
