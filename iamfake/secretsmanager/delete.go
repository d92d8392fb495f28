package secretsmanager

import (
	"slices"
	"time"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

type deleteInput struct {
	SecretId                   string
	RecoveryWindowInDays       *int64
	ForceDeleteWithoutRecovery bool
}

type deleteOutput struct {
	ARN          string
	Name         string
	DeletionDate awsjson.Time
}

// deleteSecret schedules the deletion at the end of the recovery window
// (30 days unless told), or deletes at once with ForceDeleteWithoutRecovery
// (also of a secret already scheduled).
func deleteSecret(c *call, in *deleteInput) (any, *awsjson.Error) {
	days := int64(30)
	if in.RecoveryWindowInDays != nil {
		if in.ForceDeleteWithoutRecovery {
			return nil, errf(InvalidParameter, "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
		}
		if days = *in.RecoveryWindowInDays; days < 7 || days > 30 {
			return nil, errf(InvalidParameter, "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
		}
	}
	sec, err := c.getDeleted(in.SecretId)
	if err != nil {
		return nil, err
	}
	if in.ForceDeleteWithoutRecovery {
		delete(c.reg.Secrets, sec.Name)
		return deleteOutput{ARN: sec.ARN, Name: sec.Name, DeletionDate: awsjson.Time(c.now)}, nil
	}
	if !sec.Deleted.IsZero() {
		return nil, errf(InvalidRequest, "You tried to perform the operation on a secret that's currently marked deleted.")
	}
	sec.Deleted = c.now
	sec.DeleteAt = c.now.Add(time.Duration(days) * 24 * time.Hour)
	return deleteOutput{ARN: sec.ARN, Name: sec.Name, DeletionDate: awsjson.Time(sec.DeleteAt)}, nil
}

// restoreSecret cancels a scheduled deletion.
func restoreSecret(c *call, in *idInput) (any, *awsjson.Error) {
	sec, err := c.getDeleted(in.SecretId)
	if err != nil {
		return nil, err
	}
	sec.Deleted, sec.DeleteAt = time.Time{}, time.Time{}
	sec.Changed = c.now
	return versionOutput{ARN: sec.ARN, Name: sec.Name}, nil
}

type tagInput struct {
	SecretId string
	Tags     []Tag
}

// tagResource adds tags, replacing the value of a key already there.
func tagResource(c *call, in *tagInput) (any, *awsjson.Error) {
	sec, err := c.get(in.SecretId)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	tags := sec.Tags
	for _, t := range in.Tags {
		tags = setTag(tags, t)
	}
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	sec.Tags = tags
	sec.Changed = c.now
	return struct{}{}, nil
}

func setTag(tags []Tag, t Tag) []Tag {
	for i := range tags {
		if tags[i].Key == t.Key {
			tags[i].Value = t.Value
			return tags
		}
	}
	return append(tags, t)
}

type untagInput struct {
	SecretId string
	TagKeys  []string
}

func untagResource(c *call, in *untagInput) (any, *awsjson.Error) {
	sec, err := c.get(in.SecretId)
	if err != nil {
		return nil, err
	}
	var kept []Tag
	for _, t := range sec.Tags {
		if !slices.Contains(in.TagKeys, t.Key) {
			kept = append(kept, t)
		}
	}
	sec.Tags = kept
	sec.Changed = c.now
	return struct{}{}, nil
}
