package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/deleteuser"
	"github.com/urfave/cli/v2"
)

func createDeleteUserCommand() *cli.Command {
	return &cli.Command{
		Name:      "delete-user",
		Usage:     "delete an SMTP user and everything IAM needs removed first",
		ArgsUsage: " ",
		Description: "Removes, in the order IAM requires, the user's login profile, access keys,\n" +
			"signing certificates, SSH public keys, service-specific credentials, MFA devices\n" +
			"(deactivated; virtual ones deleted), inline policies, attached policies and group\n" +
			"memberships, then the user. Every step is safe to repeat: a run cut short and run\n" +
			"again finishes the job.\n\n" +
			"Only SMTP users are deleted: members of the sending group, users with the SES\n" +
			"inline policy, users tagged by sesprov or InvokedBy=SESConsole. Anything else is\n" +
			"refused (exit 3) unless --force. On a terminal you are asked to confirm (--yes\n" +
			"skips it); elsewhere sesprov goes ahead.\n\n" +
			"Exit codes: 0 deleted (or --dry-run printed), 1 an IAM call failed (run again),\n" +
			"2 bad input or no such user, 3 not an SMTP user (use --force), 130 interrupted (143 by\n" +
			"SIGTERM).\n\n" +
			"Example:\n" +
			"   sesprov delete-user --user-name ses-smtp-user.20240101-120000 --dry-run\n" +
			"   sesprov delete-user --user-name ses-smtp-user.20240101-120000 --yes",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flgUserName, Usage: "the IAM `USER` to delete (required)"},
			&cli.BoolFlag{Name: flgForce, Usage: "delete the user even though it is not an SMTP user"},
			&cli.BoolFlag{Name: flgDryRun, Usage: "print what would be deleted; change nothing"},
			&cli.BoolFlag{Name: flgYes, Aliases: []string{"y"}, Usage: "do not ask for confirmation (the same as the global --yes)"},
			&cli.StringFlag{Name: flgGroup, Value: provision.DefaultGroupName, Usage: "sending `GROUP` whose members count as SMTP users"},
			&cli.StringFlag{Name: flgPolicyName, Value: provision.DefaultPolicyName, Usage: "`NAME` of the SES inline policy of legacy console users"},
		},
		Action: deleteUserAction,
	}
}

func deleteUserAction(c *cli.Context) error {
	g := globalsOf(c)
	if c.Args().Present() {
		return fail.Usagef("delete-user takes no arguments (got %q): pass --%s NAME", c.Args().First(), flgUserName)
	}
	in := deleteuser.Options{
		UserName:   c.String(flgUserName),
		GroupName:  c.String(flgGroup),
		PolicyName: c.String(flgPolicyName),
		Force:      c.Bool(flgForce),
		DryRun:     c.Bool(flgDryRun),
		Log:        g.Log,
	}
	if in.UserName == "" {
		return fail.Usagef("delete-user needs --%s NAME", flgUserName)
	}
	if g.Output == output.FormatEnv || g.Output == output.FormatCSV {
		return fail.Usagef("delete-user prints table or json, not %s", g.Output)
	}
	if !g.Yes && !c.Bool(flgYes) && stdinTerminal(g.Stdin) {
		in.Confirm = func(p *deleteuser.Plan) (bool, error) {
			fmt.Fprintf(g.Stderr, "sesprov will delete user %s (%s):\n", p.UserName, p.UserARN)
			for _, it := range p.Items() {
				fmt.Fprintf(g.Stderr, "  %s\n", it)
			}
			return confirm(c.Context, g, fmt.Sprintf("Delete user %s and the %s above?", p.UserName, plural(len(p.Items()), "item")))
		}
	}
	clients, err := newClients(c)
	if err != nil {
		return err
	}
	defer clients.Close()
	plan, err := deleteuser.Run(c.Context, in, clients.IAM)
	if err != nil {
		return err
	}
	return writeDeletePlan(g.Stdout, g.Output, plan)
}

// writeDeletePlan prints what delete-user did, or would do with --dry-run.
func writeDeletePlan(w io.Writer, f output.Format, p *deleteuser.Plan) error {
	if f == output.FormatJSON {
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	verb := "deleted"
	if !p.Deleted {
		verb = "would delete"
	}
	var b strings.Builder
	for _, line := range p.Items() {
		fmt.Fprintf(&b, "%s %s\n", verb, line)
	}
	fmt.Fprintf(&b, "%s user %s\n", verb, p.UserName)
	for _, u := range p.Unchecked {
		fmt.Fprintf(&b, "could not check %s\n", u)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
