package iamfake

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Validation follows IAM's API model: a value breaking a modelled
// constraint (length, pattern, enum) is a ValidationError with IAM's
// "1 validation error detected" message; semantic problems are
// InvalidInput, MalformedPolicyDocument or LimitExceeded.

const (
	namePattern   = `[\w+=,.@-]+`
	maxUserName   = 64
	maxGroupName  = 128
	maxPolicyName = 128
	maxPath       = 512

	managedPolicySize = 6144
	userPolicySize    = 2048
	groupPolicySize   = 5120
)

func constraint(field, value, rule string) *apiError {
	return errf(ValidationError, "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, rule)
}

func required(field string) *apiError {
	return errf(ValidationError, "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
}

func isNameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("_+=,.@-", c) >= 0
}

// checkName validates a user, group or policy name: 1..max characters of
// [\w+=,.@-].
func checkName(field, v string, max int) *apiError {
	if v == "" {
		return constraint(field, v, "Member must have length greater than or equal to 1")
	}
	if len(v) > max {
		return constraint(field, v, fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
	for i := 0; i < len(v); i++ {
		if !isNameChar(v[i]) {
			return constraint(field, v, "Member must satisfy regular expression pattern: "+namePattern)
		}
	}
	return nil
}

// checkPath validates a path: "/" or "/…/" of printable ASCII, up to 512.
func checkPath(field, v string) *apiError {
	if len(v) > maxPath {
		return constraint(field, v, "Member must have length less than or equal to 512")
	}
	if v == "/" {
		return nil
	}
	if len(v) < 3 || v[0] != '/' || v[len(v)-1] != '/' {
		return constraint(field, v, `Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x21 || v[i] > 0x7e {
			return constraint(field, v, `Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
		}
	}
	return nil
}

func checkPathPrefix(field, v string) *apiError {
	if v == "" {
		return nil
	}
	if len(v) > maxPath {
		return constraint(field, v, "Member must have length less than or equal to 512")
	}
	if v[0] != '/' {
		return constraint(field, v, `Member must satisfy regular expression pattern: \u002F[\u0021-\u007F]*`)
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x21 || v[i] > 0x7f {
			return constraint(field, v, `Member must satisfy regular expression pattern: \u002F[\u0021-\u007F]*`)
		}
	}
	return nil
}

func isTagRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.Is(unicode.Z, r) || unicode.IsNumber(r) || strings.ContainsRune("_.:/=+-@", r)
}

func checkTag(i int, t tag) *apiError {
	field := fmt.Sprintf("tags.%d.member.key", i+1)
	n := utf8.RuneCountInString(t.Key)
	if n < 1 {
		return constraint(field, t.Key, "Member must have length greater than or equal to 1")
	}
	if n > 128 {
		return constraint(field, t.Key, "Member must have length less than or equal to 128")
	}
	for _, r := range t.Key {
		if !isTagRune(r) {
			return constraint(field, t.Key, `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
		}
	}
	field = fmt.Sprintf("tags.%d.member.value", i+1)
	if utf8.RuneCountInString(t.Value) > 256 {
		return constraint(field, t.Value, "Member must have length less than or equal to 256")
	}
	for _, r := range t.Value {
		if !isTagRune(r) {
			return constraint(field, t.Value, `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
		}
	}
	if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
		return errf(InvalidInput, "User tag keys starting with 'aws:' are reserved for internal use.")
	}
	return nil
}

// checkTags validates tags sent in one request: each tag, and no key twice
// (keys are case-insensitive).
func checkTags(tags []tag) *apiError {
	if len(tags) > 50 {
		return constraint("tags", fmt.Sprint(len(tags)), "Member must have length less than or equal to 50")
	}
	seen := make(map[string]bool, len(tags))
	for i, t := range tags {
		if err := checkTag(i, t); err != nil {
			return err
		}
		k := strings.ToLower(t.Key)
		if seen[k] {
			return errf(InvalidInput, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return nil
}

// checkWordID checks a credential ID (certificate, SSH key, service
// credential) against its modelled pattern.
func checkWordID(field, id string) *apiError {
	if id == "" {
		return constraint(field, id, "Member must have length greater than or equal to 1")
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(isNameChar(c) && strings.IndexByte("+=,.@-", c) < 0) {
			return constraint(field, id, `Member must satisfy regular expression pattern: [\w]+`)
		}
	}
	return nil
}

func checkStatus(field, v string) *apiError {
	if v != "Active" && v != "Inactive" {
		return constraint(field, v, "Member must satisfy enum value set: [Active, Inactive]")
	}
	return nil
}

// checkPolicyDocument validates a policy document the way IAM does: the
// modelled character set and length, the size quota (whitespace not
// counted), then the grammar of its kind (policygrammar.go). sizeErr
// builds the LimitExceeded answer for the kind of policy.
func checkPolicyDocument(doc string, kind policyKind, limit int, sizeErr func() *apiError) *apiError {
	const field = "policyDocument"
	if doc == "" {
		return constraint(field, doc, "Member must have length greater than or equal to 1")
	}
	if len(doc) > 131072 {
		return constraint(field, "...", "Member must have length less than or equal to 131072")
	}
	size := 0
	for _, r := range doc {
		if r == utf8.RuneError || !(r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xff) {
			return constraint(field, doc, `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`)
		}
		if !unicode.IsSpace(r) {
			size++
		}
	}
	if size > limit {
		return sizeErr()
	}
	return checkGrammar(doc, kind)
}
