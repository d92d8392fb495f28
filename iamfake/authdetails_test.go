package iamfake_test

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/sesprov/sesprov/iamfake"
)

// authDetails collects every page of GetAccountAuthorizationDetails
// through the SDK's paginator.
type authDetails struct {
	pages    int
	users    []types.UserDetail
	groups   []types.GroupDetail
	roles    []types.RoleDetail
	policies []types.ManagedPolicyDetail
	sizes    []int // items per page
}

func getAuthDetails(t *testing.T, c *iam.Client, maxItems int32, filter ...types.EntityType) authDetails {
	t.Helper()
	in := &iam.GetAccountAuthorizationDetailsInput{Filter: filter}
	if maxItems > 0 {
		in.MaxItems = aws.Int32(maxItems)
	}
	var d authDetails
	p := iam.NewGetAccountAuthorizationDetailsPaginator(c, in)
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("GetAccountAuthorizationDetails page %d: %v", d.pages+1, err)
		}
		d.pages++
		d.users = append(d.users, out.UserDetailList...)
		d.groups = append(d.groups, out.GroupDetailList...)
		d.roles = append(d.roles, out.RoleDetailList...)
		d.policies = append(d.policies, out.Policies...)
		d.sizes = append(d.sizes, len(out.UserDetailList)+len(out.GroupDetailList)+len(out.RoleDetailList)+len(out.Policies))
	}
	return d
}

func (d authDetails) userNames() []string {
	var out []string
	for _, u := range d.users {
		out = append(out, aws.ToString(u.UserName))
	}
	return out
}

func (d authDetails) policyNames() []string {
	var out []string
	for _, p := range d.policies {
		out = append(out, aws.ToString(p.PolicyName))
	}
	return out
}

// succeeds returns a function that fails the test when the call passed to
// it failed: succeeds(t)(c.CreateUser(ctx, in)).
func succeeds(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// An account of 1,060 users listed whole, in pages of 1,000 and of the
// default 100, every user exactly once and in name order; groups and
// policies follow the users in the same sequence.
func TestAuthDetailsPagingAcrossKinds(t *testing.T) {
	ctx := context.Background()
	srv, c := newClient(t)
	must := succeeds(t)
	const n = 1060
	for i := range n {
		must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("smtp-%04d", i))}))
	}
	for _, g := range []string{"mailers", "ops", "readers"} {
		must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(g)}))
	}
	must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("SendOnly"), PolicyDocument: aws.String(sesPolicy)}))
	srv.ResetCalls()

	for _, tc := range []struct {
		max   int32
		sizes []int
	}{
		{1000, []int{1000, 64}},
		{0, []int{100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 64}}, // IAM's default of 100
		{530, []int{530, 530, 4}}, // the second page ends at the last user
	} {
		d := getAuthDetails(t, c, tc.max)
		if fmt.Sprint(d.sizes) != fmt.Sprint(tc.sizes) {
			t.Errorf("MaxItems %d: page sizes %v, want %v", tc.max, d.sizes, tc.sizes)
		}
		names := d.userNames()
		if len(names) != n || !sort.StringsAreSorted(names) {
			t.Errorf("MaxItems %d: %d users (sorted %v), want %d in order", tc.max, len(names), sort.StringsAreSorted(names), n)
		}
		seen := map[string]bool{}
		for _, u := range names {
			if seen[u] {
				t.Errorf("MaxItems %d: %s listed twice", tc.max, u)
			}
			seen[u] = true
		}
		if len(d.groups) != 3 || len(d.policies) != 1 || len(d.roles) != 0 {
			t.Errorf("MaxItems %d: %d groups, %d policies, %d roles; want 3, 1, 0", tc.max, len(d.groups), len(d.policies), len(d.roles))
		}
	}
	if got := srv.CallCount("GetAccountAuthorizationDetails"); got != 2+11+3 {
		t.Errorf("%d calls, want 16", got)
	}
}

// A page that ends exactly where one kind ends is truncated only if an
// item of a wanted kind follows.
func TestAuthDetailsPageEndsAtKindBoundary(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	must := succeeds(t)
	for _, u := range []string{"a", "b"} {
		must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u)}))
	}
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))

	out, err := c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.UserDetailList) != 2 || len(out.GroupDetailList) != 0 || !out.IsTruncated || out.Marker == nil {
		t.Fatalf("first page: %d users, %d groups, truncated %v", len(out.UserDetailList), len(out.GroupDetailList), out.IsTruncated)
	}
	if out, err = c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(2), Marker: out.Marker}); err != nil {
		t.Fatal(err)
	}
	if len(out.UserDetailList) != 0 || len(out.GroupDetailList) != 1 || out.IsTruncated || out.Marker != nil {
		t.Fatalf("second page: %d users, %d groups, truncated %v", len(out.UserDetailList), len(out.GroupDetailList), out.IsTruncated)
	}
	// With only users wanted, the group after them does not truncate the page.
	if out, err = c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(2), Filter: []types.EntityType{types.EntityTypeUser}}); err != nil {
		t.Fatal(err)
	}
	if len(out.UserDetailList) != 2 || out.IsTruncated {
		t.Fatalf("users only: %d users, truncated %v", len(out.UserDetailList), out.IsTruncated)
	}
}

// What the audit reads: each user's inline policies (documents the client
// URL-decodes), groups, attachments, tags and boundary; each group's
// inline and attached policies; each managed policy with every version.
func TestAuthDetailsContents(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t, iamfake.Options{AccountID: "111122223333"})
	must := succeeds(t)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("smtp-app"), Path: aws.String("/ses/"),
		Tags: []types.Tag{{Key: aws.String("sesprov:purpose"), Value: aws.String("smtp")}}}))
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("plain")}))
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("mailers")}))
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("mailers"), UserName: aws.String("smtp-app")}))
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("smtp-app"), PolicyName: aws.String("AmazonSesSendingAccess"), PolicyDocument: aws.String(sesPolicy)}))
	groupDoc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ses:SendEmail","ses:SendRawEmail"],"Resource":"*"}]}`
	must(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("mailers"), PolicyName: aws.String("send"), PolicyDocument: aws.String(groupDoc)}))
	pol, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("SendOnly"), Description: aws.String("d"), PolicyDocument: aws.String(sesPolicy)})
	if err != nil {
		t.Fatal(err)
	}
	must(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: pol.Policy.Arn, PolicyDocument: aws.String(groupDoc), SetAsDefault: true}))
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("smtp-app"), PolicyArn: pol.Policy.Arn}))
	must(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("mailers"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonSESFullAccess")}))
	must(c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("plain"), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))

	d := getAuthDetails(t, c, 0)
	if got := fmt.Sprint(d.userNames()); got != "[plain smtp-app]" {
		t.Fatalf("users %s", got)
	}
	u := d.users[1]
	if aws.ToString(u.Path) != "/ses/" || aws.ToString(u.Arn) != "arn:aws:iam::111122223333:user/ses/smtp-app" ||
		len(aws.ToString(u.UserId)) != 21 || u.CreateDate == nil {
		t.Errorf("user: %+v", u)
	}
	if len(u.UserPolicyList) != 1 || aws.ToString(u.UserPolicyList[0].PolicyName) != "AmazonSesSendingAccess" {
		t.Fatalf("UserPolicyList %+v", u.UserPolicyList)
	}
	if doc, err := url.QueryUnescape(aws.ToString(u.UserPolicyList[0].PolicyDocument)); err != nil || doc != sesPolicy {
		t.Errorf("inline document decodes to %q (%v)", doc, err)
	}
	if fmt.Sprint(u.GroupList) != "[mailers]" {
		t.Errorf("GroupList %v", u.GroupList)
	}
	if len(u.AttachedManagedPolicies) != 1 || aws.ToString(u.AttachedManagedPolicies[0].PolicyName) != "SendOnly" ||
		aws.ToString(u.AttachedManagedPolicies[0].PolicyArn) != "arn:aws:iam::111122223333:policy/SendOnly" {
		t.Errorf("AttachedManagedPolicies %+v", u.AttachedManagedPolicies)
	}
	if len(u.Tags) != 1 || aws.ToString(u.Tags[0].Key) != "sesprov:purpose" || aws.ToString(u.Tags[0].Value) != "smtp" {
		t.Errorf("Tags %+v", u.Tags)
	}
	if u.PermissionsBoundary != nil {
		t.Errorf("smtp-app has a boundary: %+v", u.PermissionsBoundary)
	}
	if b := d.users[0].PermissionsBoundary; b == nil || aws.ToString(b.PermissionsBoundaryArn) != "arn:aws:iam::aws:policy/ReadOnlyAccess" ||
		b.PermissionsBoundaryType != types.PermissionsBoundaryAttachmentTypePolicy {
		t.Errorf("plain's boundary %+v", b)
	}
	if len(d.users[0].GroupList)+len(d.users[0].UserPolicyList)+len(d.users[0].Tags) != 0 {
		t.Errorf("plain: %+v", d.users[0])
	}

	if len(d.groups) != 1 {
		t.Fatalf("groups %+v", d.groups)
	}
	g := d.groups[0]
	if aws.ToString(g.GroupName) != "mailers" || aws.ToString(g.Arn) != "arn:aws:iam::111122223333:group/mailers" || len(g.GroupPolicyList) != 1 {
		t.Errorf("group %+v", g)
	} else if doc, _ := url.QueryUnescape(aws.ToString(g.GroupPolicyList[0].PolicyDocument)); doc != groupDoc {
		t.Errorf("group document %q", doc)
	}
	if len(g.AttachedManagedPolicies) != 1 || aws.ToString(g.AttachedManagedPolicies[0].PolicyName) != "AmazonSESFullAccess" {
		t.Errorf("group attachments %+v", g.AttachedManagedPolicies)
	}

	// The account's policy, then the AWS managed ones in use (attached or a
	// boundary), not every AWS managed policy.
	if got := fmt.Sprint(d.policyNames()); got != "[SendOnly AmazonSESFullAccess ReadOnlyAccess]" {
		t.Fatalf("policies %s", got)
	}
	p := d.policies[0]
	if aws.ToString(p.DefaultVersionId) != "v2" || aws.ToInt32(p.AttachmentCount) != 1 || !p.IsAttachable ||
		aws.ToString(p.Description) != "d" || len(p.PolicyVersionList) != 2 {
		t.Fatalf("policy %+v", p)
	}
	for i, want := range []struct {
		id, doc string
		def     bool
	}{{"v1", sesPolicy, false}, {"v2", groupDoc, true}} {
		v := p.PolicyVersionList[i]
		doc, _ := url.QueryUnescape(aws.ToString(v.Document))
		if aws.ToString(v.VersionId) != want.id || v.IsDefaultVersion != want.def || doc != want.doc {
			t.Errorf("version %d: %s default %v %q", i, aws.ToString(v.VersionId), v.IsDefaultVersion, doc)
		}
	}
	if aws.ToInt32(d.policies[2].PermissionsBoundaryUsageCount) != 1 {
		t.Errorf("ReadOnlyAccess boundary uses %d", aws.ToInt32(d.policies[2].PermissionsBoundaryUsageCount))
	}
}

