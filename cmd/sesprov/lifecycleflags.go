package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

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
func confirm(g *globals, question string) (bool, error) {
	fmt.Fprintf(g.Stderr, "%s [y/N] ", question)
	line, err := bufio.NewReader(g.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
