package createuser_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/createuser"
)

// userRegions is the regions the user's sesprov:regions tag records.
func (e *env) userRegions(user string) string {
	e.t.Helper()
	out, err := e.iam.ListUserTags(e.ctx, &iam.ListUserTagsInput{UserName: aws.String(user)})
	if err != nil {
		e.t.Fatal(err)
	}
	return strings.Join(provision.ParseRegionsTag(out.Tags), " ")
}

// TestCreateUserRecordsRegions: the user's regions are recorded in the
// CreateUser call's tags, so that rotate derives the same passwords without
// --regions; no call is added (no TagUser).
func TestCreateUserRecordsRegions(t *testing.T) {
	e := newEnv(t)
	if _, stderr, err := e.create(createuser.Options{UserNames: []string{"alice"}, Regions: regions(t, "us-east-1", "eu-west-1")}); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if got := e.userRegions("alice"); got != "us-east-1 eu-west-1" {
		t.Errorf("regions tag %q, want %q", got, "us-east-1 eu-west-1")
	}
	if n := e.srv.CallCount("TagUser"); n != 0 {
		t.Errorf("TagUser called %d times: the tag belongs in CreateUser's", n)
	}
	if n := e.srv.CallCount("CreateUser"); n != 1 {
		t.Errorf("CreateUser %d times", n)
	}
}

// TestCreateUserCompletedRecordsRegions: a user an earlier run left
// key-less gets the tag when it is completed, in the one TagUser call that
// also adds missing --tag tags.
func TestCreateUserCompletedRecordsRegions(t *testing.T) {
	e := newEnv(t)
	_, err := e.iam.CreateUser(e.ctx, &iam.CreateUserInput{UserName: aws.String("bob"), Tags: nil})
	if err != nil {
		t.Fatal(err)
	}
	e.iam.TagUser(e.ctx, &iam.TagUserInput{UserName: aws.String("bob"), Tags: []iamtypes.Tag{{Key: aws.String(provision.TagCreatedBy), Value: aws.String(provision.TagCreatedByValue)}}})
	before := e.srv.CallCount("TagUser")
	if _, stderr, err := e.create(createuser.Options{UserNames: []string{"bob"}, Regions: regions(t, "eu-west-1"),
		Tags: []provision.Tag{{Key: "team", Value: "mail"}}}); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if got := e.userRegions("bob"); got != "eu-west-1" {
		t.Errorf("regions tag %q, want eu-west-1", got)
	}
	if n := e.srv.CallCount("TagUser") - before; n != 1 {
		t.Errorf("TagUser %d times, want 1 (--tag and the regions together)", n)
	}
}

// TestCreateUserRefusesRegionsTag: sesprov:regions is sesprov's own tag.
func TestCreateUserRefusesRegionsTag(t *testing.T) {
	in := createuser.Options{UserNames: []string{"x"}, Regions: regions(t, "us-east-1"), Tags: []provision.Tag{{Key: provision.RegionsTagKey, Value: "us-east-1"}}}
	if err := in.Validate(); err == nil || !strings.Contains(err.Error(), "sesprov's own") {
		t.Errorf("got %v", err)
	}
}
