package ssm

import (
	"regexp"
	"strings"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

const maxNameLen = 1011 // AWS's 2048 less the 1037 it reserves for the ARN

var (
	nameChars   = regexp.MustCompile(`^[a-zA-Z0-9_.\-/]+$`)
	badNameText = `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_`
)

// checkName applies Parameter Store's naming rules to a name being
// created: its characters, a hierarchy beginning with "/" and at most 15
// levels deep, and the reserved "aws" and "ssm" prefixes.
func checkName(name string) *awsjson.Error {
	if name == "" || len(name) > maxNameLen {
		return errf(Validation, "1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must have length between 1 and %d", name, maxNameLen)
	}
	if strings.Contains(name, "/") && !strings.HasPrefix(name, "/") {
		return errf(Validation, "Parameter name must be a fully qualified name.")
	}
	segments := strings.Split(strings.TrimPrefix(name, "/"), "/")
	if len(segments) > 15 {
		return errf(HierarchyLevelLimitExceeded, "A hierarchy can have a maximum of 15 levels.")
	}
	first := strings.ToLower(segments[0])
	if strings.HasPrefix(name, "/") && first == "aws" && len(segments) > 1 {
		return errf(AccessDenied, "No access to reserved parameter name: %s.", name)
	}
	if !nameChars.MatchString(name) || strings.HasPrefix(first, "aws") || strings.HasPrefix(first, "ssm") {
		return errf(Validation, "%s", badNameText)
	}
	for _, s := range segments {
		if s == "" {
			return errf(Validation, "%s", badNameText)
		}
	}
	return nil
}

// checkPath checks a GetParametersByPath path: "/" or "/a/b" (a trailing
// slash allowed), at most 15 levels.
func checkPath(path string) *awsjson.Error {
	if !strings.HasPrefix(path, "/") || !nameChars.MatchString(path) {
		return errf(Validation, "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.")
	}
	if strings.Count(strings.Trim(path, "/"), "/") >= 15 {
		return errf(HierarchyLevelLimitExceeded, "A hierarchy can have a maximum of 15 levels.")
	}
	return nil
}

// checkValue holds a value to its tier's size and its allowed pattern.
func checkValue(value, tier, pattern string) *awsjson.Error {
	if value == "" {
		return errf(Validation, "1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1.")
	}
	if tier == "Standard" && len(value) > standardMaxLen {
		return errf(Validation, "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html")
	}
	if len(value) > advancedMaxLen {
		return errf(Validation, "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to %d", advancedMaxLen)
	}
	if pattern == "" {
		return nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return errf(InvalidAllowedPattern, "The allowed pattern %s is not a valid regular expression.", pattern)
	}
	if !re.MatchString(value) {
		return errf(ParameterPatternMismatch, "Parameter value, cannot be validated against allowedPattern: %s", pattern)
	}
	return nil
}

func checkTags(tags []Tag) *awsjson.Error {
	if len(tags) > 50 {
		return errf(TooManyTagsError, "The Tags list exceeds the maximum of 50 tags.")
	}
	for _, t := range tags {
		if len(t.Key) < 1 || len(t.Key) > 128 || len(t.Value) > 256 {
			return errf(Validation, "1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: key 1-128 and value 0-256 characters", t.Key)
		}
	}
	return nil
}
