package secretsmanager

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

// Staging labels Secrets Manager moves by itself.
const (
	stageCurrent  = "AWSCURRENT"
	stagePrevious = "AWSPREVIOUS"
)

// maxVersions is how many versions a secret keeps: beyond it the oldest
// without a staging label goes, as AWS removes deprecated versions.
const maxVersions = 100

type region struct {
	Secrets map[string]*secret `json:"secrets"` // by name
}

type secret struct {
	Name        string     `json:"name"`
	ARN         string     `json:"arn"`
	Description string     `json:"description,omitempty"`
	KmsKeyID    string     `json:"kms_key_id,omitempty"`
	Tags        []Tag      `json:"tags,omitempty"`
	Created     time.Time  `json:"created"`
	Changed     time.Time  `json:"changed"`
	Accessed    time.Time  `json:"accessed,omitzero"`
	Deleted     time.Time  `json:"deleted,omitzero"`   // when DeleteSecret was called
	DeleteAt    time.Time  `json:"delete_at,omitzero"` // end of the recovery window
	Versions    []*version `json:"versions"`           // oldest first
}

type version struct {
	ID      string    `json:"id"`
	String  *string   `json:"string,omitempty"`
	Binary  []byte    `json:"binary,omitempty"`
	Stages  []string  `json:"stages"`
	Created time.Time `json:"created"`
}

// Tag is a secret's tag, on the wire and in the state file.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func (v *version) sameValue(str *string, bin []byte) bool {
	if (v.String == nil) != (str == nil) || (v.String != nil && *v.String != *str) {
		return false
	}
	return bytes.Equal(v.Binary, bin)
}

func (sec *secret) version(id string) *version {
	for _, v := range sec.Versions {
		if v.ID == id {
			return v
		}
	}
	return nil
}

func (sec *secret) staged(stage string) *version {
	for _, v := range sec.Versions {
		if slices.Contains(v.Stages, stage) {
			return v
		}
	}
	return nil
}

// stages maps the versions that carry a label to their labels (the
// versions without one are deprecated, and not shown).
func (sec *secret) stages() map[string][]string {
	m := map[string][]string{}
	for _, v := range sec.Versions {
		if len(v.Stages) > 0 {
			m[v.ID] = v.Stages
		}
	}
	return m
}

// addVersion adds v with stages moved to it from other versions; moving
// AWSCURRENT gives AWSPREVIOUS to the version that had it.
func (sec *secret) addVersion(v *version, stages []string) {
	old := sec.staged(stageCurrent)
	for _, o := range sec.Versions {
		o.Stages = slices.DeleteFunc(o.Stages, func(s string) bool { return slices.Contains(stages, s) })
	}
	if old != nil && slices.Contains(stages, stageCurrent) {
		for _, o := range sec.Versions {
			o.Stages = slices.DeleteFunc(o.Stages, func(s string) bool { return s == stagePrevious })
		}
		old.Stages = append(old.Stages, stagePrevious)
	}
	v.Stages = slices.Clone(stages)
	sec.Versions = append(sec.Versions, v)
	sec.trim()
}

func (sec *secret) trim() {
	for len(sec.Versions) > maxVersions {
		i := slices.IndexFunc(sec.Versions, func(v *version) bool { return len(v.Stages) == 0 })
		if i < 0 {
			return
		}
		sec.Versions = slices.Delete(sec.Versions, i, i+1)
	}
}

// find resolves a SecretId: a name, a full ARN, or an ARN without the
// random suffix (a partial ARN), as AWS accepts.
func (r *region) find(id string) *secret {
	if sec, ok := r.Secrets[id]; ok {
		return sec
	}
	if !strings.HasPrefix(id, "arn:") {
		return nil
	}
	for _, sec := range r.Secrets {
		if sec.ARN == id || sec.ARN[:len(sec.ARN)-7] == id {
			return sec
		}
	}
	return nil
}

// purge forgets the secrets whose recovery window has ended.
func (r *region) purge(now time.Time) {
	for name, sec := range r.Secrets {
		if !sec.DeleteAt.IsZero() && !now.Before(sec.DeleteAt) {
			delete(r.Secrets, name)
		}
	}
}

// get finds a secret that exists and is not scheduled for deletion.
func (c *call) get(id string) (*secret, *awsjson.Error) {
	sec, err := c.getDeleted(id)
	if err != nil {
		return nil, err
	}
	if !sec.Deleted.IsZero() {
		return nil, errf(InvalidRequest, "You can't perform this operation on the secret because it was marked for deletion.")
	}
	return sec, nil
}

// getDeleted finds a secret, scheduled for deletion or not.
func (c *call) getDeleted(id string) (*secret, *awsjson.Error) {
	if id == "" {
		return nil, errf(InvalidParameter, "You must provide a SecretId.")
	}
	sec := c.reg.find(id)
	if sec == nil {
		return nil, notFound()
	}
	return sec, nil
}

func (c *call) arn(name string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", c.region, c.s.opts.AccountID, name, awsjson.RandomString(alphabet, 6))
}
