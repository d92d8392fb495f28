package iamapi

// IsNoSuchEntity reports whether err is IAM's NoSuchEntity: on a delete, the
// outcome wanted; on a read, "it is not there".
func IsNoSuchEntity(err error) bool { return HasCode(err, "NoSuchEntity") }

// IsDeleteConflict reports whether err is IAM's DeleteConflict.
func IsDeleteConflict(err error) bool { return HasCode(err, "DeleteConflict") }
