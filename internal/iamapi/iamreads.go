package iamapi

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

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

// UserInGroup reports whether user is seen in group (iam:ListGroupsForUser).
func UserInGroup(ctx context.Context, api IAM, user, group string) (bool, error) {
	p := iam.NewListGroupsForUserPaginator(api, &iam.ListGroupsForUserInput{UserName: aws.String(user)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return false, fmt.Errorf("iam:ListGroupsForUser %s: %w", user, err)
		}
		for _, g := range page.Groups {
			if strings.EqualFold(aws.ToString(g.GroupName), group) {
				return true, nil
			}
		}
	}
	return false, nil
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
