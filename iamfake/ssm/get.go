package ssm

import (
	"strconv"
	"strings"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

// parameter is the wire Parameter.
type parameter struct {
	Name             string
	Type             string
	Value            string
	Version          int64
	Selector         string `json:",omitempty"`
	LastModifiedDate awsjson.Time
	ARN              string
	DataType         string
}

func (c *call) parameter(p *param, v *pversion, selector string, decrypt bool) parameter {
	if selector != "" {
		selector = ":" + selector
	}
	return parameter{Name: p.Name, Type: v.Type, Value: v.value(decrypt), Version: v.Version, Selector: selector,
		LastModifiedDate: awsjson.Time(v.Modified), ARN: c.arn(p.Name), DataType: v.DataType}
}

type getInput struct {
	Name           string
	WithDecryption bool
}

func getParameter(c *call, in *getInput) (any, *awsjson.Error) {
	p, v, err := c.lookup(in.Name)
	if err != nil {
		return nil, err
	}
	_, sel := splitSelector(in.Name)
	return map[string]parameter{"Parameter": c.parameter(p, v, sel, in.WithDecryption)}, nil
}

type getManyInput struct {
	Names          []string
	WithDecryption bool
}

type getManyOutput struct {
	Parameters        []parameter
	InvalidParameters []string
}

// getParameters answers the names found and lists the others as invalid;
// a selector naming a missing version still fails the call.
func getParameters(c *call, in *getManyInput) (any, *awsjson.Error) {
	if len(in.Names) < 1 || len(in.Names) > 10 {
		return nil, errf(Validation, "1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and 10")
	}
	out := getManyOutput{Parameters: []parameter{}, InvalidParameters: []string{}}
	for _, ref := range in.Names {
		p, v, err := c.lookup(ref)
		if err != nil && err.Code == ParameterNotFound {
			out.InvalidParameters = append(out.InvalidParameters, ref)
			continue
		}
		if err != nil {
			return nil, err
		}
		_, sel := splitSelector(ref)
		out.Parameters = append(out.Parameters, c.parameter(p, v, sel, in.WithDecryption))
	}
	return out, nil
}

type byPathInput struct {
	Path           string
	Recursive      bool
	WithDecryption bool
	MaxResults     *int
	NextToken      string
}

type pageOutput[T any] struct {
	Parameters []T
	NextToken  string `json:",omitempty"`
}

// getParametersByPath pages (at most 10 a page) through the parameters
// under Path, in name order: with Recursive all below it, else only those
// directly in it. A name without a leading slash is in "/".
func getParametersByPath(c *call, in *byPathInput) (any, *awsjson.Error) {
	if err := checkPath(in.Path); err != nil {
		return nil, err
	}
	max, err := maxResults(in.MaxResults, 10)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, name := range c.reg.sortedNames() {
		if underPath(name, in.Path, in.Recursive) {
			names = append(names, name)
		}
	}
	page, next, err := paginate(names, in.NextToken, max)
	if err != nil {
		return nil, err
	}
	out := pageOutput[parameter]{Parameters: []parameter{}, NextToken: next}
	for _, name := range page {
		p := c.reg.Params[name]
		out.Parameters = append(out.Parameters, c.parameter(p, p.latest(), "", in.WithDecryption))
	}
	return out, nil
}

func underPath(name, path string, recursive bool) bool {
	if !strings.HasPrefix(name, "/") {
		name = "/" + name
	}
	dir := strings.TrimSuffix(path, "/") + "/"
	rest, ok := strings.CutPrefix(name, dir)
	if !ok || rest == "" {
		return false
	}
	return recursive || !strings.Contains(rest, "/")
}

type nameInput struct {
	Name string
}

func deleteParameter(c *call, in *nameInput) (any, *awsjson.Error) {
	if _, ok := c.reg.Params[in.Name]; !ok {
		return nil, notFound(in.Name)
	}
	delete(c.reg.Params, in.Name)
	return struct{}{}, nil
}

type namesInput struct {
	Names []string
}

func deleteParameters(c *call, in *namesInput) (any, *awsjson.Error) {
	if len(in.Names) < 1 || len(in.Names) > 10 {
		return nil, errf(Validation, "1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and 10")
	}
	deleted, invalid := []string{}, []string{}
	for _, n := range in.Names {
		if _, ok := c.reg.Params[n]; ok {
			delete(c.reg.Params, n)
			deleted = append(deleted, n)
		} else {
			invalid = append(invalid, n)
		}
	}
	return map[string][]string{"DeletedParameters": deleted, "InvalidParameters": invalid}, nil
}

type historyInput struct {
	Name           string
	WithDecryption bool
	MaxResults     *int
	NextToken      string
}

type historyEntry struct {
	Name             string
	Type             string
	KeyId            string `json:",omitempty"`
	LastModifiedDate awsjson.Time
	LastModifiedUser string
	Description      string `json:",omitempty"`
	Value            string
	AllowedPattern   string `json:",omitempty"`
	Version          int64
	Labels           []string
	Tier             string
	Policies         []any
	DataType         string
}

// getParameterHistory pages through the versions, oldest first.
func getParameterHistory(c *call, in *historyInput) (any, *awsjson.Error) {
	max, err := maxResults(in.MaxResults, 50)
	if err != nil {
		return nil, err
	}
	p, ok := c.reg.Params[in.Name]
	if !ok {
		return nil, notFound(in.Name)
	}
	keys := make([]string, len(p.Versions))
	for i, v := range p.Versions {
		keys[i] = strconv.FormatInt(v.Version, 10)
	}
	page, next, err := paginate(keys, in.NextToken, max)
	if err != nil {
		return nil, err
	}
	out := pageOutput[historyEntry]{Parameters: []historyEntry{}, NextToken: next}
	for _, k := range page {
		n, _ := strconv.ParseInt(k, 10, 64)
		v := p.version(n)
		labels := v.Labels
		if labels == nil {
			labels = []string{}
		}
		out.Parameters = append(out.Parameters, historyEntry{Name: p.Name, Type: v.Type, KeyId: v.KeyID,
			LastModifiedDate: awsjson.Time(v.Modified), LastModifiedUser: v.User, Description: v.Description,
			Value: v.value(in.WithDecryption), AllowedPattern: v.AllowedPattern, Version: v.Version, Labels: labels,
			Tier: v.Tier, Policies: []any{}, DataType: v.DataType})
	}
	return out, nil
}
