package provision_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/policy"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/deleteuser"
)

// loadedUser gives user one of everything DeleteUser must remove first.
func (l *lab) loadedUser(name string) {
	l.t.Helper()
	ctx := context.Background()
	l.smtpUser(name, 2)
	u := aws.String(name)
	_, err := l.iam.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: u, Password: aws.String("Correct-Horse-Battery-9")})
	l.must(err)
	_, err = l.iam.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: u, CertificateBody: aws.String(iamfaketest.CertificatePEM(l.t))})
	l.must(err)
	_, err = l.iam.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: u, SSHPublicKeyBody: aws.String(iamfaketest.SSHPublicKey(l.t))})
	l.must(err)
	_, err = l.iam.CreateServiceSpecificCredential(ctx, &iam.CreateServiceSpecificCredentialInput{UserName: u, ServiceName: aws.String("codecommit.amazonaws.com")})
	l.must(err)
	mfa, err := l.iam.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(name + "-mfa")})
	l.must(err)
	_, err = l.iam.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: u, SerialNumber: mfa.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")})
	l.must(err)
	_, err = l.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: u, PolicyName: aws.String(provision.DefaultPolicyName),
		PolicyDocument: aws.String(policy.SendingPolicyDocument)})
	l.must(err)
	pol, err := l.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name + "-extra"), PolicyDocument: aws.String(policy.SendingPolicyDocument)})
	l.must(err)
	_, err = l.iam.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: u, PolicyArn: pol.Policy.Arn})
	l.must(err)
	_, err = l.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("other-group")})
	if err != nil && !iamapi.HasCode(err, "EntityAlreadyExists") {
		l.t.Fatal(err)
	}
	_, err = l.iam.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: u, GroupName: aws.String("other-group")})
	l.must(err)
}

func (l *lab) userExists(name string) bool {
	l.t.Helper()
	_, err := l.iam.GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String(name)})
	if iamapi.IsNoSuchEntity(err) {
		return false
	}
	l.must(err)
	return true
}

func deleteUser(l *lab, client iamapi.IAM, in deleteuser.Options) (*deleteuser.Plan, error) {
	return deleteuser.Run(context.Background(), in, client)
}

func TestDeleteUserRemovesEverythingInIAMsOrder(t *testing.T) {
	l := newLab(t)
	l.loadedUser("full")
	l.srv.ResetCalls()
	plan, err := deleteUser(l, l.iam, deleteuser.Options{UserName: "full"})
	l.must(err)
	if l.userExists("full") {
		t.Fatal("user still exists")
	}
	if !plan.Deleted || !plan.LoginProfile || len(plan.AccessKeys) != 2 || len(plan.SigningCerts) != 1 || len(plan.SSHPublicKeys) != 1 ||
		len(plan.ServiceCreds) != 1 || len(plan.MFADevices) != 1 || len(plan.InlinePolicies) != 1 || len(plan.AttachedPolicies) != 1 || len(plan.Groups) != 2 {
		t.Fatalf("plan misses something: %+v", plan)
	}
	// sesprov's deletion mark, then the order IAM documents for deleting a user.
	order := []string{"TagUser", "DeleteLoginProfile", "DeleteAccessKey", "DeleteSigningCertificate", "DeleteSSHPublicKey",
		"DeleteServiceSpecificCredential", "DeactivateMFADevice", "DeleteVirtualMFADevice", "DeleteUserPolicy",
		"DetachUserPolicy", "RemoveUserFromGroup", "DeleteUser"}
	var got []string
	for _, m := range mutations(l.srv.Calls()) {
		if len(got) == 0 || got[len(got)-1] != m {
			got = append(got, m)
		}
	}
	if strings.Join(got, ",") != strings.Join(order, ",") {
		t.Fatalf("delete order\n got %v\nwant %v", got, order)
	}
	// The virtual MFA device went with its user.
	vm, err := l.iam.ListVirtualMFADevices(context.Background(), &iam.ListVirtualMFADevicesInput{})
	l.must(err)
	if len(vm.VirtualMFADevices) != 0 {
		t.Fatalf("virtual MFA devices left: %d", len(vm.VirtualMFADevices))
	}

	// Again: the user is gone, a clear usage error naming GetUser.
	_, err = deleteUser(l, l.iam, deleteuser.Options{UserName: "full"})
	if fail.ExitCode(err) != fail.ExitUsage || !strings.Contains(err.Error(), "GetUser") || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("deleting a missing user: %v (exit %d)", err, fail.ExitCode(err))
	}
}

func TestDeleteUserRefusesNonSMTPUsersUnlessForced(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	_, err := l.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")})
	l.must(err)
	l.srv.ResetCalls()
	_, err = deleteUser(l, l.iam, deleteuser.Options{UserName: "alice"})
	if fail.ExitCode(err) != fail.ExitConflict || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("non-SMTP user: %v (exit %d)", err, fail.ExitCode(err))
	}
	if m := mutations(l.srv.Calls()); len(m) != 0 || !l.userExists("alice") {
		t.Fatalf("refusal changed IAM: %v", m)
	}
	if _, err := deleteUser(l, l.iam, deleteuser.Options{UserName: "alice", Force: true}); err != nil || l.userExists("alice") {
		t.Fatalf("--force: %v", err)
	}
}

