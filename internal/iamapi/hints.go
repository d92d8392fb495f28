package iamapi

import (
	"fmt"
	"strings"

	"github.com/sesprov/sesprov/internal/fail"
)

// WithHint adds what to do next to an AWS error a person will read: missing
// or expired credentials, and missing permissions. Other errors are returned
// unchanged; the Kind and wrapped errors are kept.
func WithHint(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var hint string
	switch {
	case strings.Contains(msg, "get credentials") || strings.Contains(msg, "failed to retrieve credentials"):
		hint = "no usable AWS credentials: set AWS_PROFILE or pass --profile (after 'aws sso login' for SSO), or try sesprov with --sandbox, which needs no account"
	case HasCode(err, "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch"):
		hint = "the AWS credentials were refused (expired or wrong): refresh them (aws sso login) or choose another --profile"
	case HasCode(err, "AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
		hint = "the caller lacks an IAM permission: 'sesprov doctor' lists what each command needs"
	default:
		return err
	}
	if fail.KindOf(err) != fail.KindFailed {
		return &fail.Error{Kind: fail.KindOf(err), Err: fmt.Errorf("%w\n  hint: %s", err, hint)}
	}
	return fmt.Errorf("%w\n  hint: %s", err, hint)
}
