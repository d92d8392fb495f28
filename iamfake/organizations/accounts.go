package organizations

import (
	"sort"

	"github.com/sesprov/sesprov/iamfake/internal/awsjson"
)

// The operations. DescribeOrganization answers any account of the
// organization; the others only the management account and delegated
// administrators, as AWS documents.

type organizationOut struct {
	Id                 string
	Arn                string
	FeatureSet         string
	MasterAccountArn   string
	MasterAccountId    string
	MasterAccountEmail string
}

type accountOut struct {
	Id              string
	Arn             string
	Email           string
	Name            string
	Status          string
	State           string
	JoinedMethod    string
	JoinedTimestamp awsjson.Time
}

type delegatedOut struct {
	accountOut
	DelegationEnabledDate awsjson.Time
}

// member finds the caller's organization: AWSOrganizationsNotInUse when
// there is none or the caller is not in it.
func (c *call) member() (*organization, *apiError) {
	o := c.st.Org
	if o == nil || o.Accounts[c.caller] == nil {
		return nil, notInUse()
	}
	return o, nil
}

// administrator is member for the operations reserved to the management
// account and delegated administrators.
func (c *call) administrator() (*organization, *apiError) {
	o, err := c.member()
	if err != nil {
		return nil, err
	}
	if c.caller != o.Management && !o.isDelegated(c.caller) {
		return nil, accessDenied()
	}
	return o, nil
}

func outAccount(o *organization, a *Account) accountOut {
	return accountOut{
		Id: a.ID, Arn: o.accountARN(a.ID), Email: a.Email, Name: a.Name,
		Status: status(a.State), State: a.State,
		JoinedMethod: a.JoinedMethod, JoinedTimestamp: awsjson.Time(a.Joined),
	}
}

func describeOrganization(c *call, _ *struct{}) (any, *apiError) {
	o, err := c.member()
	if err != nil {
		return nil, err
	}
	m := o.Accounts[o.Management]
	return map[string]organizationOut{"Organization": {
		Id: o.ID, Arn: o.arn(), FeatureSet: o.FeatureSet,
		MasterAccountArn: o.accountARN(m.ID), MasterAccountId: m.ID, MasterAccountEmail: m.Email,
	}}, nil
}

type pageIn struct {
	MaxResults *int
	NextToken  *string
}

// page reads MaxResults (1-20; 20 when absent) and NextToken.
func (in pageIn) page() (max int, from string, err *apiError) {
	max = 20
	if in.MaxResults != nil {
		switch n := *in.MaxResults; {
		case n < 1:
			return 0, "", invalidInput(ReasonMinValue, "You provided a value that is less than the minimum allowed value.")
		case n > 20:
			return 0, "", invalidInput(ReasonMaxValue, "You provided a value that exceeds the maximum allowed value.")
		default:
			max = n
		}
	}
	if in.NextToken != nil {
		k, ok := awsjson.ParseToken(*in.NextToken)
		if !ok || k == "" {
			return 0, "", invalidInput(ReasonInvalidNextToken, "You specified an invalid value for nextToken.")
		}
		from = k
	}
	return max, from, nil
}

// pageOf returns up to max items whose key is from or after it, and the
// token of the next page.
func pageOf[T any](all []T, key func(T) string, from string, max int) ([]T, *string) {
	i := sort.Search(len(all), func(i int) bool { return key(all[i]) >= from })
	if i+max >= len(all) {
		return all[i:], nil
	}
	tok := awsjson.PageToken(key(all[i+max]))
	return all[i : i+max], &tok
}

func listAccounts(c *call, in *pageIn) (any, *apiError) {
	o, err := c.administrator()
	if err != nil {
		return nil, err
	}
	max, from, err := in.page()
	if err != nil {
		return nil, err
	}
	accts, next := pageOf(o.sortedAccounts(), func(a *Account) string { return a.ID }, from, max)
	out := struct {
		Accounts  []accountOut
		NextToken *string `json:",omitempty"`
	}{Accounts: []accountOut{}, NextToken: next}
	for _, a := range accts {
		out.Accounts = append(out.Accounts, outAccount(o, a))
	}
	return out, nil
}

func describeAccount(c *call, in *struct{ AccountId *string }) (any, *apiError) {
	if in.AccountId == nil {
		return nil, invalidInput(ReasonInputRequired, "You must provide a value for the required parameter AccountId.")
	}
	if !validAccountID(*in.AccountId) {
		return nil, invalidInput(ReasonInvalidPattern, "You provided a value that doesn't match the required pattern.")
	}
	o, err := c.administrator()
	if err != nil {
		return nil, err
	}
	a := o.Accounts[*in.AccountId]
	if a == nil {
		return nil, &apiError{Code: AccountNotFound, Message: "You specified an account that doesn't exist."}
	}
	return map[string]accountOut{"Account": outAccount(o, a)}, nil
}

func listDelegatedAdministrators(c *call, in *struct {
	pageIn
	ServicePrincipal *string
}) (any, *apiError) {
	o, err := c.administrator()
	if err != nil {
		return nil, err
	}
	max, from, err := in.page()
	if err != nil {
		return nil, err
	}
	// One entry per account, dated by its first delegation (for the
	// service asked about, when one is).
	first := map[string]*delegation{}
	for _, d := range o.Delegated {
		if in.ServicePrincipal != nil && d.Service != *in.ServicePrincipal {
			continue
		}
		if first[d.Account] == nil && o.Accounts[d.Account] != nil {
			first[d.Account] = d
		}
	}
	var ds []*delegation
	for _, d := range first {
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i].Account < ds[j].Account })
	page, next := pageOf(ds, func(d *delegation) string { return d.Account }, from, max)
	out := struct {
		DelegatedAdministrators []delegatedOut
		NextToken               *string `json:",omitempty"`
	}{DelegatedAdministrators: []delegatedOut{}, NextToken: next}
	for _, d := range page {
		out.DelegatedAdministrators = append(out.DelegatedAdministrators,
			delegatedOut{accountOut: outAccount(o, o.Accounts[d.Account]), DelegationEnabledDate: awsjson.Time(d.Enabled)})
	}
	return out, nil
}
