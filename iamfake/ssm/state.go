package ssm

import (
	"crypto/rand"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

const (
	maxVersions    = 100 // kept per parameter
	maxLabels      = 10  // per version
	defaultKeyID   = "alias/aws/ssm"
	standardMaxLen = 4096
	advancedMaxLen = 8192
)

type region struct {
	Params map[string]*param `json:"parameters"` // by name
}

type param struct {
	Name     string      `json:"name"`
	Tags     []Tag       `json:"tags,omitempty"`
	Versions []*pversion `json:"versions"` // oldest first; the last is the parameter
}

// pversion is one version: PutParameter writes a whole new one.
type pversion struct {
	Version        int64     `json:"version"`
	Type           string    `json:"type"`
	Value          string    `json:"value"`
	Cipher         string    `json:"cipher,omitempty"` // stand-in ciphertext of a SecureString
	KeyID          string    `json:"key_id,omitempty"`
	Description    string    `json:"description,omitempty"`
	AllowedPattern string    `json:"allowed_pattern,omitempty"`
	Tier           string    `json:"tier"`
	DataType       string    `json:"data_type"`
	Policies       string    `json:"policies,omitempty"`
	Labels         []string  `json:"labels,omitempty"`
	Modified       time.Time `json:"modified"`
	User           string    `json:"user"`
}

// Tag is a parameter's tag, on the wire and in the state file.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func (p *param) latest() *pversion { return p.Versions[len(p.Versions)-1] }

func (p *param) version(n int64) *pversion {
	for _, v := range p.Versions {
		if v.Version == n {
			return v
		}
	}
	return nil
}

func (p *param) labelled(label string) *pversion {
	for _, v := range p.Versions {
		if slices.Contains(v.Labels, label) {
			return v
		}
	}
	return nil
}

// value is what a read answers: a SecureString's stand-in ciphertext
// unless the caller asked for decryption.
func (v *pversion) value(decrypt bool) string {
	if v.Type == "SecureString" && !decrypt {
		return v.Cipher
	}
	return v.Value
}

// cipher is an opaque stand-in for KMS ciphertext: base64 of random bytes
// a little longer than the value, so that it reveals nothing of it.
func cipher(value string) string {
	b := make([]byte, len(value)+64)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func (c *call) arn(name string) string {
	return "arn:aws:ssm:" + c.region + ":" + c.s.opts.AccountID + ":parameter/" + strings.TrimPrefix(name, "/")
}

// user is who LastModifiedUser names: iamfake's operator.
func (c *call) user() string { return "arn:aws:iam::" + c.s.opts.AccountID + ":user/iamfake" }

// lookup resolves a name, an ARN of this region, or either with a
// ":version" or ":label" selector, to a parameter and the version meant.
func (c *call) lookup(ref string) (*param, *pversion, *awsjson.Error) {
	name, selector := splitSelector(ref)
	if strings.HasPrefix(name, "arn:") {
		prefix := c.arn("")
		if !strings.HasPrefix(name, prefix) {
			return nil, nil, notFound(ref)
		}
		name = strings.TrimPrefix(name, prefix)
		if _, ok := c.reg.Params[name]; !ok {
			name = "/" + name // "parameter/a/b" is /a/b; "parameter/x" is x or /x
		}
	}
	p, ok := c.reg.Params[name]
	if !ok {
		return nil, nil, notFound(ref)
	}
	if selector == "" {
		return p, p.latest(), nil
	}
	if n, err := strconv.ParseInt(selector, 10, 64); err == nil {
		if v := p.version(n); v != nil {
			return p, v, nil
		}
		return nil, nil, errf(ParameterVersionNotFound, "Systems Manager could not find version %d of %s. Verify the version and try again.", n, name)
	}
	if v := p.labelled(selector); v != nil {
		return p, v, nil
	}
	return nil, nil, errf(ParameterVersionNotFound, "Systems Manager could not find label %s of %s. Verify the label and try again.", selector, name)
}

// splitSelector cuts "name:selector" (in an ARN, after the resource part).
func splitSelector(ref string) (name, selector string) {
	start := 0
	if strings.HasPrefix(ref, "arn:") {
		start = strings.Index(ref, ":parameter/")
		if start < 0 {
			return ref, ""
		}
		start += len(":parameter/")
	}
	if i := strings.LastIndex(ref[start:], ":"); i >= 0 {
		return ref[:start+i], ref[start+i+1:]
	}
	return ref, ""
}

// sortedNames lists the region's parameter names in order.
func (r *region) sortedNames() []string {
	names := make([]string, 0, len(r.Params))
	for n := range r.Params {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
