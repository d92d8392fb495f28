package createuser_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/policy"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/createuser"
)

// env is an iamfake on loopback and the real SDK clients pointed at it.
type env struct {
	t   *testing.T
	srv *iamfake.Server
	iam *iam.Client
	sts *sts.Client
	ctx context.Context
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv, cfg := iamfaketest.Start(t)
	ctx := iamapi.WithConsistencyTimeout(context.Background(), 2*time.Second)
	return &env{t: t, srv: srv, iam: iam.NewFromConfig(cfg), sts: sts.NewFromConfig(cfg), ctx: ctx}
}

func regions(t testing.TB, names ...string) []derive.Region {
	rs, err := derive.ResolveRegions(names, nil)
	if err != nil {
		panic(err)
	}
	return rs
}

type jsonOut struct {
	UserName    string `json:"user_name"`
	UserARN     string `json:"user_arn"`
	AccessKeyID string `json:"access_key_id"`
	Secret      string `json:"secret_access_key"`
	Credentials []struct {
		Region       string `json:"region"`
		SMTPEndpoint string `json:"smtp_endpoint"`
		SMTPPassword string `json:"smtp_password"`
	} `json:"credentials"`
}

// create runs CreateUser with JSON output and the secret included.
func (e *env) create(in createuser.Options) (jsonOut, string, error) {
	e.t.Helper()
	var stdout, stderr bytes.Buffer
	if in.Regions == nil {
		in.Regions = regions(e.t, "us-east-1", "eu-west-1")
	}
	in.Format = output.FormatJSON
	in.IncludeSecretKey = true
	err := runCLI(e.ctx, in, createuser.Deps{IAM: e.iam, STS: e.sts}, &stdout, &stderr)
	var out jsonOut
	if err == nil && !in.DryRun {
		if jerr := json.Unmarshal(stdout.Bytes(), &out); jerr != nil {
			e.t.Fatalf("stdout is not one JSON object: %v\n%s", jerr, stdout.String())
		}
	}
	if in.DryRun {
		return out, stdout.String() + stderr.String(), err
	}
	return out, stderr.String(), err
}

func (e *env) keys(user string) []string {
	e.t.Helper()
	ids, err := iamapi.ListAccessKeyIDs(e.ctx, e.iam, user)
	if err != nil {
		e.t.Fatal(err)
	}
	return ids
}

func (e *env) groupsOf(user string) []string {
	e.t.Helper()
	out, err := e.iam.ListGroupsForUser(e.ctx, &iam.ListGroupsForUserInput{UserName: aws.String(user)})
	if err != nil {
		e.t.Fatal(err)
	}
	var gs []string
	for _, g := range out.Groups {
		gs = append(gs, aws.ToString(g.GroupName))
	}
	return gs
}

func (e *env) mutatingCalls() []string {
	var m []string
	for _, c := range e.srv.Calls() {
		a := c.Action
		if !strings.HasPrefix(a, "Get") && !strings.HasPrefix(a, "List") && a != "SimulatePrincipalPolicy" {
			m = append(m, a)
		}
	}
	return m
}

// checkDelivered checks the printed credentials against IAM: the user is in
// the group, holds exactly the printed key, and each password derives from
// the printed secret for its region.
func (e *env) checkDelivered(out jsonOut, user string) {
	e.t.Helper()
	if out.UserName != user || !strings.HasPrefix(out.UserARN, "arn:aws:iam::123456789012:user/") || !strings.HasSuffix(out.UserARN, "/"+user) {
		e.t.Errorf("printed user %q (%s), want %s", out.UserName, out.UserARN, user)
	}
	if got := e.keys(user); !slices.Equal(got, []string{out.AccessKeyID}) {
		e.t.Errorf("keys in IAM %v, printed %s", got, out.AccessKeyID)
	}
	if !slices.Contains(e.groupsOf(user), provision.DefaultGroupName) {
		e.t.Errorf("%s not in %s: %v", user, provision.DefaultGroupName, e.groupsOf(user))
	}
	if len(out.Credentials) == 0 {
		e.t.Fatal("no credentials printed")
	}
	for _, c := range out.Credentials {
		if want := derive.Password(out.Secret, c.Region); c.SMTPPassword != want {
			e.t.Errorf("%s: password %q does not derive from the printed secret", c.Region, c.SMTPPassword)
		}
		if c.SMTPEndpoint != "email-smtp."+c.Region+".amazonaws.com" {
			e.t.Errorf("%s: endpoint %q", c.Region, c.SMTPEndpoint)
		}
	}
}

