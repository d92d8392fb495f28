package audit

import (
	"strconv"
	"strings"
	"time"

	"github.com/sesprov/sesprov/provision/list"
)

// record is what audit reads of the rotation record (the sesprov:rotation
// tag; see package rotate): started:<KEYS>@<T>@<RUN> while a rotation
// runs, delivered:<NEW> once the new key was delivered, possibly followed by
// @<T> with the time of delivery. Anything it does not understand is no
// record: audit judges the keys by the plain rules then.
type record struct {
	startedAt   *time.Time
	delivered   string     // the key the rotation delivered
	deliveredAt *time.Time // when, if recorded
}

func parseRecord(v string) record {
	var r record
	switch {
	case strings.HasPrefix(v, "started:"):
		parts := strings.Split(strings.TrimPrefix(v, "started:"), "@")
		if len(parts) > 1 {
			r.startedAt = parseTime(parts[1])
		}
	case strings.HasPrefix(v, "delivered:"):
		parts := strings.Split(strings.TrimPrefix(v, "delivered:"), "@")
		r.delivered = strings.TrimSpace(parts[0])
		for _, p := range parts[1:] {
			if t := parseTime(p); t != nil {
				r.deliveredAt = t
				break
			}
		}
	}
	return r
}

// parseTime reads Unix seconds or RFC 3339; nil when it is neither.
func parseTime(s string) *time.Time {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		t := time.Unix(n, 0)
		return &t
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return &t
	}
	return nil
}

// superseded reports whether k is a key the recorded rotation replaced,
// and how long ago the replacement was delivered. Without a recorded time
// of delivery, the delivered key's creation stands for it (it is delivered
// right after it is made). A record whose key is gone supersedes nothing.
func (r record) superseded(u list.User, k list.Key, now time.Time) (time.Duration, bool) {
	if r.delivered == "" || k.AccessKeyID == r.delivered {
		return 0, false
	}
	for _, nk := range u.Keys {
		if nk.AccessKeyID != r.delivered {
			continue
		}
		at := nk.Created
		if r.deliveredAt != nil {
			at = *r.deliveredAt
		}
		return max(now.Sub(at), 0), true
	}
	return 0, false
}
