package iamfake_test

import (
	"context"
	"encoding/csv"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

const trustDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`

func TestRoles(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	r := ok(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deployer"), Path: aws.String("/ci/"),
		AssumeRolePolicyDocument: aws.String(trustDoc), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("ops")}}}))(t)
	if aws.ToString(r.Role.Arn) != "arn:aws:iam::123456789012:role/ci/deployer" || !strings.HasPrefix(aws.ToString(r.Role.RoleId), "AROA") ||
		aws.ToInt32(r.Role.MaxSessionDuration) != 3600 {
		t.Errorf("role = %+v", r.Role)
	}
	_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("DEPLOYER"), AssumeRolePolicyDocument: aws.String(trustDoc)})
	wantCode(t, err, "EntityAlreadyExists")
	// Trust policies: a Principal, no Resource.
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("x"), AssumeRolePolicyDocument: aws.String(sesPolicy)})
	if got := message(t, err); got != "Has prohibited field Resource" {
		t.Errorf("trust policy with Resource: %q", got)
	}
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("x"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`)})
	if got := message(t, err); got != "Missing required field Principal" {
		t.Errorf("trust policy without Principal: %q", got)
	}
	got := ok(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Deployer")}))(t)
	if doc, _ := url.QueryUnescape(aws.ToString(got.Role.AssumeRolePolicyDocument)); doc != trustDoc || len(got.Role.Tags) != 1 {
		t.Errorf("GetRole = %+v", got.Role)
	}
	ok(c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("deployer"), Description: aws.String("d"), MaxSessionDuration: aws.Int32(7200)}))(t)
	ok(c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("deployer"), PolicyDocument: aws.String(trustDoc)}))(t)
	ok(c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("deployer"), Tags: []types.Tag{{Key: aws.String("TEAM"), Value: aws.String("sec")}}}))(t)
	tags := ok(c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("deployer")}))(t)
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "sec" {
		t.Errorf("tags %+v", tags.Tags)
	}
	ok(c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("deployer"), TagKeys: []string{"team"}}))(t)
	list := ok(c.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/ci/")}))(t)
	if len(list.Roles) != 1 || aws.ToString(list.Roles[0].Description) != "d" || aws.ToInt32(list.Roles[0].MaxSessionDuration) != 7200 {
		t.Errorf("ListRoles = %+v", list.Roles)
	}

	// Policies block DeleteRole: inline first, then attached.
	role := aws.String("deployer")
	ok(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: role, PolicyName: aws.String("send"), PolicyDocument: aws.String(sesPolicy)}))(t)
	p := ok(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(sesPolicy)}))(t)
	ok(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: role, PolicyArn: p.Policy.Arn}))(t)
	ents := ok(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: p.Policy.Arn}))(t)
	if len(ents.PolicyRoles) != 1 {
		t.Errorf("ListEntitiesForPolicy roles %+v", ents.PolicyRoles)
	}
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: p.Policy.Arn})
	wantCode(t, err, "DeleteConflict")
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: role})
	if got := message(t, err); got != "Cannot delete entity, must delete policies first." {
		t.Errorf("DeleteRole with inline policy: %q", got)
	}
	names := ok(c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: role}))(t)
	if len(names.PolicyNames) != 1 {
		t.Errorf("ListRolePolicies %v", names.PolicyNames)
	}
	ok(c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: role, PolicyName: aws.String("send")}))(t)
	ok(c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: role, PolicyName: aws.String("send")}))(t)
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: role})
	if got := message(t, err); got != "Cannot delete entity, must detach all policies first." {
		t.Errorf("DeleteRole with attached policy: %q", got)
	}
	att := ok(c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: role}))(t)
	if len(att.AttachedPolicies) != 1 {
		t.Errorf("ListAttachedRolePolicies %v", att.AttachedPolicies)
	}
	ok(c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: role, PolicyArn: p.Policy.Arn}))(t)
	ok(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: role}))(t)
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: role})
	wantCode(t, err, "NoSuchEntity")
}

func TestRolesPersist(t *testing.T) {
	ctx := context.Background()
	srv, c := newClient(t)
	p := ok(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(sesPolicy)}))(t)
	ok(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustDoc)}))(t)
	ok(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("r"), PolicyArn: p.Policy.Arn}))(t)
	var b strings.Builder
	if err := srv.SaveState(&b); err != nil {
		t.Fatal(err)
	}
	srv2, c2 := newClient(t)
	if err := srv2.LoadState(strings.NewReader(b.String())); err != nil {
		t.Fatal(err)
	}
	got := ok(c2.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: p.Policy.Arn}))(t)
	if aws.ToInt32(got.Policy.AttachmentCount) != 1 {
		t.Errorf("attachment count after load: %d", aws.ToInt32(got.Policy.AttachmentCount))
	}
}

