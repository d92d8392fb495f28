package secretsmanager

import (
	"regexp"
	"slices"
	"time"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

type createInput struct {
	Name               string
	ClientRequestToken string
	Description        *string
	KmsKeyId           *string
	SecretString       *string
	SecretBinary       []byte
	Tags               []Tag
}

type versionOutput struct {
	ARN           string
	Name          string
	VersionId     string   `json:",omitempty"`
	VersionStages []string `json:",omitempty"`
}

var validName = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)

func createSecret(c *call, in *createInput) (any, *awsjson.Error) {
	if !validName.MatchString(in.Name) {
		return nil, errf(Validation, "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
	}
	if err := checkValue(in.SecretString, in.SecretBinary, false); err != nil {
		return nil, err
	}
	if err := checkToken(in.ClientRequestToken); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	if sec, ok := c.reg.Secrets[in.Name]; ok {
		return createAgain(sec, in)
	}
	sec := &secret{Name: in.Name, ARN: c.arn(in.Name), Tags: in.Tags, Created: c.now, Changed: c.now}
	sec.Description = deref(in.Description)
	sec.KmsKeyID = deref(in.KmsKeyId)
	out := versionOutput{ARN: sec.ARN, Name: sec.Name}
	if hasValue(in.SecretString, in.SecretBinary) {
		v := c.newVersion(in.ClientRequestToken, in.SecretString, in.SecretBinary)
		sec.addVersion(v, []string{stageCurrent})
		out.VersionId = v.ID
	}
	c.reg.Secrets[sec.Name] = sec
	return out, nil
}

// createAgain answers a CreateSecret for a name in use: a retry (same
// token, same value) gets the first call's answer; anything else fails.
func createAgain(sec *secret, in *createInput) (any, *awsjson.Error) {
	if !sec.Deleted.IsZero() {
		return nil, errf(InvalidRequest, "You can't create this secret because a secret with this name is already scheduled for deletion.")
	}
	v := sec.version(in.ClientRequestToken)
	if v == nil || in.ClientRequestToken == "" {
		return nil, errf(ResourceExists, "The operation failed because the secret %s already exists.", sec.Name)
	}
	if !v.sameValue(in.SecretString, in.SecretBinary) {
		return nil, tokenInUse(in.ClientRequestToken, sec)
	}
	return versionOutput{ARN: sec.ARN, Name: sec.Name, VersionId: v.ID}, nil
}

type putInput struct {
	SecretId           string
	ClientRequestToken string
	SecretString       *string
	SecretBinary       []byte
	VersionStages      []string
}

func putSecretValue(c *call, in *putInput) (any, *awsjson.Error) {
	if err := checkValue(in.SecretString, in.SecretBinary, true); err != nil {
		return nil, err
	}
	if err := checkToken(in.ClientRequestToken); err != nil {
		return nil, err
	}
	sec, err := c.get(in.SecretId)
	if err != nil {
		return nil, err
	}
	if v := sec.version(in.ClientRequestToken); v != nil && in.ClientRequestToken != "" {
		if !v.sameValue(in.SecretString, in.SecretBinary) {
			return nil, tokenInUse(in.ClientRequestToken, sec)
		}
		return versionOutput{ARN: sec.ARN, Name: sec.Name, VersionId: v.ID, VersionStages: v.Stages}, nil
	}
	stages := in.VersionStages
	if len(stages) == 0 {
		stages = []string{stageCurrent}
	}
	v := c.newVersion(in.ClientRequestToken, in.SecretString, in.SecretBinary)
	sec.addVersion(v, stages)
	sec.Changed = c.now
	return versionOutput{ARN: sec.ARN, Name: sec.Name, VersionId: v.ID, VersionStages: v.Stages}, nil
}

type getInput struct {
	SecretId     string
	VersionId    string
	VersionStage string
}

type getOutput struct {
	ARN           string
	Name          string
	VersionId     string
	SecretString  *string `json:",omitempty"`
	SecretBinary  []byte  `json:",omitempty"`
	VersionStages []string
	CreatedDate   awsjson.Time
}

func getSecretValue(c *call, in *getInput) (any, *awsjson.Error) {
	sec, err := c.get(in.SecretId)
	if err != nil {
		return nil, err
	}
	v, err := pickVersion(sec, in.VersionId, in.VersionStage)
	if err != nil {
		return nil, err
	}
	sec.Accessed = c.now.UTC().Truncate(24 * time.Hour) // AWS keeps the day only
	return getOutput{ARN: sec.ARN, Name: sec.Name, VersionId: v.ID, SecretString: v.String, SecretBinary: v.Binary,
		VersionStages: v.Stages, CreatedDate: awsjson.Time(v.Created)}, nil
}

// pickVersion finds the version by ID and/or stage (AWSCURRENT when
// neither is given); both given must name the same version.
func pickVersion(sec *secret, id, stage string) (*version, *awsjson.Error) {
	if id == "" && stage == "" {
		stage = stageCurrent
	}
	var v *version
	if id != "" {
		if v = sec.version(id); v == nil {
			return nil, errf(ResourceNotFound, "Secrets Manager can't find the specified secret value for VersionId: %s", id)
		}
		if stage != "" && !slices.Contains(v.Stages, stage) {
			return nil, errf(InvalidRequest, "You provided a VersionStage that is not associated to the provided VersionId.")
		}
		return v, nil
	}
	if v = sec.staged(stage); v == nil {
		return nil, errf(ResourceNotFound, "Secrets Manager can't find the specified secret value for staging label: %s", stage)
	}
	return v, nil
}

type updateInput struct {
	SecretId           string
	ClientRequestToken string
	Description        *string
	KmsKeyId           *string
	SecretString       *string
	SecretBinary       []byte
}

// updateSecret changes the description and key, and with a value adds a
// version as PutSecretValue does.
func updateSecret(c *call, in *updateInput) (any, *awsjson.Error) {
	sec, err := c.get(in.SecretId)
	if err != nil {
		return nil, err
	}
	if err := checkValue(in.SecretString, in.SecretBinary, false); err != nil {
		return nil, err
	}
	if in.Description != nil {
		sec.Description = *in.Description
	}
	if in.KmsKeyId != nil {
		sec.KmsKeyID = *in.KmsKeyId
	}
	sec.Changed = c.now
	if !hasValue(in.SecretString, in.SecretBinary) {
		return versionOutput{ARN: sec.ARN, Name: sec.Name}, nil
	}
	return putSecretValue(c, &putInput{SecretId: sec.Name, ClientRequestToken: in.ClientRequestToken,
		SecretString: in.SecretString, SecretBinary: in.SecretBinary})
}

func (c *call) newVersion(token string, str *string, bin []byte) *version {
	if token == "" {
		token = awsjson.UUID() // what the SDK would have sent
	}
	return &version{ID: token, String: str, Binary: bin, Created: c.now}
}
