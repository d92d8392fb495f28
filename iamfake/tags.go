package iamfake

import "strings"

// Tags of users, roles and managed policies: Tag, Untag and ListTags are
// alike for each kind. Keys are case-insensitive; at most 50 per entity.

const tagsPerEntity = 50

// tagEntity merges the request's Tags into tags: a key already there (in
// any case) takes the new value.
func tagEntity(q *request, tags *[]tag) *apiError {
	add := q.tags()
	if len(add) == 0 {
		return required("tags")
	}
	if err := checkTags(add); err != nil {
		return err
	}
	merged := append([]tag(nil), *tags...)
	for _, t := range add {
		i := tagIndex(merged, t.Key)
		if i < 0 {
			merged = append(merged, t)
		} else {
			merged[i] = t
		}
	}
	if len(merged) > tagsPerEntity {
		return errf(LimitExceeded, "The number of tags has reached the maximum limit.")
	}
	*tags = merged
	return nil
}

func tagIndex(tags []tag, key string) int {
	for i, t := range tags {
		if strings.EqualFold(t.Key, key) {
			return i
		}
	}
	return -1
}

// untagEntity removes the request's TagKeys (in any case) from tags.
func untagEntity(q *request, tags *[]tag) *apiError {
	keys := q.list("TagKeys")
	if len(keys) == 0 {
		return required("tagKeys")
	}
	kept := (*tags)[:0:0]
	for _, t := range *tags {
		drop := false
		for _, k := range keys {
			drop = drop || strings.EqualFold(k, t.Key)
		}
		if !drop {
			kept = append(kept, t)
		}
	}
	*tags = kept
	return nil
}

func listTags(q *request, w *xmlw, tags []tag) *apiError {
	page, next, err := pageSliceFor(q, tags)
	if err != nil {
		return err
	}
	writeList(w, "Tags", page, next, func(t tag) { writeTag(w, t) })
	return nil
}

// Managed policies' tags. AWS managed policies cannot be tagged.

func (s *Server) tagPolicy(q *request, w *xmlw) *apiError {
	p, err := s.changeablePolicyParam(q)
	if err != nil {
		return err
	}
	return tagEntity(q, &p.Tags)
}

func (s *Server) untagPolicy(q *request, w *xmlw) *apiError {
	p, err := s.changeablePolicyParam(q)
	if err != nil {
		return err
	}
	return untagEntity(q, &p.Tags)
}

func (s *Server) listPolicyTags(q *request, w *xmlw) *apiError {
	p, err := s.policyParam(q)
	if err != nil {
		return err
	}
	return listTags(q, w, p.Tags)
}
