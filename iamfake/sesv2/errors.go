package sesv2

import "github.com/sesprov/sesprov/iamfake/internal/awsjson"

// The error codes SES v2 answers with, in the x-amzn-ErrorType header.
const (
	NotFound        = "NotFoundException"        // 404
	AlreadyExists   = "AlreadyExistsException"   // 400
	BadRequest      = "BadRequestException"      // 400
	LimitExceeded   = "LimitExceededException"   // 400
	TooManyRequests = "TooManyRequestsException" // 429
)

func errf(code, format string, args ...any) *awsjson.Error {
	status := 400
	switch code {
	case NotFound:
		status = 404
	case TooManyRequests:
		status = 429
	}
	return awsjson.Errorf(status, code, format, args...)
}
