package provision

import (
	"context"
	"fmt"
	"io"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/redact"
	"github.com/sesprov/sesprov/internal/tty"
)

// DeriveInput is what `sesprov derive` works from. It is offline: no AWS call.
type DeriveInput struct {
	Secret      redact.Secret
	AccessKeyID string          // optional; when set, the SMTP user name in the output
	Regions     []derive.Region // validated (derive.ResolveRegions)
	Format      output.Format
}

// CheckAccessKeyID validates an access key ID given as an SMTP user name:
// long-term (AKIA…) only, since SMTP credentials cannot come from temporary
// (ASIA…, STS) credentials.
func CheckAccessKeyID(id string) error {
	if !tty.IsAccessKeyID(id) {
		if !derive.EchoSafe(id) {
			// Arguments swapped: this may be the secret access key, which
			// must not end up in a terminal's scrollback or a CI log.
			return fail.Usagef("the access key ID given is not one (not shown: it may be a secret): expected AKIA and 16 upper-case letters or digits; the secret access key goes on stdin")
		}
		return fail.Usagef("%q is not an access key ID: expected AKIA and 16 upper-case letters or digits", id)
	}
	if id[:4] == "ASIA" {
		return fail.Usagef("access key %s is temporary (ASIA…, from STS): SES SMTP credentials need a long-term key (AKIA…) of an IAM user", id)
	}
	return nil
}

// DeriveCommand derives and writes the passwords. In the table format a
// single region prints the password alone, as AWS's script does, so that
// `PASS=$(sesprov derive --regions R < key)` works.
func DeriveCommand(ctx context.Context, in DeriveInput, stdout io.Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	set := creds.DeriveCredentials("", in.AccessKeyID, in.Secret, in.Regions)
	if in.Format == output.FormatTable && len(set.Credentials) == 1 {
		_, err := fmt.Fprintln(stdout, set.Credentials[0].Password.Reveal())
		return err
	}
	w := creds.NewCredentialWriter(stdout, in.Format, false)
	if err := w.Write(set); err != nil {
		return fmt.Errorf("write the passwords: %w", err)
	}
	return w.Close()
}