func TestDeleteUserRecognisesEverySMTPUserKind(t *testing.T) {
	l := newLab(t)
	ctx := context.Background()
	mk := func(name string, tags ...string) {
		in := &iam.CreateUserInput{UserName: aws.String(name)}
		for i := 0; i+1 < len(tags); i += 2 {
			in.Tags = append(in.Tags, tagInput(name, tags[i], tags[i+1]).Tags...)
		}
		_, err := l.iam.CreateUser(ctx, in)
		l.must(err)
	}
	mk("console", "InvokedBy", "SESConsole")
	mk("ours", provision.TagCreatedBy, provision.TagCreatedByValue)
	mk("inline")
	_, err := l.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("inline"), PolicyName: aws.String(provision.DefaultPolicyName),
		PolicyDocument: aws.String(policy.SendingPolicyDocument)})
	l.must(err)
	l.smtpUser("member", 0)
	for _, u := range []string{"console", "ours", "inline", "member"} {
		plan, err := deleteUser(l, l.iam, deleteuser.Options{UserName: u})
		if err != nil || plan.SMTPUser == "" || l.userExists(u) {
			t.Fatalf("%s: %v (why SMTP: %q)", u, err, plan.SMTPUser)
		}
	}
}

func TestDeleteUserDryRunChangesNothing(t *testing.T) {
	l := newLab(t)
	l.loadedUser("dry")
	l.srv.ResetCalls()
	plan, err := deleteUser(l, l.iam, deleteuser.Options{UserName: "dry", DryRun: true})
	l.must(err)
	if m := mutations(l.srv.Calls()); len(m) != 0 || !l.userExists("dry") {
		t.Fatalf("dry run changed IAM: %v", m)
	}
	if plan.Deleted || !plan.DryRun || len(plan.Items()) != 11 { // profile, 2 keys, cert, ssh, svc, mfa, inline, attached, 2 groups
		t.Fatalf("dry-run plan: %+v (%d items)", plan, len(plan.Items()))
	}
}

func TestDeleteUserDeclinedChangesNothing(t *testing.T) {
	l := newLab(t)
	l.smtpUser("no", 1)
	l.srv.ResetCalls()
	asked := false
	_, err := deleteUser(l, l.iam, deleteuser.Options{UserName: "no", Confirm: func(p *deleteuser.Plan) (bool, error) {
		asked = true
		return false, nil
	}})
	if !asked || fail.ExitCode(err) != fail.ExitUsage {
		t.Fatalf("declined: asked=%v err=%v", asked, err)
	}
	if m := mutations(l.srv.Calls()); len(m) != 0 {
		t.Fatalf("declined run changed IAM: %v", m)
	}
}

// Each delete call fails in turn (or takes effect and loses its answer);
// running delete-user again always finishes the job.
func TestDeleteUserCutShortAtEveryCallThenRerun(t *testing.T) {
	ref := newLab(t)
	ref.loadedUser("x")
	ref.srv.ResetCalls()
	_, err := deleteUser(ref, ref.iam, deleteuser.Options{UserName: "x"})
	ref.must(err)
	for _, p := range callPoints(ref.srv.Calls()) {
		for _, drop := range []bool{false, true} {
			name := p.String()
			if drop {
				name += "/lost-response"
			}
			t.Run(name, func(t *testing.T) {
				l := newLab(t)
				l.loadedUser("x")
				l.srv.ResetCalls()
				f := iamfake.Fault{Action: p.Action, Nth: p.Nth, Code: "ServiceFailure", Times: -1}
				if drop {
					f = iamfake.Fault{Action: p.Action, Nth: p.Nth, DropResponse: true}
				}
				l.srv.Inject(f)
				_, err := deleteUser(l, l.iam, deleteuser.Options{UserName: "x"})
				if drop && err != nil {
					t.Fatalf("a lost response should be absorbed by retries: %v", err)
				}
				if !drop && err == nil {
					t.Fatal("a failing call went unnoticed")
				}
				l.srv.ClearFaults()
				if l.userExists("x") {
					if _, err := deleteUser(l, l.iam, deleteuser.Options{UserName: "x"}); err != nil {
						t.Fatalf("re-run: %v", err)
					}
				}
				if l.userExists("x") {
					t.Fatal("user survived the re-run")
				}
			})
		}
	}
}

// A credential list IAM cannot answer (some IAM-compatible endpoints lack
// ListServiceSpecificCredentials) is reported, not fatal; if such a
// credential exists, DeleteUser's DeleteConflict stops the run and says so.
func TestDeleteUserUncheckedCredentials(t *testing.T) {
	l := newLab(t)
	l.smtpUser("a", 1)
	l.srv.Inject(iamfake.Fault{Action: "ListServiceSpecificCredentials", Code: "ServiceFailure", Times: -1})
	plan, err := deleteUser(l, l.iam, deleteuser.Options{UserName: "a"})
	if err != nil || l.userExists("a") || len(plan.Unchecked) != 1 {
		t.Fatalf("err %v, unchecked %v", err, plan.Unchecked)
	}

	l.loadedUser("b")
	_, err = deleteUser(l, l.iam, deleteuser.Options{UserName: "b"})
	if err == nil || !strings.Contains(err.Error(), "DeleteConflict") || !strings.Contains(err.Error(), "could not list: service-specific credentials") {
		t.Fatalf("got %v", err)
	}
	l.srv.ClearFaults()
	if _, err := deleteUser(l, l.iam, deleteuser.Options{UserName: "b"}); err != nil || l.userExists("b") {
		t.Fatalf("re-run: %v", err)
	}
}
