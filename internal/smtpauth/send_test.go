package smtpauth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/smtpauth"
	"github.com/sesprov/sesprov/internal/smtpauth/smtpauthtest"
)

// After AUTH, one message: sent with the server's message ID, or refused at
// DATA with SES's 554 and reason; a rejected login sends nothing.
func TestSendAfterAuth(t *testing.T) {
	srv := smtpauthtest.Start(t, smtpauthtest.Config{Accounts: accounts(), Region: region, RefuseFrom: map[string]string{
		"ceo@example.com": "Access denied: User `arn:aws:iam::123456789012:user/news' is not authorized to perform `ses:SendRawEmail' on resource `arn:aws:ses:eu-central-1:123456789012:identity/ceo@example.com'",
	}})
	pw := derive.Password(secret, region)
	o := opts(srv)
	o.Message = &smtpauth.Message{From: "news@example.com", To: "success@simulator.amazonses.com", Body: ".a line starting with a dot"}
	res := smtpauth.Authenticate(context.Background(), o, keyID, pw)
	if res.Outcome != smtpauth.Accepted || res.Send == nil || res.Send.Outcome != smtpauth.Sent || res.Send.MessageID == "" {
		t.Fatalf("good send: %+v %+v", res, res.Send)
	}
	o.Message = &smtpauth.Message{From: "ceo@example.com", To: "success@simulator.amazonses.com"}
	res = smtpauth.Authenticate(context.Background(), o, keyID, pw)
	if s := res.Send; s == nil || s.Outcome != smtpauth.Refused || s.Code != 554 || s.Stage != "DATA" || !strings.Contains(s.Reply, "not authorized to perform") {
		t.Fatalf("refused send: %+v", res.Send)
	}
	res = smtpauth.Authenticate(context.Background(), o, keyID, derive.Password(secret, "us-east-1"))
	if res.Outcome != smtpauth.Rejected || res.Send != nil {
		t.Fatalf("a rejected login must send nothing: %+v", res)
	}
	msgs := srv.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	m := msgs[0]
	for _, h := range []string{"From: news@example.com\r\n", "To: success@simulator.amazonses.com\r\n", "\r\nDate: ", "\r\nMessage-ID: <sesprov-", "\r\nSubject: ", "\r\n.a line starting with a dot\r\n"} {
		if !strings.Contains(m.Data, h) {
			t.Errorf("message lacks %q:\n%s", h, m.Data)
		}
	}
	if m.MailFrom != "news@example.com" || m.HeaderFrom != "news@example.com" || m.RcptTo[0] != "success@simulator.amazonses.com" || msgs[1].Refused == "" {
		t.Errorf("recorded %+v", msgs)
	}
}

// A line break in an address or the subject would end the SMTP command (or
// the header) and start another: the message is not sent, whatever the
// caller checked.
func TestSendRefusesLineBreaks(t *testing.T) {
	srv := smtpauthtest.Start(t, smtpauthtest.Config{Accounts: accounts(), Region: region})
	o := opts(srv)
	for _, m := range []smtpauth.Message{
		{From: "news@example.com>\r\nRCPT TO:<victim@example.com", To: "success@simulator.amazonses.com"},
		{From: "news@example.com", To: "success@simulator.amazonses.com\nBcc: victim@example.com"},
		{From: "news@example.com", To: "success@simulator.amazonses.com", Subject: "hi\r\nBcc: victim@example.com"},
	} {
		o.Message = &m
		res := smtpauth.Authenticate(context.Background(), o, keyID, derive.Password(secret, region))
		if res.Send == nil || res.Send.Outcome != smtpauth.NotSent || res.Send.Err == nil || !strings.Contains(res.Send.Err.Error(), "line break") {
			t.Errorf("%q: %+v", m, res.Send)
		}
	}
	if msgs := srv.Messages(); len(msgs) != 0 {
		t.Fatalf("%d messages reached the server", len(msgs))
	}
}
