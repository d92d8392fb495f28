package iamfake_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

func TestRateLimit(t *testing.T) {
	ctx := context.Background()
	srv, cfg := iamfaketest.Start(t)
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	c := iam.NewFromConfig(cfg)
	srv.SetRateLimit(0.5, 3)
	for range 3 {
		ok(c.ListUsers(ctx, &iam.ListUsersInput{}))(t)
	}
	_, err := c.ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, err, "Throttling")
	if !strings.Contains(err.Error(), "Rate exceeded") {
		t.Errorf("message: %v", err)
	}
	calls := srv.Calls()
	if len(calls) != 4 || calls[3].Code != "Throttling" {
		t.Errorf("throttled call not logged: %+v", calls)
	}
	srv.SetRateLimit(0, 0)
	ok(c.ListUsers(ctx, &iam.ListUsersInput{}))(t)
}

func TestEventualConsistency(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	srv, c := newClient(t, iamfake.Options{Now: clk.Now})
	srv.SetConsistencyDelay(5 * time.Second)
	name := aws.String("late")

	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: name}))(t)
	_, err := c.GetUser(ctx, &iam.GetUserInput{UserName: name})
	wantCode(t, err, "NoSuchEntity")
	_, err = c.CreateUser(ctx, &iam.CreateUserInput{UserName: name})
	wantCode(t, err, "EntityAlreadyExists") // the name is taken even while unseen
	_, err = c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: name})
	wantCode(t, err, "NoSuchEntity")
	if l := ok(c.ListUsers(ctx, &iam.ListUsersInput{}))(t); len(l.Users) != 0 {
		t.Errorf("unseen user listed")
	}
	ok(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	clk.Advance(5 * time.Second)
	ok(c.GetUser(ctx, &iam.GetUserInput{UserName: name}))(t)

	ok(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("g"), UserName: name}))(t)
	if l := ok(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: name}))(t); len(l.Groups) != 0 {
		t.Error("new membership seen by ListGroupsForUser")
	}
	if g := ok(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("g")}))(t); len(g.Users) != 0 {
		t.Error("new membership seen by GetGroup")
	}
	k := ok(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: name}))(t)
	if l := ok(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: name}))(t); len(l.AccessKeyMetadata) != 0 {
		t.Error("new key listed")
	}
	clk.Advance(5 * time.Second)
	if l := ok(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: name}))(t); len(l.Groups) != 1 {
		t.Error("membership unseen after the delay")
	}
	if l := ok(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: name}))(t); len(l.AccessKeyMetadata) != 1 ||
		aws.ToString(l.AccessKeyMetadata[0].AccessKeyId) != aws.ToString(k.AccessKey.AccessKeyId) {
		t.Error("key unseen after the delay")
	}
	srv.SetConsistencyDelay(0)
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("now")}))(t)
	ok(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("now")}))(t)
}

func TestSimulatePrincipalPolicy(t *testing.T) {
	ctx := context.Background()
	srv, c := newClient(t)
	me := "arn:aws:iam::123456789012:user/iamfake"
	actions := []string{"iam:CreateUser", "iam:CreateAccessKey", "iam:AddUserToGroup"}
	out := ok(c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(me), ActionNames: actions}))(t)
	if len(out.EvaluationResults) != 3 {
		t.Fatalf("results = %d", len(out.EvaluationResults))
	}
	for _, r := range out.EvaluationResults {
		if r.EvalDecision != types.PolicyEvaluationDecisionTypeAllowed || aws.ToString(r.EvalResourceName) != "*" {
			t.Errorf("%s: %s on %s", aws.ToString(r.EvalActionName), r.EvalDecision, aws.ToString(r.EvalResourceName))
		}
	}
	srv.DenyActions("iam:CreateAccessKey")
	var decisions []string
	p := iam.NewSimulatePrincipalPolicyPaginator(c, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(me), ActionNames: actions, MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		for _, r := range ok(p.NextPage(ctx))(t).EvaluationResults {
			decisions = append(decisions, aws.ToString(r.EvalActionName)+"="+string(r.EvalDecision))
		}
	}
	if strings.Join(decisions, " ") != "iam:CreateUser=allowed iam:CreateAccessKey=implicitDeny iam:AddUserToGroup=allowed" {
		t.Errorf("decisions = %v", decisions)
	}
	srv.AllowAllActions()

	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ops"), Path: aws.String("/team/")}))(t)
	for _, tc := range []struct{ arn, code string }{
		{"arn:aws:iam::123456789012:user/team/ops", ""},
		{"arn:aws:iam::123456789012:role/deployer", ""},
		{"arn:aws:iam::123456789012:user/ops", "NoSuchEntity"}, // wrong path
		{"arn:aws:iam::123456789012:user/ghost", "NoSuchEntity"},
		{"arn:aws:iam::999999999999:user/ghost", "NoSuchEntity"},
		{"definitely-not-an-arn", "InvalidInput"},
	} {
		_, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(tc.arn), ActionNames: actions})
		if got := code(t, err); got != tc.code {
			t.Errorf("source %s: %q (%v), want %q", tc.arn, got, err, tc.code)
		}
	}
}

