package editdist

import "testing"

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "abc", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"create-user", "creat-user", 1},  // a deletion
		{"allow_from", "alow_from", 1},    // a deletion
		{"eu-west-1", "eu-wset-1", 1},     // a swap of neighbours is one edit
		{"eu-west-1", "eu-wst-1", 1},      //
		{"regions", "reigons", 1},         // swap
		{"kitten", "sitting", 3},          // the textbook pair
		{"ca", "abc", 3},                  // OSA: no edit of a swapped pair again
		{"münchen", "munchen", 1},         // runes, not bytes
		{"deliver_to", "deliverto", 1},    //
		{"max_key_age", "max_keyage", 1},  //
		{"us-east-1", "us-east-2", 1},     //
		{"grace", "garce", 1},             // swap
		{"path", "tags", 3},               //
		{"permissions_boundary", "x", 20}, //
	} {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := Distance(c.b, c.a); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (not symmetric)", c.b, c.a, got, c.want)
		}
	}
}
