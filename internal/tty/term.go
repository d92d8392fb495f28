// Package tty knows about terminals: colour, width, hidden input of a secret,
// and reads that stop when the command is interrupted.
package tty

import (
	"io"
	"os"
	"unicode/utf8"

	"golang.org/x/term"
)

// The environment variables that decide colour (https://no-color.org and the
// CLICOLOR convention).
const (
	EnvNoColor       = "NO_COLOR"       // set to anything, even empty: never colour
	EnvCliColorForce = "CLICOLOR_FORCE" // set and not "0": colour even when not a terminal
)

// UseColor reports whether output written to w may carry colour: only when w
// is a terminal, never when NO_COLOR is set (whatever its value) or TERM is
// "dumb". CLICOLOR_FORCE (not "0") colours a pipe, for pagers such as
// `less -R`; NO_COLOR still wins. Every coloured output of sesprov asks here.
func UseColor(w io.Writer) bool {
	if _, set := os.LookupEnv(EnvNoColor); set {
		return false
	}
	if os.Getenv("TERM") == "dumb" {
		return false
	}
	if v, set := os.LookupEnv(EnvCliColorForce); set && v != "" && v != "0" {
		return true
	}
	return IsTerminal(w)
}

// IsTerminal reports whether w is a terminal (an *os.File on a TTY).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Every style's escape sequence has the same length (5 bytes, and 4 for the
// reset), so painted cells stay aligned in a tabwriter table as long as every
// cell of a column is painted, header included: use Palette.Plain for the
// cells that need no colour.
const (
	sgrBold   = "\x1b[01m"
	sgrGreen  = "\x1b[32m"
	sgrRed    = "\x1b[31m"
	sgrYellow = "\x1b[33m"
	sgrPlain  = "\x1b[39m" // the default colour: same width as the others
	sgrReset  = "\x1b[0m"
)

// Palette paints text for a terminal, or returns it unchanged when colour is
// off. The zero Palette paints nothing.
type Palette struct{ on bool }

// NewPalette returns the palette for output to w (UseColor decides).
func NewPalette(w io.Writer) Palette { return Palette{on: UseColor(w)} }

// ForcePalette returns a palette that paints (or not) whatever the output is.
func ForcePalette(on bool) Palette { return Palette{on: on} }

// Enabled reports whether the palette paints.
func (p Palette) Enabled() bool { return p.on }

func (p Palette) paint(sgr, s string) string {
	if !p.on {
		return s
	}
	return sgr + s + sgrReset
}

// Good paints success: accepted, ACTIVE, a created resource.
func (p Palette) Good(s string) string { return p.paint(sgrGreen, s) }

// Bad paints failure: rejected, failed, unreachable.
func (p Palette) Bad(s string) string { return p.paint(sgrRed, s) }

// Warn paints what needs attention: inactive or old keys, a planned change.
func (p Palette) Warn(s string) string { return p.paint(sgrYellow, s) }

// Head paints a table header.
func (p Palette) Head(s string) string { return p.paint(sgrBold, s) }

// Plain paints nothing visible but keeps the width of painted cells, for
// the unremarkable cells of a painted column.
func (p Palette) Plain(s string) string { return p.paint(sgrPlain, s) }

// TerminalWidth is the width of the terminal w is, or 0 when w is not a
// terminal (or its size is unknown).
func TerminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil || cols <= 0 {
		return 0
	}
	return cols
}

// ClipToTerminal returns a writer that cuts every line longer than the
// terminal's width, marking the cut with "…", so a wide table does not wrap
// into an unreadable mess; when w is not a terminal it returns w itself, and
// pipes get every character. Only for tables of information (regions, list):
// never for credentials, which must never be shown cut. Call Flush at the
// end for a last line without a newline.
func ClipToTerminal(w io.Writer) interface {
	io.Writer
	Flush() error
} {
	return &clipWriter{w: w, width: TerminalWidth(w)}
}

type clipWriter struct {
	w     io.Writer
	width int
	line  []byte
}

func (c *clipWriter) Write(p []byte) (int, error) {
	if c.width == 0 {
		return c.w.Write(p)
	}
	for _, b := range p {
		c.line = append(c.line, b)
		if b == '\n' {
			if err := c.emit(); err != nil {
				return 0, err
			}
		}
	}
	return len(p), nil
}

func (c *clipWriter) Flush() error {
	if len(c.line) == 0 {
		return nil
	}
	return c.emit()
}

func (c *clipWriter) emit() error {
	_, err := io.WriteString(c.w, clipLine(string(c.line), c.width))
	c.line = c.line[:0]
	return err
}

// clipLine cuts s (one line, its newline kept) to width visible characters:
// SGR escape sequences take no width and are kept whole; a cut line ends in
// "…" and, if colour was on, a reset.
func clipLine(s string, width int) string {
	body, nl := s, ""
	if n := len(body); n > 0 && body[n-1] == '\n' {
		body, nl = body[:n-1], "\n"
	}
	visible, painted := 0, false
	for i := 0; i < len(body); {
		if body[i] == 0x1b { // ESC [ … m
			j := i + 1
			for j < len(body) && body[j] != 'm' {
				j++
			}
			painted = body[i:min(j+1, len(body))] != sgrReset
			i = j + 1
			continue
		}
		_, size := utf8.DecodeRuneInString(body[i:])
		if visible == width-1 && visibleWidth(body[i:]) > 1 {
			out := body[:i] + "…"
			if painted {
				out += sgrReset
			}
			return out + nl
		}
		visible++
		i += size
	}
	return s
}

// visibleWidth counts the characters of s that are not in escape sequences.
func visibleWidth(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			i++
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		n++
		i += size
	}
	return n
}
