package doctor_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/provision/doctor"
)

func startDoctorFake(t *testing.T) (*iamfake.Server, iamapi.IAM, iamapi.STS) {
	t.Helper()
	srv, cfg := iamfaketest.Start(t)
	return srv, iam.NewFromConfig(cfg), sts.NewFromConfig(cfg)
}

func commandCheck(t *testing.T, rep doctor.Report, name string) doctor.CommandCheck {
	t.Helper()
	for _, c := range rep.Commands {
		if c.Command == name {
			return c
		}
	}
	t.Fatalf("no check for %s in %+v", name, rep.Commands)
	return doctor.CommandCheck{}
}

func deniedActions(c doctor.CommandCheck) []string {
	var out []string
	for _, d := range c.Denied {
		out = append(out, d.Action)
	}
	return out
}

func TestDoctorAllAllowed(t *testing.T) {
	srv, iamc, stsc := startDoctorFake(t)
	rep, err := doctor.Run(context.Background(), doctor.Options{}, iamc, stsc)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Ready() || rep.Root || rep.Account != "123456789012" || !strings.HasSuffix(rep.PrincipalARN, ":user/iamfake") {
		t.Fatalf("report %+v", rep)
	}
	if len(rep.Commands) != len(doctor.CommandNames()) {
		t.Fatalf("%d commands checked, want %d", len(rep.Commands), len(doctor.CommandNames()))
	}
	// One simulation per resource kind in use (user, group, any-group, policy, *, …).
	kinds := map[doctor.ResourceKind]bool{}
	for _, c := range doctor.CommandPermissionTable {
		for _, p := range c.Needs {
			kinds[p.Resource] = true
		}
	}
	// The SDK may retry a call (a reused connection closed under it), so
	// count the resources simulated rather than the requests.
	simulated := map[string]bool{}
	for _, c := range srv.Calls() {
		switch c.Action {
		case "SimulatePrincipalPolicy":
			simulated[c.Params["ResourceArns.member.1"]] = true
		case "GetCallerIdentity":
		default:
			t.Errorf("doctor called %s: it must only read identity and simulate", c.Action)
		}
	}
	if len(simulated) != len(kinds) || len(kinds) < 5 {
		t.Errorf("simulated on %d resources (%v), want one per resource kind (%d)", len(simulated), simulated, len(kinds))
	}
}

func TestDoctorDeniedActions(t *testing.T) {
	srv, iamc, stsc := startDoctorFake(t)
	srv.DenyActions("iam:CreateAccessKey", "iam:TagUser", "iam:CreatePolicy")
	rep, err := doctor.Run(context.Background(), doctor.Options{}, iamc, stsc)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Ready() {
		t.Fatal("ready with CreateAccessKey denied")
	}
	cu := commandCheck(t, rep, "create-user")
	if cu.Ready || !slices.Equal(deniedActions(cu), []string{"iam:CreateAccessKey", "iam:TagUser", "iam:CreatePolicy"}) {
		t.Errorf("create-user: %+v", cu)
	}
	for _, d := range cu.Denied {
		// TagUser is needed by every create-user (CreateUser sends tags);
		// CreatePolicy only while the sending policy does not exist.
		if d.Decision != "implicitDeny" || (d.Action == "iam:CreatePolicy") != (d.When != "") {
			t.Errorf("create-user denial %+v", d)
		}
	}
	rot := commandCheck(t, rep, "rotate")
	if rot.Ready || !slices.Equal(deniedActions(rot), []string{"iam:TagUser", "iam:CreateAccessKey"}) {
		t.Errorf("rotate: %+v", rot)
	}
	if c := commandCheck(t, rep, "delete-user"); c.Ready || !slices.Equal(deniedActions(c), []string{"iam:TagUser"}) {
		t.Errorf("delete-user: %+v", c)
	}
	if c := commandCheck(t, rep, "list"); !c.Ready || len(c.Denied) != 0 {
		t.Errorf("list: %+v", c)
	}
	// Only conditional actions denied: the command can run, the denial is shown.
	mig := commandCheck(t, rep, "migrate")
	if !mig.Ready || !slices.Equal(deniedActions(mig), []string{"iam:CreatePolicy"}) {
		t.Errorf("migrate: %+v", mig)
	}
	if c := commandCheck(t, rep, "verify"); !c.Ready || c.Checked != 0 {
		t.Errorf("verify: %+v", c)
	}
}

