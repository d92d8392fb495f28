// Package smtpauthtest serves an SMTP endpoint on 127.0.0.1 that checks
// logins the way Amazon SES does: AUTH is offered only after TLS, the user
// name is an access key ID, and the password must be the SES SMTP password
// derived from that key's secret for the server's region. After AUTH it
// takes MAIL, RCPT and DATA, refuses at DATA as configured (as SES refuses
// an unverified or unauthorised From), and records the messages; it
// delivers nothing. Tests of verify and rotate use it; it makes its own CA.
package smtpauthtest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesprov/sesprov/derive"
)

// Config chooses how the server behaves.
type Config struct {
	Accounts map[string]string // access key ID -> secret access key
	Region   string            // passwords are checked for this region; default us-east-1

	NoSTARTTLS  bool     // do not offer STARTTLS (a server a client must refuse)
	AuthInPlain bool     // offer AUTH before TLS too (a client must still not use it)
	ImplicitTLS bool     // TLS from the first byte, like ports 465 and 2465
	RejectFirst int      // answer 535 to the first N logins whatever they are (a key still propagating)
	Mechanisms  []string // AUTH mechanisms offered; default PLAIN, LOGIN
	Silent      bool     // accept connections and never greet (a client must time out)
	EchoAuth    bool     // a careless server: its 535 reply quotes what the client sent
	// RefuseFrom refuses, at the end of DATA, a message whose From: header
	// is a key here (or any message, for "*"), answering "554 " and the
	// value, as SES does: e.g. "Message rejected: Email address is not
	// verified. …" or "Access denied: …".
	RefuseFrom map[string]string
	// AcceptAny accepts any well-formed login (a key made during the test,
	// whose secret the server cannot know in advance).
	AcceptAny bool
}

// Stats counts what clients did.
type Stats struct {
	AuthAttempts   int // AUTH commands received
	PlaintextAuths int // AUTH commands received before TLS: must stay 0
	Accepted       int
	Rejected       int
	Quits          int
}

// Server is a running test SMTP server.
type Server struct {
	Addr     string         // 127.0.0.1:PORT
	CAPEM    []byte         // the root that signed the server's certificate (PEM)
	RootCAs  *x509.CertPool // the same root, ready for tls.Config.RootCAs
	Host     string         // "127.0.0.1"
	Port     string
	cfg      Config
	tlsCfg   *tls.Config
	ln       net.Listener
	wg       sync.WaitGroup
	mu       sync.Mutex
	stats    Stats
	conns    map[net.Conn]struct{}
	closed   bool
	rejected int
	messages []Message
}

// Start starts a server that t's cleanup stops.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	s, err := NewServer(cfg)
	if err != nil {
		t.Fatalf("smtpauthtest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a server; the caller must Close it.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if len(cfg.Mechanisms) == 0 {
		cfg.Mechanisms = []string{"PLAIN", "LOGIN"}
	}
	caPEM, cert, pool, err := newCertificates()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	s := &Server{
		Addr: ln.Addr().String(), Host: host, Port: port, CAPEM: caPEM, RootCAs: pool, cfg: cfg,
		tlsCfg: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ln:     ln, conns: map[net.Conn]struct{}{},
	}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Close stops the server and every open connection, and waits for them.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.ln.Close()
	s.wg.Wait()
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			s.handle(c)
		}()
	}
}

type conn struct {
	net.Conn
	r     *bufio.Reader
	isTLS bool
}

func (c *conn) reply(format string, args ...any) {
	fmt.Fprintf(c.Conn, format+"\r\n", args...)
}

func (c *conn) line() (string, bool) {
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second)) // bounded even if a client hangs
	l, err := c.r.ReadString('\n')
	if err != nil {
		return "", false
	}
	return strings.TrimRight(l, "\r\n"), true
}

