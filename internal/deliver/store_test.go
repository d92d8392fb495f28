package deliver

import (
	"strings"
	"testing"

	"github.com/sesprov/sesprov/internal/fail"
)

func TestParseStoreKinds(t *testing.T) {
	for in, want := range map[string]Destination{
		"secretsmanager:ses/{user}": {Kind: KindSecretsManager, Target: "ses/{user}", Flag: "--deliver-to"},
		"ssm:/ses/{user}":           {Kind: KindSSM, Target: "/ses/{user}", Flag: "--deliver-to"},
	} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if !got.PerUser() || got.For("a").String() != strings.ReplaceAll(in, "{user}", "a") {
			t.Errorf("%q: PerUser %t, String %q", in, got.PerUser(), got.For("a").String())
		}
	}
	for _, bad := range []string{"secretsmanager:", "ssm:  ", "vault:x"} {
		if _, err := Parse(bad); fail.ExitCode(err) != fail.ExitUsage {
			t.Errorf("Parse(%q): %v, want a usage error", bad, err)
		}
	}
}

// The stores' naming rules are checked before any change, for each user.
func TestCheckStoreNames(t *testing.T) {
	ok := map[string][]string{
		"secretsmanager:ses/{user}":                  {"a", "b.c", "x@y", "a+b=c"},
		"secretsmanager:prod/mail/creds":             {"a"},
		"ssm:/ses/{user}":                            {"a", "b.c", "d-e_f"},
		"ssm:ses-{user}":                             {"a"},
		"secretsmanager:" + strings.Repeat("s", 512): {"a"},
	}
	for dest, users := range ok {
		d, _ := Parse(dest)
		if err := d.Check(users); err != nil {
			t.Errorf("%s %v: %v", dest, users, err)
		}
	}
	bad := map[string][]string{
		"secretsmanager:ses/all":                      {"a", "b"}, // a batch without {user}
		"secretsmanager:ses {user}":                   {"a"},
		"secretsmanager:ses/{user}":                   {"a,b"},
		"secretsmanager:" + strings.Repeat("s", 513):  {"a"},
		"ssm:/ses/{user}":                             {"a@b"},
		"ssm:ses/{user}":                              {"a"},
		"ssm:/aws/{user}":                             {"a"},
		"ssm:ssm-{user}":                              {"a"},
		"ssm:/ses//{user}":                            {"a"},
		"ssm:/" + strings.Repeat("a/", 15) + "{user}": {"a"},
	}
	for dest, users := range bad {
		d, err := Parse(dest)
		if err == nil {
			err = d.Check(users)
		}
		if fail.ExitCode(err) != fail.ExitUsage {
			t.Errorf("%s %v: %v, want a usage error", dest, users, err)
		}
	}
}

// The request token is deterministic, distinct per key, and 32–64
// characters whatever the key ID's length (IAM allows 16–128).
func TestRequestToken(t *testing.T) {
	seen := map[string]bool{}
	for _, id := range []string{"AKIAIOSFODNN7EXAMPLE", "AKIA0000000000000000", "AKIA00000000", strings.Repeat("A", 40), strings.Repeat("A", 128)} {
		tok := RequestToken(id)
		if len(tok) < 32 || len(tok) > 64 || tok != RequestToken(id) || seen[tok] {
			t.Errorf("RequestToken(%s) = %q (%d chars)", id, tok, len(tok))
		}
		seen[tok] = true
	}
	if tok := RequestToken("AKIAIOSFODNN7EXAMPLE"); !strings.HasPrefix(tok, "sesprov-AKIAIOSFODNN7EXAMPLE") {
		t.Errorf("token %q does not name the key", tok)
	}
}
