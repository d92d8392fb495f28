package provision

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ReadCredentialSets reads the JSON that create-user, rotate and convert print
// (--output json): one object per user, one after another (JSON lines, or
// pretty-printed objects, or one JSON array of them). Secrets go into Secret
// values and nowhere else; a parse error never quotes the input.
func ReadCredentialSets(r io.Reader) ([]CredentialSet, error) {
	dec := json.NewDecoder(r)
	var sets []CredentialSet
	add := func(j jsonCredentialSet, n int) error {
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
			return nil, Usagef("read credentials JSON: object %d: %s (expected the output of 'sesprov -o json create-user' or 'rotate')", n, syntaxOnly(err))
		}
		if t := strings.TrimSpace(string(raw)); strings.HasPrefix(t, "[") {
			var list []jsonCredentialSet
			if err := json.Unmarshal(raw, &list); err != nil {
				return nil, Usagef("read credentials JSON: array: %s", syntaxOnly(err))
			}
			for _, j := range list {
				if err := add(j, n); err != nil {
					return nil, AsUsage(err)
				}
				n++
			}
			continue
		}
		var j jsonCredentialSet
		if err := json.Unmarshal(raw, &j); err != nil {
			return nil, Usagef("read credentials JSON: object %d: %s", n, syntaxOnly(err))
		}
		if err := add(j, n); err != nil {
			return nil, AsUsage(err)
		}
		n++
	}
	if len(sets) == 0 {
		return nil, Usagef("no credentials on input: pipe the JSON of 'sesprov -o json create-user' (or rotate) into it")
	}
	return sets, nil
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
		SecretAccessKey: NewSecret(j.SecretAccessKey),
	}
	for i, c := range j.Credentials {
		if c.Region == "" || c.SMTPPassword == "" {
			return CredentialSet{}, fmt.Errorf("user %s: credentials[%d] needs \"region\" and \"smtp_password\"", keyID, i)
		}
		s.Credentials = append(s.Credentials, RegionCredential{Region: c.Region, SMTPEndpoint: c.SMTPEndpoint, Password: NewSecret(c.SMTPPassword)})
	}
	return s, nil
}
