// Package progress shows how far a batch has got: on a terminal, one line
// that is rewritten in place; elsewhere (a CI log, a file), a line every
// few seconds, so that a long run is not silent for minutes.
package progress

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// DefaultEvery is how often a batch writing to a log reports progress.
const DefaultEvery = 5 * time.Second

// Meter renders a batch's progress on w. Printf writes the batch's other
// lines through it, so that they do not break the line in place. It is
// safe for concurrent use.
type Meter struct {
	w        io.Writer
	terminal bool
	total    int
	start    time.Time
	now      func() time.Time

	mu     sync.Mutex
	done   int
	failed int
	shown  bool // a line in place is on screen
	stop   chan struct{}
	closed bool
}

// Options configure a Meter.
type Options struct {
	Total    int
	Terminal bool             // w is a terminal: one line, rewritten in place
	Every    time.Duration    // not on a terminal: a line this often (0: DefaultEvery; <0: never)
	Now      func() time.Time // default time.Now
}

// New starts a Meter; Close stops it.
func New(w io.Writer, o Options) *Meter {
	if o.Now == nil {
		o.Now = time.Now
	}
	m := &Meter{w: w, terminal: o.Terminal, total: o.Total, now: o.Now, start: o.Now(), stop: make(chan struct{})}
	every := o.Every
	if every == 0 {
		every = DefaultEvery
	}
	if !o.Terminal && every > 0 {
		go m.tick(every)
	}
	return m
}

func (m *Meter) tick(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.mu.Lock()
			if m.done < m.total {
				fmt.Fprintf(m.w, "sesprov: progress: %s\n", m.line())
			}
			m.mu.Unlock()
		}
	}
}

// Add counts one more user ended (failed or not) and, on a terminal,
// rewrites the line.
func (m *Meter) Add(failed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done++
	if failed {
		m.failed++
	}
	if m.terminal {
		fmt.Fprintf(m.w, "\r\x1b[Ksesprov: %s", m.line())
		m.shown = true
	}
}

// Printf writes a line of its own, above the line in place.
func (m *Meter) Printf(format string, args ...any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clear()
	fmt.Fprintf(m.w, format, args...)
	if m.shown {
		fmt.Fprintf(m.w, "sesprov: %s", m.line())
	}
}

// Close stops the Meter and removes the line in place: the summary that
// follows says it all.
func (m *Meter) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.closed = true
	close(m.stop)
	m.clear()
	m.shown = false
}

func (m *Meter) clear() {
	if m.shown {
		fmt.Fprint(m.w, "\r\x1b[K")
	}
}

// line is "12/40 users done, 1 failed, 3.1 users/s, about 9s left".
func (m *Meter) line() string {
	elapsed := m.now().Sub(m.start)
	s := fmt.Sprintf("%d/%d users done, %d failed", m.done, m.total, m.failed)
	if m.done == 0 || elapsed <= 0 {
		return s
	}
	rate := float64(m.done) / elapsed.Seconds()
	left := time.Duration(float64(m.total-m.done) / rate * float64(time.Second))
	return fmt.Sprintf("%s, %.1f users/s, about %s left", s, rate, left.Round(time.Second))
}
