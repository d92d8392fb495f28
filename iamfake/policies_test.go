package iamfake_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func TestPolicyDocumentValidation(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":["` +
		strings.Repeat("a", 6200) + `"]}]}`
	for i, tc := range []struct{ doc, code string }{
		{sesPolicy, ""},
		{"{\n  \"Version\": \"2012-10-17\",\n\t\"Statement\": {\"Effect\": \"Deny\", \"NotAction\": [\"iam:*\"], \"Resource\": \"*\"}\n}", ""},
		{`not json`, "MalformedPolicyDocument"},
		{`[]`, "MalformedPolicyDocument"},
		{`{"Version":"2012-10-17"}`, "MalformedPolicyDocument"},
		{`{"Version":"2012-10-17","Statement":[]}`, "MalformedPolicyDocument"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"ses:SendRawEmail","Resource":"*"}]}`, "MalformedPolicyDocument"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}`, "MalformedPolicyDocument"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:SendRawEmail"}]}`, "MalformedPolicyDocument"},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"SendRawEmail","Resource":"*"}]}`, "MalformedPolicyDocument"},
		{`{"Version":"2099-01-01","Statement":[{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*"}]}`, "MalformedPolicyDocument"},
		{`{"Statement":[{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*","Sid":"€"}]}`, "ValidationError"},
		{big, "LimitExceeded"},
	} {
		_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("p%d", i)), PolicyDocument: aws.String(tc.doc)})
		if got := code(t, err); got != tc.code {
			t.Errorf("doc %d: %q (%v), want %q", i, got, err, tc.code)
		}
	}
	// Latin-1 beyond ASCII is allowed, and comes back intact.
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"caf\u00e9","Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*"}]}`
	doc = strings.ReplaceAll(doc, `\u00e9`, "é")
	p := ok(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("latin1"), PolicyDocument: aws.String(doc)}))(t)
	v := ok(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: p.Policy.Arn, VersionId: aws.String("v1")}))(t)
	if got, _ := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document)); got != doc {
		t.Errorf("document = %q", got)
	}
}

func TestPolicyVersionsAndDeletion(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	p := ok(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("AmazonSesSendingAccess"), PolicyDocument: aws.String(sesPolicy), Path: aws.String("/ses/"), Description: aws.String("SES sending")}))(t)
	arn := p.Policy.Arn
	if aws.ToString(arn) != "arn:aws:iam::123456789012:policy/ses/AmazonSesSendingAccess" {
		t.Errorf("arn %s", aws.ToString(arn))
	}
	_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("amazonsessendingaccess"), PolicyDocument: aws.String(sesPolicy)})
	wantCode(t, err, "EntityAlreadyExists")

	for i := 2; i <= 5; i++ {
		v := ok(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(sesPolicy), SetAsDefault: i == 3}))(t)
		if aws.ToString(v.PolicyVersion.VersionId) != fmt.Sprintf("v%d", i) {
			t.Errorf("version id %s", aws.ToString(v.PolicyVersion.VersionId))
		}
	}
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: aws.String(sesPolicy)})
	wantCode(t, err, "LimitExceeded")
	got := ok(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn}))(t)
	if aws.ToString(got.Policy.DefaultVersionId) != "v3" || aws.ToString(got.Policy.Description) != "SES sending" {
		t.Errorf("policy = %+v", got.Policy)
	}
	_, err = c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v3")})
	wantCode(t, err, "DeleteConflict")
	_, err = c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v9")})
	wantCode(t, err, "NoSuchEntity")
	_, err = c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("x1")})
	wantCode(t, err, "ValidationError")
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn})
	wantCode(t, err, "DeleteConflict") // non-default versions remain

	var ids []string
	vp := iam.NewListPolicyVersionsPaginator(c, &iam.ListPolicyVersionsInput{PolicyArn: arn, MaxItems: aws.Int32(2)})
	for vp.HasMorePages() {
		for _, v := range ok(vp.NextPage(ctx))(t).Versions {
			ids = append(ids, aws.ToString(v.VersionId))
		}
	}
	if strings.Join(ids, ",") != "v5,v4,v3,v2,v1" {
		t.Errorf("versions = %v", ids)
	}
	ok(c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v5")}))(t)
	for _, id := range []string{"v1", "v2", "v3", "v4"} {
		ok(c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: aws.String(id)}))(t)
	}

	// Attachments block deletion.
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))(t)
	ok(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	ok(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: arn}))(t)
	ok(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: arn}))(t)
	ok(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: arn}))(t) // again: no change
	got = ok(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn}))(t)
	if aws.ToInt32(got.Policy.AttachmentCount) != 2 {
		t.Errorf("attachment count %d", aws.ToInt32(got.Policy.AttachmentCount))
	}
	ents := ok(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: arn}))(t)
	if len(ents.PolicyGroups) != 1 || len(ents.PolicyUsers) != 1 {
		t.Errorf("entities = %+v", ents)
	}
	au := ok(c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("u")}))(t)
	if len(au.AttachedPolicies) != 1 || aws.ToString(au.AttachedPolicies[0].PolicyName) != "AmazonSesSendingAccess" {
		t.Errorf("attached = %+v", au.AttachedPolicies)
	}
	attachedOnly := ok(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, OnlyAttached: true}))(t)
	if len(attachedOnly.Policies) != 1 {
		t.Errorf("attached policies = %d", len(attachedOnly.Policies))
	}
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn})
	wantCode(t, err, "DeleteConflict")
	ok(c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("u"), PolicyArn: arn}))(t)
	_, err = c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("u"), PolicyArn: arn})
	wantCode(t, err, "NoSuchEntity")
	ok(c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String("g"), PolicyArn: arn}))(t)
	ok(c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn}))(t)
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn})
	wantCode(t, err, "NoSuchEntity")
}

func TestPolicyARNs(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))(t)
	for _, tc := range []struct{ arn, code string }{
		{"arn:aws:iam::123456789012:policy/missing", "NoSuchEntity"},
		{"arn:aws:iam::210987654321:policy/AmazonSesSendingAccess", "NoSuchEntity"},
		{"not-an-arn-but-long-enough", "ValidationError"}, // AWS's answer ("Invalid ARN")
		{"short", "ValidationError"},
	} {
		_, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(tc.arn)})
		if got := code(t, err); got != tc.code {
			t.Errorf("attach %s: %q, want %q", tc.arn, got, tc.code)
		}
	}
	for i := range 11 {
		p := ok(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("p%02d", i)), PolicyDocument: aws.String(sesPolicy)}))(t)
		_, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: p.Policy.Arn})
		if i == 10 {
			wantCode(t, err, "LimitExceeded")
		} else if err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	lp := iam.NewListPoliciesPaginator(c, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, MaxItems: aws.Int32(4)})
	for lp.HasMorePages() {
		n += len(ok(lp.NextPage(ctx))(t).Policies)
	}
	if n != 11 {
		t.Errorf("policies listed = %d", n)
	}
	n = 0
	ap := iam.NewListAttachedUserPoliciesPaginator(c, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("u"), MaxItems: aws.Int32(3)})
	for ap.HasMorePages() {
		n += len(ok(ap.NextPage(ctx))(t).AttachedPolicies)
	}
	if n != 10 {
		t.Errorf("attached listed = %d", n)
	}
}

func TestInlinePolicies(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))(t)
	ok(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	u, g := aws.String("u"), aws.String("g")
	ok(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: u, PolicyName: aws.String("AmazonSesSendingAccess"), PolicyDocument: aws.String(sesPolicy)}))(t)
	got := ok(c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: u, PolicyName: aws.String("AmazonSesSendingAccess")}))(t)
	if doc, _ := url.QueryUnescape(aws.ToString(got.PolicyDocument)); doc != sesPolicy || strings.Contains(aws.ToString(got.PolicyDocument), `"`) {
		t.Errorf("document = %s", aws.ToString(got.PolicyDocument))
	}
	_, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: u, PolicyName: aws.String("missing")})
	wantCode(t, err, "NoSuchEntity")
	_, err = c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: u, PolicyName: aws.String("missing")})
	wantCode(t, err, "NoSuchEntity")
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: u, PolicyName: aws.String("bad"), PolicyDocument: aws.String("{")})
	wantCode(t, err, "MalformedPolicyDocument")

	// A user's inline policies share 2,048 characters (whitespace not counted).
	stmt := func(n int) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"arn:aws:ses:*:*:identity/` + strings.Repeat("x", n) + `"}]}`
	}
	ok(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: u, PolicyName: aws.String("big1"), PolicyDocument: aws.String(stmt(900))}))(t)
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: u, PolicyName: aws.String("big2"), PolicyDocument: aws.String(stmt(900))})
	wantCode(t, err, "LimitExceeded")
	// Replacing a policy counts its new size, not old plus new.
	ok(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: u, PolicyName: aws.String("big1"), PolicyDocument: aws.String(stmt(1000))}))(t)

	// A group's share 5,120.
	for i := range 4 {
		ok(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: g, PolicyName: aws.String(fmt.Sprintf("p%d", i)), PolicyDocument: aws.String(stmt(1000))}))(t)
	}
	_, err = c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: g, PolicyName: aws.String("p5"), PolicyDocument: aws.String(stmt(1000))})
	wantCode(t, err, "LimitExceeded")
	var names []string
	p := iam.NewListGroupPoliciesPaginator(c, &iam.ListGroupPoliciesInput{GroupName: g, MaxItems: aws.Int32(3)})
	for p.HasMorePages() {
		names = append(names, ok(p.NextPage(ctx))(t).PolicyNames...)
	}
	if strings.Join(names, ",") != "p0,p1,p2,p3" {
		t.Errorf("group policies = %v", names)
	}
	gp := ok(c.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: g, PolicyName: aws.String("P0")}))(t)
	if aws.ToString(gp.PolicyName) != "p0" || aws.ToString(gp.GroupName) != "g" {
		t.Errorf("group policy = %s/%s", aws.ToString(gp.GroupName), aws.ToString(gp.PolicyName))
	}
	up := ok(c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: u}))(t)
	if strings.Join(up.PolicyNames, ",") != "AmazonSesSendingAccess,big1" {
		t.Errorf("user policies = %v", up.PolicyNames)
	}
	// Inline and managed policy names are separate namespaces.
	ok(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("AmazonSesSendingAccess"), PolicyDocument: aws.String(sesPolicy)}))(t)
}

func TestAWSManagedPolicies(t *testing.T) {
	ctx := context.Background()
	srv, c := newClient(t)
	ses := aws.String("arn:aws:iam::aws:policy/AmazonSESFullAccess")
	p := ok(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: ses}))(t)
	if aws.ToString(p.Policy.PolicyName) != "AmazonSESFullAccess" || !strings.HasPrefix(aws.ToString(p.Policy.PolicyId), "ANPA") {
		t.Errorf("policy = %+v", p.Policy)
	}
	v := ok(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: ses, VersionId: aws.String("v1")}))(t)
	if doc, _ := url.QueryUnescape(aws.ToString(v.PolicyVersion.Document)); !strings.Contains(doc, `"ses:*"`) {
		t.Errorf("document %s", doc)
	}
	// A customer policy may share the name: another namespace, another ARN.
	ok(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("AmazonSESFullAccess"), PolicyDocument: aws.String(sesPolicy)}))(t)
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("legacy"), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/PowerUserAccess")}))(t)
	ok(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("legacy"), PolicyArn: ses}))(t)
	_, err := c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: ses})
	wantCode(t, err, "InvalidInput")
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: ses, PolicyDocument: aws.String(sesPolicy)})
	wantCode(t, err, "InvalidInput")
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuchThing")})
	wantCode(t, err, "NoSuchEntity")

	count := func(in *iam.ListPoliciesInput) (local, managed int) {
		pg := iam.NewListPoliciesPaginator(c, in)
		for pg.HasMorePages() {
			for _, p := range ok(pg.NextPage(ctx))(t).Policies {
				if strings.HasPrefix(aws.ToString(p.Arn), "arn:aws:iam::aws:") {
					managed++
				} else {
					local++
				}
			}
		}
		return
	}
	if l, m := count(&iam.ListPoliciesInput{MaxItems: aws.Int32(3)}); l != 1 || m < 5 {
		t.Errorf("scope All: %d local, %d AWS", l, m)
	}
	if l, m := count(&iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws, MaxItems: aws.Int32(2)}); l != 0 || m < 5 {
		t.Errorf("scope AWS: %d local, %d AWS", l, m)
	}
	if l, m := count(&iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws, OnlyAttached: true}); l != 0 || m != 2 {
		t.Errorf("attached AWS (policy + boundary): %d local, %d AWS", l, m)
	}

	// Attachments of AWS managed policies survive a save and load.
	var buf strings.Builder
	if err := srv.SaveState(&buf); err != nil {
		t.Fatal(err)
	}
	srv2, c2 := newClient(t)
	if err := srv2.LoadState(strings.NewReader(buf.String())); err != nil {
		t.Fatal(err)
	}
	got := ok(c2.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: ses}))(t)
	if aws.ToInt32(got.Policy.AttachmentCount) != 1 {
		t.Errorf("attachment count after load = %d", aws.ToInt32(got.Policy.AttachmentCount))
	}
	pu := ok(c2.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/PowerUserAccess")}))(t)
	if aws.ToInt32(pu.Policy.PermissionsBoundaryUsageCount) != 1 {
		t.Errorf("boundary usage after load = %d", aws.ToInt32(pu.Policy.PermissionsBoundaryUsageCount))
	}
}
