package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sesprov/sesprov/internal/tty"
	"golang.org/x/term"
)

// Flags of the lifecycle commands (rotate, delete-user, list, convert) beyond
// create-user's (cmd_create_user.go).
const (
	flgForce           = "force"
	flgMaxAge          = "max-age"
	flgListConcurrency = "concurrency"
	flgListRate        = "rate"
	flgOldKey          = "old-key"
	flgVerify          = "verify"
	flgAccessKeyID     = "access-key-id"
	flgDeliverCmd      = "deliver-cmd"
	flgStaleAfter      = "stale-after"
)

// stdinTerminal reports whether r is a terminal: sesprov prompts only then.
func stdinTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// confirm asks question on stderr and reads a yes/no answer from stdin.
// Ctrl-C at the question ends the wait (the terminal's read would not) and
// is an interrupt, not a no.
func confirm(ctx context.Context, g *globals, question string) (bool, error) {
	fmt.Fprintf(g.Stderr, "%s [y/N] ", question)
	line, err := bufio.NewReader(tty.ContextReader(ctx, g.Stdin)).ReadString('\n')
	if cerr := ctx.Err(); cerr != nil {
		fmt.Fprintln(g.Stderr)
		return false, fmt.Errorf("interrupted at the question: %w", cerr)
	}
	if err != nil && line == "" {
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