func TestAccountSummary(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("a")}))(t)
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("b")}))(t)
	ok(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	s := ok(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}))(t)
	m := s.SummaryMap
	if m["Users"] != 2 || m["Groups"] != 1 || m["Policies"] != 0 || m["AccessKeysPerUserQuota"] != 2 || m["UsersQuota"] != 5000 {
		t.Errorf("summary = %v", m)
	}
}

func TestUsersQuota(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t, iamfake.Options{UsersQuota: 2})
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("a")}))(t)
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("b")}))(t)
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("c")})
	wantCode(t, err, "LimitExceeded")
}

// Raw requests: what a non-SDK client sees.
func TestWireFormat(t *testing.T) {
	srv, cfg := iamfaketest.Start(t)
	post := func(form url.Values) (int, string) {
		resp, err := http.PostForm(aws.ToString(cfg.BaseEndpoint), form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	st, body := post(url.Values{"Action": {"Frobnicate"}, "Version": {"2010-05-08"}})
	if st != 400 || !strings.Contains(body, "<Code>InvalidAction</Code>") || !strings.Contains(body, "<ErrorResponse") {
		t.Errorf("unknown action: %d %s", st, body)
	}
	st, body = post(url.Values{"Action": {"CreateUser"}, "Version": {"2010-05-08"}})
	if st != 400 || !strings.Contains(body, "<Code>ValidationError</Code>") || !strings.Contains(body, "Member must not be null") {
		t.Errorf("missing UserName: %d %s", st, body)
	}
	st, body = post(url.Values{"Action": {"CreateUser"}, "Version": {"2010-05-08"}, "UserName": {"wire"}})
	if st != 200 || !strings.HasPrefix(body, `<CreateUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><CreateUserResult><User>`) ||
		!strings.Contains(body, "<ResponseMetadata><RequestId>") {
		t.Errorf("CreateUser: %d %s", st, body)
	}
	st, body = post(url.Values{"Action": {"GetUser"}, "Version": {"2010-05-08"}, "UserName": {"nobody"}})
	if st != 404 || !strings.Contains(body, "<Type>Sender</Type><Code>NoSuchEntity</Code>") {
		t.Errorf("GetUser nobody: %d %s", st, body)
	}
	st, body = post(url.Values{"Action": {"DeleteUser"}, "Version": {"2010-05-08"}, "UserName": {"wire"}})
	if st != 200 || strings.Contains(body, "DeleteUserResult") {
		t.Errorf("DeleteUser: %d %s", st, body)
	}
	st, body = post(url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}})
	if st != 200 || !strings.Contains(body, `xmlns="https://sts.amazonaws.com/doc/2011-06-15/"`) || !strings.Contains(body, "<Account>123456789012</Account>") {
		t.Errorf("GetCallerIdentity: %d %s", st, body)
	}
	// Passwords never reach the call log.
	post(url.Values{"Action": {"CreateLoginProfile"}, "Version": {"2010-05-08"}, "UserName": {"nobody"}, "Password": {"hunter2hunter2"}})
	for _, c := range srv.Calls() {
		for _, v := range c.Params {
			if strings.Contains(v, "hunter2") {
				t.Error("password in the call log")
			}
		}
	}
	for _, code := range []struct {
		c    iamfake.ErrorCode
		want int
	}{{iamfake.NoSuchEntity, 404}, {iamfake.EntityAlreadyExists, 409}, {iamfake.LimitExceeded, 409}, {iamfake.DeleteConflict, 409},
		{iamfake.MalformedPolicyDocument, 400}, {iamfake.InvalidInput, 400}, {iamfake.ValidationError, 400}, {iamfake.Throttling, 400},
		{iamfake.ServiceFailure, 500}, {iamfake.AccessDenied, 403}, {iamfake.ConcurrentModification, 409}} {
		if code.c.Status() != code.want {
			t.Errorf("%s.Status() = %d, want %d", code.c, code.c.Status(), code.want)
		}
	}
}

