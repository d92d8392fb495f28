package creds

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/redact"
)

// ReadCredentialSets reads the JSON that create-user, rotate and convert print
// (--output json): one object per user, one after another (JSON lines, or
// pretty-printed objects, or one JSON array of them). Secrets go into Secret
// values and nowhere else; a parse error never quotes the input. A batch's
// status lines (an object with a "status" and no credentials: "exists",
// "failed", "conflict") are passed over; ReadCredentialInput names them.
func ReadCredentialSets(r io.Reader) ([]CredentialSet, error) {
	sets, _, err := ReadCredentialInput(r)
	return sets, err
}

// SkippedLine is an object of the input that carries no credentials: a
// batch's line for a user it did not make a key for.
type SkippedLine struct {
	Object   int    // its place on the input, from 1
	UserName string // may be empty
	Status   string // "exists", "failed", "conflict", ...
}

func (s SkippedLine) String() string {
	name := s.UserName
	if name == "" {
		name = fmt.Sprintf("object %d", s.Object)
	}
	return name + " (" + s.Status + ")"
}

// ReadCredentialInput is ReadCredentialSets that also returns the status
// lines it passed over. Only when nothing is left to verify is that an
// error (exit 2).
func ReadCredentialInput(r io.Reader) ([]CredentialSet, []SkippedLine, error) {
	dec := json.NewDecoder(r)
	var sets []CredentialSet
	var skipped []SkippedLine
	add := func(j jsonCredentialSet, n int) error {
		if j.Status != "" && len(j.Credentials) == 0 {
			skipped = append(skipped, SkippedLine{Object: n, UserName: j.UserName, Status: j.Status})
			return nil
		}
		s, err := j.credentialSet()
		if err != nil {
			return fmt.Errorf("object %d: %w", n, err)
		}
		sets = append(sets, s)
		return nil
	}
	for n := 1; ; {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, skipped, fail.Usagef("read credentials JSON: object %d: %s (expected the output of 'sesprov -o json create-user' or 'rotate')", n, syntaxOnly(err))
		}
		if t := strings.TrimSpace(string(raw)); strings.HasPrefix(t, "[") {
			var list []jsonCredentialSet
			if err := json.Unmarshal(raw, &list); err != nil {
				return nil, skipped, fail.Usagef("read credentials JSON: array: %s", syntaxOnly(err))
			}
			for _, j := range list {
				if err := add(j, n); err != nil {
					return nil, skipped, fail.AsUsage(err)
				}
				n++
			}
			continue
		}
		var j jsonCredentialSet
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, skipped, fail.Usagef("read credentials JSON: object %d: %s", n, syntaxOnly(err))
		}
		if err := add(j, n); err != nil {
			return nil, skipped, fail.AsUsage(err)
		}
		n++
	}
	if len(sets) == 0 && len(skipped) > 0 {
		return nil, skipped, fail.Usagef("no credentials on input to verify: its %d object(s) are status lines without credentials (%s); a batch prints credentials only for the users it created or completed", len(skipped), DescribeSkipped(skipped))
	}
	if len(sets) == 0 {
		return nil, skipped, fail.Usagef("no credentials on input: pipe the JSON of 'sesprov -o json create-user' (or rotate) into it")
	}
	return sets, skipped, nil
}

// DescribeSkipped names skipped lines, at most five.
func DescribeSkipped(skipped []SkippedLine) string {
	var parts []string
	for i, s := range skipped {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("%d more", len(skipped)-5))
			break
		}
		parts = append(parts, s.String())
	}
	return strings.Join(parts, ", ")
}

// syntaxOnly keeps a JSON error's kind and offset, never the input text
// (which may be a password).
func syntaxOnly(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("not valid JSON at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q has the wrong type (a JSON %s)", te.Field, te.Value)
	}
	return "not valid JSON"
}

func (j jsonCredentialSet) credentialSet() (CredentialSet, error) {
	keyID := j.AccessKeyID
	if keyID == "" {
		keyID = j.SMTPUsername
	}
	if keyID == "" {
		return CredentialSet{}, errors.New(`no "access_key_id" or "smtp_username" (the SMTP user name); derive's output lacks it: use create-user's, rotate's or convert's`)
	}
	if j.SMTPUsername != "" && j.AccessKeyID != "" && j.SMTPUsername != j.AccessKeyID {
		return CredentialSet{}, fmt.Errorf("%q and %q differ: the SMTP user name is the access key ID", "access_key_id", "smtp_username")
	}
	if len(j.Credentials) == 0 {
		return CredentialSet{}, fmt.Errorf("user %s: no \"credentials\" (region, smtp_password)", keyID)
	}
	s := CredentialSet{
		UserName:        j.UserName,
		UserARN:         j.UserARN,
		AccessKeyID:     keyID,
		SecretAccessKey: redact.NewSecret(j.SecretAccessKey),
	}
	for i, c := range j.Credentials {
		if c.Region == "" || c.SMTPPassword == "" {
			return CredentialSet{}, fmt.Errorf("user %s: credentials[%d] needs \"region\" and \"smtp_password\"", keyID, i)
		}
		s.Credentials = append(s.Credentials, RegionCredential{Region: c.Region, SMTPEndpoint: c.SMTPEndpoint, Password: redact.NewSecret(c.SMTPPassword)})
	}
	return s, nil
}
