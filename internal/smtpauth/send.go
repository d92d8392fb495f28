package smtpauth

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Message is a test message sent after a successful AUTH (Options.Message):
// MAIL FROM, RCPT TO, and DATA with From, To, Date, Message-ID and Subject.
type Message struct {
	From    string // the envelope sender and the From: header (SES checks ses:FromAddress against it)
	To      string
	Subject string
	Body    string
	Date    time.Time // zero: now
}

// SendOutcome classifies a message's fate after AUTH.
type SendOutcome int

const (
	// NotSent: the session failed before the server answered DATA (Err).
	NotSent SendOutcome = iota
	// Sent: the server answered 250 to the message's data.
	Sent
	// Refused: the server refused MAIL, RCPT or the data (Code, Reply, Stage).
	Refused
)

func (o SendOutcome) String() string {
	switch o {
	case Sent:
		return "sent"
	case Refused:
		return "refused"
	}
	return "not sent"
}

// SendResult is what became of a Message.
type SendResult struct {
	Outcome   SendOutcome
	Stage     string // MAIL, RCPT or DATA: the command the server answered last
	Code      int
	Reply     string // the server's last reply text; never the password
	MessageID string // SES's message ID, from the 250 reply to the data
	Err       error
}

// sendMessage runs MAIL, RCPT and DATA on an authenticated session.
func (s *session) sendMessage(m *Message) SendResult {
	if err := m.check(); err != nil {
		return SendResult{Stage: "MAIL", Err: err}
	}
	steps := []struct{ stage, line string }{
		{"MAIL", "MAIL FROM:<" + m.From + ">"},
		{"RCPT", "RCPT TO:<" + m.To + ">"},
		{"DATA", "DATA"},
	}
	for _, st := range steps {
		r := s.send(st.line)
		switch {
		case r.err != nil:
			return SendResult{Stage: st.stage, Err: fmt.Errorf("%s: %w", st.stage, r.err)}
		case r.code >= 400:
			return SendResult{Outcome: Refused, Stage: st.stage, Code: r.code, Reply: oneLine(r.msg)}
		}
	}
	_ = s.conn.SetDeadline(time.Now().Add(s.timeout))
	w := s.tp.DotWriter()
	_, err := w.Write([]byte(m.render()))
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return SendResult{Stage: "DATA", Err: fmt.Errorf("DATA: %w", s.wrap(err))}
	}
	code, msg, err := s.tp.ReadResponse(0)
	switch {
	case err != nil && code == 0:
		return SendResult{Stage: "DATA", Err: fmt.Errorf("DATA: %w", s.wrap(err))}
	case code >= 400:
		return SendResult{Outcome: Refused, Stage: "DATA", Code: code, Reply: oneLine(msg)}
	}
	return SendResult{Outcome: Sent, Stage: "DATA", Code: code, Reply: oneLine(msg), MessageID: messageIDOf(msg)}
}

// check refuses a line break in what goes into an SMTP command or a
// header line: it would end the command or the header and start another.
// Callers check addresses for users' sake; this is the package's own guard.
func (m *Message) check() error {
	for _, f := range []struct{ name, v string }{{"From", m.From}, {"To", m.To}, {"Subject", m.Subject}} {
		if strings.ContainsAny(f.v, "\r\n") {
			return fmt.Errorf("the test message's %s holds a line break: not sent", f.name)
		}
	}
	return nil
}

// render is the message as it goes in DATA (CRLF line ends are the
// DotWriter's).
func (m *Message) render() string {
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	domain := "sesprov.invalid"
	if _, d, ok := strings.Cut(m.From, "@"); ok {
		domain = d
	}
	var id [12]byte
	_, _ = rand.Read(id[:])
	subject := m.Subject
	if subject == "" {
		subject = "sesprov send test"
	}
	return "From: " + m.From + "\n" +
		"To: " + m.To + "\n" +
		"Subject: " + subject + "\n" +
		"Date: " + date.Format(time.RFC1123Z) + "\n" +
		"Message-ID: <sesprov-" + hex.EncodeToString(id[:]) + "@" + domain + ">\n" +
		"MIME-Version: 1.0\n" +
		"Content-Type: text/plain; charset=utf-8\n" +
		"\n" + m.Body + "\n"
}

// messageIDOf takes SES's message ID from its reply to the data, "Ok
// 0100018c…-000000": the last word, when there is more than "Ok".
func messageIDOf(reply string) string {
	f := strings.Fields(reply)
	if len(f) < 2 {
		return ""
	}
	return f[len(f)-1]
}
