package main

import (
	"fmt"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/redact"
	"github.com/sesprov/sesprov/internal/tty"
	"github.com/sesprov/sesprov/provision"
	"github.com/urfave/cli/v2"
)

const flgDeriveAccessKeyID = "access-key-id"

// argvSecretWarning is printed whenever the secret comes from the command line.
const argvSecretWarning = "sesprov: warning: the secret is on the command line, where other local users can read it (ps, /proc)\n" +
	"and your shell history keeps it; pipe it on stdin instead: sesprov derive --regions REGION < secret.txt\n"

func createDeriveCommand() *cli.Command {
	return &cli.Command{
		Name:      "derive",
		Usage:     "turn a secret access key into SES SMTP passwords, offline (secret on stdin)",
		ArgsUsage: "[SECRET REGION]",
		Description: "Reads the secret access key on stdin (prompting without echo on a terminal) and\n" +
			"prints the SMTP password of each region. No AWS call is made. With one region and\n" +
			"the table format the password is printed alone, as AWS's script does.\n\n" +
			"The SMTP user name is the access key ID; --access-key-id puts it in the output.\n" +
			"Regions are checked against 'sesprov regions'; --allow-region accepts one the table\n" +
			"refuses (AWS may add endpoints).\n\n" +
			"Examples:\n" +
			"   sesprov derive --regions us-east-1 < secret.txt\n" +
			"   sesprov --output json derive --regions us-east-1,eu-west-1 --access-key-id AKIAIOSFODNN7EXAMPLE < secret.txt\n" +
			"   sesprov derive SECRET us-east-1    # the form of AWS's example script; warns: argv is visible to other users",
		Flags: append(regionFlags(),
			&cli.StringFlag{Name: flgDeriveAccessKeyID, Usage: "access key `ID` (AKIA…) to show as the SMTP user name"},
		),
		Action: func(c *cli.Context) error {
			g := globalsOf(c)
			in := provision.DeriveInput{Format: g.Output, AccessKeyID: c.String(flgDeriveAccessKeyID)}
			if in.AccessKeyID != "" {
				if err := provision.CheckAccessKeyID(in.AccessKeyID); err != nil {
					return err
				}
			}
			var err error
			switch c.NArg() {
			case 0:
				if in.Regions, err = resolveRegions(c); err != nil {
					return err
				}
				if in.Secret, err = tty.ReadSecret(c.Context, g.Stdin, g.Stderr); err != nil {
					return err
				}
			case 2: // AWS's example script's `script.py SECRET REGION`
				if c.IsSet(flgRegions) {
					return fail.Usagef("give the region either as the second argument or with --%s, not both", flgRegions)
				}
				fmt.Fprint(g.Stderr, argvSecretWarning)
				if in.Regions, err = derive.ResolveRegions([]string{c.Args().Get(1)}, c.StringSlice(flgAllowRegion)); err != nil {
					// REGION SECRET: say so without echoing the secret.
					if _, rerr := derive.ResolveRegions([]string{c.Args().Get(0)}, c.StringSlice(flgAllowRegion)); rerr == nil {
						return fail.Usagef("the arguments are SECRET REGION, in that order: the second argument is not a region and the first is; swap them (better: the secret on stdin, see 'sesprov derive --help')")
					}
					return fail.AsUsage(err)
				}
				secret := c.Args().Get(0)
				warnings, err := tty.CheckSecretAccessKey(secret)
				if err != nil {
					return err
				}
				for _, w := range warnings {
					fmt.Fprintf(g.Stderr, "sesprov: warning: %s\n", w)
				}
				in.Secret = redact.NewSecret(secret)
			default:
				// The arguments are not echoed: one of them may be the secret.
				for _, a := range c.Args().Slice() {
					if len(a) > 1 && a[0] == '-' {
						return fail.Usagef("flags go before the arguments: sesprov derive --%s R SECRET REGION (better: the secret on stdin)", flgAllowRegion)
					}
				}
				return fail.Usagef("derive takes the secret on stdin and --%s, or the two arguments SECRET REGION of AWS's example script; got %d arguments", flgRegions, c.NArg())
			}
			return quietWhenReaderGone(provision.DeriveCommand(c.Context, in, g.Stdout))
		},
	}
}
