package provision

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/internal/iamapi"
)

// Discovery of SMTP users across an account: the reads list and migrate
// share. The console gave each SMTP user it made before 6 September 2024 an
// inline policy named AmazonSesSendingAccess and the tag
// InvokedBy=SESConsole; since then it puts them in the sending group.

// DefaultDiscoverConcurrency bounds the per-user reads in flight during
// discovery. IAM publishes no rate and throttles beyond it; with two reads
// per user this keeps a scan of thousands of users steady.
const DefaultDiscoverConcurrency = 8

// LegacyUser is a user with the console's pre-2024 set-up: the inline
// policy, the tag, or both.
type LegacyUser struct {
	UserName     string
	UserARN      string
	InlinePolicy string      // the inline policy named like the sending policy, as IAM spells it; "" when none
	ConsoleTag   bool        // tagged InvokedBy=SESConsole
	Tags         []types.Tag // every tag of the user
}

// Legacy reports whether u has anything of the console's old set-up left.
func (u LegacyUser) Legacy() bool { return u.InlinePolicy != "" || u.ConsoleTag }

// DiscoverOptions tunes DiscoverLegacyUsers.
type DiscoverOptions struct {
	PolicyName  string // the inline policy's name; default DefaultPolicyName
	Concurrency int    // per-user reads in flight; default DefaultDiscoverConcurrency
	// Notices receives the one notice that the paged scan was denied and
	// discovery reads user by user instead.
	Notices Notices
}

// DiscoverLegacyUsers reads the account in pages of
// iam:GetAccountAuthorizationDetails (ScanUsers): one call per 1,000 users.
// Where that is denied it says so once and pages through iam:ListUsers,
// reading iam:ListUserPolicies and iam:ListUserTags for the users of a
// page concurrently. fn is
// called for every legacy user, one at a time and in ListUsers' order, after
// each page: output streams, and memory holds one page whatever the size of
// the account. A user whose reads fail is passed to fn with the error (its
// LegacyUser holds only the name) and the scan goes on; a user deleted
// meanwhile is left out. An error from ListUsers or from fn stops the scan.
func DiscoverLegacyUsers(ctx context.Context, api iamapi.IAM, opts DiscoverOptions, fn func(LegacyUser, error) error) error {
	if opts.PolicyName == "" {
		opts.PolicyName = DefaultPolicyName
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultDiscoverConcurrency
	}
	err := ScanUsers(ctx, api, func(users []UserDetail) error {
		for _, d := range users {
			lu := legacyFromDetail(d, opts.PolicyName)
			if !lu.Legacy() {
				continue
			}
			if err := fn(lu, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if !errors.Is(err, ErrScanDenied) {
		return err
	}
	opts.Notices.Info("", "%s", ScanNotice)
	return discoverUserByUser(ctx, api, opts, fn)
}

// legacyFromDetail is InspectLegacyUser on what the scan read.
func legacyFromDetail(d UserDetail, policyName string) LegacyUser {
	lu := LegacyUser{UserName: d.UserName, UserARN: d.UserARN, Tags: d.Tags, ConsoleTag: HasConsoleTag(d.Tags)}
	lu.InlinePolicy = d.Classify("", policyName, LookPolicy).InlinePolicy
	return lu
}

// discoverUserByUser is discovery without the paged scan: two reads a user.
func discoverUserByUser(ctx context.Context, api iamapi.IAM, opts DiscoverOptions, fn func(LegacyUser, error) error) error {
	type found struct {
		u   LegacyUser
		ok  bool
		err error
	}
	pages := iam.NewListUsersPaginator(api, &iam.ListUsersInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("iam:ListUsers: %w", err)
		}
		results := make([]found, len(page.Users))
		ForEach(ctx, len(page.Users), opts.Concurrency, func(ctx context.Context, i int) {
			u := page.Users[i]
			lu, ok, err := InspectLegacyUser(ctx, api, aws.ToString(u.UserName), opts.PolicyName)
			if iamapi.HasCode(err, "NoSuchEntity") {
				return // deleted while we looked
			}
			lu.UserARN = aws.ToString(u.Arn)
			results[i] = found{lu, ok, err}
		})
		if err := ctx.Err(); err != nil {
			return err
		}
		for i, r := range results {
			if r.err == nil && !r.ok {
				continue
			}
			if r.err != nil {
				r.u.UserName = aws.ToString(page.Users[i].UserName)
			}
			if err := fn(r.u, r.err); err != nil {
				return err
			}
		}
	}
	return nil
}

// InspectLegacyUser reads one user's inline policy names and tags
// (iam:ListUserPolicies, iam:ListUserTags) and reports whether it has the
// console's old set-up. A missing user is NoSuchEntity (HasCode).
func InspectLegacyUser(ctx context.Context, api iamapi.IAM, user, policyName string) (LegacyUser, bool, error) {
	lu := LegacyUser{UserName: user}
	name, err := iamapi.FindUserInlinePolicy(ctx, api, user, policyName)
	if err != nil {
		return lu, false, err
	}
	lu.InlinePolicy = name
	tags, err := iamapi.ListAllUserTags(ctx, api, user)
	if err != nil {
		return lu, false, err
	}
	lu.Tags = tags
	lu.ConsoleTag = HasConsoleTag(tags)
	return lu, lu.Legacy(), nil
}
