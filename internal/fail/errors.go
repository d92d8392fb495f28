// Package fail classifies errors by what the caller should do about them
// (usage, conflict, failure) and maps them to sesprov's exit codes.
package fail

import (
	"context"
	"errors"
	"fmt"
)

// Exit codes are part of sesprov's contract (see docs/operations.md): schedulers
// act on them, so they never change meaning.
const (
	ExitOK          = 0   // done
	ExitFailed      = 1   // an AWS error, a partial batch, anything else that failed
	ExitUsage       = 2   // bad input or usage; nothing was changed
	ExitConflict    = 3   // a conflict that needs a human decision
	ExitInterrupted = 130 // interrupted (SIGINT/SIGTERM)
)

// Kind classifies an error by what the caller should do about it.
type Kind int

const (
	// KindFailed is any failure not classified otherwise.
	KindFailed Kind = iota
	// KindUsage is bad input: the command changed nothing.
	KindUsage
	// KindConflict is a state that needs a decision (e.g. a user already has keys).
	KindConflict
)

// Error carries a Kind alongside the wrapped error. Its message is the wrapped
// error's message: it never adds secret material.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Usagef returns a KindUsage error: bad input, nothing changed (exit 2).
func Usagef(format string, args ...any) error {
	return &Error{Kind: KindUsage, Err: fmt.Errorf(format, args...)}
}

// Conflictf returns a KindConflict error: a decision is needed (exit 3).
func Conflictf(format string, args ...any) error {
	return &Error{Kind: KindConflict, Err: fmt.Errorf(format, args...)}
}

// AsUsage marks err as a usage error, keeping its message.
func AsUsage(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Kind: KindUsage, Err: err}
}

// KindOf reports the Kind of err (KindFailed for unclassified errors).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindFailed
}

// ExitCode maps an error to sesprov's exit code. This is the one place where
// that mapping lives.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, context.Canceled) {
		return ExitInterrupted
	}
	switch KindOf(err) {
	case KindUsage:
		return ExitUsage
	case KindConflict:
		return ExitConflict
	}
	return ExitFailed
}
