package smtpauth_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/smtpauth"
	"github.com/sesprov/sesprov/internal/smtpauth/smtpauthtest"
)

const (
	keyID  = "AKIAIOSFODNN7EXAMPLE"
	secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	region = "eu-central-1"
)

func accounts() map[string]string { return map[string]string{keyID: secret} }

func opts(s *smtpauthtest.Server) smtpauth.Options {
	return smtpauth.Options{Addr: s.Addr, RootCAs: s.RootCAs, Timeout: 5 * time.Second}
}

// TestAuthenticateMatrix is the SES failure matrix: the right password passes;
// another region's password, the raw secret and an unknown key ID are rejected
// with the server's reply, over both mechanisms and both TLS modes.
func TestAuthenticateMatrix(t *testing.T) {
	cases := []struct {
		name     string
		user     string
		password string
		want     smtpauth.Outcome
	}{
		{"good", keyID, derive.Password(secret, region), smtpauth.Accepted},
		{"other region's password", keyID, derive.Password(secret, "us-east-1"), smtpauth.Rejected},
		{"raw secret as password", keyID, secret, smtpauth.Rejected},
		{"unknown key id", "AKIAUNKNOWNKEY000000", derive.Password(secret, region), smtpauth.Rejected},
	}
	for _, mode := range []struct {
		name     string
		implicit bool
		mechs    []string
	}{
		{"starttls-plain", false, []string{"PLAIN", "LOGIN"}},
		{"starttls-login", false, []string{"LOGIN"}},
		{"implicit-tls", true, nil},
	} {
		srv := smtpauthtest.Start(t, smtpauthtest.Config{Accounts: accounts(), Region: region, ImplicitTLS: mode.implicit, Mechanisms: mode.mechs})
		for _, tc := range cases {
			t.Run(mode.name+"/"+tc.name, func(t *testing.T) {
				o := opts(srv)
				o.ImplicitTLS = mode.implicit
				res := smtpauth.Authenticate(context.Background(), o, tc.user, tc.password)
				if res.Outcome != tc.want {
					t.Fatalf("outcome %v (err %v, reply %d %q), want %v", res.Outcome, res.Err, res.Code, res.Reply, tc.want)
				}
				if tc.want == smtpauth.Rejected && (res.Code != 535 || res.Reply != "Authentication Credentials Invalid") {
					t.Errorf("rejection reply %d %q, want the server's 535 reply", res.Code, res.Reply)
				}
				if len(mode.mechs) == 1 && res.Mechanism != "LOGIN" {
					t.Errorf("mechanism %q, want LOGIN", res.Mechanism)
				}
				if res.Err != nil && strings.Contains(res.Err.Error(), tc.password) {
					t.Errorf("error contains the password: %v", res.Err)
				}
			})
		}
		if st := srv.Stats(); st.PlaintextAuths != 0 || st.Quits != len(cases) {
			t.Errorf("%s: stats %+v: want no plaintext AUTH and a QUIT per login", mode.name, st)
		}
	}
}

// TestNoSTARTTLSNeverSendsCredentials: a server that offers AUTH but not
// STARTTLS gets no AUTH at all, even on localhost.
func TestNoSTARTTLSNeverSendsCredentials(t *testing.T) {
	srv := smtpauthtest.Start(t, smtpauthtest.Config{Accounts: accounts(), Region: region, NoSTARTTLS: true, AuthInPlain: true})
	res := smtpauth.Authenticate(context.Background(), opts(srv), keyID, derive.Password(secret, region))
	if res.Outcome != smtpauth.Unreachable || res.Err == nil || !strings.Contains(res.Err.Error(), "did not offer STARTTLS") {
		t.Fatalf("got %v %v, want unreachable: did not offer STARTTLS", res.Outcome, res.Err)
	}
	if st := srv.Stats(); st.AuthAttempts != 0 {
		t.Fatalf("server saw %d AUTH commands, want 0", st.AuthAttempts)
	}
}

