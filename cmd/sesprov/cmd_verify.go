package main

import (
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/tty"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/smtpauth"
	"github.com/urfave/cli/v2"
)

// verify's flags (--regions is flgRegions, shared with the other commands).
const (
	flgIn           = "in"
	flgSMTPEndpoint = "smtp-endpoint"
	flgPort         = "port"
	flgFIPS         = "fips"
	flgImplicitTLS  = "implicit-tls"
	flgWait         = "wait"
	flgTimeout      = "timeout"
	flgCAFile       = "ca-file"
)

func createVerifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "prove SMTP credentials with a real SES login per region (no mail is sent)",
		UsageText: "sesprov verify [--in FILE] [--regions R1,R2] [--wait 60s] [--port 587|465|2465|2587|25] [--fips] < creds.json",
		Description: "Reads the JSON that create-user, rotate and convert print (--output json; one\n" +
			"object per user) from stdin or --in, and for each region connects to\n" +
			"email-smtp.REGION.amazonaws.com, secures the connection (STARTTLS on 25, 587 and\n" +
			"2587; TLS on 465 and 2465), logs in with AUTH PLAIN or LOGIN, and quits.\n" +
			"Credentials are never sent without TLS, and certificates are always checked.\n" +
			"Each region is reported accepted, rejected (with the server's reply and the\n" +
			"likely cause) or unreachable. Exit 0 only if every region is accepted, 1 if\n" +
			"any is not, 2 for bad input.\n\n" +
			"Example:\n" +
			"   sesprov -o json create-user --regions us-east-1,eu-west-1 --user-name app --out-file creds.json\n" +
			"   sesprov verify --in creds.json --wait 60s",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: flgRegions, Usage: "verify only these `REGIONS` of the input (default: every region in it)"},
			&cli.StringFlag{Name: flgIn, Usage: "read the credentials JSON from `FILE` instead of stdin"},
			&cli.StringFlag{Name: flgSMTPEndpoint, Usage: "log in at `HOST:PORT` for every region instead of SES's endpoint (a relay, a test server)"},
			&cli.IntFlag{Name: flgPort, Value: provision.DefaultSMTPPort, Usage: "SES SMTP `PORT`: 25, 587, 2587 (STARTTLS) or 465, 2465 (TLS)"},
			&cli.BoolFlag{Name: flgFIPS, Usage: "use the region's FIPS endpoint (email-smtp-fips.REGION…); an error for regions without one"},
			&cli.BoolFlag{Name: flgImplicitTLS, Usage: "TLS from the first byte on a --smtp-endpoint port other than 465/2465"},
			&cli.DurationFlag{Name: flgWait, Usage: "retry a rejected login with backoff for up to `DURATION` (a new key takes a while to reach SES), e.g. 60s"},
			&cli.DurationFlag{Name: flgTimeout, Value: smtpauth.DefaultTimeout, Usage: "`DURATION` allowed for connecting and for each SMTP command"},
			&cli.StringFlag{Name: flgCAFile, Usage: "also trust the root certificates in PEM `FILE` (a TLS-inspecting proxy's root); the system's roots stay trusted and checks stay on"},
		},
		Action: func(c *cli.Context) error {
			g := globalsOf(c)
			if c.NArg() > 0 {
				return fail.Usagef("verify takes no arguments (got %q): credentials come on stdin or with --in FILE", c.Args().First())
			}
			in, err := verifyInputOf(c)
			if err != nil {
				return err
			}
			in.Format = g.Output
			in.Options.Log = g.Log
			in.Options.Progress = g.Stderr
			var r io.Reader = g.Stdin
			if path := c.String(flgIn); path != "" {
				f, err := os.Open(path)
				if err != nil {
					return fail.Usagef("--in: %w", err)
				}
				defer f.Close()
				r = f
			} else if f, ok := g.Stdin.(*os.File); ok {
				if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
					fmt.Fprintln(g.Stderr, "sesprov: reading credentials JSON from the terminal (end with Ctrl-D); pipe create-user's -o json output or use --in FILE")
				}
			}
			in.In = tty.ContextReader(c.Context, r) // Ctrl-C ends a wait on an open pipe
			return provision.VerifyCommand(c.Context, in, g.Stdout, g.Stderr)
		},
	}
}

// verifyInputOf checks verify's flags; every problem is a usage error.
func verifyInputOf(c *cli.Context) (provision.VerifyInput, error) {
	var regions []string
	for _, r := range c.StringSlice(flgRegions) {
		for _, x := range strings.Split(r, ",") {
			if x = strings.TrimSpace(x); x != "" {
				regions = append(regions, x)
			}
		}
	}
	opts := provision.VerifyOptions{
		Regions:     regions,
		Endpoint:    c.String(flgSMTPEndpoint),
		Port:        c.Int(flgPort),
		FIPS:        c.Bool(flgFIPS),
		ImplicitTLS: c.Bool(flgImplicitTLS),
		Wait:        c.Duration(flgWait),
		Timeout:     c.Duration(flgTimeout),
	}
	if opts.Wait < 0 || opts.Timeout <= 0 {
		return provision.VerifyInput{}, fail.Usagef("--wait must be 0 or more and --timeout more than 0")
	}
	if opts.Endpoint != "" && c.IsSet(flgPort) {
		return provision.VerifyInput{}, fail.Usagef("--port and --smtp-endpoint cannot be combined: give the port in HOST:PORT")
	}
	if opts.ImplicitTLS && opts.Endpoint == "" {
		return provision.VerifyInput{}, fail.Usagef("--implicit-tls goes with --smtp-endpoint; for SES use --port 465 or 2465")
	}
	if path := c.String(flgCAFile); path != "" {
		pool, err := caPool(path)
		if err != nil {
			return provision.VerifyInput{}, err
		}
		opts.RootCAs = pool
	}
	return provision.VerifyInput{Options: opts}, nil
}

// caPool returns the system's roots plus those in path. It adds trust; it
// never turns verification off.
func caPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fail.Usagef("--ca-file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fail.Usagef("--ca-file %s: no PEM certificate in it", path)
	}
	return pool, nil
}
