// Package smtpauth proves SMTP credentials with a real login: it connects,
// secures the connection (STARTTLS or TLS from the first byte), authenticates
// with AUTH PLAIN or AUTH LOGIN, and quits. It sends mail only when asked
// (Options.Message: one test message after AUTH), and it never sends
// credentials over a connection that is not TLS, whatever the host.
package smtpauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"strings"
	"time"
)

// Outcome classifies one login attempt.
type Outcome int

const (
	// Unreachable: no authentication happened (dial, TLS, or the server did not
	// offer what a safe login needs). Err says why.
	Unreachable Outcome = iota
	// Accepted: the server answered 235 to AUTH.
	Accepted
	// Rejected: the server refused AUTH; Code and Reply hold its answer.
	Rejected
)

func (o Outcome) String() string {
	switch o {
	case Accepted:
		return "accepted"
	case Rejected:
		return "rejected"
	}
	return "unreachable"
}

// DefaultTimeout bounds the dial and each command when Options.Timeout is 0.
const DefaultTimeout = 10 * time.Second

// Options say where and how to connect.
type Options struct {
	Addr        string         // HOST:PORT
	ServerName  string         // name the certificate must match; the host of Addr when empty
	ImplicitTLS bool           // TLS from the first byte (ports 465, 2465); otherwise STARTTLS
	RootCAs     *x509.CertPool // trusted roots; nil means the system's (SSL_CERT_FILE honoured)
	Timeout     time.Duration  // dial, TLS handshake and each command; DefaultTimeout when 0
	HelloName   string         // EHLO argument; the host name (or "localhost") when empty
	// Message, when set, is sent after an accepted AUTH (Result.Send).
	Message *Message
}

// Result is the outcome of one login.
type Result struct {
	Outcome   Outcome
	Code      int         // the server's reply code to AUTH (Accepted, Rejected)
	Reply     string      // the server's reply text to AUTH; never contains the password
	Mechanism string      // "PLAIN" or "LOGIN"
	Err       error       // why it was Unreachable; never contains the password
	Send      *SendResult // what became of Options.Message (Accepted only)
}

// ImplicitTLSPort reports whether port is one where SES speaks TLS from the
// first byte (465, 2465) rather than STARTTLS (25, 587, 2587).
func ImplicitTLSPort(port string) bool { return port == "465" || port == "2465" }

// Authenticate logs in to the server at opts.Addr as username with password,
// and quits. It returns an Unreachable result rather than sending AUTH on a
// connection that is not TLS-protected.
func Authenticate(ctx context.Context, opts Options, username, password string) Result {
	res := authenticate(ctx, opts, username, password)
	// Neither this package nor a sane server echoes the password; this is the
	// belt to those braces. (Very short strings would match ordinary words.)
	if len(password) >= 8 {
		// The password as typed, and as it went on the wire (base64 in AUTH
		// PLAIN's response and AUTH LOGIN's), should a server echo a line.
		forms := []string{password,
			base64.StdEncoding.EncodeToString([]byte(password)),
			base64.StdEncoding.EncodeToString([]byte("\x00" + username + "\x00" + password))}
		for _, f := range forms {
			if res.Err != nil && strings.Contains(res.Err.Error(), f) {
				res.Err = redactedError{strings.ReplaceAll(res.Err.Error(), f, "[REDACTED]"), res.Err}
			}
			res.Reply = strings.ReplaceAll(res.Reply, f, "[REDACTED]")
			if res.Send != nil {
				res.Send.Reply = strings.ReplaceAll(res.Send.Reply, f, "[REDACTED]")
				if res.Send.Err != nil && strings.Contains(res.Send.Err.Error(), f) {
					res.Send.Err = redactedError{strings.ReplaceAll(res.Send.Err.Error(), f, "[REDACTED]"), res.Send.Err}
				}
			}
		}
	}
	return res
}

