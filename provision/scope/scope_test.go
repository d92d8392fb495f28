package scope_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/policy"
	"github.com/sesprov/sesprov/provision/scope"
)

// The scope's Deny wins over the sending group's Allow, as IAM evaluates
// them: the user may send as the allowed addresses and no other.
func TestScopeDenyWinsOverGroupAllow(t *testing.T) {
	addrs, err := scope.ParseAddresses([]string{"Billing@Example.com", "*@news.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	docs := []string{policy.SendingPolicyDocument, scope.Document(addrs)}
	for from, want := range map[string]policy.Decision{
		"Billing@Example.com": policy.Allowed,
		"billing@example.com": policy.Allowed, // the lower-case form sesprov adds
		"BILLING@EXAMPLE.COM": policy.ExplicitDeny,
		"x@news.example.com":  policy.Allowed,
		"ceo@example.com":     policy.ExplicitDeny,
		"x@news.example.org":  policy.ExplicitDeny,
	} {
		for _, action := range scope.Actions {
			got, err := policy.Evaluate(docs, policy.Request{Action: action, Context: map[string][]string{scope.FromAddressKey: {from}}})
			if want == policy.Allowed && action != policy.SendAction {
				want = policy.ImplicitDeny // the group grants SMTP's action only
			}
			if err != nil || got != want {
				t.Errorf("%s as %s: %s, %v; want %s", action, from, got, err, want)
			}
		}
	}
	// Without the scope, the group grants every From.
	if got, _ := policy.Evaluate(docs[:1], policy.Request{Action: "ses:SendRawEmail", Context: map[string][]string{scope.FromAddressKey: {"ceo@example.com"}}}); got != policy.Allowed {
		t.Errorf("group alone: %s", got)
	}
}

func TestParseAddressesRefusesBadInput(t *testing.T) {
	for _, bad := range [][]string{
		nil, {""}, {" , "}, {"billing"}, {"@example.com"}, {"a@"}, {"a@b@c"}, {"a b@c.com"},
		{"<a@b.com>"}, {"a@exa_mple.com"}, {"a@example..com"}, {"*@*"}, {"a@b.com", "x"},
	} {
		_, err := scope.ParseAddresses(bad)
		if fail.KindOf(err) != fail.KindUsage {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}
	got, err := scope.ParseAddresses([]string{" a@b.com ", "a@b.com", "*@Example.com"})
	if err != nil || len(got) != 3 || got[2] != "*@example.com" {
		t.Errorf("got %q, %v", got, err)
	}
	if shown := scope.Shown(got); len(shown) != 2 {
		t.Errorf("shown %q", shown)
	}
}

func TestRunSetsChangesRemoves(t *testing.T) {
	ctx := context.Background()
	_, cfg := iamfaketest.Start(t)
	api := iam.NewFromConfig(cfg)
	if _, err := api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mailer")}); err != nil {
		t.Fatal(err)
	}
	a, _ := scope.ParseAddresses([]string{"a@example.com"})
	b, _ := scope.ParseAddresses([]string{"*@example.com"})
	steps := []struct {
		o    scope.Options
		want string
	}{
		{scope.Options{UserName: "mailer", AllowFrom: a, DryRun: true}, scope.StatusScoped},
		{scope.Options{UserName: "mailer", AllowFrom: a}, scope.StatusScoped},
		{scope.Options{UserName: "mailer", AllowFrom: a}, scope.StatusUnchanged},
		{scope.Options{UserName: "mailer", AllowFrom: b}, scope.StatusScoped},
		{scope.Options{UserName: "mailer", Remove: true}, scope.StatusUnscoped},
		{scope.Options{UserName: "mailer", Remove: true}, scope.StatusUnchanged},
	}
	for i, s := range steps {
		res, err := scope.Run(ctx, api, s.o)
		if err != nil || res.Status != s.want {
			t.Fatalf("step %d: %+v, %v; want %s", i, res, err, s.want)
		}
		got, err := scope.Read(ctx, api, "mailer")
		switch {
		case err != nil:
			t.Fatal(err)
		case s.o.DryRun && got != nil:
			t.Fatalf("dry run changed the scope: %q", got)
		case !s.o.DryRun && !s.o.Remove && len(got) != len(s.o.AllowFrom):
			t.Fatalf("step %d: scope %q", i, got)
		}
	}
	if _, err := scope.Run(ctx, api, scope.Options{UserName: "nobody", AllowFrom: a}); fail.KindOf(err) != fail.KindUsage {
		t.Errorf("missing user: %v", err)
	}
	if _, err := scope.Run(ctx, api, scope.Options{UserName: "mailer"}); fail.KindOf(err) != fail.KindUsage {
		t.Errorf("nothing asked: %v", err)
	}
}
