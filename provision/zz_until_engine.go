package provision

// Temporary: definitions the engine branch provides. Deleted when engine is merged.

import (
	"regexp"
)

const (
	ManagedByTagKey = "sesprov:managed-by"
)

var userNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

func ValidateUserName(n string) error {
	if !userNameRE.MatchString(n) {
		return Usagef("invalid user name %q: 1-64 characters of letters, digits and +=,.@_-", n)
	}
	return nil
}