func TestInjectedErrorCodesReachTheSDK(t *testing.T) {
	ctx := context.Background()
	srv, cfg := iamfaketest.Start(t)
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	c := iam.NewFromConfig(cfg)
	for _, code := range []string{"ServiceFailure", "AccessDenied", "ConcurrentModification", "Throttling", "LimitExceeded", "EntityAlreadyExists"} {
		srv.Inject(iamfake.Fault{Action: "CreateUser", Code: code})
		_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x")})
		wantCode(t, err, code)
	}
	srv.Inject(iamfake.Fault{Code: "ServiceFailure", Status: 503})
	_, err := c.ListUsers(ctx, &iam.ListUsersInput{})
	wantCode(t, err, "ServiceFailure")
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x")}); err != nil {
		t.Fatalf("faults not spent: %v", err)
	}
}

func TestStatePersistence(t *testing.T) {
	ctx := context.Background()
	srv, c := newClient(t)
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("keep"), Path: aws.String("/p/"),
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))(t)
	ok(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	ok(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("g"), UserName: aws.String("keep")}))(t)
	pol := ok(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("AmazonSesSendingAccess"), PolicyDocument: aws.String(sesPolicy)}))(t)
	ok(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: pol.Policy.Arn}))(t)
	ok(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("keep"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(sesPolicy)}))(t)
	k := ok(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("keep")}))(t)
	ok(c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("keep"), Password: aws.String("Correct-Horse-9")}))(t)
	d := ok(c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("keep")}))(t)
	ok(c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("keep"), SerialNumber: d.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String("111111"), AuthenticationCode2: aws.String("222222")}))(t)

	path := filepath.Join(t.TempDir(), "state.json")
	if err := srv.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode %v (%v)", fi.Mode(), err)
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte(aws.ToString(k.AccessKey.SecretAccessKey))) || bytes.Contains(raw, []byte("Correct-Horse")) ||
		bytes.Contains(raw, d.VirtualMFADevice.Base32StringSeed) {
		t.Fatal("a secret was saved")
	}

	srv2, c2 := newClient(t)
	if err := srv2.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	u := ok(c2.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("KEEP")}))(t)
	if aws.ToString(u.User.Arn) != "arn:aws:iam::123456789012:user/p/keep" || len(u.User.Tags) != 1 {
		t.Errorf("user after load: %+v", u.User)
	}
	lu := ok(c2.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKey.AccessKeyId}))(t)
	if aws.ToString(lu.UserName) != "keep" {
		t.Errorf("key owner after load: %s", aws.ToString(lu.UserName))
	}
	// Membership is one fact seen from both sides after loading.
	ok(c2.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("g"), UserName: aws.String("keep")}))(t)
	if g := ok(c2.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("g")}))(t); len(g.Users) != 0 {
		t.Error("membership still seen from the group")
	}
	_, err = c2.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: pol.Policy.Arn})
	wantCode(t, err, "DeleteConflict")
	ok(c2.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("keep"), SerialNumber: d.VirtualMFADevice.SerialNumber}))(t)
	v := ok(c2.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: types.AssignmentStatusTypeUnassigned}))(t)
	if len(v.VirtualMFADevices) != 1 {
		t.Errorf("unassigned devices = %d", len(v.VirtualMFADevices))
	}

	// A new directory is made (0700) for the file.
	nested := filepath.Join(t.TempDir(), "sesprov", "sandbox.json")
	if err := srv2.SaveFile(nested); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(nested, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := srv2.LoadFile(nested); err != nil {
		t.Errorf("empty file: %v", err)
	}
	// A missing file is an empty account.
	if err := srv2.LoadFile(filepath.Join(t.TempDir(), "none.json")); err != nil {
		t.Fatal(err)
	}
	if l := ok(c2.ListUsers(ctx, &iam.ListUsersInput{}))(t); len(l.Users) != 0 {
		t.Error("users after loading a missing file")
	}
	if err := srv2.LoadState(strings.NewReader(`{"format": 99}`)); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestConcurrentClients(t *testing.T) {
	ctx := context.Background()
	srv, c := newClient(t)
	srv.SetLatency(time.Millisecond) // sleeps must not serialise calls
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				name := aws.String(fmt.Sprintf("w%d-%d", w, i))
				if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: name}); err != nil {
					errs <- err
					return
				}
				if _, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: name}); err != nil {
					errs <- err
					return
				}
				if _, err := c.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n := 0
	p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{})
	for p.HasMorePages() {
		n += len(ok(p.NextPage(ctx))(t).Users)
	}
	if n != 80 || srv.CallCount("CreateAccessKey") != 80 {
		t.Errorf("users %d, CreateAccessKey calls %d", n, srv.CallCount("CreateAccessKey"))
	}
}
