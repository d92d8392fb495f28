package secretsmanager

import "github.com/sesprov/sesprov/iamfake/internal/awsjson"

// The error codes Secrets Manager answers with (the `__type` on the wire,
// which the SDK maps to *types.ResourceNotFoundException and so on). All
// are HTTP 400, as AWS sends them.
const (
	ResourceNotFound = "ResourceNotFoundException"
	ResourceExists   = "ResourceExistsException"
	InvalidRequest   = "InvalidRequestException"
	InvalidParameter = "InvalidParameterException"
	Validation       = "ValidationException"
	LimitExceeded    = "LimitExceededException"
	InternalService  = "InternalServiceError"
)

func errf(code, format string, args ...any) *awsjson.Error {
	return awsjson.Errorf(400, code, format, args...)
}

func notFound() *awsjson.Error {
	return errf(ResourceNotFound, "Secrets Manager can't find the specified secret.")
}
