package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/audit"
	"github.com/sesprov/sesprov/provision/list"
	"github.com/sesprov/sesprov/provision/org"
	"github.com/urfave/cli/v2"
)

// audit's own flags (the --org flags are in orgflags.go).
const (
	flgAuditUnusedAfter = "unused-after"
	flgAuditGrace       = "grace"
)

func createAuditCommand() *cli.Command {
	return &cli.Command{
		Name:      "audit",
		Usage:     "judge every SMTP user's keys by the CIS AWS Foundations rules; exit 3 on any finding",
		ArgsUsage: " ",
		Description: "Finds the account's SMTP users as 'sesprov list' does and reports one finding per\n" +
			"line:\n" +
			"   key-age            an active key older than --max-age (CIS 1.14)\n" +
			"   two-active-keys    more than one active key (CIS 1.13); a rotation's superseded\n" +
			"                      key inside its --grace does not count\n" +
			"   unused             an active key older than --unused-after, not used in that\n" +
			"                      time (CIS 1.12); a fresh, never-used key is no finding\n" +
			"   inline-policy      SES access through a user policy, not the group (CIS 1.15)\n" +
			"   superseded-active  a rotation's old key still active past --grace\n" +
			"   rotation-stuck     a rotation started longer than --stale-after ago, unfinished\n\n" +
			"Output: a table grouped by user, json (one finding per line: account_id, user_name,\n" +
			"access_key_id where it applies, finding, detail), or csv. Exit 0: no finding;\n" +
			"3: a finding (CI can gate on it); 1: an error (with --org: an account that could\n" +
			"not be entered; the others are still audited).\n\n" +
			"Examples:\n" +
			"   sesprov audit\n" +
			"   sesprov -o json audit --max-age 60d | jq -r 'select(.finding==\"key-age\") | .user_name'\n" +
			"   sesprov audit --org --accounts 111111111111,222222222222",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: flgMaxAge, Value: "90d", Usage: "an active key older than `AGE` is a key-age finding: days (90d) or a duration"},
			&cli.StringFlag{Name: flgAuditUnusedAfter, Value: "45d", Usage: "an active key older than `AGE` and not used in that time is unused"},
			&cli.StringFlag{Name: flgAuditGrace, Value: "7d", Usage: "a rotation's superseded key may stay active for `D` after the new key's delivery"},
			&cli.StringFlag{Name: flgStaleAfter, Value: "24h", Usage: "a rotation started longer than `D` ago and not finished is stuck"},
			&cli.StringFlag{Name: flgGroup, Value: provision.DefaultGroupName, Usage: "sending `GROUP` whose members are SMTP users"},
			&cli.StringFlag{Name: flgPolicyName, Value: provision.DefaultPolicyName, Usage: "`NAME` of the SES inline policy of legacy console users"},
		}, orgFlags()...),
		Action: func(c *cli.Context) error { return quietWhenReaderGone(auditAction(c)) },
	}
}

// auditOptionsOf reads audit's flags; every problem is a usage error.
func auditOptionsOf(c *cli.Context) (audit.Options, error) {
	var opts audit.Options
	for _, d := range []struct {
		flag string
		to   *time.Duration
	}{{flgMaxAge, &opts.MaxAge}, {flgAuditUnusedAfter, &opts.UnusedAfter}, {flgAuditGrace, &opts.Grace}, {flgStaleAfter, &opts.StaleAfter}} {
		v, err := list.ParseMaxAge(c.String(d.flag))
		if err != nil || v <= 0 {
			return opts, fail.Usagef("--%s %q: give days (90d) or a duration (36h), more than 0", d.flag, c.String(d.flag))
		}
		*d.to = v
	}
	opts.GroupName, opts.PolicyName = c.String(flgGroup), c.String(flgPolicyName)
	if err := provision.ValidateGroupName(opts.GroupName); err != nil {
		return opts, err
	}
	return opts, provision.ValidatePolicyName(opts.PolicyName)
}

func auditAction(c *cli.Context) error {
	g := globalsOf(c)
	if c.Args().Present() {
		return fail.Usagef("audit takes no arguments (got %q)", c.Args().First())
	}
	opts, err := auditOptionsOf(c)
	if err != nil {
		return err
	}
	scope, err := orgScopeOf(c)
	if err != nil {
		return err
	}
	w, err := audit.NewWriter(g.Stdout, g.Output, scope.org)
	if err != nil {
		return err
	}
	clients, err := newClients(c)
	if err != nil {
		return err
	}
	defer clients.Close()
	opts.Notices = noticesTo(g.Stderr)
	opts.Rate = listRate(list.DefaultRate, false, g.Client)
	err = scope.each(c.Context, clients, g.Stderr, func(ctx context.Context, a org.Account) error {
		o := opts
		o.AccountID = a.ID
		_, err := audit.Run(ctx, a.IAM, o, w.Write)
		return err
	})
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	if n := w.Count(); n > 0 {
		return fail.Conflictf("%d finding(s): see above", n)
	}
	fmt.Fprintln(g.Stderr, "sesprov: audit: no finding")
	return nil
}

// callerAccount is the account the caller's credentials act in.
func callerAccount(ctx context.Context, api interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}) (string, error) {
	out, err := api.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("sts:GetCallerIdentity (which account is this?): %w", err)
	}
	return aws.ToString(out.Account), nil
}
