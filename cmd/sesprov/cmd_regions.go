package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/tty"
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
			return quietWhenReaderGone(writeRegions(g.Stdout, g.Output, c.Bool(flgAvailable)))
		},
	}
}

type jsonRegion struct {
	Region       string   `json:"region"`
	Description  string   `json:"description"`
	Partition    string   `json:"partition"`
	SMTPEndpoint string   `json:"smtp_endpoint,omitempty"`
	FIPSEndpoint string   `json:"fips_endpoint,omitempty"`
	Status       string   `json:"status"`
	Sources      []string `json:"sources"`
	Note         string   `json:"note,omitempty"`
}

// writeRegions writes the region table (derive.Regions) in table, json or
// csv: endpoints, status, the sources behind it and why.
func writeRegions(w io.Writer, f output.Format, available bool) error {
	regions := derive.Regions()
	if available {
		kept := regions[:0]
		for _, r := range regions {
			if r.Usable() {
				kept = append(kept, r)
			}
		}
		regions = kept
	}
	switch f {
	case output.FormatJSON:
		out := struct {
			Regions []jsonRegion `json:"regions"`
		}{make([]jsonRegion, 0, len(regions))}
		for _, r := range regions {
			out.Regions = append(out.Regions, jsonRegion{
				r.Name, r.Description, r.Partition, r.SMTPEndpoint, r.FIPSEndpoint,
				string(r.Status), r.Sources, regionNote(r, false),
			})
		}
		b, err := json.Marshal(out)
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	case output.FormatCSV:
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"Region", "Description", "Partition", "SMTP Endpoint", "FIPS Endpoint", "Status", "Source", "Note"})
		for _, r := range regions {
			_ = cw.Write([]string{r.Name, r.Description, r.Partition, r.SMTPEndpoint, r.FIPSEndpoint,
				string(r.Status), r.Source(), regionNote(r, false)})
		}
		cw.Flush()
		return cw.Error()
	case output.FormatTable:
		// A terminal narrower than the table gets each line cut (NOTE first),
		// not wrapped; a pipe gets it all.
		cw := tty.ClipToTerminal(w)
		tw := tabwriter.NewWriter(cw, 0, 0, 2, ' ', 0)
		p := tty.NewPalette(w)
		fmt.Fprintf(tw, "REGION\tSMTP ENDPOINT\tFIPS ENDPOINT\t%s\tSOURCE\tNOTE\n", p.Head("STATUS"))
		for _, r := range regions {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, output.Dash(r.SMTPEndpoint), output.Dash(r.FIPSEndpoint),
				paintRegionStatus(p, r.Status), r.Source(), output.Dash(regionNote(r, true)))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		return cw.Flush()
	}
	return fail.Usagef("sesprov regions prints table, json or csv, not %s", f)
}

// paintRegionStatus colours a region's status on a terminal: available
// green, unavailable red, the rest unpainted (but as wide, for alignment).
func paintRegionStatus(p tty.Palette, s derive.Status) string {
	switch s {
	case derive.StatusAvailable:
		return p.Good(string(s))
	case derive.StatusUnavailable:
		return p.Bad(string(s))
	}
	return p.Plain(string(s))
}

// regionNote is the table's note; for an undocumented region it says what
// to do (the table format keeps it short).
func regionNote(r derive.Region, short bool) string {
	if r.Status != derive.StatusUndocumented {
		return r.Note
	}
	what := "no SES SMTP endpoint documented; --allow-region " + r.Name + " to use it anyway"
	if short {
		what = "no SMTP endpoint documented"
	}
	if r.Note != "" {
		return what + "; " + r.Note
	}
	return what
}
