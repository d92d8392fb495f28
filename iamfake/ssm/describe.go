package ssm

import (
	"slices"
	"strings"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

type paramFilter struct {
	Key    string
	Option string
	Values []string
}

type describeInput struct {
	Filters          []paramFilter // the older form: Key and Values only
	ParameterFilters []paramFilter
	MaxResults       *int
	NextToken        string
}

type metadata struct {
	Name             string
	ARN              string
	Type             string
	KeyId            string `json:",omitempty"`
	LastModifiedDate awsjson.Time
	LastModifiedUser string
	Description      string `json:",omitempty"`
	AllowedPattern   string `json:",omitempty"`
	Version          int64
	Tier             string
	Policies         []any
	DataType         string
}

// describeParameters pages (at most 50 a page) through the metadata of the
// parameters every filter matches, in name order; values are not shown.
func describeParameters(c *call, in *describeInput) (any, *awsjson.Error) {
	max, err := maxResults(in.MaxResults, 50)
	if err != nil {
		return nil, err
	}
	filters := append(slices.Clone(in.Filters), in.ParameterFilters...)
	for _, f := range filters {
		if err := checkFilter(f); err != nil {
			return nil, err
		}
	}
	var names []string
	for _, name := range c.reg.sortedNames() {
		if matchAll(c.reg.Params[name], filters) {
			names = append(names, name)
		}
	}
	page, next, err := paginate(names, in.NextToken, max)
	if err != nil {
		return nil, err
	}
	out := pageOutput[metadata]{Parameters: []metadata{}, NextToken: next}
	for _, name := range page {
		p := c.reg.Params[name]
		v := p.latest()
		out.Parameters = append(out.Parameters, metadata{Name: p.Name, ARN: c.arn(p.Name), Type: v.Type, KeyId: v.KeyID,
			LastModifiedDate: awsjson.Time(v.Modified), LastModifiedUser: v.User, Description: v.Description,
			AllowedPattern: v.AllowedPattern, Version: v.Version, Tier: v.Tier, Policies: []any{}, DataType: v.DataType})
	}
	return out, nil
}

var filterKeys = []string{"Name", "Type", "KeyId", "Path", "Tier", "DataType", "Label"}

func checkFilter(f paramFilter) *awsjson.Error {
	if !slices.Contains(filterKeys, f.Key) && !strings.HasPrefix(f.Key, "tag:") {
		return errf(InvalidFilterKey, "The following filter key is not valid: %s. Valid filter keys include: [%s, tag:].", f.Key, strings.Join(filterKeys, ", "))
	}
	ok := map[string][]string{"": nil, "Equals": nil, "BeginsWith": {"Name", "Path"}, "Contains": {"Name"}, "Recursive": {"Path"}, "OneLevel": {"Path"}}
	allowed, known := ok[f.Option]
	if !known || (allowed != nil && !slices.Contains(allowed, f.Key)) || (f.Key == "Path" && f.Option != "" && allowed == nil) {
		return errf(InvalidFilterOption, "The following filter option is not valid: %s.", f.Option)
	}
	if f.Key == "Path" {
		for _, v := range f.Values {
			if err := checkPath(v); err != nil {
				return err
			}
		}
	}
	return nil
}

func matchAll(p *param, filters []paramFilter) bool {
	for _, f := range filters {
		if !slices.ContainsFunc(f.Values, func(v string) bool { return match(p, f, v) }) {
			return false
		}
	}
	return true
}

func match(p *param, f paramFilter, want string) bool {
	v := p.latest()
	switch {
	case f.Key == "Path":
		return underPath(p.Name, want, f.Option == "Recursive")
	case f.Key == "Label":
		return slices.Contains(v.Labels, want)
	case strings.HasPrefix(f.Key, "tag:"):
		key := strings.TrimPrefix(f.Key, "tag:")
		return slices.ContainsFunc(p.Tags, func(t Tag) bool { return t.Key == key && (want == "" || t.Value == want) })
	}
	have := map[string]string{"Name": p.Name, "Type": v.Type, "KeyId": v.KeyID, "Tier": v.Tier, "DataType": v.DataType}[f.Key]
	switch f.Option {
	case "BeginsWith":
		return strings.HasPrefix(have, want) || (f.Key == "Name" && strings.HasPrefix(strings.TrimPrefix(have, "/"), strings.TrimPrefix(want, "/")))
	case "Contains":
		return strings.Contains(have, want)
	}
	return have == want
}
