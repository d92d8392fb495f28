package provision

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/redact"
	"github.com/sesprov/sesprov/internal/tty"

	"github.com/sesprov/sesprov/smtpauth"
)

// VerifyStatus is the verdict on one region's password.
type VerifyStatus string

// The verdicts of verify (docs/verify.md).
const (
	VerifyAccepted    VerifyStatus = "accepted"    // the server answered 235 to AUTH
	VerifyRejected    VerifyStatus = "rejected"    // the server refused AUTH (Code, Reply)
	VerifyUnreachable VerifyStatus = "unreachable" // no login happened (dial, TLS, no STARTTLS); Error says why
)

// DefaultSMTPPort is the port verify uses: 587 with STARTTLS, as SES documents.
const DefaultSMTPPort = 587

// VerifyOptions say where and how verify logs in. The zero value verifies
// every region of the set on its SES endpoint, port 587, with STARTTLS, the
// system's certificate store, and no retries.
type VerifyOptions struct {
	Regions     []string       // only these regions of the set; empty means all of them
	Endpoint    string         // HOST:PORT used for every region instead of SES's (tests, proxies)
	Port        int            // 25, 587, 2587 (STARTTLS) or 465, 2465 (TLS); 0 means 587
	FIPS        bool           // use the region's FIPS endpoint; an error for regions without one
	ImplicitTLS bool           // TLS from the first byte on a port other than 465/2465 (with Endpoint)
	RootCAs     *x509.CertPool // trusted roots; nil means the system's (SSL_CERT_FILE honoured)
	Timeout     time.Duration  // dial and each SMTP command; smtpauth.DefaultTimeout when 0

	// Wait keeps retrying a rejected login, with backoff, until this long has
	// passed since the first attempt: a new key takes a while to reach SES.
	Wait         time.Duration
	RetryInitial time.Duration // first pause between attempts; 1s when 0 (doubles up to 10s)

	Concurrency int          // regions checked at once; 4 when 0
	Progress    io.Writer    // if set, a line per retry (a human is waiting)
	Log         *slog.Logger // nil means no logs
}

// RegionResult is the verdict on one region of one credential set.
type RegionResult struct {
	UserName    string
	AccessKeyID string
	Region      string
	Endpoint    string // HOST:PORT the login went to
	Status      VerifyStatus
	Code        int    // the server's reply code to AUTH (accepted, rejected)
	Reply       string // the server's reply text to AUTH; never a password
	Error       string // why unreachable; never a password
	Hint        string // the likely cause of a rejection, when one can be told
	Attempts    int
	Elapsed     time.Duration
}

// AllAccepted reports whether every result is accepted (and there is at least one).
func AllAccepted(rs []RegionResult) bool {
	for _, r := range rs {
		if r.Status != VerifyAccepted {
			return false
		}
	}
	return len(rs) > 0
}

type verifyTarget struct {
	cred        creds.RegionCredential
	addr        string
	serverName  string
	implicitTLS bool
}

// VerifyCredentials proves set's SMTP passwords with a real SMTP login per
// region (STARTTLS or TLS, AUTH PLAIN or LOGIN, QUIT; no mail is sent). A
// rejected or unreachable region is a result, not an error: the error is for
// bad options (a usage error, before any connection) and cancellation.
// rotate --verify calls this with the new key's set before it retires the old
// key, and goes on only if AllAccepted.
func VerifyCredentials(ctx context.Context, set creds.CredentialSet, opts VerifyOptions) ([]RegionResult, error) {
	targets, err := verifyTargets(set, opts)
	if err != nil {
		return nil, err
	}
	log := opts.Log
	if log == nil {
		log = redact.DiscardLogger()
	}
	conc := opts.Concurrency
	if conc <= 0 {
		conc = 4
	}
	results := make([]RegionResult, len(targets))
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				results[i] = RegionResult{UserName: set.UserName, AccessKeyID: set.AccessKeyID, Region: t.cred.Region,
					Endpoint: t.addr, Status: VerifyUnreachable, Error: ctx.Err().Error()}
				return
			}
			results[i] = verifyOne(ctx, set, t, opts, log)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return results, fmt.Errorf("verify SMTP credentials: %w", err)
	}
	return results, nil
}

