// Package verify proves SMTP credentials with a real SMTP login per region.
package verify

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/redact"
	"github.com/sesprov/sesprov/provision"

	"github.com/sesprov/sesprov/internal/smtpauth"
)

// Status is the verdict on one region's password.
type Status string

// The verdicts of verify (docs/verify.md).
const (
	Accepted    Status = "accepted"    // the server answered 235 to AUTH
	Rejected    Status = "rejected"    // the server refused AUTH (Code, Reply)
	Unreachable Status = "unreachable" // no login happened (dial, TLS, no STARTTLS); Error says why
)

// DefaultSMTPPort is the port verify uses: 587 with STARTTLS, as SES documents.
const DefaultSMTPPort = 587

// Options say where and how verify logs in. The zero value verifies
// every region of the set on its SES endpoint, port 587, with STARTTLS, the
// system's certificate store, and no retries.
type Options struct {
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

	// SendTest, when set, sends one message after each accepted login;
	// the region's verdict is then Sent, Refused or Unreachable.
	SendTest *SendTest

	Concurrency int               // regions checked at once; 4 when 0
	Notices     provision.Notices // a notice per retry (a human is waiting)
	Log         *slog.Logger      // nil means no logs
}

// Result is the verdict on one region of one credential set.
type Result struct {
	UserName    string
	AccessKeyID string
	Region      string
	Endpoint    string // HOST:PORT the login went to
	Status      Status
	Code        int    // the server's reply code to AUTH (accepted, rejected)
	Reply       string // the server's reply text to AUTH; never a password
	Error       string // why unreachable; never a password
	Hint        string // the likely cause of a rejection, when one can be told
	MessageID   string // SES's message ID of a send test's message (Sent)
	Attempts    int
	Elapsed     time.Duration
}

// AllAccepted reports whether every result is accepted, or sent with a
// send test (and there is at least one).
func AllAccepted(rs []Result) bool {
	for _, r := range rs {
		if r.Status != Accepted && r.Status != Sent {
			return false
		}
	}
	return len(rs) > 0
}

type target struct {
	cred        creds.RegionCredential
	addr        string
	serverName  string
	implicitTLS bool
}

// Set proves set's SMTP passwords with a real SMTP login per
// region (STARTTLS or TLS, AUTH PLAIN or LOGIN, QUIT; no mail is sent). A
// rejected or unreachable region is a result, not an error: the error is for
// bad options (a usage error, before any connection) and cancellation.
// rotate --verify calls this with the new key's set before it retires the old
// key, and goes on only if AllAccepted.
func Set(ctx context.Context, set creds.CredentialSet, opts Options) ([]Result, error) {
	targets, err := targets(set, opts)
	if err != nil {
		return nil, err
	}
	if opts.Log == nil {
		opts.Log = redact.DiscardLogger()
	}
	conc := opts.Concurrency
	if conc <= 0 {
		conc = 4
	}
	results := make([]Result, len(targets))
	started := make([]bool, len(targets))
	provision.ForEach(ctx, len(targets), conc, func(ctx context.Context, i int) {
		started[i] = true
		results[i] = verifyOne(ctx, set, targets[i], opts)
	})
	for i, t := range targets {
		if !started[i] { // cancelled before its turn
			results[i] = Result{UserName: set.UserName, AccessKeyID: set.AccessKeyID, Region: t.cred.Region,
				Endpoint: t.addr, Status: Unreachable, Error: ctx.Err().Error()}
		}
	}
	if err := ctx.Err(); err != nil {
		return results, fmt.Errorf("verify SMTP credentials: %w", err)
	}
	return results, nil
}

