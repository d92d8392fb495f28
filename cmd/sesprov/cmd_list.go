package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/list"
	"github.com/sesprov/sesprov/provision/org"
	"github.com/urfave/cli/v2"
)

func createListCommand() *cli.Command {
	return &cli.Command{
		Name:      "list",
		Usage:     "list SMTP users, how they get SES access, and their keys' age and last use",
		ArgsUsage: " ",
		Description: "Lists every SMTP user: the sending group's members, then users with the\n" +
			"console's legacy inline policy. ACCESS says how SES access is granted: group,\n" +
			"inline or both (a migration not finished; see 'sesprov migrate'). Each key shows\n" +
			"its status, age and last use (date, service, region); keys older than --max-age\n" +
			"are flagged. The account is read 1,000 users a call (iam:GetAccountAuthorizationDetails;\n" +
			"where that is denied, user by user, with a notice), then only the SMTP users' keys;\n" +
			"users stream out 100 at a time. Per-user calls run --concurrency at a time, paced to\n" +
			"--rate calls per second (IAM's throttling limits cannot be raised).\n\n" +
			"Output: table (one row per key), json (one object per user per line), csv.\n" +
			"list exits 0 whether or not keys are old; select them from the JSON.\n\n" +
			"With --org, every ACTIVE account of the AWS Organization is listed (see\n" +
			"'sesprov audit --help'); records gain account_id, the table an ACCOUNT column.\n\n" +
			"Examples:\n" +
			"   sesprov list --max-age 90d\n" +
			"   sesprov -o json list | jq -r 'select(any(.access_keys[]; .over_max_age)) | .user_name'",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: flgMaxAge, Value: "90d", Usage: "flag keys older than `AGE`: days (90d) or a duration (2160h); 0 flags none"},
			&cli.StringFlag{Name: flgGroup, Value: provision.DefaultGroupName, Usage: "sending `GROUP` whose members are SMTP users"},
			&cli.StringFlag{Name: flgPolicyName, Value: provision.DefaultPolicyName, Usage: "`NAME` of the SES inline policy of legacy console users"},
			&cli.IntFlag{Name: flgListConcurrency, Value: list.DefaultConcurrency, Usage: "`N` users' calls in flight at once"},
			&cli.Float64Flag{Name: flgListRate, Value: list.DefaultRate, Usage: "at most `N` IAM calls per second (0: no limit); a local endpoint (--sandbox, a loopback --endpoint-url) is not paced unless this is given"},
		}, orgFlags()...),
		Action: func(c *cli.Context) error { return quietWhenReaderGone(listAction(c)) },
	}
}

func listAction(c *cli.Context) error {
	g := globalsOf(c)
	if c.Args().Present() {
		return fail.Usagef("list takes no arguments (got %q)", c.Args().First())
	}
	maxAge, err := list.ParseMaxAge(c.String(flgMaxAge))
	if err != nil {
		return err
	}
	n := c.Int(flgListConcurrency)
	if n < 1 || n > 64 {
		return fail.Usagef("--%s %d: give 1 to 64", flgListConcurrency, n)
	}
	r := c.Float64(flgListRate)
	if r < 0 {
		return fail.Usagef("--%s %v: give a positive rate, or 0 for no limit", flgListRate, r)
	}
	r = listRate(r, c.IsSet(flgListRate), g.Client)
	scope, err := orgScopeOf(c)
	if err != nil {
		return err
	}
	w, err := list.NewWriter(g.Stdout, g.Output, maxAge)
	if err != nil {
		return err
	}
	if scope.org {
		w.ShowAccounts()
	}
	clients, err := newClients(c)
	if err != nil {
		return err
	}
	defer clients.Close()
	in := list.Options{
		GroupName:   c.String(flgGroup),
		PolicyName:  c.String(flgPolicyName),
		MaxAge:      maxAge,
		Concurrency: n,
		Rate:        r,
		Notices:     noticesTo(g.Stderr),
	}
	if err := runList(c.Context, scope, clients, in, w, g.Stderr); err != nil {
		w.Flush()
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if w.Count() == 0 && g.Output == output.FormatTable {
		fmt.Fprintf(g.Stderr, "sesprov: no SMTP users: nobody is in group %s or has the inline policy %s\n", in.GroupName, in.PolicyName)
	}
	return nil
}

// listRate is the pace of list's IAM calls. IAM's throttling is what the
// default pace spares; a local endpoint (the sandbox, iamfake on loopback)
// has none, so it is not paced unless --rate was given.
func listRate(r float64, given bool, client iamapi.ClientOptions) float64 {
	if !given && (client.Sandbox || loopbackURL(client.EndpointURL)) {
		return 0
	}
	return r
}

// loopbackURL reports whether u names a loopback host.
func loopbackURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return false
	}
	h := p.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// runList is list.Run in the caller's account, or with --org in each
// account of the organization, the accounts' users written one page at a
// time through one lock.
func runList(ctx context.Context, scope orgScope, clients *iamapi.Clients, in list.Options, w *list.Writer, stderr io.Writer) error {
	if !scope.org {
		return list.Run(ctx, clients.IAM, in, w)
	}
	var mu sync.Mutex
	return scope.each(ctx, clients, stderr, func(ctx context.Context, a org.Account) error {
		return list.Run(ctx, a.IAM, in, &accountSink{id: a.ID, mu: &mu, w: w})
	})
}

// accountSink stamps each user with its account and serialises writes.
type accountSink struct {
	id string
	mu *sync.Mutex
	w  *list.Writer
}

func (s *accountSink) WriteUser(u list.User) error {
	u.AccountID = s.id
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.WriteUser(u)
}

func (s *accountSink) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Flush()
}