// verifyTargets validates the options against the set and says where each
// region's login goes. Every problem is a usage error: nothing was tried.
func verifyTargets(set creds.CredentialSet, opts VerifyOptions) ([]verifyTarget, error) {
	port := opts.Port
	if port == 0 {
		port = DefaultSMTPPort
	}
	switch port {
	case 25, 587, 2587, 465, 2465:
	default:
		return nil, fail.Usagef("SMTP port %d: SES listens on 25, 587, 2587 (STARTTLS) and 465, 2465 (TLS)", port)
	}
	if opts.Endpoint != "" {
		host, p, err := net.SplitHostPort(opts.Endpoint)
		if err != nil || host == "" || p == "" {
			return nil, fail.Usagef("--smtp-endpoint %q: want HOST:PORT (e.g. email-smtp.eu-west-1.amazonaws.com:587)", opts.Endpoint)
		}
		if opts.FIPS {
			return nil, fail.Usagef("--smtp-endpoint and --fips cannot be combined: the endpoint given is used as it is")
		}
	}
	if set.AccessKeyID == "" {
		return nil, fail.Usagef("verify: the credentials have no access key ID (the SMTP user name)")
	}
	regionCreds := set.Credentials
	if len(opts.Regions) > 0 {
		have := map[string]creds.RegionCredential{}
		for _, c := range set.Credentials {
			have[c.Region] = c
		}
		regionCreds = nil
		var missing []string
		for _, r := range opts.Regions {
			c, ok := have[r]
			if !ok {
				missing = append(missing, r)
				continue
			}
			regionCreds = append(regionCreds, c)
		}
		if len(missing) > 0 {
			return nil, fail.Usagef("%s: --regions %s not in the input (it has %s)", output.Dash(set.UserName), strings.Join(missing, ","), strings.Join(regionsOf(set), ","))
		}
	}
	if len(regionCreds) == 0 {
		return nil, fail.Usagef("%s: no regions to verify", output.Dash(set.UserName))
	}
	var out []verifyTarget
	for _, c := range regionCreds {
		// Every region name must look like one: it becomes a host name.
		if _, err := derive.ResolveRegions([]string{c.Region}, []string{c.Region}); err != nil {
			return nil, fail.AsUsage(fmt.Errorf("%s: %w", output.Dash(set.UserName), err))
		}
		t := verifyTarget{cred: c}
		if opts.Endpoint != "" {
			host, p, _ := net.SplitHostPort(opts.Endpoint)
			t.addr, t.serverName = opts.Endpoint, host
			t.implicitTLS = opts.ImplicitTLS || smtpauth.ImplicitTLSPort(p)
		} else {
			host := derive.Endpoint(c.Region)
			if opts.FIPS {
				r, _ := derive.Lookup(c.Region)
				if r.FIPSEndpoint == "" {
					return nil, fail.Usagef("%s: region %s has no FIPS SMTP endpoint (FIPS endpoints exist in %s)", output.Dash(set.UserName), c.Region, strings.Join(fipsRegions(), ", "))
				}
				host = r.FIPSEndpoint
			}
			t.addr = net.JoinHostPort(host, strconv.Itoa(port))
			t.serverName = host
			t.implicitTLS = opts.ImplicitTLS || smtpauth.ImplicitTLSPort(strconv.Itoa(port))
		}
		out = append(out, t)
	}
	return out, nil
}

func regionsOf(set creds.CredentialSet) []string {
	var rs []string
	for _, c := range set.Credentials {
		rs = append(rs, c.Region)
	}
	return rs
}

func fipsRegions() []string {
	var rs []string
	for _, r := range derive.Regions() {
		if r.FIPSEndpoint != "" {
			rs = append(rs, r.Name)
		}
	}
	return rs
}

