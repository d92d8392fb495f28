package tty

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/redact"

	"golang.org/x/term"
)

// maxSecretInput bounds what ReadSecret reads: a secret access key is 40
// bytes; anything near this limit is the wrong file.
const maxSecretInput = 64 << 10

// IsAccessKeyID reports whether s is shaped like an access key ID: AKIA
// (long-term) or ASIA (temporary, from STS) and 16 more upper-case letters or
// digits.
func IsAccessKeyID(s string) bool {
	if len(s) != 20 || (s[:4] != "AKIA" && s[:4] != "ASIA") {
		return false
	}
	for i := 4; i < len(s); i++ {
		if c := s[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// ReadSecret reads a secret access key from stdin. On a terminal it prompts on
// stderr and reads without echo; otherwise it reads one line (a trailing
// newline is fine, a second non-empty line is refused). The value is checked
// with CheckSecretAccessKey; its warnings go to stderr.
func ReadSecret(ctx context.Context, stdin io.Reader, stderr io.Writer) (redact.Secret, error) {
	var raw []byte
	if fd, ok := terminalFd(stdin); ok {
		b, err := readHidden(ctx, fd, stderr)
		if err != nil {
			return redact.Secret{}, err
		}
		raw = b
	} else {
		b, err := readAllCtx(ctx, io.LimitReader(stdin, maxSecretInput+1))
		if ctx.Err() != nil {
			return redact.Secret{}, err
		}
		if err != nil {
			return redact.Secret{}, fmt.Errorf("read the secret access key from stdin: %w", err)
		}
		if len(b) > maxSecretInput {
			return redact.Secret{}, fail.Usagef("stdin holds more than %d KiB: expected one line, the secret access key", maxSecretInput>>10)
		}
		raw = b
	}
	line, err := oneLine(raw)
	if err != nil {
		return redact.Secret{}, err
	}
	warnings, err := CheckSecretAccessKey(line)
	if err != nil {
		return redact.Secret{}, err
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "sesprov: warning: %s\n", w)
	}
	return redact.NewSecret(line), nil
}

// readAllCtx reads r to its end, or until ctx is cancelled (ContextReader).
func readAllCtx(ctx context.Context, r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(ContextReader(ctx, r))
	if cerr := ctx.Err(); cerr != nil {
		return nil, fmt.Errorf("interrupted while waiting for the secret access key on stdin: %w", cerr)
	}
	return b, err
}

// readHidden prompts on stderr and reads a line from the terminal without
// echo. Ctrl-C (the command's context) ends the wait and gives the terminal
// its echo back, which term.ReadPassword alone would not do before exit.
func readHidden(ctx context.Context, fd int, stderr io.Writer) ([]byte, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return nil, fmt.Errorf("read the secret access key from the terminal: %w", err)
	}
	fmt.Fprint(stderr, "AWS secret access key (input hidden): ")
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		fmt.Fprintln(stderr)
		if r.err != nil {
			return nil, fmt.Errorf("read the secret access key from the terminal: %w", r.err)
		}
		return r.b, nil
	case <-ctx.Done():
		_ = term.Restore(fd, state)
		fmt.Fprintln(stderr)
		return nil, fmt.Errorf("interrupted at the prompt for the secret access key: %w", ctx.Err())
	}
}

func terminalFd(r io.Reader) (int, bool) {
	f, ok := r.(interface{ Fd() uintptr })
	if !ok {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// oneLine returns the only non-empty line of b, without its line ending.
func oneLine(b []byte) (string, error) {
	var found []byte
	n := 0
	for _, l := range bytes.Split(b, []byte("\n")) {
		l = bytes.TrimRight(l, "\r")
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		n++
		found = l
	}
	if n > 1 {
		return "", fail.Usagef("stdin has %d non-empty lines: expected one, the secret access key alone", n)
	}
	return string(found), nil
}

// CheckSecretAccessKey refuses what cannot be a secret access key, with a
// message that says what it looks like instead, and warns about what is
// merely unusual. Surrounding spaces are not trimmed here: callers pass the
// line as read, and a space anywhere is refused. No message contains the value.
func CheckSecretAccessKey(s string) (warnings []string, err error) {
	if strings.TrimSpace(s) == "" {
		return nil, fail.Usagef("empty secret access key: pipe it on stdin, e.g. sesprov derive --regions us-east-1 < secret.txt")
	}
	if !utf8.ValidString(s) {
		return nil, fail.Usagef("the secret access key is not valid UTF-8: check the file's encoding")
	}
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		what := "contains whitespace"
		if i == 0 || i == len(s)-1 {
			what = "starts or ends with whitespace"
		}
		hint := "secret access keys never contain spaces or tabs: pass the secret alone"
		if f := strings.Fields(s); len(f) > 1 && IsAccessKeyID(f[0]) {
			hint = "it looks like an access key ID followed by the secret: pass only the secret (the access key ID is the SMTP user name)"
		}
		return nil, fail.Usagef("the secret access key %s (position %d): %s", what, i+1, hint)
	}
	if len(s) > 21 && IsAccessKeyID(s[:20]) && strings.IndexByte(",;:=|", s[20]) >= 0 {
		return nil, fail.Usagef("that looks like an access key ID and the secret joined by %q (a line of a credentials CSV?): pass only the secret", s[20])
	}
	if k, _, ok := strings.Cut(s, "="); ok && strings.EqualFold(k, "aws_secret_access_key") {
		return nil, fail.Usagef("that is a line of a credentials file (aws_secret_access_key=…): pass only the value after '='")
	}
	if IsAccessKeyID(s) {
		return nil, fail.Usagef("that is an access key ID (%s…), not the secret access key: pass the 40-character secret that was shown once with it", s[:4])
	}
	if looksLikeSMTPPassword(s) {
		return nil, fail.Usagef("that looks like an SES SMTP password (44 characters, version byte 0x04), not a secret access key: derive from the secret access key")
	}
	if n := utf8.RuneCountInString(s); n != 40 {
		warnings = append(warnings, fmt.Sprintf("AWS secret access keys are 40 characters; this one has %d: check it was copied whole", n))
	}
	return warnings, nil
}

func looksLikeSMTPPassword(s string) bool {
	if len(s) != 44 {
		return false
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == 33 && b[0] == 0x04
}
