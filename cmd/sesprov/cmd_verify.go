package main

import (
	"context"
	"crypto/x509"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/smtpauth"
	"github.com/sesprov/sesprov/internal/tty"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/verify"
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
	flgSendTest     = "send-test"
	flgTo           = "to"
	flgVerifyFrom   = "verify-from"
)

func createVerifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "prove SMTP credentials with a real SES login per region (and, with --send-test, one message)",
		UsageText: "sesprov verify [--in FILE] [--regions R1,R2] [--wait 60s] [--port 587|465|2465|2587|25] [--fips] < creds.json",
		Description: "Reads the JSON that create-user, rotate and convert print (--output json; one\n" +
			"object per user) from stdin or --in, and for each region connects to\n" +
			"email-smtp.REGION.amazonaws.com, secures the connection (STARTTLS on 25, 587 and\n" +
			"2587; TLS on 465 and 2465), logs in with AUTH PLAIN or LOGIN, and quits.\n" +
			"Credentials are never sent without TLS, and certificates are always checked.\n" +
			"Each region is reported accepted, rejected (with the server's reply and the\n" +
			"likely cause) or unreachable. Exit 0 only if every region is accepted, 1 if\n" +
			"any is not, 2 for bad input.\n\n" +
			"--send-test --from ADDR also sends one message after the login (MAIL FROM, RCPT\n" +
			"TO, DATA with From: ADDR) to --to, by default SES's mailbox simulator\n" +
			verify.SimulatorSuccess + " (accepted in the SES sandbox, not counted against\n" +
			"reputation). Each region is then sent (with SES's message ID), refused (SES's\n" +
			"reply and the likely cause: From not allowed by the user's scope, identity not\n" +
			"verified in that region, account in the SES sandbox) or unreachable; exit 0\n" +
			"only if every region's message was accepted. See docs/verify.md.\n\n" +
			"Example:\n" +
			"   sesprov -o json create-user --regions us-east-1,eu-west-1 --user-name app --out-file creds.json\n" +
			"   sesprov verify --in creds.json --wait 60s\n" +
			"   sesprov verify --in creds.json --send-test --from billing@example.com",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: flgRegions, Usage: "verify only these `REGIONS` of the input (default: every region in it)"},
			&cli.StringFlag{Name: flgIn, Usage: "read the credentials JSON from `FILE` instead of stdin"},
			&cli.StringFlag{Name: flgSMTPEndpoint, Usage: "log in at `HOST:PORT` for every region instead of SES's endpoint (a relay, a test server)"},
			&cli.IntFlag{Name: flgPort, Value: verify.DefaultSMTPPort, Usage: "SES SMTP `PORT`: 25, 587, 2587 (STARTTLS) or 465, 2465 (TLS)"},
			&cli.BoolFlag{Name: flgFIPS, Usage: "use the region's FIPS endpoint (email-smtp-fips.REGION…); an error for regions without one"},
			&cli.BoolFlag{Name: flgImplicitTLS, Usage: "TLS from the first byte on a --smtp-endpoint port other than 465/2465"},
			&cli.DurationFlag{Name: flgWait, Usage: "retry a rejected login with backoff for up to `DURATION` (a new key takes a while to reach SES), e.g. 60s"},
			&cli.DurationFlag{Name: flgTimeout, Value: smtpauth.DefaultTimeout, Usage: "`DURATION` allowed for connecting and for each SMTP command"},
			&cli.StringFlag{Name: flgCAFile, Usage: "also trust the root certificates in PEM `FILE` (a TLS-inspecting proxy's root); the system's roots stay trusted and checks stay on"},
			&cli.BoolFlag{Name: flgSendTest, Usage: "after the login, send one message (needs --from)"},
			&cli.StringFlag{Name: flgFrom, Usage: "with --send-test: the From `ADDR` (an identity verified in SES, allowed by the user's scope)"},
			&cli.StringFlag{Name: flgTo, Value: verify.SimulatorSuccess, Usage: "with --send-test: the recipient `ADDR`"},
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
			if in.Options.SendTest, err = sendTestOf(c); err != nil {
				return err
			}
			in.Format = g.Output
			in.Options.Log = g.Log
			in.Options.Notices = userNotices(g.Stderr)
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
			return runVerify(c.Context, in, g.Stdout, g.Stderr)
		},
	}
}

