package smtpauthtest

import (
	"fmt"
	"net/mail"
	"strings"
)

// Message is one message the server accepted or refused at DATA.
type Message struct {
	MailFrom   string // the envelope sender (MAIL FROM)
	RcptTo     []string
	HeaderFrom string // the address of the From: header, which SES checks
	Data       string // as received, dot-unstuffed, CRLF line ends
	MessageID  string // the ID the server answered with ("" when refused)
	Refused    string // the 554 reply, when refused
}

// mailState is one session's transaction.
type mailState struct {
	authed bool
	from   string
	rcpt   []string
}

// mailCommand handles MAIL, RCPT and DATA the way SES's SMTP interface
// does: only after AUTH, and with the policy and identity checks at the end
// of DATA, where SES answers "554 Message rejected: …" or "554 Access
// denied: …".
func (s *Server) mailCommand(c *conn, st *mailState, verb, arg string) bool {
	switch verb {
	case "MAIL":
		if !st.authed {
			c.reply("530 Authentication required")
			return true
		}
		addr, ok := pathArg(arg, "FROM:")
		if !ok {
			c.reply("501 Invalid MAIL FROM address provided")
			return true
		}
		st.from, st.rcpt = addr, nil
		c.reply("250 Ok")
	case "RCPT":
		addr, ok := pathArg(arg, "TO:")
		if !ok || st.from == "" {
			c.reply("503 Error: need MAIL command first")
			return true
		}
		st.rcpt = append(st.rcpt, addr)
		c.reply("250 Ok")
	case "DATA":
		if st.from == "" || len(st.rcpt) == 0 {
			c.reply("503 Error: need RCPT command")
			return true
		}
		c.reply("354 End data with <CR><LF>.<CR><LF>")
		data, ok := c.data()
		if !ok {
			return false
		}
		c.reply("%s", s.deliver(st, data))
		st.from, st.rcpt = "", nil
	}
	return true
}

// deliver records the message and returns the reply to its data: a refusal
// configured for its From (Config.RefuseFrom), or 250 with a message ID.
func (s *Server) deliver(st *mailState, data string) string {
	m := Message{MailFrom: st.from, RcptTo: st.rcpt, Data: data}
	if pm, err := mail.ReadMessage(strings.NewReader(data)); err == nil {
		if a, err := mail.ParseAddress(pm.Header.Get("From")); err == nil {
			m.HeaderFrom = a.Address
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	reply := ""
	if reason, ok := s.cfg.RefuseFrom[m.HeaderFrom]; ok {
		m.Refused = "554 " + reason
		reply = m.Refused
	} else if reason, ok := s.cfg.RefuseFrom["*"]; ok {
		m.Refused = "554 " + reason
		reply = m.Refused
	} else {
		m.MessageID = fmt.Sprintf("010001%010x-test-%06d", len(s.messages)+1, len(s.messages)+1)
		reply = "250 Ok " + m.MessageID
	}
	s.messages = append(s.messages, m)
	return reply
}

// Messages returns every message received so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// pathArg reads "FROM:<addr>" (or TO:), ignoring any parameters after it.
func pathArg(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	addr, _, ok := strings.Cut(rest[1:], ">")
	return addr, ok && (addr == "" || strings.Contains(addr, "@"))
}

// data reads the message until the lone dot, undoing dot-stuffing.
func (c *conn) data() (string, bool) {
	var b strings.Builder
	for {
		l, ok := c.line()
		if !ok {
			return "", false
		}
		if l == "." {
			return b.String(), true
		}
		b.WriteString(strings.TrimPrefix(l, "."))
		b.WriteString("\r\n")
	}
}