func verifyOne(ctx context.Context, set creds.CredentialSet, t verifyTarget, opts VerifyOptions, log *slog.Logger) RegionResult {
	res := RegionResult{UserName: set.UserName, AccessKeyID: set.AccessKeyID, Region: t.cred.Region, Endpoint: t.addr}
	so := smtpauth.Options{Addr: t.addr, ServerName: t.serverName, ImplicitTLS: t.implicitTLS, RootCAs: opts.RootCAs, Timeout: opts.Timeout}
	pause := opts.RetryInitial
	if pause <= 0 {
		pause = time.Second
	}
	start := time.Now()
	for {
		res.Attempts++
		r := smtpauth.Authenticate(ctx, so, set.AccessKeyID, t.cred.Password.Reveal())
		log.Info("smtp login", "user", set.UserName, "region", t.cred.Region, "endpoint", t.addr,
			"outcome", r.Outcome.String(), "code", r.Code, "mechanism", r.Mechanism, "attempt", res.Attempts)
		res.Code, res.Reply, res.Error = r.Code, r.Reply, ""
		switch r.Outcome {
		case smtpauth.Accepted:
			res.Status = VerifyAccepted
		case smtpauth.Rejected:
			res.Status = VerifyRejected
		default:
			res.Status = VerifyUnreachable
			res.Error = r.Err.Error()
		}
		res.Elapsed = time.Since(start)
		if res.Status != VerifyRejected || ctx.Err() != nil || time.Since(start)+pause > opts.Wait {
			break
		}
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "sesprov: %s %s: rejected (%d %s); retrying in %s (--wait %s: a new key can take a while to reach SES)\n",
				output.Dash(set.UserName), t.cred.Region, r.Code, r.Reply, pause, opts.Wait)
		}
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			timer.Stop()
		case <-timer.C:
		}
		if ctx.Err() != nil {
			break
		}
		pause = min(pause*2, 10*time.Second)
	}
	switch {
	case res.Status == VerifyRejected:
		res.Hint = diagnoseRejection(set, t.cred, opts.Wait)
		if opts.Endpoint != "" && strings.HasPrefix(res.Hint, "likely causes: ") && !set.SecretAccessKey.IsZero() {
			// The password is right for its region (re-derived): the stand-in
			// endpoint may serve another region.
			res.Hint = fmt.Sprintf("the password is right for %s (re-derived from the secret); if %s does not serve %s it refuses it, since a password works in one region only; %s",
				t.cred.Region, t.addr, t.cred.Region, res.Hint)
		}
	case res.Status == VerifyAccepted && opts.Endpoint != "":
		// One endpoint stood in for every region: say when SES's own endpoint
		// for this region would refuse the password.
		if r := derivedFor(set.SecretAccessKey.Reveal(), t.cred.Password.Reveal()); r != "" && r != t.cred.Region {
			res.Hint = fmt.Sprintf("accepted by %s, but the password was derived for %s, not %s: SES's %s endpoint will refuse it",
				t.addr, r, t.cred.Region, t.cred.Region)
		}
	}
	return res
}

// diagnoseRejection names the likely cause of a rejected login, from what
// the input holds. It never includes a password or the secret.
func diagnoseRejection(set creds.CredentialSet, c creds.RegionCredential, waited time.Duration) string {
	pw := c.Password.Reveal()
	if strings.HasPrefix(set.AccessKeyID, "ASIA") {
		return "ASIA… keys are temporary (STS) credentials: SES SMTP does not accept passwords derived from them; use a long-term key ('sesprov create-user' or 'sesprov convert' with an AKIA… key)"
	}
	if secret := set.SecretAccessKey.Reveal(); secret != "" {
		if pw == secret {
			return "that is the raw secret access key, not an SMTP password: derive one with 'sesprov derive --regions " + c.Region + "'"
		}
		if pw != derive.Password(secret, c.Region) {
			if r := derivedFor(secret, pw); r != "" {
				return fmt.Sprintf("the password was derived for %s, not %s: a password works in one region only; derive one for %s", r, c.Region, c.Region)
			}
			return "the password was not derived from this secret access key (for any region sesprov knows): derive it again"
		}
		// The password is right for the key: what remains is the key or the user.
		return commonCauses(c.Region, waited, false)
	}
	if !smtpPasswordShaped(pw) {
		if len(pw) == 40 {
			return "the password looks like a secret access key (40 characters), not an SMTP password (44 characters, starting with B): derive one with 'sesprov derive'"
		}
		return "the password is not shaped like an SES SMTP password (44 base64 characters starting with B)"
	}
	for _, o := range set.Credentials {
		if o.Region != c.Region && o.Password.Reveal() == pw {
			return fmt.Sprintf("the same password is listed for %s: a password works in one region only, so at most one of them is right", o.Region)
		}
	}
	return commonCauses(c.Region, waited, true)
}

// derivedFor returns the region of sesprov's table whose password for secret
// is pw, or "" (also when secret is unknown).
func derivedFor(secret, pw string) string {
	if secret == "" {
		return ""
	}
	for _, r := range derive.Regions() {
		if derive.Password(secret, r.Name) == pw {
			return r.Name
		}
	}
	return ""
}