func TestAssumeRole(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	srv, cfg := iamfaketest.Start(t, iamfake.Options{Now: clk.Now})
	c, s := iam.NewFromConfig(cfg), sts.NewFromConfig(cfg)
	arn := ok(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustDoc)}))(t).Role.Arn
	out := ok(s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: arn, RoleSessionName: aws.String("build-7")}))(t)
	cr := out.Credentials
	if !strings.HasPrefix(aws.ToString(cr.AccessKeyId), "ASIA") || aws.ToString(cr.SessionToken) == "" ||
		!aws.ToTime(cr.Expiration).Equal(clk.Now().Add(time.Hour)) {
		t.Errorf("credentials %+v", cr)
	}
	if aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::123456789012:assumed-role/r/build-7" {
		t.Errorf("assumed role %s", aws.ToString(out.AssumedRoleUser.Arn))
	}
	// Signed with the temporary key, the caller is the assumed role.
	scfg := cfg.Copy()
	scfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: *cr.AccessKeyId, SecretAccessKey: *cr.SecretAccessKey, SessionToken: *cr.SessionToken}, nil
	})
	who := ok(sts.NewFromConfig(scfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))(t)
	if aws.ToString(who.Arn) != "arn:aws:sts::123456789012:assumed-role/r/build-7" {
		t.Errorf("caller %s", aws.ToString(who.Arn))
	}
	for _, tc := range []struct{ arn, code string }{
		{"arn:aws:iam::123456789012:role/missing", "AccessDenied"},
		{"arn:aws:iam::210987654321:role/r", "AccessDenied"}, // another account's
		{"arn:aws:iam::123456789012:user/r", "ValidationError"},
	} {
		_, err := s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(tc.arn), RoleSessionName: aws.String("s1")})
		wantCode(t, err, tc.code)
	}
	_, err := s.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: arn, RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(7200)})
	wantCode(t, err, "ValidationError") // beyond the role's MaxSessionDuration
	clk.Advance(2 * time.Hour)
	_, err = sts.NewFromConfig(scfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantCode(t, err, "ExpiredToken")
	_ = srv
}

func TestPolicyTags(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	arn := ok(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(sesPolicy)}))(t).Policy.Arn
	ok(c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: arn, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}}))(t)
	ok(c.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: arn, TagKeys: []string{"A"}}))(t)
	tags := ok(c.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: arn}))(t)
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "b" {
		t.Errorf("tags %+v", tags.Tags)
	}
	got := ok(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn}))(t)
	if len(got.Policy.Tags) != 1 {
		t.Errorf("GetPolicy tags %+v", got.Policy.Tags)
	}
	_, err := c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess"), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}}})
	wantCode(t, err, "InvalidInput")
	_, err = c.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String("arn:aws:iam::123456789012:policy/missing")})
	wantCode(t, err, "NoSuchEntity")
}

func TestCredentialReport(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	_, c := newClient(t, iamfake.Options{Now: clk.Now})
	_, err := c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	wantCode(t, err, "ReportNotPresent")
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))(t)
	ok(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))(t)
	ok(c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("correct-horse")}))(t)
	if g := ok(c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}))(t); g.State != types.ReportStateTypeStarted {
		t.Errorf("first generate: %s", g.State)
	}
	if g := ok(c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}))(t); g.State != types.ReportStateTypeComplete {
		t.Errorf("second generate: %s", g.State)
	}
	r := ok(c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{}))(t)
	rows, err := csv.NewReader(strings.NewReader(string(r.Content))).ReadAll()
	if err != nil || len(rows) != 3 || len(rows[0]) != 22 || r.ReportFormat != types.ReportFormatTypeTextCsv {
		t.Fatalf("report (%v): %q", err, r.Content)
	}
	alice := map[string]string{}
	for i, col := range rows[0] {
		alice[col] = rows[2][i]
	}
	if rows[1][0] != "<root_account>" || alice["user"] != "alice" || alice["password_enabled"] != "true" ||
		alice["access_key_1_active"] != "true" || alice["access_key_2_active"] != "false" || alice["mfa_active"] != "false" {
		t.Errorf("report rows %q", rows)
	}
	clk.Advance(5 * time.Hour)
	_, err = c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	wantCode(t, err, "ReportExpired")
}

// POST /moto-api/reset empties the account, as moto's server mode does.
func TestReset(t *testing.T) {
	ctx := context.Background()
	srv, cfg := iamfaketest.Start(t)
	c := iam.NewFromConfig(cfg)
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))(t)
	if err := iamfaketest.Reset(ctx, aws.ToString(cfg.BaseEndpoint)); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	wantCode(t, err, "NoSuchEntity")
	if n := srv.CallCount(""); n != 1 {
		t.Errorf("call log after reset: %d calls", n)
	}
}
