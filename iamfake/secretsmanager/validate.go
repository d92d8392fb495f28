package secretsmanager

import (
	"fmt"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

const maxSecretSize = 65536 // bytes, for a SecretString or SecretBinary

func hasValue(str *string, bin []byte) bool { return str != nil || bin != nil }

// checkValue allows one of SecretString and SecretBinary, and with
// required (PutSecretValue) needs one.
func checkValue(str *string, bin []byte, required bool) *awsjson.Error {
	if str != nil && bin != nil {
		return errf(InvalidParameter, "You can't specify both a binary secret value and a string secret value in the same secret.")
	}
	if required && !hasValue(str, bin) {
		return errf(InvalidRequest, "You must provide either SecretString or SecretBinary.")
	}
	if (str != nil && len(*str) > maxSecretSize) || len(bin) > maxSecretSize {
		return errf(InvalidParameter, "The secret value exceeds the maximum size of %d bytes.", maxSecretSize)
	}
	return nil
}

// checkToken holds a ClientRequestToken to its modelled length (the SDK
// sends a 36-character UUID when the caller gives none).
func checkToken(tok string) *awsjson.Error {
	if tok != "" && (len(tok) < 32 || len(tok) > 64) {
		return errf(InvalidParameter, "ClientRequestToken must be 32-64 characters long.")
	}
	return nil
}

func checkTags(tags []Tag) *awsjson.Error {
	if len(tags) > 50 {
		return errf(Validation, "1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if len(t.Key) < 1 || len(t.Key) > 128 || len(t.Value) > 256 {
			return errf(Validation, "1 validation error detected: %s", fmt.Sprintf("tag %q: key must be 1-128 and value 0-256 characters", t.Key))
		}
		if seen[t.Key] {
			return errf(InvalidParameter, "Duplicate tag key %s.", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

func tokenInUse(tok string, sec *secret) *awsjson.Error {
	return errf(ResourceExists, "You can't use ClientRequestToken %s because that value is already in use for a version of secret %s.", tok, sec.ARN)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
