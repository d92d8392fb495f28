package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/provision/org"
	"github.com/urfave/cli/v2"
)

// The flags that run list and audit across an AWS Organization.
const (
	flgOrgScope    = "org"
	flgOrgRoleName = "role-name"
	flgOrgAccounts = "accounts"
)

func orgFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: flgOrgScope, Usage: "every ACTIVE account of the AWS Organization (run from the management account or a delegated administrator); records gain account_id"},
		&cli.StringFlag{Name: flgOrgRoleName, Value: org.DefaultRoleName, Usage: "with --org: enter each member account by assuming role `NAME` there"},
		&cli.StringFlag{Name: flgOrgAccounts, Usage: "with --org: only these accounts (`ID,…`)"},
	}
}

// orgScope is where a read-only command runs: the caller's account, or
// the organization's accounts.
type orgScope struct {
	org  bool
	opts org.Options
}

// orgScopeOf reads --org, --role-name and --accounts (exit 2 on bad input).
func orgScopeOf(c *cli.Context) (orgScope, error) {
	s := orgScope{org: c.Bool(flgOrgScope), opts: org.Options{RoleName: c.String(flgOrgRoleName)}}
	if v := c.String(flgOrgAccounts); v != "" {
		for _, id := range strings.Split(v, ",") {
			s.opts.Accounts = append(s.opts.Accounts, strings.TrimSpace(id))
		}
	}
	if !s.org && (c.IsSet(flgOrgAccounts) || c.IsSet(flgOrgRoleName)) {
		return s, fail.Usagef("--%s and --%s need --%s", flgOrgAccounts, flgOrgRoleName, flgOrgScope)
	}
	return s, s.opts.Validate()
}

// each runs fn in the caller's account, or with --org in every account of
// the organization, reporting on stderr each account that failed.
func (s orgScope) each(ctx context.Context, clients *iamapi.Clients, stderr io.Writer, fn func(context.Context, org.Account) error) error {
	self, err := callerAccount(ctx, clients.STS)
	if err != nil {
		return err
	}
	if !s.org {
		return fn(ctx, org.Account{ID: self, IAM: clients.IAM, STS: clients.STS})
	}
	return org.Run(ctx, clients.Config, self, s.opts, func(e *org.AccountError) {
		fmt.Fprintf(stderr, "sesprov: account %s: %v\n", e.AccountID, e.Err)
	}, fn)
}