func authenticate(ctx context.Context, opts Options, username, password string) Result {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	host, _, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return Result{Err: fmt.Errorf("bad SMTP address %q: %w", opts.Addr, err)}
	}
	serverName := opts.ServerName
	if serverName == "" {
		serverName = host
	}
	tlsConfig := &tls.Config{ServerName: serverName, RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12}

	dialCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	d := net.Dialer{}
	raw, err := d.DialContext(dialCtx, "tcp", opts.Addr)
	if err != nil {
		return Result{Err: describeDialError(ctx, opts.Addr, timeout, err)}
	}
	conn := raw
	// Closing the connection is how a cancelled context interrupts a blocked read.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	defer func() { conn.Close() }()

	if opts.ImplicitTLS {
		tc, err := handshake(ctx, raw, tlsConfig, timeout)
		if err != nil {
			return Result{Err: describeTLSError(ctx, opts.Addr, err)}
		}
		conn = tc
	}
	s := &session{conn: conn, tp: textproto.NewConn(conn), timeout: timeout, ctx: ctx}
	if _, _, err := s.expect(220); err != nil {
		return Result{Err: fmt.Errorf("greeting from %s: %w", opts.Addr, err)}
	}
	hello := opts.HelloName
	if hello == "" {
		hello = helloName()
	}
	ext, err := s.ehlo(hello)
	if err != nil {
		return Result{Err: fmt.Errorf("EHLO to %s: %w", opts.Addr, err)}
	}
	if !opts.ImplicitTLS {
		if _, ok := ext["STARTTLS"]; !ok {
			return Result{Err: fmt.Errorf("%s did not offer STARTTLS: refusing to send credentials without TLS (SES always offers it; is this an SES endpoint, or is something on the path stripping it?)", opts.Addr)}
		}
		if _, _, err := s.cmd(220, "STARTTLS"); err != nil {
			return Result{Err: fmt.Errorf("STARTTLS with %s: %w", opts.Addr, err)}
		}
		tc, err := handshake(ctx, raw, tlsConfig, timeout)
		if err != nil {
			return Result{Err: describeTLSError(ctx, opts.Addr, err)}
		}
		conn = tc
		s = &session{conn: tc, tp: textproto.NewConn(tc), timeout: timeout, ctx: ctx}
		if ext, err = s.ehlo(hello); err != nil {
			return Result{Err: fmt.Errorf("EHLO after STARTTLS to %s: %w", opts.Addr, err)}
		}
	}
	if _, ok := conn.(*tls.Conn); !ok { // cannot happen; the guard is the point of this package
		return Result{Err: errors.New("refusing to authenticate without TLS")}
	}

	mechs := strings.Fields(strings.ToUpper(ext["AUTH"]))
	var res Result
	switch {
	case contains(mechs, "PLAIN"):
		res = s.authPlain(username, password)
	case contains(mechs, "LOGIN"):
		res = s.authLogin(username, password)
	default:
		return Result{Err: fmt.Errorf("%s offers no AUTH PLAIN or LOGIN after TLS (offered: %q)", opts.Addr, ext["AUTH"])}
	}
	if res.Err != nil && ctx.Err() != nil {
		res.Err = fmt.Errorf("%w: %w", ctx.Err(), res.Err)
	}
	if res.Outcome == Accepted && opts.Message != nil {
		sr := s.sendMessage(opts.Message)
		res.Send = &sr
	}
	if res.Outcome != Unreachable {
		s.quit()
	}
	return res
}

func handshake(ctx context.Context, raw net.Conn, cfg *tls.Config, timeout time.Duration) (*tls.Conn, error) {
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tc := tls.Client(raw, cfg)
	if err := tc.HandshakeContext(hctx); err != nil {
		return nil, err
	}
	return tc, nil
}

type session struct {
	conn    net.Conn
	tp      *textproto.Conn
	timeout time.Duration
	ctx     context.Context
}

// expect reads one reply and checks its code.
func (s *session) expect(code int) (int, string, error) {
	_ = s.conn.SetDeadline(time.Now().Add(s.timeout))
	c, msg, err := s.tp.ReadResponse(code)
	return c, msg, s.wrap(err)
}

func (s *session) cmd(code int, format string, args ...any) (int, string, error) {
	_ = s.conn.SetDeadline(time.Now().Add(s.timeout))
	if err := s.tp.PrintfLine(format, args...); err != nil {
		return 0, "", s.wrap(err)
	}
	return s.expect(code)
}

// wrap names a timeout or a cancellation instead of "use of closed connection".
func (s *session) wrap(err error) error {
	if err == nil {
		return nil
	}
	if s.ctx.Err() != nil {
		return s.ctx.Err()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("no answer within %s", s.timeout)
	}
	return err
}

