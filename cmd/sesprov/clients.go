package main

import (
	"os/user"

	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/sandbox"
	"github.com/urfave/cli/v2"
)

// newClients builds the IAM and STS clients of a command from the global flags
// (--profile, --region, --endpoint-url, --role-arn, --sandbox …). The caller
// must call Close when done: the sandbox saves its state then.
func newClients(c *cli.Context) (*iamapi.Clients, error) {
	g := globalsOf(c)
	opts := g.Client
	if opts.SessionName == "" {
		opts.SessionName = "sesprov"
		if u, err := user.Current(); err == nil && u.Username != "" {
			opts.SessionName = "sesprov-" + u.Username
		}
	}
	var clients *iamapi.Clients
	var err error
	if opts.Sandbox {
		clients, err = sandbox.NewClients(c.Context, opts, g.Log)
	} else {
		clients, err = iamapi.NewClients(c.Context, opts, g.Log)
	}
	if err == nil {
		// A delivery to a secret store builds its clients from these
		// (storeConnect), whichever command made them.
		c.App.Metadata[metaClients] = clients
	}
	return clients, err
}

const metaClients = "clients"
