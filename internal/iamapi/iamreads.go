package iamapi

import (
	"context"
	"fmt"
	"strings"

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
