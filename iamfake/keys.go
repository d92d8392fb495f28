package iamfake

import "crypto/rand"

// Access keys. The secret is made, returned once by CreateAccessKey, and
// not kept: nothing later can return it, as in IAM.

const accessKeysPerUser = 2

func newSecret() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, 40)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[b[i]&63]
	}
	return string(b)
}

// keyOwner is the user a key call is about: UserName if given, else the
// caller (who must then be a user of the account).
func (s *Server) keyOwner(q *request) (*user, *apiError) {
	if q.has("UserName") {
		return s.userParam(q)
	}
	u := s.callerUser(q)
	if _, ok := s.st.Users.get(lower(u.Name)); !ok {
		return nil, noSuchUser(u.Name)
	}
	return u, nil
}

func checkKeyID(id string) *apiError {
	if len(id) < 16 || len(id) > 128 {
		return constraint("accessKeyId", id, "Member must have length greater than or equal to 16")
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return constraint("accessKeyId", id, `Member must satisfy regular expression pattern: [\w]+`)
		}
	}
	return nil
}

func noSuchKey(id string) *apiError {
	return errf(NoSuchEntity, "The Access Key with id %s cannot be found.", id)
}

// keyParam finds AccessKeyId among the keys of UserName or, with no
// UserName, of the calling user (as IAM determines the user from the
// signing key).
func (s *Server) keyParam(q *request) (*user, *accessKey, *apiError) {
	id, err := q.need("AccessKeyId", "accessKeyId")
	if err != nil {
		return nil, nil, err
	}
	if err := checkKeyID(id); err != nil {
		return nil, nil, err
	}
	u, err := s.keyOwner(q)
	if err != nil {
		if !q.has("UserName") {
			return nil, nil, noSuchKey(id)
		}
		return nil, nil, err
	}
	for _, k := range u.Keys {
		if k.ID == id && q.visible(k.VisibleAt) {
			return u, k, nil
		}
	}
	return nil, nil, noSuchKey(id)
}

func (s *Server) createAccessKey(q *request, w *xmlw) *apiError {
	u, err := s.keyOwner(q)
	if err != nil {
		return err
	}
	if len(u.Keys) >= accessKeysPerUser {
		return quota("AccessKeysPerUser", accessKeysPerUser)
	}
	k := &accessKey{ID: randomID("AKIA", 16), User: u.Name, Status: "Active", Created: q.now, VisibleAt: s.visibleAt(q.now)}
	for s.st.Keys[k.ID] != nil {
		k.ID = randomID("AKIA", 16)
	}
	u.Keys = append(u.Keys, k)
	s.st.Keys[k.ID] = k
	w.open("AccessKey")
	w.el("UserName", u.Name)
	w.el("AccessKeyId", k.ID)
	w.el("Status", k.Status)
	w.el("SecretAccessKey", newSecret())
	w.time("CreateDate", k.Created)
	w.close("AccessKey")
	return nil
}

func (s *Server) deleteAccessKey(q *request, w *xmlw) *apiError {
	u, k, err := s.keyParam(q)
	if err != nil {
		return err
	}
	for i, x := range u.Keys {
		if x == k {
			u.Keys = append(u.Keys[:i:i], u.Keys[i+1:]...)
			break
		}
	}
	delete(s.st.Keys, k.ID)
	return nil
}

func (s *Server) updateAccessKey(q *request, w *xmlw) *apiError {
	status, err := q.need("Status", "status")
	if err != nil {
		return err
	}
	if err := checkStatus("status", status); err != nil {
		return err
	}
	_, k, err := s.keyParam(q)
	if err != nil {
		return err
	}
	k.Status = status
	return nil
}

func (s *Server) listAccessKeys(q *request, w *xmlw) *apiError {
	var keys []*accessKey
	var name string
	if q.has("UserName") {
		u, err := s.userParam(q)
		if err != nil {
			return err
		}
		keys, name = u.Keys, u.Name
	} else {
		u := s.callerUser(q)
		keys, name = u.Keys, u.Name
	}
	var seen []*accessKey
	for _, k := range keys {
		if q.visible(k.VisibleAt) {
			seen = append(seen, k)
		}
	}
	page, next, err := pageSliceFor(q, seen)
	if err != nil {
		return err
	}
	writeList(w, "AccessKeyMetadata", page, next, func(k *accessKey) {
		w.el("UserName", name)
		w.el("AccessKeyId", k.ID)
		w.el("Status", k.Status)
		w.time("CreateDate", k.Created)
	})
	return nil
}

func (s *Server) getAccessKeyLastUsed(q *request, w *xmlw) *apiError {
	id, err := q.need("AccessKeyId", "accessKeyId")
	if err != nil {
		return err
	}
	if err := checkKeyID(id); err != nil {
		return err
	}
	k, ok := s.st.Keys[id]
	if !ok || !q.visible(k.VisibleAt) {
		return noSuchKey(id)
	}
	w.el("UserName", k.User)
	w.open("AccessKeyLastUsed")
	if k.LastUsed.IsZero() {
		w.el("ServiceName", "N/A")
		w.el("Region", "N/A")
	} else {
		w.time("LastUsedDate", k.LastUsed)
		w.el("ServiceName", orNA(k.LastService))
		w.el("Region", orNA(k.LastRegion))
	}
	w.close("AccessKeyLastUsed")
	return nil
}

func orNA(s string) string {
	if s == "" {
		return "N/A"
	}
	return s
}