func (s *Server) handle(raw net.Conn) {
	if s.cfg.Silent {
		buf := make([]byte, 1)
		_, _ = raw.Read(buf) // until the client gives up or Close
		return
	}
	c := &conn{Conn: raw, r: bufio.NewReader(raw)}
	if s.cfg.ImplicitTLS {
		_ = raw.SetDeadline(time.Now().Add(30 * time.Second))
		tc := tls.Server(raw, s.tlsCfg)
		if err := tc.Handshake(); err != nil {
			return
		}
		_ = raw.SetDeadline(time.Time{})
		c = &conn{Conn: tc, r: bufio.NewReader(tc), isTLS: true}
	}
	c.reply("220 email-smtp.amazonaws.com ESMTP SimpleEmailService-test")
	st := &mailState{}
	for {
		l, ok := c.line()
		if !ok {
			return
		}
		verb, arg, _ := strings.Cut(l, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			lines := []string{"email-smtp.amazonaws.com", "8BITMIME", "SIZE 10485760"}
			if !c.isTLS && !s.cfg.NoSTARTTLS {
				lines = append(lines, "STARTTLS")
			}
			if c.isTLS || s.cfg.AuthInPlain {
				lines = append(lines, "AUTH "+strings.Join(s.cfg.Mechanisms, " "))
			}
			lines = append(lines, "Ok")
			for i, x := range lines {
				sep := "-"
				if i == len(lines)-1 {
					sep = " "
				}
				c.reply("250%s%s", sep, x)
			}
		case "STARTTLS":
			if c.isTLS || s.cfg.NoSTARTTLS {
				c.reply("502 Command not implemented")
				continue
			}
			c.reply("220 Ready to start TLS")
			tc := tls.Server(c.Conn, s.tlsCfg)
			if err := tc.Handshake(); err != nil {
				return
			}
			c = &conn{Conn: tc, r: bufio.NewReader(tc), isTLS: true}
		case "AUTH":
			st.authed = s.auth(c, arg) || st.authed
		case "MAIL", "RCPT", "DATA":
			if !s.mailCommand(c, st, strings.ToUpper(verb), arg) {
				return
			}
		case "NOOP", "RSET":
			c.reply("250 Ok")
		case "QUIT":
			s.count(func(st *Stats) { st.Quits++ })
			c.reply("221 Bye")
			return
		default:
			c.reply("502 Command not implemented")
		}
	}
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

// auth answers AUTH and reports whether the login was accepted.
func (s *Server) auth(c *conn, arg string) bool {
	s.count(func(st *Stats) {
		st.AuthAttempts++
		if !c.isTLS {
			st.PlaintextAuths++
		}
	})
	if !c.isTLS && !s.cfg.AuthInPlain {
		c.reply("530 Must issue a STARTTLS command first")
		return false
	}
	mech, ir, _ := strings.Cut(arg, " ")
	var user, pass string
	switch strings.ToUpper(mech) {
	case "PLAIN":
		if ir == "" {
			c.reply("334 ")
			l, ok := c.line()
			if !ok {
				return false
			}
			ir = l
		}
		b, err := base64.StdEncoding.DecodeString(ir)
		parts := strings.Split(string(b), "\x00")
		if err != nil || len(parts) != 3 {
			c.reply("501 Invalid AUTH PLAIN response")
			return false
		}
		user, pass = parts[1], parts[2]
	case "LOGIN":
		var ok bool
		if user, ok = c.prompt("VXNlcm5hbWU6"); !ok {
			return false
		}
		if pass, ok = c.prompt("UGFzc3dvcmQ6"); !ok {
			return false
		}
	default:
		c.reply("504 Unrecognized authentication type")
		return false
	}
	if s.check(user, pass) {
		s.count(func(st *Stats) { st.Accepted++ })
		c.reply("235 Authentication successful.")
		return true
	}
	s.count(func(st *Stats) { st.Rejected++ })
	if s.cfg.EchoAuth {
		c.reply("535 Authentication Credentials Invalid for %s %s", arg, base64.StdEncoding.EncodeToString([]byte(pass)))
		return false
	}
	c.reply("535 Authentication Credentials Invalid")
	return false
}

func (c *conn) prompt(challenge string) (string, bool) {
	c.reply("334 %s", challenge)
	l, ok := c.line()
	if !ok {
		return "", false
	}
	b, err := base64.StdEncoding.DecodeString(l)
	if err != nil {
		c.reply("501 Invalid base64")
		return "", false
	}
	return string(b), true
}

func (s *Server) check(user, pass string) bool {
	s.mu.Lock()
	if s.rejected < s.cfg.RejectFirst {
		s.rejected++
		s.mu.Unlock()
		return false
	}
	s.mu.Unlock()
	if s.cfg.AcceptAny {
		return strings.HasPrefix(user, "AKIA") && pass != ""
	}
	secret, ok := s.cfg.Accounts[user]
	if !ok {
		return false
	}
	want := derive.Password(secret, s.cfg.Region)
	return subtle.ConstantTimeCompare([]byte(want), []byte(pass)) == 1
}

// newCertificates makes a root CA and a server certificate for 127.0.0.1,
// ::1 and localhost, valid for a day.
func newCertificates() (caPEM []byte, cert tls.Certificate, pool *x509.CertPool, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, cert, nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "smtpauthtest root"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, cert, nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, cert, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, cert, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, cert, nil, err
	}
	cert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	pool = x509.NewCertPool()
	pool.AddCert(caCert)
	caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return caPEM, cert, pool, nil
}
