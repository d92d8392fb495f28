package iamfake_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

func TestGroups(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	g := aws.String("AWSSESSendingGroupDoNotRename")
	ok(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: g}))(t)
	_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("awssessendinggroupdonotrename")})
	wantCode(t, err, "EntityAlreadyExists")
	_, err = c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("bad group")})
	wantCode(t, err, "ValidationError")
	_, err = c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("missing")})
	wantCode(t, err, "NoSuchEntity")
	_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: g, UserName: aws.String("nobody")})
	wantCode(t, err, "NoSuchEntity")

	for i := range 12 {
		ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("m%02d", i))}))(t)
		ok(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: g, UserName: aws.String(fmt.Sprintf("m%02d", i))}))(t)
	}
	// Adding a member again is a success, as in IAM.
	ok(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: g, UserName: aws.String("M00")}))(t)

	n := 0
	p := iam.NewGetGroupPaginator(c, &iam.GetGroupInput{GroupName: g, MaxItems: aws.Int32(5)})
	for p.HasMorePages() {
		out := ok(p.NextPage(ctx))(t)
		if aws.ToString(out.Group.GroupName) != "AWSSESSendingGroupDoNotRename" {
			t.Errorf("group %s", aws.ToString(out.Group.GroupName))
		}
		n += len(out.Users)
	}
	if n != 12 {
		t.Errorf("members paged = %d", n)
	}

	_, err = c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: g, UserName: aws.String("nobody")})
	wantCode(t, err, "NoSuchEntity")
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("loner")}))(t)
	_, err = c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: g, UserName: aws.String("loner")})
	wantCode(t, err, "NoSuchEntity")

	// DeleteGroup refuses while the group has members, inline policies or
	// attached policies (moto deletes a group with members).
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: g})
	wantCode(t, err, "DeleteConflict")
	for i := range 12 {
		ok(c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: g, UserName: aws.String(fmt.Sprintf("m%02d", i))}))(t)
	}
	ok(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: g, PolicyName: aws.String("AmazonSesSendingAccess"), PolicyDocument: aws.String(sesPolicy)}))(t)
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: g})
	wantCode(t, err, "DeleteConflict")
	ok(c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: g, PolicyName: aws.String("AmazonSesSendingAccess")}))(t)
	pol := ok(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("AmazonSesSendingAccess"), PolicyDocument: aws.String(sesPolicy)}))(t)
	ok(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: g, PolicyArn: pol.Policy.Arn}))(t)
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: g})
	wantCode(t, err, "DeleteConflict")
	ok(c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: g, PolicyArn: pol.Policy.Arn}))(t)
	ok(c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: g}))(t)
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: g})
	wantCode(t, err, "NoSuchEntity")
}

func TestGroupsPerUserAndListing(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("joiner")}))(t)
	for i := range 11 {
		name := aws.String(fmt.Sprintf("g%02d", i))
		ok(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: name, Path: aws.String("/mail/")}))(t)
		_, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: name, UserName: aws.String("joiner")})
		if i < 10 && err != nil {
			t.Fatal(err)
		}
		if i == 10 {
			wantCode(t, err, "LimitExceeded")
		}
	}
	n := 0
	p := iam.NewListGroupsForUserPaginator(c, &iam.ListGroupsForUserInput{UserName: aws.String("joiner"), MaxItems: aws.Int32(3)})
	for p.HasMorePages() {
		n += len(ok(p.NextPage(ctx))(t).Groups)
	}
	if n != 10 {
		t.Errorf("groups for user = %d", n)
	}
	n = 0
	lp := iam.NewListGroupsPaginator(c, &iam.ListGroupsInput{PathPrefix: aws.String("/mail/"), MaxItems: aws.Int32(4)})
	for lp.HasMorePages() {
		n += len(ok(lp.NextPage(ctx))(t).Groups)
	}
	if n != 11 {
		t.Errorf("groups listed = %d", n)
	}
	ok(c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: aws.String("g00"), NewGroupName: aws.String("renamed")}))(t)
	gs := ok(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("joiner"), MaxItems: aws.Int32(100)}))(t)
	found := false
	for _, g := range gs.Groups {
		found = found || aws.ToString(g.GroupName) == "renamed"
	}
	if !found {
		t.Error("renamed group not among the user's groups")
	}
}
