package provision

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/redact"
)

func TestCheckAccessKeyID(t *testing.T) {
	if err := CheckAccessKeyID("AKIAIOSFODNN7EXAMPLE"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"ASIAIOSFODNN7EXAMPLE", "AKIA", "akiaiosfodnn7example", exampleSecret} {
		if err := CheckAccessKeyID(bad); fail.ExitCode(err) != fail.ExitUsage {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}
}

func TestDeriveCredentialsRedacted(t *testing.T) {
	regions, err := derive.ResolveRegions([]string{"us-east-1", "eu-west-1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	set := creds.DeriveCredentials("", "", redact.NewSecret(exampleSecret), regions)
	for i, r := range regions {
		c := set.Credentials[i]
		if c.Region != r.Name || c.SMTPEndpoint != r.SMTPEndpoint || c.Password.Reveal() != derive.Password(exampleSecret, r.Name) {
			t.Errorf("credential %d: %+v", i, c)
		}
	}
	if s := fmt.Sprintf("%v %+v", set, set); strings.Contains(s, set.Credentials[0].Password.Reveal()) {
		t.Errorf("a password is printed by fmt: %s", s)
	}
}

const exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
