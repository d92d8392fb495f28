package derive

import "testing"

// Published vectors (from the tests of terraform-provider-aws and of the npm
// package aws-ses-smtp-credentials).
func TestPasswordPublishedVectors(t *testing.T) {
	for _, tc := range []struct{ secret, region, want string }{
		{"some+secret+key", "eu-central-1", "BMXhUYlu5Z3gSXVQORxlVa7XPaz91aGWdfHxvkOZdWZ2"},
		{"another+secret+key", "us-west-1", "BKVmjjMDFk/qqw8EROW99bjCS65PF8WKvK5bSr4Y6EqF"},
		{"dhSgJJyAs+2z19oLOVkwBrE6GkdNQD5fL5Dou5Tb", "eu-central-1", "BK0hyoUp3vjB+NdwhSiUpkA9oA84fNaqhEKrXZ5PkcX2"},
	} {
		if got := Password(tc.secret, tc.region); got != tc.want {
			t.Errorf("Password(%q, %q) = %q, want %q", tc.secret, tc.region, got, tc.want)
		}
	}
}
