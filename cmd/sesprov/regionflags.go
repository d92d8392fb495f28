package main

import (
	"strings"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/urfave/cli/v2"
)

// Flags that choose SMTP regions, shared by every command that derives
// passwords (create-user, rotate, convert, derive, verify).
const (
	flgRegions     = "regions"
	flgAllowRegion = "allow-region"
)

// regionFlags returns --regions and --allow-region. Both take a comma-separated
// list and may be repeated.
func regionFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{
			Name:  flgRegions,
			Usage: "SMTP `REGIONS`, comma-separated or repeated (e.g. us-east-1,eu-west-1; see 'sesprov regions')",
		},
		&cli.StringSliceFlag{
			Name:  flgAllowRegion,
			Usage: "accept `REGION` although sesprov's table says it has no SES SMTP endpoint (for when AWS adds one); repeatable",
		},
	}
}

// resolveRegions validates --regions against the region table (and
// --allow-region). Every bad name is reported at once, as a usage error
// (exit 2): nothing has been changed yet.
func resolveRegions(c *cli.Context) ([]derive.Region, error) {
	var names []string
	for _, n := range c.StringSlice(flgRegions) {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		if lv := flagLevelsOf(c); lv.given(flgRegion, envRegion) {
			// --region is a global flag: it is accepted here, and is not
			// what was meant.
			r := lv.String(flgRegion)
			return nil, fail.Usagef("no SMTP region given: --%s %s is the region of the IAM/STS clients; the SMTP regions are --%s (--%s %s)",
				flgRegion, r, flgRegions, flgRegions, r)
		}
		return nil, fail.Usagef("no region given: pass --%s R1,R2 (run 'sesprov regions' for the list)", flgRegions)
	}
	regions, err := derive.ResolveRegions(names, c.StringSlice(flgAllowRegion))
	if err != nil {
		return nil, fail.AsUsage(err)
	}
	return regions, nil
}
