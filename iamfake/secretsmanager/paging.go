package secretsmanager

import (
	"slices"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

func maxResults(p *int) (int, *awsjson.Error) {
	if p == nil {
		return 100, nil
	}
	if *p < 1 || *p > 100 {
		return 0, errf(Validation, "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100", *p)
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
			return nil, "", errf(InvalidParameter, "Invalid NextToken.")
		}
		if start = slices.Index(keys, key); start < 0 {
			start = len(keys) // the key went away: the listing has ended
		}
	}
	end := min(start+max, len(keys))
	next := ""
	if end < len(keys) {
		next = awsjson.PageToken(keys[end])
	}
	return keys[start:end], next, nil
}