// targets validates the options against the set and says where each
// region's login goes. Every problem is a usage error: nothing was tried.
func targets(set creds.CredentialSet, opts Options) ([]target, error) {
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
	if opts.SendTest != nil {
		if err := opts.SendTest.Check(); err != nil {
			return nil, err
		}
	}
	regionCreds, err := selectRegions(set, opts.Regions)
	if err != nil {
		return nil, err
	}
	if len(regionCreds) == 0 {
		return nil, fail.Usagef("%s: no regions to verify", output.Dash(set.UserName))
	}
	var out []target
	for _, c := range regionCreds {
		t, err := targetOf(set, c, opts, port)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// selectRegions picks the set's credentials for regions, in that order (all
// of them when regions is empty).
func selectRegions(set creds.CredentialSet, regions []string) ([]creds.RegionCredential, error) {
	if len(regions) == 0 {
		return set.Credentials, nil
	}
	have := map[string]creds.RegionCredential{}
	for _, c := range set.Credentials {
		have[c.Region] = c
	}
	var picked []creds.RegionCredential
	var missing []string
	for _, r := range regions {
		c, ok := have[r]
		if !ok {
			missing = append(missing, r)
			continue
		}
		picked = append(picked, c)
	}
	if len(missing) > 0 {
		return nil, fail.Usagef("%s: --regions %s not in the input (it has %s)", output.Dash(set.UserName), strings.Join(missing, ","), strings.Join(regionsOf(set), ","))
	}
	return picked, nil
}

// targetOf says where c's login goes: the stand-in endpoint, or the
// region's SES (or FIPS) endpoint on port.
func targetOf(set creds.CredentialSet, c creds.RegionCredential, opts Options, port int) (target, error) {
	// Every region name must look like one: it becomes a host name.
	if _, err := derive.ResolveRegions([]string{c.Region}, []string{c.Region}); err != nil {
		return target{}, fail.AsUsage(fmt.Errorf("%s: %w", output.Dash(set.UserName), err))
	}
	t := target{cred: c}
	if opts.Endpoint != "" {
		host, p, _ := net.SplitHostPort(opts.Endpoint)
		t.addr, t.serverName = opts.Endpoint, host
		t.implicitTLS = opts.ImplicitTLS || smtpauth.ImplicitTLSPort(p)
		return t, nil
	}
	host := derive.Endpoint(c.Region)
	if opts.FIPS {
		r, _ := derive.Lookup(c.Region)
		if r.FIPSEndpoint == "" {
			return target{}, fail.Usagef("%s: region %s has no FIPS SMTP endpoint (FIPS endpoints exist in %s)", output.Dash(set.UserName), c.Region, strings.Join(fipsRegions(), ", "))
		}
		host = r.FIPSEndpoint
	}
	t.addr = net.JoinHostPort(host, strconv.Itoa(port))
	t.serverName = host
	t.implicitTLS = opts.ImplicitTLS || smtpauth.ImplicitTLSPort(strconv.Itoa(port))
	return t, nil
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

func verifyOne(ctx context.Context, set creds.CredentialSet, t target, opts Options) Result {
	res := Result{UserName: set.UserName, AccessKeyID: set.AccessKeyID, Region: t.cred.Region, Endpoint: t.addr}
	so := smtpauth.Options{Addr: t.addr, ServerName: t.serverName, ImplicitTLS: t.implicitTLS, RootCAs: opts.RootCAs, Timeout: opts.Timeout,
		Message: opts.SendTest.message()}
	pause := opts.RetryInitial
	if pause <= 0 {
		pause = time.Second
	}
	start := time.Now()
	var r smtpauth.Result
	for {
		res.Attempts++
		r = smtpauth.Authenticate(ctx, so, set.AccessKeyID, t.cred.Password.Reveal())
		opts.Log.Info("smtp login", "user", set.UserName, "region", t.cred.Region, "endpoint", t.addr,
			"outcome", r.Outcome.String(), "code", r.Code, "mechanism", r.Mechanism, "attempt", res.Attempts)
		res.Code, res.Reply, res.Error = r.Code, r.Reply, ""
		res.Status = statusOf(r)
		if res.Status == Unreachable {
			res.Error = r.Err.Error()
		}
		res.Elapsed = time.Since(start)
		if res.Status != Rejected || ctx.Err() != nil || time.Since(start)+pause > opts.Wait {
			break
		}
		opts.Notices.Info(set.UserName, "%s: rejected (%d %s); retrying in %s (--wait %s: a new key can take a while to reach SES)",
			t.cred.Region, r.Code, r.Reply, pause, opts.Wait)
		if !sleep(ctx, pause) {
			break
		}
		pause = min(pause*2, 10*time.Second)
	}
	res.Hint = hintFor(set, t, res.Status, opts)
	if res.Status == Accepted && r.Send != nil {
		applySend(&res, r.Send, opts.SendTest)
	}
	return res
}

func statusOf(r smtpauth.Result) Status {
	switch r.Outcome {
	case smtpauth.Accepted:
		return Accepted
	case smtpauth.Rejected:
		return Rejected
	}
	return Unreachable
}

// sleep waits d and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
	case <-timer.C:
	}
	return ctx.Err() == nil
}

// hintFor explains a rejection, or an acceptance that SES itself would not give.
func hintFor(set creds.CredentialSet, t target, s Status, opts Options) string {
	switch {
	case s == Rejected:
		hint := diagnoseRejection(set, t.cred, opts.Wait)
		if opts.Endpoint != "" && strings.HasPrefix(hint, "likely causes: ") && !set.SecretAccessKey.IsZero() {
			// The password is right for its region (re-derived): the stand-in
			// endpoint may serve another region.
			hint = fmt.Sprintf("the password is right for %s (re-derived from the secret); if %s does not serve %s it refuses it, since a password works in one region only; %s",
				t.cred.Region, t.addr, t.cred.Region, hint)
		}
		return hint
	case s == Accepted && opts.Endpoint != "":
		// One endpoint stood in for every region: say when SES's own endpoint
		// for this region would refuse the password.
		if r := derivedFor(set.SecretAccessKey.Reveal(), t.cred.Password.Reveal()); r != "" && r != t.cred.Region {
			return fmt.Sprintf("accepted by %s, but the password was derived for %s, not %s: SES's %s endpoint will refuse it",
				t.addr, r, t.cred.Region, t.cred.Region)
		}
	}
	return ""
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

// Run validates every set and the options before the first connection, then
// logs in to every region of each set in turn. Each set's results go to
// each as soon as they are known (a person watches them come); Run returns
// them all. A rejected or unreachable region is a result, not an error.
func Run(ctx context.Context, sets []creds.CredentialSet, opts Options, each func([]Result)) ([]Result, error) {
	for _, s := range sets { // every problem before the first connection
		if _, err := targets(s, opts); err != nil {
			return nil, err
		}
	}
	var all []Result
	for _, s := range sets {
		rs, err := Set(ctx, s, opts)
		all = append(all, rs...)
		if each != nil {
			each(rs)
		}
		if err != nil {
			return all, err
		}
	}
	return all, nil
}
