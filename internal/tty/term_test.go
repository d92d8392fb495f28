package tty

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/sesprov/sesprov/internal/fail"
)

// clearColorEnv unsets the variables UseColor reads, for the test's duration.
func clearColorEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{EnvNoColor, EnvCliColorForce, "TERM"} {
		t.Setenv(k, "") // restores the old value at the end
		os.Unsetenv(k)
	}
}

func TestUseColorNotOnPipeOrBuffer(t *testing.T) {
	clearColorEnv(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if UseColor(w) {
		t.Error("UseColor(pipe) = true, want false")
	}
	if UseColor(&bytes.Buffer{}) {
		t.Error("UseColor(buffer) = true, want false")
	}
	t.Setenv(EnvCliColorForce, "1")
	if !UseColor(w) {
		t.Error("CLICOLOR_FORCE=1: UseColor(pipe) = false, want true")
	}
	t.Setenv(EnvCliColorForce, "0")
	if UseColor(w) {
		t.Error("CLICOLOR_FORCE=0: UseColor(pipe) = true, want false")
	}
}

func TestUseColorNoColorWins(t *testing.T) {
	for _, v := range []string{"", "1", "0", "false"} { // no-color.org: any value, even empty
		clearColorEnv(t)
		t.Setenv(EnvCliColorForce, "1")
		t.Setenv(EnvNoColor, v)
		if UseColor(&bytes.Buffer{}) {
			t.Errorf("NO_COLOR=%q with CLICOLOR_FORCE=1: UseColor = true, want false", v)
		}
	}
	clearColorEnv(t)
	t.Setenv(EnvCliColorForce, "1")
	t.Setenv("TERM", "dumb")
	if UseColor(&bytes.Buffer{}) {
		t.Error("TERM=dumb: UseColor = true, want false")
	}
}

func TestPaletteOffIsIdentity(t *testing.T) {
	var p Palette
	for _, f := range []func(string) string{p.Good, p.Bad, p.Warn, p.Head, p.Plain} {
		if got := f("accepted"); got != "accepted" {
			t.Errorf("zero palette painted %q", got)
		}
	}
}

// A table whose status column is painted on every row (and header) lines up
// exactly as the unpainted one once the escapes are removed.
func TestPaletteKeepsTableAligned(t *testing.T) {
	render := func(p Palette) string {
		var b bytes.Buffer
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		rows := [][2]string{{"us-east-1", p.Good("accepted")}, {"eu-west-1", p.Bad("rejected")}, {"eu-south-1", p.Plain("skipped")}, {"x", p.Warn("unreachable")}}
		tw.Write([]byte("REGION\t" + p.Head("RESULT") + "\tDETAIL\n"))
		for _, r := range rows {
			tw.Write([]byte(r[0] + "\t" + r[1] + "\tdetail\n"))
		}
		tw.Flush()
		return b.String()
	}
	plain := render(Palette{})
	painted := render(Palette{on: true})
	if plain == painted {
		t.Fatal("painted table has no escapes")
	}
	stripped := painted
	for _, sgr := range []string{sgrBold, sgrGreen, sgrRed, sgrYellow, sgrPlain, sgrReset} {
		stripped = strings.ReplaceAll(stripped, sgr, "")
	}
	if stripped != plain {
		t.Errorf("painted table misaligned:\n%s\nwant:\n%s", stripped, plain)
	}
}

func TestClipLine(t *testing.T) {
	for _, tc := range []struct {
		in    string
		width int
		want  string
	}{
		{"short\n", 10, "short\n"},
		{"exactly10!\n", 10, "exactly10!\n"},
		{"eleven-char\n", 10, "eleven-ch…\n"},
		{"no newline at all", 8, "no newl…"},
		{"héllo wörld\n", 6, "héllo…\n"},
		// escapes take no width and stay whole; a cut inside colour resets it
		{"ab" + sgrGreen + "cdefgh" + sgrReset + "\n", 5, "ab" + sgrGreen + "cd…" + sgrReset + "\n"},
		{"ab" + sgrGreen + "cd" + sgrReset + "efgh\n", 5, "ab" + sgrGreen + "cd" + sgrReset + "…\n"},
		{"ab" + sgrGreen + "cd" + sgrReset + "efgh\n", 6, "ab" + sgrGreen + "cd" + sgrReset + "e…\n"},
		{sgrBold + "HEAD" + sgrReset + "\n", 4, sgrBold + "HEAD" + sgrReset + "\n"},
	} {
		if got := clipLine(tc.in, tc.width); got != tc.want {
			t.Errorf("clipLine(%q, %d) = %q, want %q", tc.in, tc.width, got, tc.want)
		}
	}
}

// Not a terminal: ClipToTerminal passes everything through.
func TestClipToTerminalPassesPipes(t *testing.T) {
	var b bytes.Buffer
	cw := ClipToTerminal(&b)
	long := strings.Repeat("x", 500) + "\n"
	cw.Write([]byte(long))
	cw.Flush()
	if b.String() != long {
		t.Errorf("a buffer got %d bytes, want %d", b.Len(), len(long))
	}
}

// Ctrl-C while the secret is awaited on a pipe ends the wait as an
// interrupt (exit 130), also when the pipe closed because its writer got the
// same Ctrl-C: not "empty secret" (exit 2).
func TestReadSecretInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	pr, pw := io.Pipe() // never written: a pipe still open
	defer pw.Close()
	for name, r := range map[string]io.Reader{"open pipe": pr, "closed pipe": strings.NewReader("")} {
		_, err := ReadSecret(ctx, r, io.Discard)
		if !errors.Is(err, context.Canceled) || fail.ExitCode(err) != fail.ExitInterrupted {
			t.Errorf("%s: err %v (exit %d), want an interrupt", name, err, fail.ExitCode(err))
		}
	}
}
