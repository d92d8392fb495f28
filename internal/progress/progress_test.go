package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// On a terminal: one line rewritten in place, other lines above it, and
// nothing left of it after Close.
func TestTerminalLineInPlace(t *testing.T) {
	var b bytes.Buffer
	c := &clock{time.Unix(0, 0)}
	m := New(&b, Options{Total: 4, Terminal: true, Now: c.now})
	c.t = c.t.Add(2 * time.Second)
	m.Add(false)
	m.Add(true)
	m.Printf("sesprov: failed bob: denied\n")
	m.Close()
	out := b.String()
	if strings.Count(out, "\n") != 1 {
		t.Errorf("lines scrolled: %q", out)
	}
	if !strings.Contains(out, "\r\x1b[Ksesprov: 2/4 users done, 1 failed, 1.0 users/s, about 2s left") {
		t.Errorf("no line in place: %q", out)
	}
	if !strings.Contains(out, "\r\x1b[Ksesprov: failed bob: denied\n") {
		t.Errorf("the other line does not clear the line in place first: %q", out)
	}
	if !strings.HasSuffix(out, "\r\x1b[K") {
		t.Errorf("the line in place is left on screen: %q", out)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Not on a terminal: no line in place (no escape sequences), but a progress
// line every few seconds while the batch runs.
func TestLogGetsAPeriodicLine(t *testing.T) {
	var b syncBuffer
	m := New(&b, Options{Total: 3, Every: 10 * time.Millisecond})
	m.Add(false)
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(b.String(), "sesprov: progress: 1/3 users done, 0 failed") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	m.Close()
	out := b.String()
	if !strings.Contains(out, "sesprov: progress: 1/3 users done, 0 failed") {
		t.Errorf("no periodic line: %q", out)
	}
	if strings.Contains(out, "\x1b") || strings.Contains(out, "\r") {
		t.Errorf("terminal control in a log: %q", out)
	}
	n := len(out)
	time.Sleep(30 * time.Millisecond)
	if len(b.String()) != n {
		t.Errorf("lines after Close: %q", b.String())
	}
}
