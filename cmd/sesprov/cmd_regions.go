package main

import (
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/provision"
	"github.com/urfave/cli/v2"
)

const flgAvailable = "available"

func createRegionsCommand() *cli.Command {
	return &cli.Command{
		Name:  "regions",
		Usage: "list regions: SES SMTP endpoint, FIPS endpoint, status and the source behind it",
		Description: "Shows sesprov's region table: the regions with an SES SMTP endpoint, the ones\n" +
			"AWS documents as having none, and the other AWS regions, each with the documents\n" +
			"that say so and where they disagree (docs/regions.md). Commands refuse a region the\n" +
			"table does not mark available unless it is passed with --allow-region.\n\n" +
			"Examples:\n" +
			"   sesprov regions\n" +
			"   sesprov --output json regions --available",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: flgAvailable, Usage: "only the regions with an SMTP endpoint"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fail.Usagef("regions takes no arguments; got %q", c.Args().First())
			}
			g := globalsOf(c)
			return provision.RegionsCommand(provision.RegionsInput{Format: g.Output, Available: c.Bool(flgAvailable)}, g.Stdout)
		},
	}
}
