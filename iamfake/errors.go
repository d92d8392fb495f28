package iamfake

import "fmt"

// ErrorCode is an IAM wire error code, as it appears in <Error><Code>.
// The SDK maps these to its typed errors (NoSuchEntity to
// *types.NoSuchEntityException, and so on).
type ErrorCode string

// The wire codes iamfake answers with.
const (
	NoSuchEntity                  ErrorCode = "NoSuchEntity"
	EntityAlreadyExists           ErrorCode = "EntityAlreadyExists"
	LimitExceeded                 ErrorCode = "LimitExceeded"
	DeleteConflict                ErrorCode = "DeleteConflict"
	MalformedPolicyDocument       ErrorCode = "MalformedPolicyDocument"
	MalformedCertificate          ErrorCode = "MalformedCertificate"
	InvalidPublicKey              ErrorCode = "InvalidPublicKey"
	InvalidAuthenticationCode     ErrorCode = "InvalidAuthenticationCode"
	InvalidInput                  ErrorCode = "InvalidInput"
	ValidationError               ErrorCode = "ValidationError"
	Throttling                    ErrorCode = "Throttling"
	ServiceFailure                ErrorCode = "ServiceFailure"
	AccessDenied                  ErrorCode = "AccessDenied"
	ConcurrentModification        ErrorCode = "ConcurrentModification"
	InvalidAction                 ErrorCode = "InvalidAction"
	MissingAction                 ErrorCode = "MissingAction"
	EntityTemporarilyUnmodifiable ErrorCode = "EntityTemporarilyUnmodifiable"
	NotSupportedService           ErrorCode = "NotSupportedService"
	PolicyEvaluation              ErrorCode = "PolicyEvaluation"
)

// Status is the HTTP status IAM answers with for the code.
func (c ErrorCode) Status() int {
	switch c {
	case NoSuchEntity, NotSupportedService:
		return 404
	case EntityAlreadyExists, LimitExceeded, DeleteConflict, ConcurrentModification, EntityTemporarilyUnmodifiable:
		return 409
	case AccessDenied:
		return 403
	case ServiceFailure, PolicyEvaluation:
		return 500
	default:
		// MalformedPolicyDocument, InvalidInput, ValidationError, Throttling,
		// InvalidAction and the other client errors.
		return 400
	}
}

// Type is the <Type> IAM puts beside the code: Receiver for its own
// failures, Sender for everything the caller can fix.
func (c ErrorCode) Type() string {
	if c.Status() >= 500 {
		return "Receiver"
	}
	return "Sender"
}

// apiError is an error answer: a code, a message and (rarely) a status
// other than the code's usual one.
type apiError struct {
	Code    ErrorCode
	Message string
	status  int
}

func (e *apiError) Error() string { return string(e.Code) + ": " + e.Message }

func (e *apiError) httpStatus() int {
	if e.status != 0 {
		return e.status
	}
	return e.Code.Status()
}

func errf(code ErrorCode, format string, args ...any) *apiError {
	return &apiError{Code: code, Message: fmt.Sprintf(format, args...)}
}

func noSuchUser(name string) *apiError {
	return errf(NoSuchEntity, "The user with name %s cannot be found.", name)
}

func noSuchGroup(name string) *apiError {
	return errf(NoSuchEntity, "The group with name %s cannot be found.", name)
}

func noSuchPolicy(arn string) *apiError {
	return errf(NoSuchEntity, "Policy %s does not exist or is not attachable.", arn)
}

func quota(name string, n int) *apiError {
	return errf(LimitExceeded, "Cannot exceed quota for %s: %d", name, n)
}

func deleteConflict(what string) *apiError {
	return errf(DeleteConflict, "Cannot delete entity, must %s first.", what)
}
