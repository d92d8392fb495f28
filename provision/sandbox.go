package provision

import (
	"context"
	"errors"
	"log/slog"
)

// newSandboxClients serves the embedded iamfake on loopback and points the
// clients at it. (Filled in when iamfake lands.)
func newSandboxClients(ctx context.Context, opts ClientOptions, log *slog.Logger) (*Clients, error) {
	return nil, errors.New("--sandbox is not available in this build yet")
}
