package provision

// Helpers shared by the lifecycle commands (rotate, delete-user, list, convert).

func defaultString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
