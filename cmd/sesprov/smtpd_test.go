package main

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/sesprov/sesprov/internal/smtpauth/smtpauthtest"
)

// cmdSMTPD runs `smtpd [-region R] [-account KEYID:SECRET]... [-no-starttls]
// [-implicit-tls] [-reject-first N] [-silent] [-refuse FROM=REASON]... [-accept-any]`
// (REASON: the text after "554 " when a message From: FROM reaches DATA; FROM
// "*" for every message): an SES-like SMTP server
// (smtpauthtest) for the rest of the script. It sets $SMTPD_ADDR (HOST:PORT)
// and writes its root certificate to $WORK/smtpd-ca.pem; `smtpd-stats` prints
// the server's counters and `smtpd-messages` each message received
// (envelope, From header, outcome). The server stops when the script ends.
func cmdSMTPD(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! smtpd")
	}
	fs := flag.NewFlagSet("smtpd", flag.ContinueOnError)
	region := fs.String("region", "us-east-1", "")
	noTLS := fs.Bool("no-starttls", false, "")
	implicit := fs.Bool("implicit-tls", false, "")
	rejectFirst := fs.Int("reject-first", 0, "")
	silent := fs.Bool("silent", false, "")
	acceptAny := fs.Bool("accept-any", false, "")
	accounts, refuse := map[string]string{}, map[string]string{}
	fs.Func("refuse", "", func(v string) error { // FROM=REASON: 554 REASON at DATA
		f, r, _ := strings.Cut(v, "=")
		refuse[f] = r
		return nil
	})
	fs.Func("account", "", func(v string) error {
		k, s, _ := strings.Cut(v, ":")
		accounts[k] = s
		return nil
	})
	if err := fs.Parse(args); err != nil {
		ts.Fatalf("smtpd: %v", err)
	}
	srv, err := smtpauthtest.NewServer(smtpauthtest.Config{
		Accounts: accounts, Region: *region, NoSTARTTLS: *noTLS, AuthInPlain: *noTLS,
		ImplicitTLS: *implicit, RejectFirst: *rejectFirst, Silent: *silent, RefuseFrom: refuse, AcceptAny: *acceptAny,
	})
	ts.Check(err)
	ts.Defer(srv.Close)
	ts.Check(os.WriteFile(filepath.Join(ts.Getenv("WORK"), "smtpd-ca.pem"), srv.CAPEM, 0o600))
	ts.Setenv("SMTPD_ADDR", srv.Addr)
	smtpds.Store(ts, srv)
	ts.Defer(func() { smtpds.Delete(ts) })
}

// smtpds holds each running script's server, for smtpd-stats.
var smtpds sync.Map // *testscript.TestScript -> *smtpauthtest.Server

func cmdSMTPDStats(ts *testscript.TestScript, neg bool, args []string) {
	v, ok := smtpds.Load(ts)
	if !ok {
		ts.Fatalf("smtpd-stats: no smtpd started")
	}
	st := v.(*smtpauthtest.Server).Stats()
	ts.Logf("smtpd stats: %+v", st)
	_, _ = ts.Stdout().Write([]byte("auth=" + strconv.Itoa(st.AuthAttempts) + " plaintext=" + strconv.Itoa(st.PlaintextAuths) +
		" accepted=" + strconv.Itoa(st.Accepted) + " rejected=" + strconv.Itoa(st.Rejected) + " quit=" + strconv.Itoa(st.Quits) + "\n"))
}

func cmdSMTPDMessages(ts *testscript.TestScript, neg bool, args []string) {
	v, ok := smtpds.Load(ts)
	if !ok {
		ts.Fatalf("smtpd-messages: no smtpd started")
	}
	for _, m := range v.(*smtpauthtest.Server).Messages() {
		outcome := "sent " + m.MessageID
		if m.Refused != "" {
			outcome = "refused " + m.Refused
		}
		_, _ = ts.Stdout().Write([]byte("mail-from=" + m.MailFrom + " rcpt-to=" + strings.Join(m.RcptTo, ",") + " from=" + m.HeaderFrom + " " + outcome + "\n"))
	}
}
