package iamfake

import (
	"encoding/base64"
	"sort"
	"strings"
	"time"
)

// The in-memory account. Every name-keyed collection is an index: a map
// for lookups plus the keys kept sorted, so that a page of a list costs a
// binary search and the page itself, whatever the number of entities.
// Keys are lower-cased names: IAM names are unique case-insensitively.

type tag struct{ Key, Value string }

type user struct {
	Name, Path, ID string
	Created        time.Time
	VisibleAt      time.Time // eventual consistency: unseen by reads before this
	Boundary       string    // permissions boundary policy ARN
	Tags           []tag
	Groups         index[*membership]   // by lower group name
	Inline         index[*inlinePolicy] // by lower policy name
	Attached       index[string]        // lower ARN -> ARN
	Keys           []*accessKey         // in creation order; at most 2
	Login          *loginProfile
	Certs          []*signingCert
	SSHKeys        []*sshKey
	SvcCreds       []*serviceCred
	MFA            index[*mfaDevice] // by serial number
}

type membership struct {
	Group, User string // names as created
	VisibleAt   time.Time
}

type group struct {
	Name, Path, ID string
	Created        time.Time
	VisibleAt      time.Time
	Members        index[*membership] // by lower user name
	Inline         index[*inlinePolicy]
	Attached       index[string]
}

type inlinePolicy struct {
	Name, Document string
	VisibleAt      time.Time
}

type policy struct {
	Name, Path, ID, ARN, Description string
	Created, Updated                 time.Time
	VisibleAt                        time.Time
	Default                          string // version id
	NextVersion                      int
	Versions                         []*policyVersion // in creation order
	Users, Groups, Roles             index[string]    // attached entities, lower name -> name
	Boundaries                       int              // users with it as permissions boundary
	Tags                             []tag
	AWSManaged                       bool
}

type policyVersion struct {
	ID       string
	Document string
	Created  time.Time
}

// attachments counts the users, groups and roles the policy is attached to.
func (p *policy) attachments() int { return p.Users.len() + p.Groups.len() + p.Roles.len() }

func (p *policy) version(id string) *policyVersion {
	for _, v := range p.Versions {
		if v.ID == id {
			return v
		}
	}
	return nil
}

type accessKey struct {
	ID, User, Status string
	Created          time.Time
	VisibleAt        time.Time
	LastUsed         time.Time
	LastService      string
	LastRegion       string
}

type loginProfile struct {
	Created       time.Time
	ResetRequired bool
}

type signingCert struct {
	ID, Body, Status string
	Uploaded         time.Time
}

type sshKey struct {
	ID, Body, Fingerprint, Status string
	Uploaded                      time.Time
}

type serviceCred struct {
	ID, Service, ServiceUser, Status string
	Created                          time.Time
}

type mfaDevice struct {
	Serial, Name, Path, User string // User "" when not assigned
	Created, Enabled         time.Time
}

type state struct {
	Users    index[*user]
	Groups   index[*group]
	Roles    index[*role]
	Policies index[*policy] // customer managed, by lower policy name (names are account-wide unique)
	AWS      index[*policy] // AWS managed, by lower policy name; not saved
	Keys     map[string]*accessKey
	MFA      index[*mfaDevice] // virtual MFA devices by serial
	Report   *credReport       // the last credential report; not saved
}

func newState() *state {
	return &state{Keys: map[string]*accessKey{}, AWS: newAWSManaged()}
}

// index is a map with its keys kept in order.
type index[T any] struct {
	keys []string
	m    map[string]T
}

func (ix *index[T]) get(k string) (T, bool) {
	v, ok := ix.m[k]
	return v, ok
}

func (ix *index[T]) len() int { return len(ix.keys) }

func (ix *index[T]) put(k string, v T) {
	if ix.m == nil {
		ix.m = map[string]T{}
	}
	if _, ok := ix.m[k]; !ok {
		i := sort.SearchStrings(ix.keys, k)
		if i == len(ix.keys) {
			ix.keys = append(ix.keys, k)
		} else {
			ix.keys = append(ix.keys, "")
			copy(ix.keys[i+1:], ix.keys[i:])
			ix.keys[i] = k
		}
	}
	ix.m[k] = v
}

func (ix *index[T]) del(k string) {
	if _, ok := ix.m[k]; !ok {
		return
	}
	delete(ix.m, k)
	i := sort.SearchStrings(ix.keys, k)
	ix.keys = append(ix.keys[:i], ix.keys[i+1:]...)
}

// each calls f for every value in key order.
func (ix *index[T]) each(f func(T)) {
	for _, k := range ix.keys {
		f(ix.m[k])
	}
}

// page returns up to max values from marker on, for which keep is true
// (keep may be nil), and the marker of the next page ("" at the end).
func (ix *index[T]) page(marker string, max int, keep func(T) bool) (out []T, next string, err *apiError) {
	start := 0
	if marker != "" {
		k, ok := decodeMarker(marker)
		if !ok {
			return nil, "", errf(ValidationError, "Invalid Marker.")
		}
		start = sort.SearchStrings(ix.keys, k)
	}
	for i := start; i < len(ix.keys); i++ {
		v := ix.m[ix.keys[i]]
		if keep != nil && !keep(v) {
			continue
		}
		if len(out) == max {
			return out, encodeMarker(ix.keys[i]), nil
		}
		out = append(out, v)
	}
	return out, "", nil
}

// pageFor is page with MaxItems and Marker read from q.
func (ix *index[T]) pageFor(q *request, keep func(T) bool) ([]T, string, *apiError) {
	max, marker, err := q.paging()
	if err != nil {
		return nil, "", err
	}
	return ix.page(marker, max, keep)
}

// pageSliceFor is pageSlice with MaxItems and Marker read from q.
func pageSliceFor[T any](q *request, all []T) ([]T, string, *apiError) {
	max, marker, err := q.paging()
	if err != nil {
		return nil, "", err
	}
	return pageSlice(all, marker, max)
}

// pageSlice pages a short list (a user's keys, a policy's versions) held
// in a slice: the marker is the position.
func pageSlice[T any](all []T, marker string, max int) (out []T, next string, err *apiError) {
	start := 0
	if marker != "" {
		k, ok := decodeMarker(marker)
		if !ok || len(k) != 8 {
			return nil, "", errf(ValidationError, "Invalid Marker.")
		}
		for _, c := range []byte(k) {
			start = start*16 + strings.IndexByte("0123456789abcdef", c)
		}
		if start < 0 || start > len(all) {
			return nil, "", errf(ValidationError, "Invalid Marker.")
		}
	}
	end := min(start+max, len(all))
	if end < len(all) {
		const hex = "0123456789abcdef"
		var b [8]byte
		for i, n := 7, end; i >= 0; i, n = i-1, n/16 {
			b[i] = hex[n%16]
		}
		next = encodeMarker(string(b[:]))
	}
	return all[start:end], next, nil
}

// Markers are opaque to clients, as IAM's are.
func encodeMarker(k string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("m1:" + k))
}

func decodeMarker(m string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil || !strings.HasPrefix(string(b), "m1:") {
		return "", false
	}
	return string(b[3:]), true
}

func lower(s string) string { return strings.ToLower(s) }
