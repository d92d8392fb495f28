package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/urfave/cli/v2"
)

const (
	flgDeliverTo   = "deliver-to"
	flgKMSKeyID    = "kms-key-id"
	flgStoreRegion = "store-region"
)

// deliverFlags are the destination flags of every command that makes
// credentials: --deliver-to and its aliases --out-file and --deliver-cmd.
func deliverFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flgDeliverTo, Usage: "deliver the credentials to `DEST`: file:PATH (as --out-file), cmd:COMMAND (as --deliver-cmd), secretsmanager:NAME (a Secrets Manager secret, made when missing, else a new AWSCURRENT version) or ssm:NAME (an SSM SecureString parameter, overwritten); a store holds the JSON object -o json prints and stdout shows a status line per user. {user} in PATH, COMMAND or NAME is the user's name, and a command or store needs it when there are several users"},
		&cli.StringFlag{Name: flgKMSKeyID, Usage: "with --deliver-to secretsmanager: or ssm:, encrypt with this customer managed KMS `KEY` (ID, ARN or alias/NAME) instead of the service's AWS managed key; an existing secret keeps its key"},
		&cli.StringFlag{Name: flgStoreRegion, Usage: "with --deliver-to secretsmanager: or ssm:, the `REGION` of the store (default: the AWS SDK's region, as for IAM)"},
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
	if err := checkStoreFlags(c, dest); err != nil {
		return dest, err
	}
	_, err = dest.FormatFor(globalsOf(c).Output, outputExplicit(c))
	return dest, err
}

// openDeliverer opens the run's delivery for users, before any IAM change.
func openDeliverer(c *cli.Context, dest deliver.Destination, users []string, includeSecret, dryRun bool) (*deliver.Deliverer, error) {
	return openDelivererTo(c, globalsOf(c).Stdout, dest, users, includeSecret, dryRun)
}

// openDelivererTo is openDeliverer with the stdout that takes credentials
// and the stores' status lines; nil for a caller that prints its own line
// per user (a fleet rotation, which never delivers to stdout).
func openDelivererTo(c *cli.Context, stdout io.Writer, dest deliver.Destination, users []string, includeSecret, dryRun bool) (*deliver.Deliverer, error) {
	g := globalsOf(c)
	format, err := dest.FormatFor(g.Output, outputExplicit(c))
	if err != nil {
		return nil, err
	}
	return deliver.Open(dest, deliver.Options{
		Format: format, IncludeSecretKey: includeSecret,
		Stdout: stdout, Stderr: g.Stderr, Users: users, DryRun: dryRun,
		Store: deliver.StoreOptions{KMSKeyID: c.String(flgKMSKeyID), Connect: storeConnect(c)},
	})
}

// checkStoreFlags refuses --kms-key-id and --store-region without a store
// to apply them to, and a region that cannot be one.
func checkStoreFlags(c *cli.Context, dest deliver.Destination) error {
	for _, f := range []string{flgKMSKeyID, flgStoreRegion} {
		if c.IsSet(f) && !dest.Kind.IsStore() {
			return fail.Usagef("--%s applies to a secret store: add --deliver-to secretsmanager:NAME or ssm:NAME, or drop --%s", f, f)
		}
	}
	if r := c.String(flgStoreRegion); c.IsSet(flgStoreRegion) && !storeRegionRE.MatchString(r) {
		return fail.Usagef("--%s %q: not a region name (e.g. eu-west-1)", flgStoreRegion, r)
	}
	if c.IsSet(flgKMSKeyID) && strings.TrimSpace(c.String(flgKMSKeyID)) == "" {
		return fail.Usagef("--%s: give a key ID, key ARN or alias/NAME", flgKMSKeyID)
	}
	return nil
}

var storeRegionRE = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// storeConnect builds the store clients from the aws.Config of the run's
// IAM client (so --profile, --role-arn, --endpoint-url and --sandbox apply
// to them too), in --store-region or that config's region.
func storeConnect(c *cli.Context) func(context.Context) (deliver.Stores, error) {
	region := c.String(flgStoreRegion)
	return func(context.Context) (deliver.Stores, error) {
		clients, ok := c.App.Metadata[metaClients].(*iamapi.Clients)
		if !ok {
			return deliver.Stores{}, fmt.Errorf("--%s: no AWS clients to reach the store", flgDeliverTo)
		}
		return deliver.NewStores(clients.Config, region), nil
	}
}

// reportDelivered says where credentials that did not go to stdout went.
func reportDelivered(w io.Writer, d *deliver.Deliverer) {
	n := d.Delivered()
	switch dest := d.Destination(); {
	case n == 0 || dest.Kind == deliver.KindStdout:
	case dest.Kind == deliver.KindFile:
		fmt.Fprintf(w, "sesprov: credentials of %d user(s) written to %s (mode 0600)\n", n, dest)
	case dest.Kind.IsStore() && n == 1:
		fmt.Fprintf(w, "sesprov: credentials of 1 user delivered to %s\n", d.LastStore())
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
