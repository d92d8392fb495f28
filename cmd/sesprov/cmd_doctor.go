package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/tty"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/doctor"
	"github.com/urfave/cli/v2"
)

// doctor's flags.
const (
	flgPolicy       = "policy"
	flgAccountID    = "account-id"
	flgCommand      = "command"
	flgPrincipalARN = "principal-arn"
	flgUserPath     = "user-path"
	flgWithoutSetup = "without-setup"
	// --group, --policy-name and --user-name are create-user's constants.
)

// isAccountID reports whether s is a 12-digit AWS account ID.
func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func createDoctorCommand() *cli.Command {
	return &cli.Command{
		Name:      "doctor",
		Usage:     "check who you are and whether you may run each command; SES readiness per region (--regions); print the least-privilege operator policy",
		UsageText: "sesprov doctor [--command create-user,rotate] [--principal-arn ARN]\n   sesprov doctor --policy [--account-id ID] [--user-path /ses-smtp/] [--without-setup] > sesprov-operator.json\n   sesprov doctor --regions R1,R2 [--from ADDR [--user-name NAME]]",
		Description: "Asks STS who the caller is (warning about root credentials), then asks IAM's\n" +
			"policy simulator (iam:SimulatePrincipalPolicy) whether the caller may call every\n" +
			"IAM action each command needs, and lists what is denied. Nothing is changed.\n" +
			"Exit 0 when every checked command can run, 1 when one cannot.\n\n" +
			"--policy prints instead the least-privilege IAM policy for an operator who runs\n" +
			"sesprov, scoped to the SMTP users, the sending group and the sending policy of\n" +
			"the account (from STS, or --account-id with no AWS call). --command org is what\n" +
			"list --org and audit --org need in the management (or delegated administrator)\n" +
			"account: organizations:ListAccounts and sts:AssumeRole on each member's\n" +
			"OrganizationAccountAccessRole (--role-name); in the members, that role needs what\n" +
			"list or audit needs.\n\n" +
			"Examples:\n" +
			"   sesprov --profile ops doctor\n" +
			"   sesprov doctor --policy --account-id 123456789012 --user-path /ses-smtp/ > operator-policy.json\n" +
			"   aws iam create-policy --policy-name SesprovOperator --policy-document file://operator-policy.json" +
			doctorSESDescription,
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: flgPolicy, Usage: "print the least-privilege operator policy (JSON) instead of checking"},
			&cli.StringFlag{Name: flgAccountID, Usage: "with --policy: the account `ID` to scope the policy to (no AWS call is made)"},
			&cli.StringSliceFlag{Name: flgCommand, Usage: "check (or write the policy for) only these `COMMANDS`: " + strings.Join(doctor.CommandNames(), ", ")},
			&cli.StringFlag{Name: flgPrincipalARN, Usage: "simulate this IAM user or role `ARN` instead of the caller (needed for federated users and for roles whose path cannot be read)"},
			&cli.StringFlag{Name: flgUserPath, Value: "/", Usage: "IAM `PATH` of the SMTP users (create-user --path); confines the policy's user actions to it"},
			&cli.StringFlag{Name: flgGroup, Value: provision.DefaultGroupName, Usage: "sending `GROUP` name"},
			&cli.StringFlag{Name: flgPolicyName, Value: provision.DefaultPolicyName, Usage: "sending managed `POLICY` name"},
			&cli.StringFlag{Name: flgUserName, Usage: "check user actions on this SMTP user `NAME` (default ses-smtp-user.doctor-check)"},
			&cli.BoolFlag{Name: flgWithoutSetup, Usage: "with --policy: leave out creating and repairing the group and policy (an administrator sets them up once)"},
		}, doctorSESFlags()...),
		Action: doctorAction,
	}
}

