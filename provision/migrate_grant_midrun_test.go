package provision_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/policy"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/migrate"
)

// TestMigrateGrantChangedMidRun: the group's grant is confirmed once,
// before the first user; when the managed policy's default version stops
// granting ses:SendRawEmail while --all is running, migrate still deletes the
// inline policies of the users that follow (they are cut off). The grant
// must be seen again right before each DeleteUserPolicy.
func TestMigrateGrantChangedMidRun(t *testing.T) {
	l := newMigLab(t)
	for _, u := range []string{"u1", "u2", "u3"} {
		l.seed(u, migStandardDoc, true)
	}
	admin := iam.NewFromConfig(iamfaketest.InProcess(l.srv))
	var once sync.Once
	wrap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err == nil && r.Form.Get("Action") == "AddUserToGroup" {
			once.Do(func() {
				// Someone edits the sending policy: its new default version
				// no longer allows ses:SendRawEmail.
				out, err := admin.ListAttachedGroupPolicies(l.ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String(provision.DefaultGroupName)})
				if err != nil || len(out.AttachedPolicies) == 0 {
					t.Errorf("no attached policy: %v", err)
					return
				}
				_, err = admin.CreatePolicyVersion(l.ctx, &iam.CreatePolicyVersionInput{
					PolicyArn:      out.AttachedPolicies[0].PolicyArn,
					PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:SendEmail","Resource":"*"}]}`),
					SetAsDefault:   true,
				})
				if err != nil {
					t.Errorf("CreatePolicyVersion: %v", err)
				}
			})
		}
		l.ServeHTTP(w, r)
	}))
	t.Cleanup(wrap.Close)
	l.iam = iam.NewFromConfig(iamfaketest.Config(wrap.URL))
	out := l.migrate(migrate.Options{All: true, Concurrency: 1})
	l.assertInvariant()
	if out.err == nil {
		t.Errorf("migrate succeeded; the group stopped granting %s mid-run", policy.SendAction)
	}
	if len(out.results) != 3 {
		t.Fatalf("results %+v; want 3", out.results)
	}
	for _, r := range out.results {
		if r.Outcome != migrate.Failed || !strings.Contains(r.Reason, "no longer grants") || !strings.Contains(r.Reason, "was kept") {
			t.Errorf("%s: %s (%s); want failed, the group no longer granting, the inline policy kept", r.UserName, r.Outcome, r.Reason)
		}
		if _, err := l.iam.GetUserPolicy(l.ctx, &iam.GetUserPolicyInput{UserName: aws.String(r.UserName), PolicyName: aws.String(provision.DefaultPolicyName)}); err != nil {
			t.Errorf("%s: inline policy: %v; want it kept", r.UserName, err)
		}
	}
}
