package provision

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
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
}

// DiscoverLegacyUsers pages through iam:ListUsers and, for the users of a
// page concurrently, reads iam:ListUserPolicies and iam:ListUserTags. fn is
// called for every legacy user, one at a time and in ListUsers' order, after
// each page: output streams, and memory holds one page whatever the size of
// the account. A user whose reads fail is passed to fn with the error (its
// LegacyUser holds only the name) and the scan goes on; a user deleted
// meanwhile is left out. An error from ListUsers or from fn stops the scan.
func DiscoverLegacyUsers(ctx context.Context, api IAM, opts DiscoverOptions, fn func(LegacyUser, error) error) error {
	if opts.PolicyName == "" {
		opts.PolicyName = DefaultPolicyName
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultDiscoverConcurrency
	}
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
		ForEachLimit(ctx, len(page.Users), opts.Concurrency, func(ctx context.Context, i int) {
			u := page.Users[i]
			lu, ok, err := InspectLegacyUser(ctx, api, aws.ToString(u.UserName), opts.PolicyName)
			if HasCode(err, "NoSuchEntity") {
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
func InspectLegacyUser(ctx context.Context, api IAM, user, policyName string) (LegacyUser, bool, error) {
	lu := LegacyUser{UserName: user}
	name, err := FindUserInlinePolicy(ctx, api, user, policyName)
	if err != nil {
		return lu, false, err
	}
	lu.InlinePolicy = name
	tags, err := ListAllUserTags(ctx, api, user)
	if err != nil {
		return lu, false, err
	}
	lu.Tags = tags
	lu.ConsoleTag = HasConsoleTag(tags)
	return lu, lu.Legacy(), nil
}

// FindUserInlinePolicy returns the name, as IAM spells it, of user's inline
// policy called name (compared case-insensitively), or "" when it has none
// (iam:ListUserPolicies).
func FindUserInlinePolicy(ctx context.Context, api IAM, user, name string) (string, error) {
	pages := iam.NewListUserPoliciesPaginator(api, &iam.ListUserPoliciesInput{UserName: aws.String(user)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("iam:ListUserPolicies %s: %w", user, err)
		}
		for _, p := range page.PolicyNames {
			if strings.EqualFold(p, name) {
				return p, nil
			}
		}
	}
	return "", nil
}

// ListAllUserTags returns every tag of user (iam:ListUserTags, all pages).
func ListAllUserTags(ctx context.Context, api IAM, user string) ([]types.Tag, error) {
	var tags []types.Tag
	pages := iam.NewListUserTagsPaginator(api, &iam.ListUserTagsInput{UserName: aws.String(user)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("iam:ListUserTags %s: %w", user, err)
		}
		tags = append(tags, page.Tags...)
	}
	return tags, nil
}

// HasConsoleTag reports whether tags hold the console's InvokedBy=SESConsole.
func HasConsoleTag(tags []types.Tag) bool {
	for _, t := range tags {
		if aws.ToString(t.Key) == TagConsoleKey && aws.ToString(t.Value) == TagConsoleValue {
			return true
		}
	}
	return false
}

// UserInGroup reports whether user is seen in group (iam:ListGroupsForUser).
func UserInGroup(ctx context.Context, api IAM, user, group string) (bool, error) {
	return userInGroup(ctx, api, user, group)
}

// ForEachLimit calls fn(ctx, i) for i in [0, n) with at most limit calls in
// flight, and returns when all have returned. Unlike an errgroup, one item's
// trouble does not cancel the others: fn records its own outcome. Once ctx
// is done no further item is started.
func ForEachLimit(ctx context.Context, n, limit int, fn func(ctx context.Context, i int)) {
	if limit <= 0 {
		limit = 1
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(limit, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(ctx, i)
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
}
