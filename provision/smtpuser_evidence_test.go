package provision_test

import (
	"context"
	"testing"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/deleteuser"
	"github.com/sesprov/sesprov/provision/rotate"
)

// Only tags that record a judgement make a user an SMTP user. A cut
// 'rotate --force' leaves sesprov:rotation on any user; a tag with
// sesprov:created-by or sesprov:deleting but another value is someone
// else's. None of these may make delete-user (or rotate) accept a user that
// is not an SMTP user without --force. (Found in review.)
func TestSMTPUserNeedsEvidence(t *testing.T) {
	ctx := context.Background()
	refused := func(t *testing.T, l *lab, user, why string) {
		t.Helper()
		_, err := deleteuser.Run(ctx, deleteuser.Options{UserName: user}, l.iam)
		if fail.ExitCode(err) != fail.ExitConflict {
			t.Fatalf("%s: delete-user without --force: %v (exit %d), want the conflict", why, err, fail.ExitCode(err))
		}
		_, err = rotate.Plan(ctx, l.iam, rotate.Options{UserName: user, Regions: testRegions(t)})
		if fail.ExitCode(err) != fail.ExitConflict {
			t.Fatalf("%s: rotate without --force: %v (exit %d), want the conflict", why, err, fail.ExitCode(err))
		}
	}

	t.Run("cut rotate --force", func(t *testing.T) {
		l := newLab(t)
		l.plainUserWithKey("ci-deployer")
		k := &killer{action: "CreateAccessKey", nth: 1}
		plan, err := rotate.Plan(ctx, k.client(l.cfg), rotate.Options{UserName: "ci-deployer", Regions: testRegions(t), Force: true})
		l.must(err)
		c := &consumer{t: t}
		if _, err := plan.Execute(ctx, k.client(l.cfg), c.deliver, nil); err == nil {
			t.Fatal("the killed rotation reported success")
		}
		if _, ok := l.tags("ci-deployer")[rotate.TagKey]; !ok {
			t.Fatal("the cut rotation left no tag: the test does not test anything")
		}
		refused(t, l, "ci-deployer", "rotation tag")
	})
	for _, tc := range []struct{ key, value string }{
		{provision.TagCreatedBy, "terraform"},
		{provision.DeletingTagKey, "yes"},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			l := newLab(t)
			l.plainUserWithKey("ci-deployer")
			_, err := l.iam.TagUser(ctx, tagInput("ci-deployer", tc.key, tc.value))
			l.must(err)
			refused(t, l, "ci-deployer", tc.key+"="+tc.value)
		})
	}
	// The value delete-user writes (after judging the user an SMTP user)
	// is evidence: a cut deletion is finished without --force.
	l := newLab(t)
	l.plainUserWithKey("was-smtp")
	_, err := l.iam.TagUser(ctx, tagInput("was-smtp", provision.DeletingTagKey, provision.DeletingTagValue))
	l.must(err)
	if _, err := deleteuser.Run(ctx, deleteuser.Options{UserName: "was-smtp"}, l.iam); err != nil {
		t.Fatalf("sesprov:deleting=%s: %v", provision.DeletingTagValue, err)
	}
}
