package provision_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/redact"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/convert"
	"github.com/sesprov/sesprov/provision/rotate"
)

// plainUserWithKey makes an IAM user outside any group and returns its key.
func (l *lab) plainUserWithKey(name string) (id, secret string) {
	l.t.Helper()
	ctx := context.Background()
	_, err := l.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
	l.must(err)
	out, err := l.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	l.must(err)
	return aws.ToString(out.AccessKey.AccessKeyId), aws.ToString(out.AccessKey.SecretAccessKey)
}

func runConvert(l *lab, in convert.Options) (*convert.Result, error) {
	if in.Regions == nil {
		in.Regions = testRegions(l.t)
	}
	return convert.Run(context.Background(), in, convert.Deps{IAM: l.iam, STS: sts.NewFromConfig(l.cfg)})
}

func TestConvertPutsTheOwnerInTheGroup(t *testing.T) {
	l := newLab(t)
	id, secret := l.plainUserWithKey("legacy-app")
	res, err := runConvert(l, convert.Options{AccessKeyID: id, Secret: redact.NewSecret(secret)})
	l.must(err)
	if res.Set.UserName != "legacy-app" || res.Set.AccessKeyID != id || !strings.HasSuffix(res.Set.UserARN, ":user/legacy-app") {
		t.Fatalf("set: %+v", res.Set)
	}
	for _, c := range res.Set.Credentials {
		if c.Password.Reveal() != derive.Password(secret, c.Region) {
			t.Fatalf("password for %s does not derive from the secret", c.Region)
		}
	}
	g, err := l.iam.GetGroup(context.Background(), &iam.GetGroupInput{GroupName: aws.String(provision.DefaultGroupName)})
	l.must(err)
	if len(g.Users) != 1 || aws.ToString(g.Users[0].UserName) != "legacy-app" {
		t.Fatalf("group members: %v", g.Users)
	}
	pols, err := l.iam.ListAttachedGroupPolicies(context.Background(), &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String(provision.DefaultGroupName)})
	l.must(err)
	if len(pols.AttachedPolicies) != 1 || aws.ToString(pols.AttachedPolicies[0].PolicyName) != provision.DefaultPolicyName {
		t.Fatalf("group policies: %v", pols.AttachedPolicies)
	}
	// Again: nothing to change, same answer.
	l.srv.ResetCalls()
	_, err = runConvert(l, convert.Options{AccessKeyID: id, Secret: redact.NewSecret(secret)})
	l.must(err)
	if m := mutations(l.srv.Calls()); len(m) != 0 {
		t.Fatalf("second convert changed IAM: %v", m)
	}
	if l.keys("legacy-app")[id] != "Active" || len(l.keys("legacy-app")) != 1 {
		t.Fatal("convert touched the key")
	}
}

func TestConvertRefusals(t *testing.T) {
	l := newLab(t)
	id, secret := l.plainUserWithKey("u")
	s := redact.NewSecret(secret)
	l.srv.ResetCalls()

	_, err := runConvert(l, convert.Options{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", Secret: s})
	if fail.ExitCode(err) != fail.ExitUsage || !strings.Contains(err.Error(), convert.TemporaryKeyReason) {
		t.Fatalf("ASIA key: %v", err)
	}
	if len(l.srv.Calls()) != 0 {
		t.Fatal("an ASIA key reached IAM")
	}
	_, err = runConvert(l, convert.Options{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", Secret: s})
	if fail.ExitCode(err) != fail.ExitUsage || !strings.Contains(err.Error(), "not in this account") {
		t.Fatalf("unknown key: %v", err)
	}
	_, err = l.iam.UpdateAccessKey(context.Background(), ptr(iamUpdateKey{"u", id}.input()))
	l.must(err)
	l.srv.ResetCalls()
	_, err = runConvert(l, convert.Options{AccessKeyID: id, Secret: s})
	if fail.ExitCode(err) != fail.ExitConflict || !strings.Contains(err.Error(), "inactive") {
		t.Fatalf("inactive key: %v", err)
	}
	if m := mutations(l.srv.Calls()); len(m) != 0 {
		t.Fatalf("refusal changed IAM: %v", m)
	}
}

func TestConvertDryRun(t *testing.T) {
	l := newLab(t)
	id, secret := l.plainUserWithKey("u")
	l.srv.ResetCalls()
	res, err := runConvert(l, convert.Options{AccessKeyID: id, Secret: redact.NewSecret(secret), DryRun: true})
	l.must(err)
	if m := mutations(l.srv.Calls()); len(m) != 0 {
		t.Fatalf("dry run changed IAM: %v", m)
	}
	var plan []string
	for _, it := range res.Plan {
		plan = append(plan, it.Text)
	}
	if !strings.Contains(strings.Join(plan, "\n"), "add user u to group "+provision.DefaultGroupName) {
		t.Fatalf("plan: %v", plan)
	}
}

// TestConvertRecordsRegions: convert records the regions its passwords are
// for in the sesprov:regions tag, so that rotate needs no --regions. It
// buys that with one call (iam:TagUser: convert has no other call that tags
// the user), made only when the tag says otherwise: run again, it costs
// nothing. Mutations of a first convert: CreatePolicy, CreateGroup,
// AttachGroupPolicy, AddUserToGroup, and this TagUser.
func TestConvertRecordsRegions(t *testing.T) {
	l := newLab(t)
	id, secret := l.plainUserWithKey("old-app")
	l.srv.ResetCalls()
	_, err := runConvert(l, convert.Options{AccessKeyID: id, Secret: redact.NewSecret(secret)})
	l.must(err)
	if n := l.srv.CallCount("TagUser"); n != 1 {
		t.Errorf("TagUser %d times, want 1", n)
	}
	tags, err := l.iam.ListUserTags(context.Background(), &iam.ListUserTagsInput{UserName: aws.String("old-app")})
	l.must(err)
	if got := strings.Join(provision.ParseRegionsTag(tags.Tags), " "); got != "us-east-1 eu-west-1" {
		t.Fatalf("regions tag %q", got)
	}
	// rotate needs no --regions: it takes the recorded ones.
	if _, err := rotate.Plan(context.Background(), l.iam, rotate.Options{UserName: "old-app", Force: true}); err != nil {
		t.Errorf("rotate without --regions after convert: %v", err)
	}
	// Another region set is recorded anew, in one call.
	l.srv.ResetCalls()
	_, err = runConvert(l, convert.Options{AccessKeyID: id, Secret: redact.NewSecret(secret), Regions: testRegions(t)[1:]})
	l.must(err)
	if m := mutations(l.srv.Calls()); len(m) != 1 || m[0] != "TagUser" {
		t.Errorf("convert for eu-west-1 only: mutations %v, want [TagUser]", m)
	}
}
