package verify

import (
	"fmt"
	"net/mail"
	"strings"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/smtpauth"
)

// The verdicts of a send test (SendTest), after an accepted login.
const (
	Sent    Status = "sent"    // SES answered 250 to the message (MessageID)
	Refused Status = "refused" // SES refused it (Code, Reply, Hint)
)

// SimulatorSuccess is SES's mailbox simulator address that accepts every
// message: SES takes it in the sandbox too, and it does not count against
// the account's reputation.
const SimulatorSuccess = "success@simulator.amazonses.com"

// SendTest asks verify to send one message after each accepted login.
type SendTest struct {
	From string // the From address (required): what the user's scope and SES's identity check see
	To   string // default SimulatorSuccess
}

// Check validates the addresses: each a bare address (no name, no
// wildcard), so nothing odd reaches a header or a command.
func (t *SendTest) Check() error {
	if t.From == "" {
		return fail.Usagef("--send-test needs --from ADDR: the From address to send as (e.g. billing@example.com)")
	}
	if t.To == "" {
		t.To = SimulatorSuccess
	}
	for _, f := range []struct{ flag, addr string }{{"--from", t.From}, {"--to", t.To}} {
		a, err := mail.ParseAddress(f.addr)
		if err != nil || a.Address != f.addr || a.Name != "" || strings.ContainsAny(f.addr, "*?<> \t\r\n") {
			return fail.Usagef("%s %q: not an email address: give one bare address, e.g. billing@example.com", f.flag, f.addr)
		}
	}
	return nil
}

func (t *SendTest) message() *smtpauth.Message {
	if t == nil {
		return nil
	}
	return &smtpauth.Message{From: t.From, To: t.To, Subject: "sesprov send test",
		Body: "A test message from 'sesprov verify --send-test': the credentials logged in and SES took this message.\n"}
}

// applySend turns an accepted login's send into the result's verdict.
func applySend(res *Result, s *smtpauth.SendResult, t *SendTest) {
	res.MessageID = ""
	switch s.Outcome {
	case smtpauth.Sent:
		res.Status, res.Code, res.Reply, res.MessageID = Sent, s.Code, s.Reply, s.MessageID
	case smtpauth.Refused:
		res.Status, res.Code, res.Reply = Refused, s.Code, s.Stage+": "+s.Reply
	default:
		res.Status, res.Error = Unreachable, "after the login: "+s.Err.Error()
	}
	if res.Status == Refused {
		res.Hint = refusalHint(res.Region, s.Reply, t)
	}
}

// refusalHint reads SES's refusal. SES answers 554 at the end of DATA with
// "Access denied: … not authorized to perform ses:SendRawEmail" when IAM
// refuses the send (the user's From-address scope, or another Deny), and
// "Message rejected: Email address is not verified. The following
// identities failed the check in region R: …" when an identity is not
// verified there: the From's, or, in the SES sandbox, the recipient's.
func refusalHint(region, reply string, t *SendTest) string {
	low := strings.ToLower(reply)
	doctor := fmt.Sprintf("'sesprov doctor --regions %s --from %s --user-name USER'", region, t.From)
	switch {
	case strings.Contains(low, "not authorized to perform") || strings.Contains(low, "access denied"):
		return fmt.Sprintf("IAM refused the send: %s is not allowed by the user's From-address scope ('sesprov list' shows it; 'sesprov scope --user-name USER --allow-from …' changes it) or another policy denies ses:SendRawEmail; check with %s", t.From, doctor)
	case strings.Contains(low, "not verified") && strings.Contains(low, strings.ToLower(t.To)) && !strings.Contains(low, strings.ToLower(t.From)):
		return fmt.Sprintf("the account is in the SES sandbox in %s: it sends only to verified addresses (the mailbox simulator %s is always allowed); request production access for %s in the SES console (Account dashboard), see %s", region, SimulatorSuccess, region, doctor)
	case strings.Contains(low, "not verified"):
		return fmt.Sprintf("the identity %s (or its domain) is not verified in %s: identities are per region; verify it in SES in %s, see %s", t.From, region, region, doctor)
	case strings.Contains(low, "paused") || strings.Contains(low, "suspended"):
		return fmt.Sprintf("sending is paused for the account in %s: see the SES console's reputation page, and %s", region, doctor)
	}
	return "SES refused the message; " + doctor + " shows the account's state, the identity and the user's permission in " + region
}