func TestCreateUserFreshAccount(t *testing.T) {
	e := newEnv(t)
	boundary := "arn:aws:iam::123456789012:policy/smtp-boundary"
	if _, err := e.iam.CreatePolicy(e.ctx, &iam.CreatePolicyInput{PolicyName: aws.String("smtp-boundary"), PolicyDocument: aws.String(policy.SendingPolicyDocument)}); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := e.create(createuser.Options{
		UserNames: []string{"alice"}, Path: "/smtp/",
		Tags:                []provision.Tag{{Key: "team", Value: "billing eu"}},
		PermissionsBoundary: boundary,
	})
	if err != nil {
		t.Fatalf("create-user: %v\n%s", err, stderr)
	}
	e.checkDelivered(out, "alice")
	if strings.Contains(stderr, out.Secret) || strings.Contains(stderr, out.Credentials[0].SMTPPassword) {
		t.Error("a secret reached stderr")
	}
	u, err := e.iam.GetUser(e.ctx, &iam.GetUserInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	if p := aws.ToString(u.User.Path); p != "/smtp/" {
		t.Errorf("path %q", p)
	}
	if b := u.User.PermissionsBoundary; b == nil || aws.ToString(b.PermissionsBoundaryArn) != boundary {
		t.Errorf("boundary %+v", b)
	}
	tags := map[string]string{}
	for _, tg := range u.User.Tags {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	if tags[provision.TagCreatedBy] != provision.TagCreatedByValue || tags["team"] != "billing eu" {
		t.Errorf("tags %v", tags)
	}
	// The managed policy holds the standard document and is attached.
	arn := "arn:aws:iam::123456789012:policy/" + provision.DefaultPolicyName
	pv, err := e.iam.GetPolicyVersion(e.ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v1")})
	if err != nil {
		t.Fatal(err)
	}
	if doc, _ := url.PathUnescape(aws.ToString(pv.PolicyVersion.Document)); !policy.IsStandard(doc) {
		t.Errorf("policy document %s", doc)
	}
	att, err := e.iam.ListAttachedGroupPolicies(e.ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String(provision.DefaultGroupName)})
	if err != nil || len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyArn) != arn {
		t.Errorf("attached %+v, %v", att, err)
	}
}

// The call budget of one user (../shared brief): at most 12 calls on a fresh
// account, at most 6 once the group and policy exist; STS counts.
func TestCreateUserCallBudget(t *testing.T) {
	e := newEnv(t)
	if _, stderr, err := e.create(createuser.Options{UserNames: []string{"u1"}}); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	fresh := e.srv.Calls()
	t.Logf("fresh account: %d calls: %v", len(fresh), actions(fresh))
	if len(fresh) > 12 {
		t.Errorf("fresh account: %d calls, budget 12", len(fresh))
	}
	e.srv.ResetCalls()
	if _, stderr, err := e.create(createuser.Options{UserNames: []string{"u2"}}); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	existing := e.srv.Calls()
	t.Logf("group and policy exist: %d calls: %v", len(existing), actions(existing))
	if len(existing) > 6 {
		t.Errorf("group and policy exist: %d calls, budget 6", len(existing))
	}
	for _, want := range []string{"CreateUser", "AddUserToGroup", "CreateAccessKey", "GetPolicyVersion"} {
		if !slices.Contains(actions(existing), want) {
			t.Errorf("no %s call", want)
		}
	}
}

func actions(calls []iamfake.Call) []string {
	var a []string
	for _, c := range calls {
		a = append(a, c.Action)
	}
	return a
}

func TestCreateUserConsoleGroupAcceptedAsIs(t *testing.T) {
	e := newEnv(t)
	// What the SES console makes: the group with an inline group policy.
	if _, err := e.iam.CreateGroup(e.ctx, &iam.CreateGroupInput{GroupName: aws.String(provision.DefaultGroupName)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam.PutGroupPolicy(e.ctx, &iam.PutGroupPolicyInput{
		GroupName: aws.String(provision.DefaultGroupName), PolicyName: aws.String("AmazonSesSendingAccess"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ses:SendRawEmail"],"Resource":"*"}]}`),
	}); err != nil {
		t.Fatal(err)
	}
	e.srv.ResetCalls()
	out, stderr, err := e.create(createuser.Options{UserNames: []string{"carol"}})
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if n := len(e.srv.Calls()); n > 6 {
		t.Errorf("%d calls with the console's group, budget 6: %v", n, actions(e.srv.Calls()))
	}
	if m := e.mutatingCalls(); !slices.Equal(m, []string{"CreateUser", "AddUserToGroup", "CreateAccessKey"}) {
		t.Errorf("mutating calls %v: the console's group must be accepted as is", m)
	}
	e.checkDelivered(out, "carol")
}

func TestCreateUserPolicyDrift(t *testing.T) {
	e := newEnv(t)
	drifted := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ses:SendRawEmail","ses:SendEmail"],"Resource":"*"}]}`
	p, err := e.iam.CreatePolicy(e.ctx, &iam.CreatePolicyInput{PolicyName: aws.String(provision.DefaultPolicyName), PolicyDocument: aws.String(drifted)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(p.Policy.Arn)
	_, stderr, err := e.create(createuser.Options{UserNames: []string{"d1"}})
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "differs from the standard document") || !strings.Contains(stderr, "--repair-policy") {
		t.Errorf("drift not reported:\n%s", stderr)
	}
	if n := e.srv.CallCount("CreatePolicyVersion"); n != 0 {
		t.Errorf("repaired without --repair-policy (%d CreatePolicyVersion)", n)
	}
	_, stderr, err = e.create(createuser.Options{UserNames: []string{"d2"}, RepairPolicy: true})
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	pol, err := e.iam.GetPolicy(e.ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	v := aws.ToString(pol.Policy.DefaultVersionId)
	pv, err := e.iam.GetPolicyVersion(e.ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(v)})
	if err != nil {
		t.Fatal(err)
	}
	if v == "v1" || !policy.IsStandard(aws.ToString(pv.PolicyVersion.Document)) {
		t.Errorf("not repaired: default %s %s", v, aws.ToString(pv.PolicyVersion.Document))
	}
	// Repaired: a third run reports nothing.
	_, stderr, err = e.create(createuser.Options{UserNames: []string{"d3"}})
	if err != nil || strings.Contains(stderr, "differs") {
		t.Errorf("after repair: %v\n%s", err, stderr)
	}
}

func TestCreateUserRerunConflictAndCompletion(t *testing.T) {
	e := newEnv(t)
	out, stderr, err := e.create(createuser.Options{UserNames: []string{"bob"}})
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	e.srv.ResetCalls()
	_, _, err = e.create(createuser.Options{UserNames: []string{"bob"}})
	if fail.ExitCode(err) != fail.ExitConflict || !strings.Contains(err.Error(), out.AccessKeyID) ||
		!strings.Contains(err.Error(), "sesprov rotate --user-name bob") {
		t.Fatalf("re-run: exit %d, %v", fail.ExitCode(err), err)
	}
	if m := e.mutatingCalls(); !slices.Equal(m, []string{"CreateUser"}) {
		t.Errorf("conflict made changes: %v", m)
	}
	if got := e.keys("bob"); !slices.Equal(got, []string{out.AccessKeyID}) {
		t.Errorf("keys %v", got)
	}

	// A user an earlier run left without a key (sesprov's tag) is completed.
	if _, err := e.iam.DeleteAccessKey(e.ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: aws.String(out.AccessKeyID)}); err != nil {
		t.Fatal(err)
	}
	out2, stderr, err := e.create(createuser.Options{UserNames: []string{"bob"}})
	if err != nil {
		t.Fatalf("completion: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "completing it") {
		t.Errorf("stderr does not say the user is completed:\n%s", stderr)
	}
	e.checkDelivered(out2, "bob")
}

func TestCreateUserRefusesForeignUser(t *testing.T) {
	e := newEnv(t)
	if _, err := e.iam.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("admin")}); err != nil {
		t.Fatal(err)
	}
	_, _, err := e.create(createuser.Options{UserNames: []string{"admin"}})
	if fail.ExitCode(err) != fail.ExitConflict || !strings.Contains(err.Error(), "not an SMTP user") {
		t.Fatalf("exit %d: %v", fail.ExitCode(err), err)
	}
	if len(e.keys("admin")) != 0 || slices.Contains(e.groupsOf("admin"), provision.DefaultGroupName) {
		t.Error("the foreign user was changed")
	}
	// sesprov's tag key with another value is someone else's tag, not ours:
	// the same rule as delete-user's.
	if _, err := e.iam.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("lookalike"),
		Tags: []iamtypes.Tag{{Key: aws.String(provision.TagCreatedBy), Value: aws.String("other-tool")}}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.create(createuser.Options{UserNames: []string{"lookalike"}}); fail.ExitCode(err) != fail.ExitConflict {
		t.Fatalf("user tagged %s=other-tool: exit %d (%v), want a conflict", provision.TagCreatedBy, fail.ExitCode(err), err)
	}
	if len(e.keys("lookalike")) != 0 {
		t.Error("a key was made for a user sesprov did not make")
	}
	// The console's old SMTP users (tag InvokedBy=SESConsole) are SMTP users.
	if _, err := e.iam.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("legacy"),
		Tags: []iamtypes.Tag{{Key: aws.String("InvokedBy"), Value: aws.String("SESConsole")}}}); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := e.create(createuser.Options{UserNames: []string{"legacy"}})
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	e.checkDelivered(out, "legacy")
}

func TestCreateUserDryRunChangesNothing(t *testing.T) {
	e := newEnv(t)
	_, stdout, err := e.create(createuser.Options{UserNames: []string{"dry"}, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if m := e.mutatingCalls(); len(m) != 0 {
		t.Errorf("dry run made mutating calls %v", m)
	}
	for _, want := range []string{"create managed policy", "create group", "attach policy", "create user dry", "add user dry", "create an access key"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, stdout)
		}
	}
}

func TestCreateUserRaceEntityAlreadyExists(t *testing.T) {
	e := newEnv(t)
	// Another sesprov makes the policy, the group and the user between our
	// read and our create: IAM acts, and answers EntityAlreadyExists.
	for _, a := range []string{"CreatePolicy", "CreateGroup"} {
		e.srv.Inject(iamfake.Fault{Action: a, Code: "EntityAlreadyExists", After: true})
	}
	out, stderr, err := e.create(createuser.Options{UserNames: []string{"racer"}})
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	e.checkDelivered(out, "racer")
}

func TestCreateUserInvalidInputMakesNoCall(t *testing.T) {
	e := newEnv(t)
	bad := []createuser.Options{
		{UserNames: []string{"has space"}},
		{UserNames: []string{strings.Repeat("a", 65)}},
		{UserNames: []string{"ok"}, Path: "smtp"},
		{UserNames: []string{"ok"}, Tags: []provision.Tag{{Key: "aws:x", Value: "y"}}},
		{UserNames: []string{"ok"}, Tags: []provision.Tag{{Key: strings.Repeat("k", 129), Value: "y"}}},
		{UserNames: []string{"ok"}, PermissionsBoundary: "arn:aws:iam::12:policy/x"},
		{UserNames: []string{"ok"}, GroupName: "bad/group"},
		{UserNames: []string{"ok"}, PolicyName: ""},
		{UserNames: []string{"a", "A"}},
	}
	bad[7].PolicyName = strings.Repeat("p", 129)
	for i, in := range bad {
		_, _, err := e.create(in)
		if fail.ExitCode(err) != fail.ExitUsage {
			t.Errorf("case %d: exit %d (%v), want 2", i, fail.ExitCode(err), err)
		}
	}
	if n := len(e.srv.Calls()); n != 0 {
		t.Errorf("bad input made %d IAM calls: %v", n, actions(e.srv.Calls()))
	}
}

func TestWaitForGroupMembershipIgnoresCase(t *testing.T) {
	_, cfg := iamfaketest.Start(t)
	api := iam.NewFromConfig(cfg)
	ctx := context.Background()
	for _, err := range []error{
		func() error {
			_, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u1")})
			return err
		}(),
		func() error {
			_, err := api.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("AWSSESSendingGroupDoNotRename")})
			return err
		}(),
		func() error {
			_, err := api.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String("u1"), GroupName: aws.String("AWSSESSendingGroupDoNotRename")})
			return err
		}(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	ctx = iamapi.WithConsistencyTimeout(ctx, 300*time.Millisecond)
	if err := iamapi.WaitForGroupMembership(ctx, api, "u1", "awssessendinggroupdonotrename"); err != nil {
		t.Fatalf("membership under another spelling of the group's name not seen: %v", err)
	}
}