// TestUntrustedCertificate: verification is on; an unknown root is named.
func TestUntrustedCertificate(t *testing.T) {
	srv := smtpauthtest.Start(t, smtpauthtest.Config{Accounts: accounts(), Region: region})
	o := opts(srv)
	o.RootCAs = x509.NewCertPool() // trusts nothing
	res := smtpauth.Authenticate(context.Background(), o, keyID, derive.Password(secret, region))
	if res.Outcome != smtpauth.Unreachable || !strings.Contains(res.Err.Error(), "certificate not trusted") {
		t.Fatalf("got %v %v, want unreachable: certificate not trusted", res.Outcome, res.Err)
	}
	if st := srv.Stats(); st.AuthAttempts != 0 {
		t.Fatalf("server saw %d AUTH commands after a failed handshake", st.AuthAttempts)
	}
	// The wrong name is refused too.
	o = opts(srv)
	o.ServerName = "email-smtp.us-east-1.amazonaws.com"
	res = smtpauth.Authenticate(context.Background(), o, keyID, derive.Password(secret, region))
	if res.Outcome != smtpauth.Unreachable || !strings.Contains(res.Err.Error(), "does not match the host name") {
		t.Fatalf("got %v %v, want unreachable: host name mismatch", res.Outcome, res.Err)
	}
}

func TestSilentServerTimesOut(t *testing.T) {
	srv := smtpauthtest.Start(t, smtpauthtest.Config{Silent: true})
	o := opts(srv)
	o.Timeout = 200 * time.Millisecond
	start := time.Now()
	res := smtpauth.Authenticate(context.Background(), o, keyID, "x")
	if res.Outcome != smtpauth.Unreachable || !strings.Contains(res.Err.Error(), "no answer within") {
		t.Fatalf("got %v %v, want unreachable: no answer", res.Outcome, res.Err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %s with a 200ms timeout", d)
	}
}

func TestCancelInterruptsSilentServer(t *testing.T) {
	srv := smtpauthtest.Start(t, smtpauthtest.Config{Silent: true})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	res := smtpauth.Authenticate(ctx, opts(srv), keyID, "x")
	if res.Outcome != smtpauth.Unreachable || !strings.Contains(res.Err.Error(), "context canceled") {
		t.Fatalf("got %v %v, want a cancellation", res.Outcome, res.Err)
	}
}

func TestConnectionRefused(t *testing.T) {
	srv := smtpauthtest.Start(t, smtpauthtest.Config{})
	addr := srv.Addr
	srv.Close()
	res := smtpauth.Authenticate(context.Background(), smtpauth.Options{Addr: addr, Timeout: time.Second}, keyID, "x")
	if res.Outcome != smtpauth.Unreachable || !strings.Contains(res.Err.Error(), "connect to "+addr) {
		t.Fatalf("got %v %v", res.Outcome, res.Err)
	}
}

// TestServerEchoIsRedacted: a server that quotes the AUTH line (the password
// in base64) in its reply does not get it into the result.
func TestServerEchoIsRedacted(t *testing.T) {
	srv := smtpauthtest.Start(t, smtpauthtest.Config{Accounts: accounts(), Region: region, EchoAuth: true})
	pw := derive.Password(secret, "us-east-1")
	res := smtpauth.Authenticate(context.Background(), opts(srv), keyID, pw)
	if res.Outcome != smtpauth.Rejected || !strings.Contains(res.Reply, "[REDACTED]") {
		t.Fatalf("got %v %q", res.Outcome, res.Reply)
	}
	for _, f := range []string{pw, base64.StdEncoding.EncodeToString([]byte(pw)), base64.StdEncoding.EncodeToString([]byte("\x00" + keyID + "\x00" + pw))} {
		if strings.Contains(res.Reply, f) {
			t.Errorf("reply contains %q: %q", f, res.Reply)
		}
	}
}

// BenchmarkAuthenticate is one full login (connect, STARTTLS, AUTH, QUIT)
// against the local test server: the cost verify adds per region, network aside.
func BenchmarkAuthenticate(b *testing.B) {
	srv := smtpauthtest.Start(b, smtpauthtest.Config{Accounts: accounts(), Region: region})
	pw := derive.Password(secret, region)
	o := opts(srv)
	for b.Loop() {
		if res := smtpauth.Authenticate(context.Background(), o, keyID, pw); res.Outcome != smtpauth.Accepted {
			b.Fatalf("%v %v", res.Outcome, res.Err)
		}
	}
}
