package provision

import (
	"strings"
	"unicode/utf8"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/lazyre"
)

// IAM's input rules, checked before any call so that bad input changes
// nothing (exit 2). Names are 1–64 (users) or 1–128 (groups, policies)
// characters of [\w+=,.@-]; a path is "/" or "/…/" of printable ASCII.
var (
	iamNameRe = lazyre.New(`^[\w+=,.@-]+$`)
	pathRe    = lazyre.New(`^/([\x21-\x7e]+/)?$`) // IAM's pattern ^/$|^/[\x21-\x7e]+/$: "//" is refused
	// arn:PARTITION:iam::ACCOUNT|aws:policy/[PATH/]NAME
	policyARNRe = lazyre.New(`^arn:aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?:iam::(\d{12}|aws):policy/([\x21-\x7e]*/)?[\w+=,.@-]{1,128}$`)
	tagKeyRe    = lazyre.New(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	tagValueRe  = lazyre.New(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// ValidateUserName checks an IAM user name.
func ValidateUserName(name string) error {
	return validateName("user name", name, 64)
}

// ValidateGroupName checks an IAM group name.
func ValidateGroupName(name string) error { return validateName("group name", name, 128) }

// ValidatePolicyName checks a managed policy name.
func ValidatePolicyName(name string) error { return validateName("policy name", name, 128) }

func validateName(what, name string, max int) error {
	switch {
	case name == "":
		return fail.Usagef("empty %s", what)
	case len(name) > max:
		return fail.Usagef("%s %q is %d characters long; IAM allows at most %d", what, name, len(name), max)
	case !iamNameRe.MatchString(name):
		return fail.Usagef("%s %q has characters IAM refuses: use letters, digits and + = , . @ _ -", what, name)
	}
	return nil
}

// ValidatePath checks an IAM path ("/" or "/division/team/").
func ValidatePath(p string) error {
	if len(p) > 512 || !pathRe.MatchString(p) {
		return fail.Usagef("path %q is not an IAM path: it must be / or start and end with / (e.g. /smtp/), printable ASCII, at most 512 characters", p)
	}
	return nil
}

// ValidatePolicyARN checks the shape of a managed policy ARN (a permissions
// boundary).
func ValidatePolicyARN(arn string) error {
	if !policyARNRe.MatchString(arn) {
		return fail.Usagef("%q is not a managed policy ARN (arn:aws:iam::123456789012:policy/NAME or arn:aws:iam::aws:policy/NAME)", arn)
	}
	return nil
}

// Tag is an IAM tag.
type Tag struct{ Key, Value string }

// ParseTag parses K=V (the value may be empty; the first = splits).
func ParseTag(s string) (Tag, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return Tag{}, fail.Usagef("tag %q: use KEY=VALUE", s)
	}
	t := Tag{Key: k, Value: v}
	return t, ValidateTag(t)
}

// ValidateTag checks one tag against IAM's rules.
func ValidateTag(t Tag) error {
	switch {
	case t.Key == "":
		return fail.Usagef("tag with an empty key")
	case utf8.RuneCountInString(t.Key) > 128:
		return fail.Usagef("tag key %q is longer than IAM's 128 characters", t.Key)
	case utf8.RuneCountInString(t.Value) > 256:
		return fail.Usagef("the value of tag %q is longer than IAM's 256 characters", t.Key)
	case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
		return fail.Usagef("tag key %q: the aws: prefix is reserved for AWS", t.Key)
	case !tagKeyRe.MatchString(t.Key):
		return fail.Usagef("tag key %q has characters IAM refuses (letters, digits, spaces and _ . : / = + - @)", t.Key)
	case !tagValueRe.MatchString(t.Value):
		return fail.Usagef("the value of tag %q has characters IAM refuses (letters, digits, spaces and _ . : / = + - @)", t.Key)
	}
	return nil
}

// ValidateTags checks a user's tag set, with room for sesprov's own tag.
func ValidateTags(tags []Tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		if err := ValidateTag(t); err != nil {
			return err
		}
		k := strings.ToLower(t.Key)
		if seen[k] {
			return fail.Usagef("tag key %q given twice (IAM tag keys are case-insensitive)", t.Key)
		}
		if k == strings.ToLower(TagCreatedBy) || k == strings.ToLower(RegionsTagKey) {
			return fail.Usagef("tag key %q is sesprov's own; choose another key", t.Key)
		}
		seen[k] = true
	}
	if len(tags) > MaxExtraUserTags {
		return fail.Usagef("%d tags: IAM allows %d per user and sesprov keeps room for 3 of its own (%s, %s and the rotation record); give at most %d",
			len(tags), MaxUserTags, TagCreatedBy, RegionsTagKey, MaxExtraUserTags)
	}
	return nil
}
