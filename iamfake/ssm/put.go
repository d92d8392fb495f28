package ssm

import (
	"slices"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

type putInput struct {
	Name           string
	Value          string
	Type           string
	Description    *string
	KeyId          *string
	Overwrite      bool
	AllowedPattern *string
	Tags           []Tag
	Tier           string
	DataType       string
	Policies       *string
}

var paramTypes = []string{"String", "StringList", "SecureString"}

// putParameter creates a parameter (version 1) or, with Overwrite, adds a
// version; what an overwrite leaves out is kept from the version before.
func putParameter(c *call, in *putInput) (any, *awsjson.Error) {
	if err := checkPut(in); err != nil {
		return nil, err
	}
	p, exists := c.reg.Params[in.Name]
	if exists && !in.Overwrite {
		return nil, errf(ParameterAlreadyExists, "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
	}
	if !exists {
		if err := checkName(in.Name); err != nil {
			return nil, err
		}
		if in.Type == "" {
			return nil, errf(Validation, "A parameter type is required when you create a parameter.")
		}
	}
	v, err := c.newVersion(p, in)
	if err != nil {
		return nil, err
	}
	if !exists {
		p = &param{Name: in.Name, Tags: in.Tags}
		c.reg.Params[in.Name] = p
	}
	if err := p.add(v); err != nil {
		return nil, err
	}
	return map[string]any{"Version": v.Version, "Tier": v.Tier}, nil
}

func checkPut(in *putInput) *awsjson.Error {
	if in.Type != "" && !slices.Contains(paramTypes, in.Type) {
		return errf(Validation, "1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]", in.Type)
	}
	if in.Overwrite && len(in.Tags) > 0 {
		return errf(Validation, "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
	}
	if in.DataType != "" && in.DataType != "text" && in.DataType != "aws:ec2:image" && in.DataType != "aws:ssm:integration" {
		return errf(Validation, "The following data type is not supported: %s (Data type names are all lowercase.)", in.DataType)
	}
	return checkTags(in.Tags)
}

// newVersion builds the next version from the input and the previous one.
func (c *call) newVersion(p *param, in *putInput) (*pversion, *awsjson.Error) {
	v := &pversion{Version: 1, Type: in.Type, Value: in.Value, Tier: "Standard", DataType: "text", Modified: c.now, User: c.user()}
	if p != nil {
		prev := p.latest()
		*v = pversion{Version: prev.Version + 1, Type: prev.Type, Value: in.Value, KeyID: prev.KeyID, Description: prev.Description,
			AllowedPattern: prev.AllowedPattern, Tier: prev.Tier, DataType: prev.DataType, Policies: prev.Policies, Modified: c.now, User: c.user()}
		if in.Type != "" && in.Type != prev.Type {
			return nil, errf(HierarchyTypeMismatch, "The parameter type can't be changed from %s to %s. Create a new parameter instead.", prev.Type, in.Type)
		}
	}
	setIf(&v.Description, in.Description)
	setIf(&v.AllowedPattern, in.AllowedPattern)
	setIf(&v.Policies, in.Policies)
	if in.DataType != "" {
		v.DataType = in.DataType
	}
	if err := v.setKey(in.KeyId); err != nil {
		return nil, err
	}
	if err := v.setTier(in.Tier, len(in.Value)); err != nil {
		return nil, err
	}
	if v.Type == "SecureString" {
		v.Cipher = cipher(v.Value)
	}
	return v, checkValue(v.Value, v.Tier, v.AllowedPattern)
}

func (v *pversion) setKey(key *string) *awsjson.Error {
	if key != nil && v.Type != "SecureString" {
		return errf(Validation, "KeyId is only valid for SecureString parameters.")
	}
	if v.Type != "SecureString" {
		v.KeyID = ""
		return nil
	}
	switch {
	case key != nil && *key == "":
		return errf(InvalidKeyID, "The KeyId is not valid.")
	case key != nil:
		v.KeyID = *key
	case v.KeyID == "":
		v.KeyID = defaultKeyID
	}
	return nil
}

// setTier applies Tier: Intelligent-Tiering picks Standard unless the
// value needs Advanced; an Advanced parameter cannot go back.
func (v *pversion) setTier(tier string, size int) *awsjson.Error {
	switch tier {
	case "":
	case "Standard", "Advanced":
		if v.Tier == "Advanced" && tier == "Standard" {
			return errf(Validation, "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.")
		}
		v.Tier = tier
	case "Intelligent-Tiering":
		if size > standardMaxLen {
			v.Tier = "Advanced"
		}
	default:
		return errf(Validation, "1 validation error detected: Value '%s' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Standard, Advanced, Intelligent-Tiering]", tier)
	}
	return nil
}

// add appends a version, dropping the oldest beyond 100 unless it carries
// a label (AWS then refuses the new version).
func (p *param) add(v *pversion) *awsjson.Error {
	if len(p.Versions) >= maxVersions {
		if len(p.Versions[0].Labels) > 0 {
			return errf(ParameterMaxVersionLimitExceeded, "You attempted to create a new version of %s by calling the PutParameter API with the overwrite flag. Version %d, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.", p.Name, p.Versions[0].Version)
		}
		p.Versions = p.Versions[1:]
	}
	p.Versions = append(p.Versions, v)
	return nil
}

func setIf(dst *string, src *string) {
	if src != nil {
		*dst = *src
	}
}
