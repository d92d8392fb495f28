package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/provision/migrate"
	"github.com/sesprov/sesprov/provision/org"
)

// checkMigrateOrg refuses what --org cannot do: across accounts migrate
// only plans (a change in many accounts at once deserves a run per
// account), and it plans every legacy user, not one name.
func checkMigrateOrg(in migrate.Options) error {
	if !in.DryRun {
		return fail.Usagef("migrate --%s only plans across accounts: add --%s, then migrate each account on its own", flgOrgScope, flgDryRun)
	}
	if !in.All {
		return fail.Usagef("migrate --%s plans every legacy user of each account: give --%s, not --%s", flgOrgScope, flgAll, flgUserName)
	}
	return nil
}

// runMigrateOrg is migrate's dry run in each account of the organization,
// every line of its report stamped with the account.
func runMigrateOrg(ctx context.Context, scope orgScope, clients *iamapi.Clients, in migrate.Options, mr *migrateReport, g *globals) error {
	var mu sync.Mutex
	return scope.each(ctx, clients, g.Stderr, func(ctx context.Context, a org.Account) error {
		opts := in
		opts.Report = &accountMigrateReport{id: a.ID, mu: &mu, r: mr}
		_, err := migrate.Run(ctx, opts, migrate.Deps{IAM: a.IAM, STS: a.STS})
		return err
	})
}

// accountMigrateReport stamps migrate's report with the account and
// serialises the accounts' writes.
type accountMigrateReport struct {
	id string
	mu *sync.Mutex
	r  *migrateReport
}

func (ar *accountMigrateReport) Group(group string, changes []string) error {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	if ar.r.format == output.FormatJSON {
		return nil // in the summary's group_changes
	}
	fmt.Fprintf(ar.r.w, "account %s: ", ar.id)
	return ar.r.Group(group, changes)
}

func (ar *accountMigrateReport) User(u migrate.UserResult) error {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	if ar.r.format == output.FormatJSON {
		return ar.r.json(struct {
			AccountID string `json:"account_id"`
			migrate.UserResult
		}{ar.id, u})
	}
	fmt.Fprintf(ar.r.w, "account %s: ", ar.id)
	return ar.r.User(u)
}

func (ar *accountMigrateReport) Summary(s migrate.Summary) error {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	if ar.r.format == output.FormatJSON {
		if s.GroupChanges == nil {
			s.GroupChanges = []string{}
		}
		return ar.r.json(struct {
			AccountID string          `json:"account_id"`
			Summary   migrate.Summary `json:"summary"`
		}{ar.id, s})
	}
	fmt.Fprintf(ar.r.w, "account %s: ", ar.id)
	return ar.r.Summary(s)
}