// verifyInput is what the verify command reads.
type verifyInput struct {
	In      io.Reader     // credentials JSON (create-user's, rotate's or convert's --output json)
	Format  output.Format // table, json or csv
	Options verify.Options
}

// runVerify reads credential sets from in.In, has verify.Run log in to
// every region, and writes one row per region as each set is done. Hints for
// rejections go to stderr (table, csv) or into the JSON objects. It fails
// (exit 1) unless every region is accepted.
func runVerify(ctx context.Context, in verifyInput, stdout, stderr io.Writer) error {
	if in.Format == output.FormatEnv {
		return fail.Usagef("verify prints table, json or csv, not env")
	}
	sets, skipped, err := creds.ReadCredentialInput(in.In)
	if err != nil {
		return err
	}
	if len(skipped) > 0 {
		fmt.Fprintf(stderr, "sesprov: verify: skipped %d line(s) without credentials: %s\n", len(skipped), creds.DescribeSkipped(skipped))
	}
	w := newVerifyWriter(stdout, in.Format)
	var writeErr error
	all, runErr := verify.Run(ctx, sets, in.Options, func(rs []verify.Result) {
		for _, r := range rs {
			if err := w.write(r); err != nil && writeErr == nil {
				writeErr = err
			}
		}
	})
	if err := w.close(); err != nil && writeErr == nil {
		writeErr = err
	}
	if readerGone(writeErr) { // nobody reads the rows; the verdict still counts
		writeErr = nil
	}
	if all == nil && runErr != nil { // bad options: nothing was tried
		return runErr
	}
	if runErr == nil {
		runErr = writeErr
	}
	if runErr != nil {
		return runErr
	}
	return verifyVerdict(all, in.Format, stderr)
}

// verifyVerdict prints the hints (JSON rows carry their own) and fails
// unless every login was accepted.
func verifyVerdict(all []verify.Result, f output.Format, stderr io.Writer) error {
	bad, what := 0, "SMTP logins"
	for _, r := range all {
		if r.Status == verify.Sent || r.Status == verify.Refused {
			what = "test messages"
		}
		if r.Status != verify.Accepted && r.Status != verify.Sent {
			bad++
		}
		if r.Hint != "" && f != output.FormatJSON {
			fmt.Fprintf(stderr, "sesprov: %s %s %s: %s\n", output.Dash(r.UserName), r.Region, r.Status, r.Hint)
		}
	}
	if bad > 0 {
		return fmt.Errorf("verify: %d of %d %s not accepted", bad, len(all), what)
	}
	return nil
}

// userNotices prints a workflow's notices on w, one line each.
func userNotices(w io.Writer) provision.Notices {
	var mu sync.Mutex
	return func(n provision.Notice) {
		mu.Lock()
		defer mu.Unlock()
		if n.Level == provision.NoticeWarning {
			fmt.Fprintf(w, "sesprov: warning: %s: %s\n", output.Dash(n.User), n.Text)
			return
		}
		fmt.Fprintf(w, "sesprov: %s %s\n", output.Dash(n.User), n.Text)
	}
}

// verifyInputOf checks verify's flags; every problem is a usage error.
func verifyInputOf(c *cli.Context) (verifyInput, error) {
	var regions []string
	for _, r := range c.StringSlice(flgRegions) {
		for _, x := range strings.Split(r, ",") {
			if x = strings.TrimSpace(x); x != "" {
				regions = append(regions, x)
			}
		}
	}
	opts := verify.Options{
		Regions:     regions,
		Endpoint:    c.String(flgSMTPEndpoint),
		Port:        c.Int(flgPort),
		FIPS:        c.Bool(flgFIPS),
		ImplicitTLS: c.Bool(flgImplicitTLS),
		Wait:        c.Duration(flgWait),
		Timeout:     c.Duration(flgTimeout),
	}
	if opts.Wait < 0 || opts.Timeout <= 0 {
		return verifyInput{}, fail.Usagef("--wait must be 0 or more and --timeout more than 0")
	}
	if opts.Endpoint != "" && c.IsSet(flgPort) {
		return verifyInput{}, fail.Usagef("--port and --smtp-endpoint cannot be combined: give the port in HOST:PORT")
	}
	if opts.ImplicitTLS && opts.Endpoint == "" {
		return verifyInput{}, fail.Usagef("--implicit-tls goes with --smtp-endpoint; for SES use --port 465 or 2465")
	}
	if path := c.String(flgCAFile); path != "" {
		pool, err := caPool(path)
		if err != nil {
			return verifyInput{}, err
		}
		opts.RootCAs = pool
	}
	return verifyInput{Options: opts}, nil
}

