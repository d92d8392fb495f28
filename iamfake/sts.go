package iamfake

import (
	"strconv"
	"strings"
	"time"
)

// STS AssumeRole: temporary credentials (ASIA… key, secret, session
// token) for a role of the account. Requests signed with them are the
// assumed role: GetCallerIdentity answers its assumed-role ARN.
//
// The role ARN's account selects the account (accountRole): this one, or
// another account served beside it (AddAccount, accounts.go), whose
// temporary credentials then act in that account. A role of an account the
// fake does not hold is refused as AWS refuses a role it may not assume.

type session struct {
	Account, Role, RoleID, Name string
	Expires                     time.Time
}

// stsActions answer in STS's namespace.
var stsActions = map[string]bool{"GetCallerIdentity": true, "AssumeRole": true}

func (s *Server) notAuthorizedToAssume(q *request, arn string) *apiError {
	return errf(AccessDenied, "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", s.callerARN(q), arn)
}

// callerARN is the ARN of whoever signed the request.
func (s *Server) callerARN(q *request) string {
	if se, ok := s.callerSession(q); ok {
		return se.arn()
	}
	u := s.callerUser(q)
	return s.arn("user", u.Path, u.Name)
}

func (s *Server) assumeRole(q *request, w *xmlw) *apiError {
	arn, err := q.need("RoleArn", "roleArn")
	if err != nil {
		return err
	}
	name, err := q.need("RoleSessionName", "roleSessionName")
	if err != nil {
		return err
	}
	if len(name) < 2 || len(name) > 64 || checkName("roleSessionName", name, 64) != nil {
		return constraint("roleSessionName", name, `Member must satisfy regular expression pattern: [\w+=,.@-]*`)
	}
	if len(arn) < 20 || len(arn) > 2048 {
		return constraint("roleArn", arn, "Member must have length greater than or equal to 20")
	}
	account, roleName, ok := parseRoleARN(arn)
	if !ok {
		return errf(ValidationError, "%s is invalid", arn)
	}
	r, roleARN, found := s.accountRole(account, roleName)
	if !found || !q.visible(r.VisibleAt) || roleARN != arn {
		// AWS does not tell a missing role from a forbidden one.
		return s.notAuthorizedToAssume(q, arn)
	}
	duration := defaultSessionS
	if v := q.get("DurationSeconds"); q.has("DurationSeconds") {
		n, e := strconv.Atoi(v)
		if e != nil || n < 900 || n > maxSessionLimitS {
			return constraint("durationSeconds", v, "Member must have value between 900 and 43200")
		}
		if n > r.MaxSession {
			return errf(ValidationError, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
		}
		duration = n
	}
	sess := &session{Account: account, Role: r.Name, RoleID: r.ID, Name: name, Expires: q.now.Add(time.Duration(duration) * time.Second)}
	key := randomID("ASIA", 16)
	s.sessions[key] = sess
	w.open("Credentials")
	w.el("AccessKeyId", key)
	w.el("SecretAccessKey", newSecret())
	w.el("SessionToken", "IQoJb3JpZ2luX2VjE"+newSecret()+newSecret())
	w.time("Expiration", sess.Expires)
	w.close("Credentials")
	w.open("AssumedRoleUser")
	w.el("AssumedRoleId", sess.RoleID+":"+name)
	w.el("Arn", sess.arn())
	w.close("AssumedRoleUser")
	return nil
}

func (se *session) arn() string {
	return "arn:aws:sts::" + se.Account + ":assumed-role/" + se.Role + "/" + se.Name
}

// parseRoleARN splits arn:aws:iam::ACCOUNT:role/PATH/NAME.
func parseRoleARN(arn string) (account, name string, ok bool) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok {
		return "", "", false
	}
	account, rest, ok = strings.Cut(rest, ":role/")
	if !ok || len(account) != 12 || strings.Trim(account, "0123456789") != "" {
		return "", "", false
	}
	name = rest[strings.LastIndexByte(rest, '/')+1:]
	return account, name, name != ""
}

// callerSession is the session a request was signed with, if any (and
// not expired).
func (s *Server) callerSession(q *request) (*session, bool) {
	se, ok := s.sessions[q.key]
	if !ok || !q.now.Before(se.Expires) {
		return nil, false
	}
	return se, true
}
