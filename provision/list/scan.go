package list

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/scope"
)

// scan is Run on iam:GetAccountAuthorizationDetails: one call a page tells
// the SMTP users apart (provision.Classify's rules on what the page holds),
// then only their keys are read. The group's members stream out page by
// page; the legacy inline-only users, few by nature, follow them at the
// end, in the order list has always written.
func (l *lister) scan(ctx context.Context, sink Sink) error {
	var inlineOnly []types.User
	err := provision.ScanUsers(ctx, l.client, func(page []provision.UserDetail) error {
		var members []types.User
		access := map[string]Access{}
		for _, d := range page {
			ev := d.Classify(l.in.GroupName, l.in.PolicyName, provision.LookGroup|provision.LookPolicy)
			l.rememberScope(d)
			u := types.User{UserName: aws.String(d.UserName), Arn: aws.String(d.UserARN), CreateDate: aws.Time(d.Created), Tags: append([]types.Tag{}, d.Tags...)}
			switch {
			case ev.Group != "" && ev.InlinePolicy != "":
				members, access[d.UserName] = append(members, u), AccessBoth
			case ev.Group != "":
				members, access[d.UserName] = append(members, u), AccessGroup
			case ev.InlinePolicy != "":
				inlineOnly = append(inlineOnly, u)
			}
		}
		return l.describeAll(ctx, sink, members, func(u types.User) Access { return access[aws.ToString(u.UserName)] })
	})
	if err != nil {
		return err
	}
	return l.describeAll(ctx, sink, inlineOnly, func(types.User) Access { return AccessInline })
}

// describeAll reads the keys of users concurrently and writes them in order.
func (l *lister) describeAll(ctx context.Context, sink Sink, users []types.User, access func(types.User) Access) error {
	for len(users) > 0 {
		n := min(len(users), 100) // output streams in pages of 100, as before
		out, err := forEach(ctx, users[:n], l.in.Concurrency, func(ctx context.Context, u types.User) (*User, error) {
			return l.describe(ctx, u, access(u))
		})
		if err != nil {
			return err
		}
		if err := emit(sink, out); err != nil {
			return err
		}
		users = users[n:]
	}
	return nil
}

// GetAccountAuthorizationDetails is paced like every call list makes.
func (p *pacedIAM) GetAccountAuthorizationDetails(ctx context.Context, in *iam.GetAccountAuthorizationDetailsInput, o ...func(*iam.Options)) (*iam.GetAccountAuthorizationDetailsOutput, error) {
	return paced(ctx, p.lim, p.IAM.GetAccountAuthorizationDetails, in, o)
}

// rememberScope keeps the scope the scan read with d's inline documents, so
// that describing d costs no iam:GetUserPolicy. A document that does not
// parse is left to scope.Read, which reports it.
func (l *lister) rememberScope(d provision.UserDetail) {
	doc, ok := d.InlineDocuments[scope.PolicyName]
	if !ok {
		l.scanned.Store(d.UserName, []string(nil))
		return
	}
	if addrs, err := scope.AddressesOf(doc); err == nil {
		l.scanned.Store(d.UserName, addrs)
	}
}
