package provision

import (
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/derive"
)

// RegionsTagKey is the user tag that records the SMTP regions the user's
// credentials were made for, so that rotate derives the same passwords again
// without being told. Its value is the region names separated by spaces: IAM
// refuses commas in tag values.
const RegionsTagKey = "sesprov:regions"

// maxTagValue is IAM's limit on a tag value, in characters.
const maxTagValue = 256

// RegionsTag returns the tag that records regions. ok is false when there is
// none to record or they do not fit in a tag value (256 characters, about 16
// regions).
func RegionsTag(regions []derive.Region) (tag types.Tag, ok bool) {
	names := make([]string, len(regions))
	for i, r := range regions {
		names[i] = r.Name
	}
	v := strings.Join(names, " ")
	if v == "" || utf8.RuneCountInString(v) > maxTagValue {
		return types.Tag{}, false
	}
	return types.Tag{Key: aws.String(RegionsTagKey), Value: aws.String(v)}, true
}

// ParseRegionsTag returns the region names recorded in tags, in their order,
// or nil when none are.
func ParseRegionsTag(tags []types.Tag) []string {
	for _, t := range tags {
		if aws.ToString(t.Key) == RegionsTagKey {
			return strings.Fields(aws.ToString(t.Value))
		}
	}
	return nil
}
