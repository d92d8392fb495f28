package provision_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/rotate"
)

// A user may be given as many tags of its own as leave room for sesprov's
// three: with MaxExtraUserTags the user is made and then rotated (the
// rotation records itself in a tag); one more is refused before any change.
func TestUserTagsLeaveRoomForARotation(t *testing.T) {
	tags := func(n int) []provision.Tag {
		var out []provision.Tag
		for i := range n {
			out = append(out, provision.Tag{Key: fmt.Sprintf("k%02d", i), Value: "v"})
		}
		return out
	}
	if err := provision.ValidateTags(tags(provision.MaxExtraUserTags + 1)); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("give at most %d", provision.MaxExtraUserTags)) {
		t.Fatalf("%d tags: %v, want refused", provision.MaxExtraUserTags+1, err)
	}
	extra := tags(provision.MaxExtraUserTags)
	if err := provision.ValidateTags(extra); err != nil {
		t.Fatal(err)
	}
	l := newLab(t)
	regions := testRegions(t)
	l.smtpUser("full", 0)
	_, err := l.iam.TagUser(context.Background(), &iam.TagUserInput{UserName: aws.String("full"), Tags: provision.NewUserTags(extra, regions)})
	l.must(err)
	p, err := rotate.Plan(context.Background(), l.iam, rotate.Options{UserName: "full", Regions: regions})
	l.must(err)
	c := &consumer{t: t}
	_, err = p.Execute(context.Background(), l.iam, c.deliver, nil)
	l.must(err)
	if len(c.delivered) != 1 {
		t.Fatalf("delivered %v, want one key", c.delivered)
	}
}
