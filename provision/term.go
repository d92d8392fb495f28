package provision

import (
	"io"
	"os"

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