// doctorAction checks the caller's permissions, or with --policy writes them.
func doctorAction(c *cli.Context) error {
	g := globalsOf(c)
	if c.NArg() > 0 {
		return fail.Usagef("doctor takes no arguments (got %q)", c.Args().First())
	}
	if c.IsSet(flgRegions) || c.IsSet(flgFrom) {
		return doctorSES(c)
	}
	var commands []string
	for _, v := range c.StringSlice(flgCommand) {
		for _, x := range strings.Split(v, ",") {
			if x = strings.TrimSpace(x); x != "" {
				commands = append(commands, x)
			}
		}
	}
	for _, x := range commands {
		if _, ok := doctor.PermissionsOf(x); !ok {
			return fail.Usagef("--command %q: choose from %s", x, strings.Join(doctor.CommandNames(), ", "))
		}
	}
	path := c.String(flgUserPath)
	if !strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/") || len(path) > 512 {
		return fail.Usagef("--user-path %q: an IAM path starts and ends with / (e.g. /ses-smtp/)", path)
	}
	scope := doctor.PolicyScope{UserPath: path, GroupName: c.String(flgGroup), PolicyName: c.String(flgPolicyName)}
	if c.Bool(flgPolicy) {
		return doctorPolicy(c, g, scope, commands)
	}
	if c.IsSet(flgAccountID) || c.Bool(flgWithoutSetup) {
		return fail.Usagef("--account-id and --without-setup go with --policy")
	}
	clients, err := newClients(c)
	if err != nil {
		return err
	}
	defer clients.Close()
	rep, err := doctor.Run(c.Context, doctor.Options{
		Commands: commands, PrincipalARN: c.String(flgPrincipalARN), Scope: scope, UserName: c.String(flgUserName),
	}, clients.IAM, clients.STS)
	if err != nil {
		return err
	}
	// A reader that is gone needs no report, but the verdict (exit 1
	// when a command cannot run) still holds.
	if err := writeDoctorReport(g.Stdout, g.Output, rep); err != nil && !readerGone(err) {
		return err
	}
	for _, w := range rep.Warnings {
		fmt.Fprintf(g.Stderr, "sesprov: warning: %s\n", w)
	}
	if !rep.Ready() {
		var bad []string
		for _, cc := range rep.Commands {
			if !cc.Ready {
				bad = append(bad, cc.Command)
			}
		}
		return fmt.Errorf("doctor: %s cannot run: the actions listed are denied to %s; attach the policy of 'sesprov doctor --policy' (or ask your administrator)",
			strings.Join(bad, ", "), rep.PrincipalARN)
	}
	return nil
}

func doctorPolicy(c *cli.Context, g *globals, scope doctor.PolicyScope, commands []string) error {
	scope.AccountID = c.String(flgAccountID)
	if scope.AccountID != "" {
		if !isAccountID(scope.AccountID) {
			return fail.Usagef("--account-id %q: an AWS account ID is 12 digits", scope.AccountID)
		}
		scope.Partition = partitionOfRegion(g.Client.Region)
	} else {
		clients, err := newClients(c)
		if err != nil {
			return err
		}
		defer clients.Close()
		acct, err := provision.ResolveAccount(c.Context, clients.STS)
		if ce := (*iamapi.ConfigError)(nil); errors.As(err, &ce) {
			return err
		}
		if err != nil {
			return fmt.Errorf("%w; or pass --account-id to write the policy without calling AWS", err)
		}
		scope.AccountID, scope.Partition = acct.ID, acct.Partition
	}
	if g.Output != output.FormatTable && g.Output != output.FormatJSON {
		return fail.Usagef("doctor --policy prints JSON (an IAM policy document)")
	}
	doc, err := doctor.OperatorPolicy(scope, commands, !c.Bool(flgWithoutSetup))
	if err != nil {
		return err
	}
	if scope.UserPath == "/" {
		fmt.Fprintln(g.Stderr, "sesprov: note: this policy lets its holder manage access keys of every IAM user in the account; "+
			"create SMTP users under a path of their own (create-user --path /ses-smtp/) and pass --user-path /ses-smtp/ to confine it")
	}
	_, err = g.Stdout.Write(doc)
	return quietWhenReaderGone(err)
}

// partitionOfRegion guesses the partition of --account-id from --region.
func partitionOfRegion(region string) string {
	switch {
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	}
	return "aws"
}

// writeDoctorReport prints the report: a table (with the caller first), or
// one JSON object.
func writeDoctorReport(w io.Writer, f output.Format, rep doctor.Report) error {
	if f == output.FormatJSON {
		if rep.Commands == nil {
			rep.Commands = []doctor.CommandCheck{}
		}
		b, err := json.Marshal(rep)
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	fmt.Fprintf(w, "caller:    %s\naccount:   %s\n", rep.CallerARN, rep.Account)
	if rep.PrincipalARN != "" && rep.PrincipalARN != rep.CallerARN {
		fmt.Fprintf(w, "simulated: %s\n", rep.PrincipalARN)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	p := tty.NewPalette(w)
	fmt.Fprintf(tw, "COMMAND\t%s\tDENIED\n", p.Head("STATUS"))
	for _, c := range rep.Commands {
		status := p.Good("ok")
		switch {
		case rep.Root:
			status = p.Warn("ok (root)")
		case c.Checked == 0:
			status = p.Good("ok (no IAM call)")
		case !c.Ready:
			status = p.Bad("DENIED")
		case len(c.Denied) > 0:
			status = p.Warn("ok (some options denied)")
		}
		var denied []string
		for _, d := range c.Denied {
			s := d.Action
			if d.Decision == "explicitDeny" {
				s += " (explicit deny)"
			}
			if d.When != "" {
				s += " [only for " + d.When + "]"
			}
			denied = append(denied, s)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Command, status, output.Dash(strings.Join(denied, ", ")))
	}
	return tw.Flush()
}
