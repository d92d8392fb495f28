package convert

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/provision"
)

// recordRegions tags the user with the regions its passwords are derived
// for (provision.RegionsTag), so that a later 'sesprov rotate' derives the
// same ones without --regions and warns when a rotation leaves one out. It
// costs one iam:TagUser, and none when the tag already says so (a convert
// run again changes nothing). The tags are those iam:GetUser gave. A user
// with no room for another tag is left as is, with a note: rotate then
// needs --regions.
func recordRegions(ctx context.Context, client iamapi.IAM, user string, tags []types.Tag, regions []derive.Region, r *provision.Run) error {
	t, ok := provision.RegionsTag(regions)
	if !ok {
		return nil
	}
	have := provision.ParseRegionsTag(tags)
	want := provision.ParseRegionsTag([]types.Tag{t})
	if slices.Equal(have, want) {
		return nil
	}
	if have == nil && len(tags) >= provision.MaxUserTags {
		r.Note("user %s has %d tags: its regions are not recorded (tag %s); pass --regions when rotating it", user, len(tags), provision.RegionsTagKey)
		return nil
	}
	if r.Plan("tag user %s with %s=%s", user, provision.RegionsTagKey, aws.ToString(t.Value)) {
		if _, err := client.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(user), Tags: []types.Tag{t}}); err != nil {
			return fmt.Errorf("iam:TagUser %s (record its SMTP regions, tag %s): %w", user, provision.RegionsTagKey, err)
		}
	}
	return nil
}
