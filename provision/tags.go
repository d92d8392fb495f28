package provision

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/derive"
)

// MaxUserTags is IAM's limit on a user's tags.
const MaxUserTags = 50

// MaxExtraUserTags is how many tags of their own a user sesprov makes may
// be given: sesprov keeps room for its three (TagCreatedBy, RegionsTagKey
// and rotate's record), or the first rotation could not record itself.
const MaxExtraUserTags = MaxUserTags - 3

// TagValue returns the value of the tag key among tags, and whether it is
// there.
func TagValue(tags []types.Tag, key string) (string, bool) {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value), true
		}
	}
	return "", false
}

// IsCreatedByTag reports whether key=value is sesprov's own tag, with its
// exact value: someone's tag of that name with another value is no evidence
// that sesprov made the user (list, delete-user and apply's --prune rely on
// it).
func IsCreatedByTag(key, value string) bool {
	return key == TagCreatedBy && value == TagCreatedByValue
}

// CreatedBySesprov reports whether tags hold sesprov's own tag.
func CreatedBySesprov(tags []types.Tag) bool {
	v, ok := TagValue(tags, TagCreatedBy)
	return ok && IsCreatedByTag(TagCreatedBy, v)
}

// NewUserTags are the tags of a user sesprov makes, sent with CreateUser:
// sesprov's own tag, the caller's, and the regions its credentials are made
// for (RegionsTag), when they fit in IAM's limit of tags and of a value.
func NewUserTags(extra []Tag, regions []derive.Region) []types.Tag {
	tags := []types.Tag{{Key: aws.String(TagCreatedBy), Value: aws.String(TagCreatedByValue)}}
	for _, t := range extra {
		tags = append(tags, types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	if rt, ok := RegionsTag(regions); ok && len(tags) < MaxUserTags {
		tags = append(tags, rt)
	}
	return tags
}
