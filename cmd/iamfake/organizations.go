package main

import (
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/organizations"
)

// createOrganization makes, for --org-accounts, an organization managed by
// the served account with the member accounts given. A state file that
// already holds an organization keeps it.
func createOrganization(o *organizations.Server, members []string) error {
	if len(members) == 0 || o.OrganizationID() != "" {
		return nil
	}
	if err := o.CreateOrganization(organizations.Account{Name: "management"}); err != nil {
		return err
	}
	for _, id := range members {
		if id == o.Accounts()[0].ID {
			continue // the management account is already in it
		}
		if err := o.AddAccount(organizations.Account{ID: id}); err != nil {
			return err
		}
	}
	return nil
}

// addMemberAccounts serves, for --org-accounts, each member account's IAM
// beside the served one, with the OrganizationAccountAccessRole that
// Organizations creates in its accounts: AssumeRole into it answers
// credentials that act in the member account. Member accounts' IAM state
// lives in memory only (it is not saved with the state file).
func addMemberAccounts(srv *iamfake.Server, members []string) {
	for _, id := range members {
		if id != srv.AccountID() {
			srv.AddAccount(id, "OrganizationAccountAccessRole")
		}
	}
}
