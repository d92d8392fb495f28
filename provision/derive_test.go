package provision

import (
	"bytes"
	"context"
	"testing"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/redact"
)

// derive's table has no user, so no USER column; the key ID column appears
// only when --access-key-id gave one. Sets with a user keep every column.
func TestCredentialWriterTableWithoutUser(t *testing.T) {
	cred := creds.RegionCredential{Region: "us-east-1", SMTPEndpoint: "email-smtp.us-east-1.amazonaws.com", Password: redact.NewSecret("BPW")}
	for _, tc := range []struct {
		set  creds.CredentialSet
		want string
	}{
		{creds.CredentialSet{Credentials: []creds.RegionCredential{cred}},
			"REGION     SMTP ENDPOINT                       SMTP PASSWORD\n" +
				"us-east-1  email-smtp.us-east-1.amazonaws.com  BPW\n"},
		{creds.CredentialSet{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", Credentials: []creds.RegionCredential{cred}},
			"SMTP USERNAME         REGION     SMTP ENDPOINT                       SMTP PASSWORD\n" +
				"AKIAIOSFODNN7EXAMPLE  us-east-1  email-smtp.us-east-1.amazonaws.com  BPW\n"},
		{creds.CredentialSet{UserName: "alice", Credentials: []creds.RegionCredential{cred}},
			"USER   SMTP USERNAME  REGION     SMTP ENDPOINT                       SMTP PASSWORD\n" +
				"alice  -              us-east-1  email-smtp.us-east-1.amazonaws.com  BPW\n"},
	} {
		var buf bytes.Buffer
		w := creds.NewCredentialWriter(&buf, output.FormatTable, false)
		if err := w.Write(tc.set); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tc.want {
			t.Errorf("table:\n%s\nwant:\n%s", buf.String(), tc.want)
		}
	}
}

func TestDeriveCommandOneRegionPrintsThePasswordAlone(t *testing.T) {
	regions, err := derive.ResolveRegions([]string{"eu-west-1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	in := DeriveInput{Secret: redact.NewSecret(exampleSecret), Regions: regions, Format: output.FormatTable}
	if err := DeriveCommand(context.Background(), in, &buf); err != nil {
		t.Fatal(err)
	}
	// gen_vectors.py's value for this secret and region.
	if got, want := buf.String(), "BMW5RDrXmmVs0lV7GpI4oLkHXpZ4stDsk6q91z1g38Pk\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := DeriveCommand(ctx, in, &buf); fail.ExitCode(err) != fail.ExitInterrupted {
		t.Errorf("cancelled: %v", err)
	}
}
