package secretsmanager

import (
	"slices"
	"strings"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

type idInput struct {
	SecretId string
}

// entry is DescribeSecret's answer and ListSecrets' element (which names
// the stages map SecretVersionsToStages instead).
type entry struct {
	ARN                    string
	Name                   string
	Description            string `json:",omitempty"`
	KmsKeyId               string `json:",omitempty"`
	CreatedDate            awsjson.Time
	LastChangedDate        awsjson.Time
	LastAccessedDate       *awsjson.Time       `json:",omitempty"`
	DeletedDate            *awsjson.Time       `json:",omitempty"`
	Tags                   []Tag               `json:",omitempty"`
	VersionIdsToStages     map[string][]string `json:",omitempty"`
	SecretVersionsToStages map[string][]string `json:",omitempty"`
}

func (sec *secret) entry() entry {
	return entry{ARN: sec.ARN, Name: sec.Name, Description: sec.Description, KmsKeyId: sec.KmsKeyID,
		CreatedDate: awsjson.Time(sec.Created), LastChangedDate: awsjson.Time(sec.Changed),
		LastAccessedDate: awsjson.TimePtr(sec.Accessed), DeletedDate: awsjson.TimePtr(sec.Deleted), Tags: sec.Tags}
}

func describeSecret(c *call, in *idInput) (any, *awsjson.Error) {
	sec, err := c.getDeleted(in.SecretId)
	if err != nil {
		return nil, err
	}
	e := sec.entry()
	e.VersionIdsToStages = sec.stages()
	return e, nil
}

type filter struct {
	Key    string
	Values []string
}

type listInput struct {
	MaxResults             *int
	NextToken              string
	IncludePlannedDeletion bool
	Filters                []filter
	SortOrder              string
}

type listOutput struct {
	SecretList []entry
	NextToken  string `json:",omitempty"`
}

var filterKeys = []string{"description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all"}

// listSecrets pages through the region's secrets in name order (AWS does
// not document its order), descending with SortOrder "desc".
func listSecrets(c *call, in *listInput) (any, *awsjson.Error) {
	max, err := maxResults(in.MaxResults)
	if err != nil {
		return nil, err
	}
	for _, f := range in.Filters {
		if !slices.Contains(filterKeys, f.Key) {
			return nil, errf(Validation, "1 validation error detected: Value '%s' at 'filters.1.member.key' failed to satisfy constraint: Member must satisfy enum value set: [%s]", f.Key, strings.Join(filterKeys, ", "))
		}
	}
	var names []string
	for name, sec := range c.reg.Secrets {
		if (sec.Deleted.IsZero() || in.IncludePlannedDeletion) && matchAll(sec, in.Filters) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	if in.SortOrder == "desc" {
		slices.Reverse(names)
	}
	page, next, err := paginate(names, in.NextToken, max)
	if err != nil {
		return nil, err
	}
	out := listOutput{SecretList: []entry{}, NextToken: next}
	for _, name := range page {
		sec := c.reg.Secrets[name]
		e := sec.entry()
		e.SecretVersionsToStages = sec.stages()
		out.SecretList = append(out.SecretList, e)
	}
	return out, nil
}

// matchAll: every filter matches (values of one filter are alternatives;
// a value starting with "!" negates). Values match as prefixes.
func matchAll(sec *secret, filters []filter) bool {
	for _, f := range filters {
		ok := false
		for _, v := range f.Values {
			neg := strings.HasPrefix(v, "!")
			if matchOne(sec, f.Key, strings.TrimPrefix(v, "!")) != neg {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func matchOne(sec *secret, key, v string) bool {
	var fields []string
	switch key {
	case "name":
		fields = []string{sec.Name}
	case "description":
		fields = []string{sec.Description}
	case "tag-key", "tag-value", "all":
		for _, t := range sec.Tags {
			if key != "tag-value" {
				fields = append(fields, t.Key)
			}
			if key != "tag-key" {
				fields = append(fields, t.Value)
			}
		}
		if key == "all" {
			fields = append(fields, sec.Name, sec.Description)
		}
	}
	return slices.ContainsFunc(fields, func(f string) bool { return strings.HasPrefix(f, v) })
}

type versionIdsInput struct {
	SecretId          string
	MaxResults        *int
	NextToken         string
	IncludeDeprecated bool
}

type versionEntry struct {
	VersionId     string
	VersionStages []string `json:",omitempty"`
	CreatedDate   awsjson.Time
}

type versionsOutput struct {
	ARN       string
	Name      string
	Versions  []versionEntry
	NextToken string `json:",omitempty"`
}

func listSecretVersionIds(c *call, in *versionIdsInput) (any, *awsjson.Error) {
	max, err := maxResults(in.MaxResults)
	if err != nil {
		return nil, err
	}
	sec, err := c.getDeleted(in.SecretId)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, v := range slices.Backward(sec.Versions) {
		if len(v.Stages) > 0 || in.IncludeDeprecated {
			ids = append(ids, v.ID)
		}
	}
	page, next, err := paginate(ids, in.NextToken, max)
	if err != nil {
		return nil, err
	}
	versions := []versionEntry{}
	for _, id := range page {
		v := sec.version(id)
		versions = append(versions, versionEntry{VersionId: v.ID, VersionStages: v.Stages, CreatedDate: awsjson.Time(v.Created)})
	}
	return versionsOutput{ARN: sec.ARN, Name: sec.Name, Versions: versions, NextToken: next}, nil
}
