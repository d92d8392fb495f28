package provision

// Temporary: definitions the engine branch provides. Deleted when engine is merged.

import (
	"context"
	"errors"
	"regexp"

	"github.com/aws/smithy-go"
)

const (
	DefaultGroupName  = "AWSSESSendingGroupDoNotRename"
	DefaultPolicyName = "AmazonSesSendingAccess"
	ManagedByTagKey   = "sesprov:managed-by"
)

func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if errors.Is(err, context.Canceled) {
		return "RequestCanceled"
	}
	return ""
}

func HasCode(err error, codes ...string) bool {
	c := ErrorCode(err)
	for _, want := range codes {
		if c == want {
			return true
		}
	}
	return false
}

var userNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

func ValidateUserName(n string) error {
	if !userNameRE.MatchString(n) {
		return Usagef("invalid user name %q: 1-64 characters of letters, digits and +=,.@_-", n)
	}
	return nil
}