func TestDoctorSomeCommands(t *testing.T) {
	srv, iamc, stsc := startDoctorFake(t)
	srv.DenyActions("iam:DeleteUser")
	rep, err := doctor.Run(context.Background(), doctor.Options{Commands: []string{"rotate", "list"}}, iamc, stsc)
	if err != nil || !rep.Ready() || len(rep.Commands) != 2 {
		t.Fatalf("%+v %v", rep, err)
	}
	if _, err := doctor.Run(context.Background(), doctor.Options{Commands: []string{"nosuch"}}, iamc, stsc); fail.ExitCode(err) != fail.ExitUsage {
		t.Fatalf("unknown command: %v, want usage error", err)
	}
}

func TestDoctorSimulationRefused(t *testing.T) {
	srv, iamc, stsc := startDoctorFake(t)
	srv.Inject(iamfake.Fault{Action: "SimulatePrincipalPolicy", Code: "AccessDenied", Message: "not authorized to perform: iam:SimulatePrincipalPolicy", Times: -1})
	_, err := doctor.Run(context.Background(), doctor.Options{}, iamc, stsc)
	if err == nil || !strings.Contains(err.Error(), "iam:SimulatePrincipalPolicy") || fail.ExitCode(err) != fail.ExitFailed {
		t.Fatalf("%v, want a failure naming iam:SimulatePrincipalPolicy", err)
	}
}

func TestDoctorPrincipalARN(t *testing.T) {
	srv, iamc, stsc := startDoctorFake(t)
	arn := "arn:aws:iam::123456789012:role/ops/sesprov-operator"
	rep, err := doctor.Run(context.Background(), doctor.Options{PrincipalARN: arn, Commands: []string{"list"}}, iamc, stsc)
	if err != nil || rep.PrincipalARN != arn {
		t.Fatalf("%+v %v", rep, err)
	}
	for _, c := range srv.Calls() {
		if c.Action == "SimulatePrincipalPolicy" && c.Params["PolicySourceArn"] != arn {
			t.Errorf("simulated %q, want %q", c.Params["PolicySourceArn"], arn)
		}
	}
}

func TestSimulationPrincipal(t *testing.T) {
	for _, tc := range []struct {
		caller, principal, role string
		root, usage             bool
	}{
		{"arn:aws:iam::123456789012:user/ops/alice", "arn:aws:iam::123456789012:user/ops/alice", "", false, false},
		{"arn:aws:iam::123456789012:root", "", "", true, false},
		{"arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com", "arn:aws:iam::123456789012:role/Admin", "Admin", false, false},
		{"arn:aws-us-gov:sts::123456789012:assumed-role/AWSReservedSSO_Ops_0123/alice", "arn:aws-us-gov:iam::123456789012:role/AWSReservedSSO_Ops_0123", "AWSReservedSSO_Ops_0123", false, false},
		{"arn:aws:sts::123456789012:federated-user/bob", "", "", false, true},
	} {
		p, role, root, err := doctor.SimulationPrincipal(tc.caller)
		if p != tc.principal || role != tc.role || root != tc.root || (fail.ExitCode(err) == fail.ExitUsage) != tc.usage {
			t.Errorf("%s: got %q %q %v %v", tc.caller, p, role, root, err)
		}
	}
}

// TestPermissionTableMatchesIAMInterface keeps doctor and the code in step:
// every IAM call sesprov can make (the IAM interface) is needed by some
// command in the table, and every action in the table is a call sesprov makes
// (or the permission a call's parameter needs). --org's calls are of other
// services (organizations:, sts:), made through the SDK's own clients.
func TestPermissionTableMatchesIAMInterface(t *testing.T) {
	implied := map[string]bool{"PutUserPermissionsBoundary": true} // CreateUser with PermissionsBoundary
	other := map[string]bool{"organizations:ListAccounts": true, "sts:AssumeRole": true}
	inTable := map[string]bool{}
	stores := storeActions(t)
	for _, c := range doctor.CommandPermissionTable {
		for _, p := range c.Needs {
			if other[p.Action] && c.Command == "org" {
				continue
			}
			name, ok := strings.CutPrefix(p.Action, "iam:")
			if !ok {
				if !stores[p.Action] {
					t.Errorf("%s: %s is neither an iam: action nor a secret store's nor SES's", c.Command, p.Action)
				}
				continue
			}
			inTable[name] = true
		}
	}
	api := reflect.TypeOf((*iamapi.IAM)(nil)).Elem()
	for i := 0; i < api.NumMethod(); i++ {
		m := api.Method(i).Name
		if !inTable[m] {
			t.Errorf("IAM.%s is called by sesprov but no command in CommandPermissionTable needs iam:%s", m, m)
		}
		delete(inTable, m)
	}
	for m := range inTable {
		if !implied[m] {
			t.Errorf("iam:%s is in CommandPermissionTable but not in the IAM interface", m)
		}
	}
}

func TestOperatorPolicy(t *testing.T) {
	scope := doctor.PolicyScope{AccountID: "123456789012", UserPath: "/ses-smtp/"}
	b, err := doctor.OperatorPolicy(scope, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version   string
		Statement []struct {
			Sid       string
			Effect    string
			Action    []string
			Resource  string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	granted := map[string]string{}
	for _, s := range doc.Statement {
		if s.Effect != "Allow" || len(s.Action) == 0 {
			t.Errorf("statement %+v", s)
		}
		for _, a := range s.Action {
			granted[a] = s.Resource
		}
		if slices.Contains(s.Action, "iam:AttachGroupPolicy") &&
			s.Condition["ArnEquals"]["iam:PolicyARN"] != "arn:aws:iam::123456789012:policy/AmazonSesSendingAccess" {
			t.Errorf("AttachGroupPolicy is not limited to the sending policy: %+v", s)
		}
	}
	for _, c := range doctor.CommandPermissionTable {
		for _, p := range c.Needs {
			want := scope.ARN(p.Resource, "")
			if granted[p.Action] != want {
				t.Errorf("%s: %s granted on %q, want %q", c.Command, p.Action, granted[p.Action], want)
			}
		}
	}
	if granted["iam:CreateUser"] != "arn:aws:iam::123456789012:user/ses-smtp/*" {
		t.Errorf("users not confined to the path: %q", granted["iam:CreateUser"])
	}
	b, err = doctor.OperatorPolicy(scope, []string{"rotate"}, false)
	if err != nil || strings.Contains(string(b), "CreatePolicy") || strings.Contains(string(b), "DeleteUser\"") || !strings.Contains(string(b), "iam:UpdateAccessKey") {
		t.Errorf("rotate-only policy:\n%s %v", b, err)
	}
	b, _ = doctor.OperatorPolicy(scope, []string{"create-user"}, false)
	if strings.Contains(string(b), "iam:CreatePolicy") || strings.Contains(string(b), "iam:AttachGroupPolicy") || !strings.Contains(string(b), "iam:CreateAccessKey") {
		t.Errorf("--without-setup kept setup actions:\n%s", b)
	}
}

// storeActions are the non-IAM actions the table may list, checking that
// every call of the store interfaces is among them: the calls of
// deliver.SecretsManager and deliver.SSM, CreateSecret's Tags
// (secretsmanager:TagResource), and the KMS calls of --kms-key-id.
func storeActions(t *testing.T) map[string]bool {
	t.Helper()
	ok := map[string]bool{"secretsmanager:TagResource": true, "kms:Encrypt": true, "kms:GenerateDataKey": true, "kms:Decrypt": true}
	var table []string
	for _, c := range doctor.CommandPermissionTable {
		for _, p := range c.Needs {
			table = append(table, p.Action)
		}
	}
	for prefix, api := range map[string]reflect.Type{
		"secretsmanager:": reflect.TypeOf((*deliver.SecretsManager)(nil)).Elem(),
		"ssm:":            reflect.TypeOf((*deliver.SSM)(nil)).Elem(),
		"ses:":            reflect.TypeOf((*iamapi.SES)(nil)).Elem(), // doctor --regions
	} {
		for i := 0; i < api.NumMethod(); i++ {
			action := prefix + api.Method(i).Name
			ok[action] = true
			if !slices.Contains(table, action) {
				t.Errorf("%s is called (a store, or doctor --regions) but no command in CommandPermissionTable needs it", action)
			}
		}
	}
	return ok
}
