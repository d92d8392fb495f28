package main

import (
	"fmt"
	"io"
	"os"

	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/urfave/cli/v2"
)

const flgDeliverTo = "deliver-to"

// deliverFlags are the destination flags of every command that makes
// credentials: --deliver-to and its aliases --out-file and --deliver-cmd.
func deliverFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flgDeliverTo, Usage: "deliver the credentials to `DEST`: file:PATH (as --out-file) or cmd:COMMAND (as --deliver-cmd); {user} in PATH or COMMAND is the user's name, and a command needs it when there are several users"},
		&cli.StringFlag{Name: flgOutFile, Usage: "write the credentials to new `FILE` (mode 0600, never overwritten) instead of stdout"},
		&cli.StringFlag{Name: flgDeliverCmd, Usage: "run `COMMAND` (with /bin/sh -c) with the credentials on its stdin, e.g. a secret store's CLI (its stdout is discarded, its stderr shown); delivered only if it exits 0, otherwise the new key is deleted. It must exit non-zero only if nothing was stored: make storing its last step"},
	}
}

// destinationOf reads the destination flags (one at most) and checks that
// the output format suits it.
func destinationOf(c *cli.Context) (deliver.Destination, error) {
	dest, err := deliver.FromFlags(c.String(flgDeliverTo), c.String(flgOutFile), c.String(flgDeliverCmd))
	if err != nil {
		return dest, err
	}
	_, err = dest.FormatFor(globalsOf(c).Output, outputExplicit(c))
	return dest, err
}

// openDeliverer opens the run's delivery for users, before any IAM change.
func openDeliverer(c *cli.Context, dest deliver.Destination, users []string, includeSecret, dryRun bool) (*deliver.Deliverer, error) {
	g := globalsOf(c)
	format, err := dest.FormatFor(g.Output, outputExplicit(c))
	if err != nil {
		return nil, err
	}
	return deliver.Open(dest, deliver.Options{
		Format: format, IncludeSecretKey: includeSecret,
		Stdout: g.Stdout, Stderr: g.Stderr, Users: users, DryRun: dryRun,
	})
}

// reportDelivered says where credentials that did not go to stdout went.
func reportDelivered(w io.Writer, d *deliver.Deliverer) {
	n := d.Delivered()
	switch dest := d.Destination(); {
	case n == 0 || dest.Kind == deliver.KindStdout:
	case dest.Kind == deliver.KindFile:
		fmt.Fprintf(w, "sesprov: credentials of %d user(s) written to %s (mode 0600)\n", n, dest)
	default:
		fmt.Fprintf(w, "sesprov: credentials of %d user(s) delivered to %s\n", n, dest)
	}
}

// outputExplicit reports whether a format was asked for (-o or
// SESPROV_OUTPUT), not left at its default.
func outputExplicit(c *cli.Context) bool {
	lv := flagLevelsOf(c)
	if lv.String(flgOutput) == "" {
		return false
	}
	return lv.given(flgOutput, envOutput) || os.Getenv(envOutput) != ""
}
