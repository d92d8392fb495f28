package ssm

import (
	"slices"
	"strings"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

type tagsInput struct {
	ResourceType string
	ResourceId   string
	Tags         []Tag
	TagKeys      []string
}

// resourceTypes are those AddTagsToResource takes; of them only
// parameters exist here, so the others' IDs are never found.
var resourceTypes = []string{"Document", "ManagedInstance", "MaintenanceWindow", "Parameter", "PatchBaseline", "OpsItem", "OpsMetadata", "Automation", "Association"}

func (c *call) tagged(in *tagsInput) (*param, *awsjson.Error) {
	if !slices.Contains(resourceTypes, in.ResourceType) {
		return nil, errf(InvalidResourceType, "The resource type is not valid.")
	}
	p, ok := c.reg.Params[in.ResourceId]
	if in.ResourceType != "Parameter" || !ok {
		return nil, errf(InvalidResourceID, "The resource ID is not valid. Verify that you entered the correct ID and try again.")
	}
	return p, nil
}

// addTags adds tags, replacing the value of a key already there.
func addTags(c *call, in *tagsInput) (any, *awsjson.Error) {
	p, err := c.tagged(in)
	if err != nil {
		return nil, err
	}
	tags := slices.Clone(p.Tags)
	for _, t := range in.Tags {
		if i := slices.IndexFunc(tags, func(o Tag) bool { return o.Key == t.Key }); i >= 0 {
			tags[i].Value = t.Value
		} else {
			tags = append(tags, t)
		}
	}
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	p.Tags = tags
	return struct{}{}, nil
}

func removeTags(c *call, in *tagsInput) (any, *awsjson.Error) {
	p, err := c.tagged(in)
	if err != nil {
		return nil, err
	}
	p.Tags = slices.DeleteFunc(p.Tags, func(t Tag) bool { return slices.Contains(in.TagKeys, t.Key) })
	return struct{}{}, nil
}

func listTags(c *call, in *tagsInput) (any, *awsjson.Error) {
	p, err := c.tagged(in)
	if err != nil {
		return nil, err
	}
	tags := p.Tags
	if tags == nil {
		tags = []Tag{}
	}
	return map[string][]Tag{"TagList": tags}, nil
}

type labelInput struct {
	Name             string
	ParameterVersion *int64
	Labels           []string
}

// labelParameterVersion moves labels to a version (the latest by default);
// a label is on one version of a parameter at a time.
func labelParameterVersion(c *call, in *labelInput) (any, *awsjson.Error) {
	p, ok := c.reg.Params[in.Name]
	if !ok {
		return nil, notFound(in.Name)
	}
	v := p.latest()
	if in.ParameterVersion != nil {
		if v = p.version(*in.ParameterVersion); v == nil {
			return nil, errf(ParameterVersionNotFound, "Systems Manager could not find version %d of %s. Verify the version and try again.", *in.ParameterVersion, in.Name)
		}
	}
	invalid := []string{}
	for _, l := range in.Labels {
		if !validLabel(l) {
			invalid = append(invalid, l)
		}
	}
	var added []string
	for _, l := range in.Labels {
		if validLabel(l) && !slices.Contains(v.Labels, l) {
			added = append(added, l)
		}
	}
	if len(v.Labels)+len(added) > maxLabels {
		return nil, errf(ParameterVersionLabelLimitExceeded, "A parameter version can have a maximum of %d labels.", maxLabels)
	}
	for _, o := range p.Versions {
		o.Labels = slices.DeleteFunc(o.Labels, func(l string) bool { return slices.Contains(added, l) })
	}
	v.Labels = append(v.Labels, added...)
	return map[string]any{"InvalidLabels": invalid, "ParameterVersion": v.Version}, nil
}

// validLabel: up to 100 characters of letters, digits, "." "-" "_", not
// starting with a digit or with "aws"/"ssm".
func validLabel(l string) bool {
	if l == "" || len(l) > 100 || (l[0] >= '0' && l[0] <= '9') || !nameChars.MatchString(l) || strings.Contains(l, "/") {
		return false
	}
	lower := strings.ToLower(l)
	return !strings.HasPrefix(lower, "aws") && !strings.HasPrefix(lower, "ssm")
}