// ehlo returns the extensions offered, keyed by upper-case keyword.
func (s *session) ehlo(name string) (map[string]string, error) {
	_, msg, err := s.cmd(250, "EHLO %s", name)
	if err != nil {
		return nil, err
	}
	ext := map[string]string{}
	lines := strings.Split(msg, "\n")
	for _, l := range lines[1:] { // the first line is the server's greeting
		k, v, _ := strings.Cut(strings.TrimSpace(l), " ")
		ext[strings.ToUpper(k)] = v
	}
	return ext, nil
}

func (s *session) authPlain(username, password string) Result {
	ir := base64.StdEncoding.EncodeToString([]byte("\x00" + username + "\x00" + password))
	return s.authReply("PLAIN", s.send("AUTH PLAIN "+ir))
}

func (s *session) authLogin(username, password string) Result {
	steps := []string{"AUTH LOGIN", base64.StdEncoding.EncodeToString([]byte(username))}
	for _, line := range steps {
		r := s.send(line)
		if r.err != nil || r.code != 334 {
			// A refusal of the user name is a rejection of the login too.
			return s.authReply("LOGIN", r)
		}
	}
	return s.authReply("LOGIN", s.send(base64.StdEncoding.EncodeToString([]byte(password))))
}

type reply struct {
	code int
	msg  string
	err  error
}

// send writes one line that may carry a credential and reads the reply.
func (s *session) send(line string) reply {
	_ = s.conn.SetDeadline(time.Now().Add(s.timeout))
	if err := s.tp.PrintfLine("%s", line); err != nil {
		return reply{err: s.wrap(err)}
	}
	code, msg, err := s.tp.ReadResponse(0)
	if err != nil {
		return reply{err: s.wrap(err)}
	}
	return reply{code: code, msg: msg}
}

func (s *session) authReply(mech string, r reply) Result {
	switch {
	case r.err != nil:
		return Result{Mechanism: mech, Err: fmt.Errorf("AUTH %s: %w", mech, r.err)}
	case r.code == 235:
		return Result{Outcome: Accepted, Code: r.code, Reply: oneLine(r.msg), Mechanism: mech}
	case r.code >= 400:
		return Result{Outcome: Rejected, Code: r.code, Reply: oneLine(r.msg), Mechanism: mech}
	}
	return Result{Mechanism: mech, Err: fmt.Errorf("AUTH %s: unexpected reply %d %s", mech, r.code, oneLine(r.msg))}
}

func (s *session) quit() {
	_ = s.conn.SetDeadline(time.Now().Add(s.timeout))
	_ = s.tp.PrintfLine("QUIT")
	_, _, _ = s.tp.ReadResponse(221)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func helloName() string {
	h, err := os.Hostname()
	if err != nil || h == "" || strings.ContainsAny(h, " \t\r\n") {
		return "localhost"
	}
	return h
}

func describeDialError(ctx context.Context, addr string, timeout time.Duration, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("connect to %s: %w", addr, ctx.Err())
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("connect to %s: no answer within %s (is outbound SMTP blocked by a firewall? try --port 2587 or 2465)", addr, timeout)
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return fmt.Errorf("connect to %s: cannot resolve %s (no network or DNS here?): %w", addr, dns.Name, err)
	}
	return fmt.Errorf("connect to %s: %w", addr, err)
}

// describeTLSError says in words why the server's certificate was refused.
// Verification is never turned off: the remedy offered is to trust the right
// root, not to skip the check.
func describeTLSError(ctx context.Context, addr string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("TLS with %s: %w", addr, ctx.Err())
	}
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		return fmt.Errorf("TLS with %s: certificate not trusted (signed by an unknown authority); if a proxy re-signs TLS here, add its root with --ca-file or SSL_CERT_FILE: %w", addr, err)
	case errors.As(err, &he):
		return fmt.Errorf("TLS with %s: certificate does not match the host name: %w", addr, err)
	case errors.As(err, &ci):
		return fmt.Errorf("TLS with %s: certificate not valid: %w", addr, err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("TLS with %s: handshake timed out: %w", addr, err)
	}
	return fmt.Errorf("TLS with %s: %w", addr, err)
}

// redactedError keeps the wrapped error for errors.Is (cancellation) while
// its message has the password removed.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }
