package iamfake_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

// GetAccountAuthorizationDetails against moto_server and iamfake: the same
// small account built through the SDK on both, then what each answers,
// side by side. iamfake's answers are held to what IAM answers; moto's are
// reported.

type authFact struct {
	name, iam string // what IAM answers
	get       func(ctx context.Context, c *iam.Client) string
}

// authScenarioAccount builds: users smtp-a (path /ses/, tag, inline
// policy, in group mailers, customer policy attached) and smtp-b; group
// mailers with an inline policy and AmazonSESFullAccess attached; the
// customer policy SendOnly with two versions.
func authScenarioAccount(ctx context.Context, c *iam.Client) error {
	steps := []func() error{
		func() error {
			return drop(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("smtp-a"), Path: aws.String("/ses/"),
				Tags: []types.Tag{{Key: aws.String("purpose"), Value: aws.String("smtp")}}}))
		},
		func() error { return createUser(ctx, c, "smtp-b") },
		func() error { return createGroup(ctx, c, "mailers") },
		func() error { return addToGroup(ctx, c, "mailers", "smtp-a") },
		func() error {
			return drop(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("smtp-a"), PolicyName: aws.String("send"), PolicyDocument: aws.String(interopDoc)}))
		},
		func() error {
			return drop(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("mailers"), PolicyName: aws.String("gsend"), PolicyDocument: aws.String(interopDoc)}))
		},
		func() error {
			arn, err := createPolicy(ctx, c, "SendOnly")
			if err != nil {
				return err
			}
			if _, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(interopDoc), SetAsDefault: true}); err != nil {
				return err
			}
			return drop(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("smtp-a"), PolicyArn: arn}))
		},
		func() error {
			return drop(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("mailers"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonSESFullAccess")}))
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("step %d: %s", i+1, outcome(err))
		}
	}
	return nil
}

func gaad(ctx context.Context, c *iam.Client, in *iam.GetAccountAuthorizationDetailsInput) (*iam.GetAccountAuthorizationDetailsOutput, string) {
	out, err := c.GetAccountAuthorizationDetails(ctx, in)
	if err != nil {
		return nil, outcome(err)
	}
	return out, ""
}

func userDetail(out *iam.GetAccountAuthorizationDetailsOutput, name string) *types.UserDetail {
	for i := range out.UserDetailList {
		if aws.ToString(out.UserDetailList[i].UserName) == name {
			return &out.UserDetailList[i]
		}
	}
	return nil
}

var authFacts = []authFact{
	{"users listed", "[smtp-a smtp-b]", func(ctx context.Context, c *iam.Client) string {
		out, e := gaad(ctx, c, &iam.GetAccountAuthorizationDetailsInput{})
		if e != "" {
			return e
		}
		var names []string
		for _, u := range out.UserDetailList {
			names = append(names, aws.ToString(u.UserName))
		}
		return fmt.Sprint(names)
	}},
	{"smtp-a: path, groups, tags", "/ses/ [mailers] purpose=smtp", func(ctx context.Context, c *iam.Client) string {
		out, e := gaad(ctx, c, &iam.GetAccountAuthorizationDetailsInput{})
		if e != "" {
			return e
		}
		u := userDetail(out, "smtp-a")
		if u == nil {
			return "missing"
		}
		var tags []string
		for _, t := range u.Tags {
			tags = append(tags, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
		}
		return fmt.Sprintf("%s %v %s", aws.ToString(u.Path), u.GroupList, strings.Join(tags, ","))
	}},
	{"smtp-a: inline policy document", "URL-encoded, decodes to the document", func(ctx context.Context, c *iam.Client) string {
		out, e := gaad(ctx, c, &iam.GetAccountAuthorizationDetailsInput{})
		if e != "" {
			return e
		}
		u := userDetail(out, "smtp-a")
		if u == nil || len(u.UserPolicyList) != 1 {
			return "missing"
		}
		return describeDoc(aws.ToString(u.UserPolicyList[0].PolicyDocument))
	}},
	{"smtp-a: attached policies", "[SendOnly]", func(ctx context.Context, c *iam.Client) string {
		out, e := gaad(ctx, c, &iam.GetAccountAuthorizationDetailsInput{})
		if e != "" {
			return e
		}
		u := userDetail(out, "smtp-a")
		if u == nil {
			return "missing"
		}
		var names []string
		for _, p := range u.AttachedManagedPolicies {
			names = append(names, aws.ToString(p.PolicyName))
		}
		return fmt.Sprint(names)
	}},
	{"group mailers: inline, attached", "[gsend] [AmazonSESFullAccess]", func(ctx context.Context, c *iam.Client) string {
		out, e := gaad(ctx, c, &iam.GetAccountAuthorizationDetailsInput{})
		if e != "" {
			return e
		}
		for _, g := range out.GroupDetailList {
			if aws.ToString(g.GroupName) != "mailers" {
				continue
			}
			var in, at []string
			for _, p := range g.GroupPolicyList {
				in = append(in, aws.ToString(p.PolicyName))
			}
			for _, p := range g.AttachedManagedPolicies {
				at = append(at, aws.ToString(p.PolicyName))
			}
			return fmt.Sprint(in, " ", at)
		}
		return "missing"
	}},
	{"policies, no Filter (AWS managed: those in use)", "[SendOnly AmazonSESFullAccess]", func(ctx context.Context, c *iam.Client) string {
		out, e := gaad(ctx, c, &iam.GetAccountAuthorizationDetailsInput{})
		if e != "" {
			return e
		}
		return policySummary(out.Policies)
	}},
	{"SendOnly: versions, default, documents", "v1,v2* URL-encoded, decodes to the document", func(ctx context.Context, c *iam.Client) string {
		out, e := gaad(ctx, c, &iam.GetAccountAuthorizationDetailsInput{Filter: []types.EntityType{types.EntityTypeLocalManagedPolicy}})
		if e != "" {
			return e
		}
		for _, p := range out.Policies {
			if !strings.HasSuffix(aws.ToString(p.Arn), ":policy/SendOnly") {
				continue
			}
			var vs []string
			for _, v := range p.PolicyVersionList {
				s := aws.ToString(v.VersionId)
				if v.IsDefaultVersion {
					s += "*"
				}
				vs = append(vs, s)
			}
			if len(p.PolicyVersionList) == 0 {
				return "no versions"
			}
			return strings.Join(vs, ",") + " " + describeDoc(aws.ToString(p.PolicyVersionList[0].Document))
		}
		return "missing"
	}},
	{"Filter=User: what comes back", "2 users, 0 groups, 0 policies", func(ctx context.Context, c *iam.Client) string {
		out, e := gaad(ctx, c, &iam.GetAccountAuthorizationDetailsInput{Filter: []types.EntityType{types.EntityTypeUser}})
		if e != "" {
			return e
		}
		return fmt.Sprintf("%d users, %d groups, %d policies", len(out.UserDetailList), len(out.GroupDetailList), len(out.Policies))
	}},
	{"Filter=AWSManagedPolicy", "[AmazonSESFullAccess]", func(ctx context.Context, c *iam.Client) string {
		out, e := gaad(ctx, c, &iam.GetAccountAuthorizationDetailsInput{Filter: []types.EntityType{types.EntityTypeAWSManagedPolicy}})
		if e != "" {
			return e
		}
		return policySummary(out.Policies)
	}},
	{"MaxItems=1: first page", "1 item, IsTruncated", func(ctx context.Context, c *iam.Client) string {
		out, e := gaad(ctx, c, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(1)})
		if e != "" {
			return e
		}
		n := len(out.UserDetailList) + len(out.GroupDetailList) + len(out.RoleDetailList) + len(out.Policies)
		s := fmt.Sprintf("%d item", n)
		if n != 1 {
			s += "s"
		}
		if out.IsTruncated {
			s += ", IsTruncated"
		}
		return s
	}},
	{"Filter=Users (not an entity type)", "ValidationError", func(ctx context.Context, c *iam.Client) string {
		_, e := gaad(ctx, c, &iam.GetAccountAuthorizationDetailsInput{Filter: []types.EntityType{"Users"}})
		if e == "" {
			return "ok"
		}
		return e
	}},
}

func describeDoc(enc string) string {
	if enc == interopDoc {
		return "not URL-encoded"
	}
	dec, err := url.QueryUnescape(enc)
	if err != nil || dec != interopDoc {
		return fmt.Sprintf("%.40q…", enc)
	}
	return "URL-encoded, decodes to the document"
}

func policySummary(ps []types.ManagedPolicyDetail) string {
	var names []string
	unnamed := 0
	for _, p := range ps {
		if aws.ToString(p.PolicyName) == "" {
			unnamed++
		}
		names = append(names, aws.ToString(p.PolicyName))
	}
	switch {
	case unnamed > 0:
		return fmt.Sprintf("%d policies, %d without PolicyName", len(names), unnamed)
	case len(names) > 6:
		return fmt.Sprintf("%d policies: %v …", len(names), names[:6])
	}
	return fmt.Sprint(names)
}

func TestInteropAuthDetailsMoto(t *testing.T) {
	if os.Getenv("SESPROV_INTEROP") != "1" {
		t.Skip("interop with moto_server runs with SESPROV_INTEROP=1 (make test-interop)")
	}
	moto, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("moto_server is not on PATH: install moto[server] to compare iamfake with moto")
	}
	// moto has AWS managed policies (AmazonSESFullAccess) only when asked to load them.
	motoURL := iamfaketest.StartMoto(t, moto, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_DEFAULT_REGION=us-east-1",
		"MOTO_IAM_LOAD_MANAGED_POLICIES=true")
	_, fakeCfg := iamfaketest.Start(t)
	ctx := context.Background()
	run := func(cfg aws.Config) (setup string, out []string) {
		c := iam.NewFromConfig(cfg)
		if err := authScenarioAccount(ctx, c); err != nil {
			setup = err.Error()
		}
		for _, f := range authFacts {
			out = append(out, f.get(ctx, c))
		}
		return setup, out
	}
	fakeSetup, fake := run(fakeCfg)
	motoSetup, mo := run(iamfaketest.Config(motoURL))
	if fakeSetup != "" {
		t.Fatalf("iamfake: building the account: %s", fakeSetup)
	}

	var sb strings.Builder
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GetAccountAuthorizationDetails\tiamfake\tmoto\tIAM")
	differ := 0
	for i, f := range authFacts {
		if fake[i] != f.iam {
			t.Errorf("%s: iamfake %q, IAM %q", f.name, fake[i], f.iam)
		}
		mark := ""
		if fake[i] != mo[i] {
			mark = "* "
			differ++
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\n", mark, f.name, fake[i], mo[i], f.iam)
	}
	tw.Flush()
	if motoSetup != "" {
		fmt.Printf("\nmoto could not build the whole account (%s); its answers below are for what it built.\n", motoSetup)
	}
	fmt.Printf("\niamfake and moto (%s) differ on %d of %d GetAccountAuthorizationDetails facts (marked *):\n%s\n", motoURL, differ, len(authFacts), sb.String())
}
