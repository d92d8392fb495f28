// Package redact holds values that must never be printed or logged, and the
// logger that redacts them.
package redact

import (
	"fmt"
	"log/slog"
)

// Secret holds a secret access key or an SMTP password. Every way of printing
// it by accident (fmt verbs, slog, JSON, errors built with %v) yields
// "[REDACTED]"; only Reveal returns the value, and only output writers call it.
type Secret struct{ v string }

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{v: s} }

// Reveal returns the secret value. Call it only where the value is delivered to
// its destination (stdout or an --out-file).
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.v == "" }

const redacted = "[REDACTED]"

func (s Secret) String() string               { return redacted }
func (s Secret) GoString() string             { return redacted }
func (s Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Format makes every fmt verb (%s, %v, %+v, %q, %x …) print the redaction.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }
