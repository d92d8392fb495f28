package iamapi

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sesprov/sesprov/internal/fail"
)

// Hints for configuration problems; every command gives the same one.
const (
	noCredentialsHint = "no usable AWS credentials: set AWS_PROFILE or pass --profile (after 'aws sso login' for SSO), or try sesprov with --sandbox, which needs no account"
	noProfileHint     = "that profile is in neither ~/.aws/config nor ~/.aws/credentials: 'aws configure list-profiles' lists them; set AWS_PROFILE or --profile to one of them, or try sesprov with --sandbox, which needs no account"
)

// ConfigError is a configuration problem only a person can fix (no
// credentials, a profile that does not exist): retrying cannot help, so it
// is a usage error (exit 2). Its message carries the hint.
type ConfigError struct {
	Err  error
	Hint string
}

func (e *ConfigError) Error() string { return fmt.Sprintf("%v\n  hint: %s", e.Err, e.Hint) }
func (e *ConfigError) Unwrap() error { return e.Err }

func configError(err error, hint string) error {
	return &fail.Error{Kind: fail.KindUsage, Err: &ConfigError{Err: err, Hint: hint}}
}

// profileError turns the SDK's missing-profile error into a ConfigError.
func profileError(err error) error {
	var nf config.SharedConfigProfileNotExistError
	var pnf *config.SharedConfigProfileNotExistError
	if errors.As(err, &nf) || errors.As(err, &pnf) {
		return configError(err, noProfileHint)
	}
	return err
}

// hintedCredentials marks every failure to get credentials as a
// ConfigError. The SDK has no error type for it: whichever provider of its
// chain was tried last (often instance metadata) reports its own failure, so
// the place to tell it apart is here, around the chain.
type hintedCredentials struct{ aws.CredentialsProvider }

func (h hintedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := h.CredentialsProvider.Retrieve(ctx)
	if err != nil && ctx.Err() == nil {
		return c, configError(err, noCredentialsHint)
	}
	return c, err
}

// WithHint adds what to do next to an AWS error a person will read: missing
// or expired credentials, and missing permissions. Other errors are returned
// unchanged; the Kind and wrapped errors are kept.
func WithHint(err error) error {
	if err == nil {
		return nil
	}
	var ce *ConfigError
	if errors.As(err, &ce) { // carries its hint already
		return err
	}
	msg := err.Error()
	var hint string
	switch {
	case strings.Contains(msg, "get credentials") || strings.Contains(msg, "failed to retrieve credentials"):
		hint = noCredentialsHint
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
