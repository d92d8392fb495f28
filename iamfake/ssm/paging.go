package ssm

import (
	"slices"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

func maxResults(p *int, limit int) (int, *awsjson.Error) {
	if p == nil {
		return limit, nil
	}
	if *p < 1 || *p > limit {
		return 0, errf(Validation, "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", *p, limit)
	}
	return *p, nil
}

// paginate returns the page of keys starting at the token's key, and the
// token of the next page ("" at the end).
func paginate(keys []string, token string, max int) ([]string, string, *awsjson.Error) {
	start := 0
	if token != "" {
		key, ok := awsjson.ParseToken(token)
		if !ok {
			return nil, "", errf(InvalidNextToken, "The specified token isn't valid.")
		}
		if start = slices.Index(keys, key); start < 0 {
			// The key went away (deleted between pages): resume after
			// where it stood in a sorted list.
			start, _ = slices.BinarySearch(keys, key)
		}
	}
	end := min(start+max, len(keys))
	next := ""
	if end < len(keys) {
		next = awsjson.PageToken(keys[end])
	}
	return keys[start:end], next, nil
}
