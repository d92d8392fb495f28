package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/provision/doctor"
	"github.com/urfave/cli/v2"
)

// doctorSESFlags are doctor's SES readiness flags: --regions (and
// --allow-region) and --from; --user-name is doctor's own.
func doctorSESFlags() []cli.Flag {
	return append(regionFlags(),
		&cli.StringFlag{Name: flgFrom, Usage: "with --regions: is `ADDR` (or its domain) a verified identity in each region; with --user-name, may that user send as it"})
}

// doctorSESDescription is doctor's help about --regions.
const doctorSESDescription = "\n\n--regions R,… checks SES readiness instead, one row per region (SES v2 GetAccount):\n" +
	"production access or the SES sandbox (its quota, and how to leave it), sending\n" +
	"enabled or paused, enforcement status; with --from ADDR, whether ADDR or its domain\n" +
	"is a verified identity in that region (GetEmailIdentity); with --user-name N\n" +
	"--from ADDR, whether IAM lets N send as ADDR (SimulatePrincipalPolicy with\n" +
	"ses:FromAddress). Exit 0 when every region is ready, 1 when one is not. The SES\n" +
	"client uses --endpoint-url, or AWS_ENDPOINT_URL_SESV2. See docs/verify.md.\n" +
	"   sesprov doctor --regions us-east-1,eu-west-1 --from billing@example.com --user-name billing-mailer"

// doctorSES runs doctor --regions.
func doctorSES(c *cli.Context) error {
	g := globalsOf(c)
	if g.Output != output.FormatTable && g.Output != output.FormatJSON {
		return fail.Usagef("doctor --regions prints table or json, not %s", g.Output)
	}
	regions, err := resolveRegions(c)
	if err != nil {
		return err
	}
	in := doctor.SESOptions{From: c.String(flgFrom), UserName: c.String(flgUserName)}
	for _, r := range regions {
		in.Regions = append(in.Regions, r.Name)
	}
	if err := in.Validate(); err != nil {
		return err
	}
	clients, err := newClients(c)
	if err != nil {
		return err
	}
	defer clients.Close()
	rows, err := doctor.SESReadiness(c.Context, in, func(r string) iamapi.SES { return clients.SESv2(r) }, clients.IAM)
	if err != nil {
		return iamapi.WithHint(err)
	}
	if err := writeSESReadiness(g.Stdout, g.Output, rows); err != nil && !readerGone(err) {
		return err
	}
	var bad []string
	for _, r := range rows {
		if !r.Ready {
			bad = append(bad, r.Region)
		}
		if g.Output != output.FormatJSON {
			for _, a := range r.Advice {
				fmt.Fprintf(g.Stderr, "sesprov: %s: %s\n", r.Region, a)
			}
			if r.Error != "" {
				fmt.Fprintf(g.Stderr, "sesprov: %s: %s\n", r.Region, r.Error)
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("doctor: not ready to send in %s (see above)", strings.Join(bad, ", "))
	}
	return nil
}

// writeSESReadiness writes one row (table) or one JSON object per region.
func writeSESReadiness(w io.Writer, f output.Format, rows []doctor.RegionReadiness) error {
	if f == output.FormatJSON {
		for _, r := range rows {
			b, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if _, err := w.Write(append(b, '\n')); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tACCESS\tQUOTA\tSENDING\tENFORCEMENT\tIDENTITY\tUSER MAY SEND\tREADY")
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\terror\t-\t-\t-\t-\t-\tno\n", r.Region)
			continue
		}
		sending := "enabled"
		if !r.SendingEnabled {
			sending = "paused"
		}
		ident := "-"
		if r.From != "" {
			ident = r.From + ": " + r.IdentityStatus
			if r.Identity != "" && r.Identity != r.From {
				ident = r.From + ": " + r.IdentityStatus + " (domain " + r.Identity + ")"
			}
		}
		may := "-"
		if r.UserDecision != "" {
			may = r.UserName + ": " + r.UserDecision
		}
		ready := "yes"
		if !r.Ready {
			ready = "no"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f/day, %.0f/s\t%s\t%s\t%s\t%s\t%s\n", r.Region, r.Access, r.Max24HourSend, r.MaxSendRate, sending, r.Enforcement, ident, may, ready)
	}
	return tw.Flush()
}
