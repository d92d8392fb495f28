// Package org runs a read-only workflow (list, audit) in every ACTIVE
// account of an AWS Organization: the accounts come from Organizations
// ListAccounts (called from the management account or a delegated
// administrator), each member account is entered by assuming a role of the
// same name in it, the caller's own account directly. Accounts run
// concurrently, each with its own IAM limiter: IAM throttles per account.
package org

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/provision"
)

// DefaultRoleName is the role Organizations creates in the accounts it
// makes, trusted by the management account.
const DefaultRoleName = "OrganizationAccountAccessRole"

// DefaultConcurrency is how many accounts run at once.
const DefaultConcurrency = 4

// Options say which accounts and how to enter them.
type Options struct {
	RoleName    string   // default DefaultRoleName
	Accounts    []string // narrows the set to these ids; empty: every ACTIVE account
	Concurrency int      // accounts at once; default DefaultConcurrency
	SessionName string   // the assumed-role session's name (CloudTrail shows it)
}

// Validate checks the account ids and the role name (exit 2).
func (o Options) Validate() error {
	for _, id := range o.Accounts {
		if len(id) != 12 || strings.Trim(id, "0123456789") != "" {
			return fail.Usagef("--accounts: %q is no account id: give 12-digit ids separated by commas", id)
		}
	}
	if o.RoleName != "" && !roleName.MatchString(o.RoleName) {
		return fail.Usagef("--role-name %q: give a role name of 1 to 64 letters, digits and +=,.@_-", o.RoleName)
	}
	return nil
}

var roleName = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)

// Account is one account entered: its id and IAM and STS clients acting
// in it (STS answers who is calling there: a plan's ARNs name that account).
type Account struct {
	ID  string
	IAM iamapi.IAM
	STS iamapi.STS
}

// AccountError is an account that could not be entered or whose run failed.
type AccountError struct {
	AccountID string
	Err       error
}

func (e *AccountError) Error() string { return "account " + e.AccountID + ": " + e.Err.Error() }
func (e *AccountError) Unwrap() error { return e.Err }

// Run finds the accounts (ListAccounts), enters each and calls fn in it,
// opts.Concurrency accounts at once. An account that cannot be entered, or
// whose fn fails, is reported to failed (when set) and the rest go on; the
// error returned names them all (exit 1). cfg is the caller's configuration;
// self is the caller's account id (entered directly).
func Run(ctx context.Context, cfg aws.Config, self string, opts Options, failed func(*AccountError), fn func(context.Context, Account) error) error {
	ids, err := Accounts(ctx, organizations.NewFromConfig(cfg), opts.Accounts)
	if err != nil {
		return err
	}
	var (
		mu   sync.Mutex
		errs []error
	)
	provision.ForEach(ctx, len(ids), cmp.Or(opts.Concurrency, DefaultConcurrency), func(ctx context.Context, i int) {
		err := runOne(ctx, cfg, self, ids[i], opts, fn)
		if err == nil {
			return
		}
		ae := &AccountError{AccountID: ids[i], Err: err}
		if failed != nil {
			failed(ae)
		}
		mu.Lock()
		errs = append(errs, ae)
		mu.Unlock()
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d accounts failed: %w", len(errs), len(ids), errors.Join(errs...))
	}
	return nil
}

func runOne(ctx context.Context, cfg aws.Config, self, id string, opts Options, fn func(context.Context, Account) error) error {
	in, err := enter(ctx, cfg, self, id, opts)
	if err != nil {
		return err
	}
	return fn(ctx, Account{ID: id, IAM: iam.NewFromConfig(in, iamapi.NewAdaptiveLimiter().IAMOption()), STS: sts.NewFromConfig(in)})
}

// Accounts lists the organization's ACTIVE accounts, in ListAccounts'
// order, narrowed to only when given. An id in only that is not an ACTIVE
// account of the organization is an error: a typo must not pass silently.
func Accounts(ctx context.Context, api *organizations.Client, only []string) ([]string, error) {
	var ids []string
	all := map[string]bool{}
	pages := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("organizations:ListAccounts (run --org from the management account or a delegated administrator): %w", err)
		}
		for _, a := range page.Accounts {
			id := aws.ToString(a.Id)
			if !active(a) {
				continue
			}
			all[id] = true
			if len(only) == 0 || slices.Contains(only, id) {
				ids = append(ids, id)
			}
		}
	}
	for _, id := range only {
		if !all[id] {
			return nil, fail.Usagef("--accounts: %s is not an ACTIVE account of the organization", id)
		}
	}
	return ids, nil
}

// Enter returns an IAM client acting in account id, with a limiter of its
// own: the caller's own account directly, another by assuming
// opts.RoleName there. The role is assumed at once, so an account that
// cannot be entered says so here, not in its first IAM call.
func Enter(ctx context.Context, cfg aws.Config, self, id string, opts Options) (iamapi.IAM, error) {
	in, err := enter(ctx, cfg, self, id, opts)
	if err != nil {
		return nil, err
	}
	return iam.NewFromConfig(in, iamapi.NewAdaptiveLimiter().IAMOption()), nil
}

// enter returns the configuration acting in account id (see Enter).
func enter(ctx context.Context, cfg aws.Config, self, id string, opts Options) (aws.Config, error) {
	if id != self {
		arn := "arn:aws:iam::" + id + ":role/" + cmp.Or(opts.RoleName, DefaultRoleName)
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), arn, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = cmp.Or(opts.SessionName, "sesprov-org")
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			return cfg, fmt.Errorf("cannot enter: sts:AssumeRole %s: %w", arn, err)
		}
	}
	return cfg, nil
}

// active reads State, which replaces the deprecated Status, or Status from
// an endpoint that answers only that.
func active(a orgtypes.Account) bool {
	if a.State != "" {
		return a.State == orgtypes.AccountStateActive
	}
	return a.Status == orgtypes.AccountStatusActive //nolint:staticcheck // older endpoints answer only Status
}