func TestAuthDetailsFilter(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	must := succeeds(t)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))
	must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Local"), PolicyDocument: aws.String(sesPolicy)}))
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonSESFullAccess")}))

	for _, tc := range []struct {
		filter []types.EntityType
		want   string // users groups roles policies
	}{
		{nil, "1 1 0 [Local AmazonSESFullAccess]"},
		{[]types.EntityType{types.EntityTypeUser}, "1 0 0 []"},
		{[]types.EntityType{types.EntityTypeGroup}, "0 1 0 []"},
		{[]types.EntityType{types.EntityTypeRole}, "0 0 0 []"},
		{[]types.EntityType{types.EntityTypeLocalManagedPolicy}, "0 0 0 [Local]"},
		{[]types.EntityType{types.EntityTypeAWSManagedPolicy}, "0 0 0 [AmazonSESFullAccess]"},
		{[]types.EntityType{types.EntityTypeAWSManagedPolicy, types.EntityTypeUser}, "1 0 0 [AmazonSESFullAccess]"},
	} {
		for _, max := range []int32{0, 1} { // whole, and one item a page
			d := getAuthDetails(t, c, max, tc.filter...)
			got := fmt.Sprintf("%d %d %d %v", len(d.users), len(d.groups), len(d.roles), d.policyNames())
			if got != tc.want {
				t.Errorf("Filter %v MaxItems %d: %s, want %s", tc.filter, max, got, tc.want)
			}
		}
	}
}

func TestAuthDetailsErrors(t *testing.T) {
	ctx := context.Background()
	srv, c := newClient(t, iamfake.Options{Now: newClock().Now})
	must := succeeds(t)
	_, err := c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Filter: []types.EntityType{"Users"}})
	wantCode(t, err, "ValidationError")
	_, err = c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{MaxItems: aws.Int32(1001)})
	wantCode(t, err, "ValidationError")
	_, err = c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{Marker: aws.String("not-a-marker")})
	wantCode(t, err, "ValidationError")

	// Entities still within the consistency delay are not in the answer.
	srv.SetConsistencyDelay(time.Minute)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("fresh")}))
	if d := getAuthDetails(t, c, 0); len(d.users) != 0 {
		t.Errorf("a user within the consistency delay is listed: %v", d.userNames())
	}
}
