package provision

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/internal/iamapi"
)

// Discovery at account scale. iam:GetAccountAuthorizationDetails with the
// filter User answers, up to 1,000 users a page, each user's groups, inline
// policies, attached policies and tags: one call a page tells every SMTP
// user of an account apart, where the per-user path costs one or two calls
// a user. IAM throttles per account, and its limits cannot be raised.

// ScanPageSize is the MaxItems of each GetAccountAuthorizationDetails page:
// IAM's maximum.
const ScanPageSize = 1000

// UserDetail is one user as GetAccountAuthorizationDetails describes it.
type UserDetail struct {
	UserName         string
	UserARN          string
	Path             string
	Boundary         string // the permissions boundary's ARN, if any
	Created          time.Time
	Groups           []string
	InlinePolicies   []string          // names
	InlineDocuments  map[string]string // name → policy document, URL-decoded
	AttachedPolicies []string          // ARNs
	Tags             []types.Tag
}

// Classify is provision.Classify on what was read: no call.
func (d UserDetail) Classify(group, policyName string, looks Look) Evidence {
	e, _ := Classify(context.Background(), nil, d.UserName, ClassifyOptions{
		Group: group, Policy: policyName, Tags: d.Tags, All: true, Looks: looks,
		Read: true, Groups: d.Groups, InlinePolicies: d.InlinePolicies,
	})
	return e
}

// ErrScanDenied is returned by ScanUsers when the caller may not call
// iam:GetAccountAuthorizationDetails: the caller falls back to reading
// user by user.
var ErrScanDenied = errors.New("iam:GetAccountAuthorizationDetails is not allowed")

// ScanNotice is the one notice a caller gives when it falls back.
const ScanNotice = "iam:GetAccountAuthorizationDetails was denied: reading the account user by user instead (slower, more IAM calls); allow it to the caller to scan in pages"

// ScanUsers pages through the account's users with
// iam:GetAccountAuthorizationDetails and calls fn with each page, in IAM's
// order. AccessDenied on the first page is ErrScanDenied (wrapped).
func ScanUsers(ctx context.Context, api iamapi.IAM, fn func([]UserDetail) error) error {
	in := &iam.GetAccountAuthorizationDetailsInput{
		Filter:   []types.EntityType{types.EntityTypeUser},
		MaxItems: aws.Int32(ScanPageSize),
	}
	first := true
	for {
		page, err := api.GetAccountAuthorizationDetails(ctx, in)
		if first && iamapi.HasCode(err, "AccessDenied", "AccessDeniedException", "UnauthorizedOperation") {
			return fmt.Errorf("%w: %w", ErrScanDenied, err)
		}
		if err != nil {
			return fmt.Errorf("iam:GetAccountAuthorizationDetails: %w", err)
		}
		first = false
		users := make([]UserDetail, 0, len(page.UserDetailList))
		for _, u := range page.UserDetailList {
			users = append(users, userDetail(u))
		}
		if err := fn(users); err != nil {
			return err
		}
		if !page.IsTruncated || aws.ToString(page.Marker) == "" {
			return nil
		}
		in.Marker = page.Marker
	}
}

// userDetail converts the SDK's shape; policy documents arrive URL-encoded.
func userDetail(u types.UserDetail) UserDetail {
	d := UserDetail{
		UserName: aws.ToString(u.UserName),
		UserARN:  aws.ToString(u.Arn),
		Path:     aws.ToString(u.Path),
		Created:  aws.ToTime(u.CreateDate),
		Groups:   u.GroupList,
		Tags:     u.Tags,
	}
	for _, p := range u.UserPolicyList {
		name := aws.ToString(p.PolicyName)
		d.InlinePolicies = append(d.InlinePolicies, name)
		doc := aws.ToString(p.PolicyDocument)
		if dec, err := url.PathUnescape(doc); err == nil {
			doc = dec
		}
		if d.InlineDocuments == nil {
			d.InlineDocuments = map[string]string{}
		}
		d.InlineDocuments[name] = doc
	}
	if u.PermissionsBoundary != nil {
		d.Boundary = aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn)
	}
	for _, a := range u.AttachedManagedPolicies {
		d.AttachedPolicies = append(d.AttachedPolicies, aws.ToString(a.PolicyArn))
	}
	return d
}
