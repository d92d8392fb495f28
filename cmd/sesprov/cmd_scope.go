package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/provision/scope"
	"github.com/urfave/cli/v2"
)

const (
	flgAllowFrom   = "allow-from"
	flgRemoveScope = "remove"
)

// allowFromFlag is --allow-from, on create-user and scope.
func allowFromFlag() cli.Flag {
	return &cli.StringSliceFlag{Name: flgAllowFrom, Usage: "let the user send only as `ADDR[,ADDR…]` (wildcards: *@example.com); an explicit Deny of every other From (see docs/verify.md)"}
}

// allowFromOf parses --allow-from when it was given (nil when not): an
// empty or malformed list is a usage error.
func allowFromOf(c *cli.Context) ([]string, error) {
	if !c.IsSet(flgAllowFrom) {
		return nil, nil
	}
	var raw []string
	for _, v := range c.StringSlice(flgAllowFrom) {
		raw = append(raw, strings.Split(v, ",")...)
	}
	return scope.ParseAddresses(raw)
}

func createScopeCommand() *cli.Command {
	return &cli.Command{
		Name:      "scope",
		Usage:     "set, change or remove the From addresses an SMTP user may send as",
		UsageText: "sesprov scope --user-name NAME --allow-from ADDR[,ADDR…] | --remove [--dry-run]",
		Description: "Puts on the user its own inline policy " + scope.PolicyName + ": an explicit Deny of\n" +
			"ses:SendRawEmail and ses:SendEmail when the message's From (ses:FromAddress) is\n" +
			"none of the given addresses. The sending group's grant stays as it is; IAM lets\n" +
			"an explicit Deny win over it. IAM compares the addresses case-sensitively:\n" +
			"sesprov adds the lower-case form of each address you give, so the address as\n" +
			"given and in lower case may send; any other spelling is refused. --allow-from\n" +
			"replaces the whole scope; --remove lets the user send as any verified identity\n" +
			"again. Safe to repeat: an unchanged scope is reported as \"unchanged\".\n\n" +
			"Exit codes: 0 done, 1 an IAM call failed (run again), 2 bad input or no such user.\n\n" +
			"Examples:\n" +
			"   sesprov scope --user-name billing-mailer --allow-from billing@example.com,*@invoices.example.com\n" +
			"   sesprov scope --user-name billing-mailer --remove\n" +
			"   sesprov doctor --regions eu-west-1 --user-name billing-mailer --from billing@example.com",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flgUserName, Usage: "the IAM `USER` to scope (required)"},
			allowFromFlag(),
			&cli.BoolFlag{Name: flgRemoveScope, Usage: "remove the user's scope"},
			&cli.BoolFlag{Name: flgDryRun, Usage: "print what would change; change nothing"},
		},
		Action: scopeAction,
	}
}

func scopeAction(c *cli.Context) error {
	g := globalsOf(c)
	if c.Args().Present() {
		return fail.Usagef("scope takes no arguments (got %q): pass --%s NAME", c.Args().First(), flgUserName)
	}
	if g.Output != output.FormatTable && g.Output != output.FormatJSON {
		return fail.Usagef("scope prints table or json, not %s", g.Output)
	}
	allow, err := allowFromOf(c)
	if err != nil {
		return err
	}
	in := scope.Options{UserName: c.String(flgUserName), AllowFrom: allow, Remove: c.Bool(flgRemoveScope), DryRun: c.Bool(flgDryRun)}
	if err := in.Validate(); err != nil {
		return err
	}
	clients, err := newClients(c)
	if err != nil {
		return err
	}
	defer clients.Close()
	res, err := scope.Run(c.Context, clients.IAM, in)
	if err != nil {
		return iamapi.WithHint(err)
	}
	if g.Output == output.FormatJSON {
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		_, err = g.Stdout.Write(append(b, '\n'))
		return err
	}
	_, err = fmt.Fprintln(g.Stdout, scopeLine(res))
	return err
}

// scopeLine is a Result as one line for a person.
func scopeLine(r *scope.Result) string {
	would := ""
	if r.DryRun && r.Status != scope.StatusUnchanged {
		would = "would be "
	}
	switch {
	case r.Status == scope.StatusUnscoped:
		return fmt.Sprintf("%s: %sunscoped (was %s): may send as any verified identity", r.UserName, would, strings.Join(r.Was, ", "))
	case len(r.AllowFrom) == 0:
		return fmt.Sprintf("%s: unchanged: no scope", r.UserName)
	}
	return fmt.Sprintf("%s: %s%s: may send only as %s", r.UserName, would, r.Status, strings.Join(r.AllowFrom, ", "))
}
