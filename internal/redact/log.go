package redact

import (
	"io"
	"log/slog"
	"strings"
)

// NewLogger returns the slog logger sesprov writes to stderr. Attributes whose
// key names a secret are redacted at every level, in addition to Secret values
// redacting themselves, so a careless log line cannot leak a key.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		Level:       level,
		ReplaceAttr: redactAttr,
	}))
}

// DiscardLogger logs nothing.
func DiscardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

var secretKeyWords = []string{"secret", "password", "passwd", "token", "credential", "signature", "authorization"}

func redactAttr(_ []string, a slog.Attr) slog.Attr {
	k := strings.ToLower(a.Key)
	for _, w := range secretKeyWords {
		if strings.Contains(k, w) {
			return slog.String(a.Key, redacted)
		}
	}
	return a
}
