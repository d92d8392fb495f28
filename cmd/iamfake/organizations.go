package main

import "github.com/sesprov/sesprov/iamfake/organizations"

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
