package ssm

import "github.com/sesprov/sesprov/iamfake/internal/awsjson"

// The error codes SSM answers with (the `__type` on the wire; note that
// several have no "Exception" suffix). All are HTTP 400, as AWS sends them.
const (
	ParameterNotFound                  = "ParameterNotFound"
	ParameterAlreadyExists             = "ParameterAlreadyExists"
	ParameterVersionNotFound           = "ParameterVersionNotFound"
	ParameterMaxVersionLimitExceeded   = "ParameterMaxVersionLimitExceeded"
	ParameterVersionLabelLimitExceeded = "ParameterVersionLabelLimitExceeded"
	ParameterPatternMismatch           = "ParameterPatternMismatchException"
	HierarchyLevelLimitExceeded        = "HierarchyLevelLimitExceededException"
	HierarchyTypeMismatch              = "HierarchyTypeMismatchException"
	InvalidAllowedPattern              = "InvalidAllowedPatternException"
	InvalidKeyID                       = "InvalidKeyId"
	InvalidNextToken                   = "InvalidNextToken"
	InvalidResourceID                  = "InvalidResourceId"
	InvalidResourceType                = "InvalidResourceType"
	InvalidFilterKey                   = "InvalidFilterKey"
	InvalidFilterOption                = "InvalidFilterOption"
	TooManyTagsError                   = "TooManyTagsError"
	AccessDenied                       = "AccessDeniedException"
	Validation                         = "ValidationException"
)

func errf(code, format string, args ...any) *awsjson.Error {
	return awsjson.Errorf(400, code, format, args...)
}

// notFound is GetParameter's answer for a missing name: AWS sends it with
// an empty message.
func notFound(string) *awsjson.Error { return errf(ParameterNotFound, "") }
