package main

import (
	"fmt"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/tty"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/convert"
	"github.com/urfave/cli/v2"
)

func createConvertCommand() *cli.Command {
	return &cli.Command{
		Name:      "convert",
		Usage:     "turn an existing IAM user's long-term access key into SES SMTP credentials",
		ArgsUsage: " ",
		Description: "Reads the key's secret access key on stdin (a hidden prompt on a terminal), finds\n" +
			"the key's user with GetAccessKeyLastUsed, makes sure the sending group grants\n" +
			"ses:SendRawEmail, adds the user to it, and prints the SMTP password for each\n" +
			"region. The regions are recorded on the user (tag sesprov:regions) for 'sesprov\n" +
			"rotate'. The key itself is not changed. Temporary keys (ASIA…, from STS) are\n" +
			"refused: the SES SMTP interface does not support credentials derived from them.\n\n" +
			"IAM has no call that checks a secret access key, so sesprov cannot tell whether\n" +
			"the secret you give belongs to the key: a wrong one gives passwords SES rejects.\n" +
			"Prove them with 'sesprov verify' (see the second example).\n\n" +
			"Exit codes: 0 done, 1 an IAM call failed (run again), 2 bad input (nothing\n" +
			"changed), 3 the key is inactive, 130 interrupted (143 by\n" +
			"SIGTERM).\n\n" +
			"Examples:\n" +
			"   sesprov convert --access-key-id AKIAIOSFODNN7EXAMPLE --regions eu-west-1 < secret.txt\n" +
			"   sesprov -o json convert --access-key-id AKIAIOSFODNN7EXAMPLE --regions eu-west-1 < secret.txt | sesprov verify --wait 60s",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: flgAccessKeyID, Usage: "the long-term access key `ID` (AKIA…) to convert (required)"},
			&cli.BoolFlag{Name: flgDryRun, Usage: "print the plan; change nothing (the secret is still read)"},
			&cli.StringFlag{Name: flgGroup, Value: provision.DefaultGroupName, Usage: "sending `GROUP` the key's user is added to"},
			&cli.StringFlag{Name: flgPolicyName, Value: provision.DefaultPolicyName, Usage: "managed sending `POLICY` name (made if the group has no grant)"},
		}, append(deliverFlags(), regionFlags()...)...),
		Action: convertAction,
	}
}

func convertAction(c *cli.Context) error {
	g := globalsOf(c)
	if c.Args().Present() {
		got := fmt.Sprintf("%q", c.Args().First())
		if !derive.EchoSafe(c.Args().First()) {
			got = "an argument, not shown: it may be a secret"
		}
		return fail.Usagef("convert takes no arguments (got %s): the secret goes on stdin, never in argv", got)
	}
	in := convert.Options{
		AccessKeyID: c.String(flgAccessKeyID),
		GroupName:   c.String(flgGroup),
		PolicyName:  c.String(flgPolicyName),
		DryRun:      c.Bool(flgDryRun),
	}
	if err := convert.CheckKeyID(in.AccessKeyID); err != nil {
		return err
	}
	if err := provision.ValidateGroupName(in.GroupName); err != nil {
		return err
	}
	if err := provision.ValidatePolicyName(in.PolicyName); err != nil {
		return err
	}
	var err error
	if in.Regions, err = resolveRegions(c); err != nil {
		return err
	}
	dest, err := destinationOf(c)
	if err != nil {
		return err
	}
	if dest.Kind == deliver.KindStdout && !in.DryRun {
		if err := refuseNullStdout(g.Stdout, "the SMTP passwords", "--"+flgOutFile+" FILE"); err != nil {
			return err
		}
	}
	if err := dest.Check(nil); err != nil {
		return err
	}
	if in.Secret, err = tty.ReadSecret(c.Context, g.Stdin, g.Stderr); err != nil {
		return err
	}
	// The --out-file is made before the first IAM change.
	d, err := openDeliverer(c, dest, nil, false, in.DryRun)
	if err != nil {
		return err
	}
	defer d.Close()
	clients, err := newClients(c)
	if err != nil {
		return err
	}
	defer clients.Close()
	res, err := convert.Run(c.Context, in, convert.Deps{IAM: clients.IAM, STS: clients.STS, Log: g.Log})
	if err != nil {
		return err
	}
	if in.DryRun {
		return provision.WritePlan(g.Stdout, g.Output, res.Plan)
	}
	if err := d.Deliver(c.Context, res.Set); err != nil {
		return err
	}
	if err := d.Close(); err != nil {
		return err
	}
	if !d.ToStdout() {
		fmt.Fprintf(g.Stderr, "sesprov: SMTP credentials of %s (key %s) written to %s\n", res.Set.UserName, res.Set.AccessKeyID, dest.For(res.Set.UserName))
	}
	fmt.Fprintln(g.Stderr, "sesprov: IAM cannot check a secret access key: prove these passwords with 'sesprov verify' before relying on them")
	return nil
}