// sendTestOf reads --send-test, --from and --to (nil without --send-test).
func sendTestOf(c *cli.Context) (*verify.SendTest, error) {
	if !c.Bool(flgSendTest) {
		for _, f := range []string{flgFrom, flgTo} {
			if c.IsSet(f) {
				return nil, fail.Usagef("--%s goes with --send-test", f)
			}
		}
		return nil, nil
	}
	t := &verify.SendTest{From: c.String(flgFrom), To: c.String(flgTo)}
	return t, t.Check()
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

type verifyWriter struct {
	w      io.Writer
	format output.Format
	tw     *tabwriter.Writer
	cw     *csv.Writer
	wrote  bool
	paint  tty.Palette
}

func newVerifyWriter(w io.Writer, f output.Format) *verifyWriter {
	vw := &verifyWriter{w: w, format: f, paint: tty.NewPalette(w)}
	switch f {
	case output.FormatCSV:
		vw.cw = csv.NewWriter(w)
	case output.FormatJSON:
	default:
		vw.tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	}
	return vw
}

type jsonRegionResult struct {
	UserName    string `json:"user_name,omitempty"`
	AccessKeyID string `json:"access_key_id"`
	Region      string `json:"region"`
	Endpoint    string `json:"endpoint"`
	Status      string `json:"status"`
	Code        int    `json:"code,omitempty"`
	Reply       string `json:"reply,omitempty"`
	Error       string `json:"error,omitempty"`
	Hint        string `json:"hint,omitempty"`
	MessageID   string `json:"message_id,omitempty"`
	Attempts    int    `json:"attempts"`
	ElapsedMS   int64  `json:"elapsed_ms"`
}

func verifyDetail(r verify.Result) string {
	if r.Status == verify.Unreachable {
		return r.Error
	}
	return strings.TrimSpace(strconv.Itoa(r.Code) + " " + r.Reply)
}

func (v *verifyWriter) write(r verify.Result) error {
	first := !v.wrote
	v.wrote = true
	switch v.format {
	case output.FormatJSON:
		b, err := json.Marshal(jsonRegionResult{r.UserName, r.AccessKeyID, r.Region, r.Endpoint, string(r.Status),
			r.Code, r.Reply, r.Error, r.Hint, r.MessageID, r.Attempts, r.Elapsed.Milliseconds()})
		if err != nil {
			return err
		}
		_, err = v.w.Write(append(b, '\n'))
		return err
	case output.FormatCSV:
		if first {
			if err := v.cw.Write([]string{"IAM User Name", "Smtp Username", "Region", "SMTP Endpoint", "Result", "Detail", "Hint"}); err != nil {
				return err
			}
		}
		return v.cw.Write([]string{r.UserName, r.AccessKeyID, r.Region, r.Endpoint, string(r.Status), verifyDetail(r), r.Hint})
	default:
		if first {
			fmt.Fprintf(v.tw, "USER\tSMTP USERNAME\tREGION\tENDPOINT\t%s\tDETAIL\n", v.paint.Head("RESULT"))
		}
		_, err := fmt.Fprintf(v.tw, "%s\t%s\t%s\t%s\t%s\t%s\n", output.Dash(r.UserName), r.AccessKeyID, r.Region, r.Endpoint, paintVerifyStatus(v.paint, r.Status), verifyDetail(r))
		return err
	}
}

// paintVerifyStatus colours a result on a terminal: accepted green,
// rejected and unreachable red.
func paintVerifyStatus(p tty.Palette, s verify.Status) string {
	if s == verify.Accepted || s == verify.Sent {
		return p.Good(string(s))
	}
	return p.Bad(string(s))
}

func (v *verifyWriter) close() error {
	if v.tw != nil {
		return v.tw.Flush()
	}
	if v.cw != nil {
		v.cw.Flush()
		return v.cw.Error()
	}
	return nil
}
