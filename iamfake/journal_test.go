package iamfake_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

// A snapshot plus journal lines loads the same account as a snapshot taken
// at the end: memberships and attachments are rebuilt, deletions applied,
// and a last line cut short is ignored.
func TestJournalReplaysToTheSameState(t *testing.T) {
	ctx := context.Background()
	a := iamfake.New(iamfake.Options{})
	c := iam.NewFromConfig(iamfaketest.InProcess(a))
	var base, journal bytes.Buffer
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("G")}))
	if err := a.SaveState(&base); err != nil {
		t.Fatal(err)
	}
	line := func(users, groups, policies []string) {
		t.Helper()
		if err := a.SaveEntities(&journal, users, groups, policies); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []string{"Alice", "bob"} {
		must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u)}))
		line([]string{u}, nil, nil)
		must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(u), GroupName: aws.String("G")}))
		line([]string{u}, []string{"G"}, nil)
		must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(u)}))
		line([]string{u}, nil, nil)
	}
	must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("P"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*"}]}`)}))
	line(nil, nil, []string{"P"})
	must(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("G"), PolicyArn: aws.String("arn:aws:iam::123456789012:policy/P")}))
	line(nil, []string{"G"}, nil)
	must(c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String("bob"), GroupName: aws.String("G")}))
	line([]string{"bob"}, []string{"G"}, nil)
	out, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	must(c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("bob"), AccessKeyId: out.AccessKeyMetadata[0].AccessKeyId}))
	must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")}))
	line([]string{"bob"}, nil, nil)
	journal.WriteString(`{"users":{"alice":{"Na`) // cut short by a crash

	var want, got bytes.Buffer
	if err := a.SaveState(&want); err != nil {
		t.Fatal(err)
	}
	b := iamfake.New(iamfake.Options{})
	if err := b.LoadStateJournal(&base, &journal); err != nil {
		t.Fatal(err)
	}
	if err := b.SaveState(&got); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("replayed state differs:\n%s\nwant:\n%s", got.String(), want.String())
	}
}