func commonCauses(region string, waited time.Duration, regionUnknown bool) string {
	var causes []string
	if regionUnknown {
		causes = append(causes, "the password was derived for another region than "+region+" (add --include-secret-key to the input to let verify check)")
	}
	if waited == 0 {
		causes = append(causes, "the key is new and has not reached SES yet (retry with --wait 60s)")
	} else {
		causes = append(causes, fmt.Sprintf("the key is still not active in SES after %s", waited))
	}
	causes = append(causes, "the key was deactivated or deleted ('sesprov list')",
		"the user lacks ses:SendRawEmail (not in the sending group; 'sesprov doctor', 'sesprov migrate')")
	return "likely causes: " + strings.Join(causes, "; ")
}

// smtpPasswordShaped: the algorithm's output is base64 of 33 bytes, the
// first being the version 0x04, so 44 characters starting with "B".
func smtpPasswordShaped(pw string) bool {
	b, err := base64.StdEncoding.DecodeString(pw)
	return err == nil && len(b) == 33 && b[0] == 0x04
}

// VerifyInput is what the verify command reads.
type VerifyInput struct {
	In      io.Reader     // credentials JSON (create-user's, rotate's or convert's --output json)
	Format  output.Format // table, json or csv
	Options VerifyOptions
}

// VerifyCommand reads credential sets from in.In, validates all of them and
// the options before the first connection, logs in to every region, and
// writes one row per region. Hints for rejections go to stderr (table, csv)
// or into the JSON objects. It fails (exit 1) unless every region is accepted.
func VerifyCommand(ctx context.Context, in VerifyInput, stdout, stderr io.Writer) error {
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
	for _, s := range sets { // every problem before the first connection
		if _, err := verifyTargets(s, in.Options); err != nil {
			return err
		}
	}
	w := newVerifyWriter(stdout, in.Format)
	var all []RegionResult
	var runErr error
	for _, s := range sets {
		rs, err := VerifyCredentials(ctx, s, in.Options)
		all = append(all, rs...)
		for _, r := range rs {
			if werr := w.write(r); werr != nil && runErr == nil {
				runErr = werr
			}
		}
		if err != nil {
			runErr = err
			break
		}
	}
	if err := w.close(); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		return runErr
	}
	bad := 0
	for _, r := range all {
		if r.Status != VerifyAccepted {
			bad++
		}
		if r.Hint != "" && in.Format != output.FormatJSON { // JSON carries the hint itself
			fmt.Fprintf(stderr, "sesprov: %s %s %s: %s\n", output.Dash(r.UserName), r.Region, r.Status, r.Hint)
		}
	}
	if bad > 0 {
		return fmt.Errorf("verify: %d of %d SMTP logins not accepted", bad, len(all))
	}
	return nil
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
	Attempts    int    `json:"attempts"`
	ElapsedMS   int64  `json:"elapsed_ms"`
}

func (r RegionResult) detail() string {
	if r.Status == VerifyUnreachable {
		return r.Error
	}
	return strings.TrimSpace(strconv.Itoa(r.Code) + " " + r.Reply)
}

func (v *verifyWriter) write(r RegionResult) error {
	first := !v.wrote
	v.wrote = true
	switch v.format {
	case output.FormatJSON:
		b, err := json.Marshal(jsonRegionResult{r.UserName, r.AccessKeyID, r.Region, r.Endpoint, string(r.Status),
			r.Code, r.Reply, r.Error, r.Hint, r.Attempts, r.Elapsed.Milliseconds()})
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
		return v.cw.Write([]string{r.UserName, r.AccessKeyID, r.Region, r.Endpoint, string(r.Status), r.detail(), r.Hint})
	default:
		if first {
			fmt.Fprintf(v.tw, "USER\tSMTP USERNAME\tREGION\tENDPOINT\t%s\tDETAIL\n", v.paint.Head("RESULT"))
		}
		_, err := fmt.Fprintf(v.tw, "%s\t%s\t%s\t%s\t%s\t%s\n", output.Dash(r.UserName), r.AccessKeyID, r.Region, r.Endpoint, paintVerifyStatus(v.paint, r.Status), r.detail())
		return err
	}
}

// paintVerifyStatus colours a result on a terminal: accepted green,
// rejected and unreachable red.
func paintVerifyStatus(p tty.Palette, s VerifyStatus) string {
	if s == VerifyAccepted {
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
