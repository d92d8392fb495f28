package organizations

import "net/http"

// The error codes Organizations answers with (the `__type` on the wire,
// which the SDK maps to *types.AWSOrganizationsNotInUseException and so
// on). All are HTTP 400 but ServiceException.
const (
	NotInUse         = "AWSOrganizationsNotInUseException"
	AccessDenied     = "AccessDeniedException"
	AccountNotFound  = "AccountNotFoundException"
	InvalidInput     = "InvalidInputException"
	TooManyRequests  = "TooManyRequestsException"
	ServiceException = "ServiceException"
)

// The reasons of an InvalidInputException this fake gives.
const (
	ReasonInvalidNextToken = "INVALID_NEXT_TOKEN"
	ReasonInvalidPattern   = "INVALID_PATTERN"
	ReasonMaxValue         = "MAX_VALUE_EXCEEDED"
	ReasonMinValue         = "MIN_VALUE_EXCEEDED"
	ReasonInputRequired    = "INPUT_REQUIRED"
)

type apiError struct {
	Code, Message, Reason string
	status                int
}

func (e *apiError) httpStatus() int {
	switch {
	case e.status != 0:
		return e.status
	case e.Code == ServiceException:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

func notInUse() *apiError {
	return &apiError{Code: NotInUse, Message: "Your account is not a member of an organization."}
}

func accessDenied() *apiError {
	return &apiError{Code: AccessDenied, Message: "You don't have permissions to access this resource."}
}

func invalidInput(reason, msg string) *apiError {
	return &apiError{Code: InvalidInput, Reason: reason, Message: msg}
}
