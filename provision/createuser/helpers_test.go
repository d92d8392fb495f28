package createuser_test

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/internal/tty"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/createuser"
)

// runCLI runs create-user as the command line does on a stderr that is not
// a terminal: the delivery opened for in.Dest (stdout by default), the
// notices, outcomes and summary rendered on stderr, a dry run's plan on
// stdout.
func runCLI(ctx context.Context, in createuser.Options, deps createuser.Deps, stdout, stderr io.Writer) error {
	if err := in.Validate(); err != nil {
		return err
	}
	d, err := deliver.Open(in.Dest, deliver.Options{Format: in.Format, IncludeSecretKey: in.IncludeSecretKey,
		Stdout: stdout, Stderr: stderr, Users: in.UserNames, DryRun: in.DryRun})
	if err != nil {
		return err
	}
	var mu sync.Mutex
	printf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stderr, format, args...)
	}
	pal := tty.NewPalette(stderr)
	deps.Deliver = d
	deps.Notices = func(n provision.Notice) {
		if n.Level == provision.NoticeWarning {
			printf("sesprov: warning: %s\n", n.Text)
		} else {
			printf("sesprov: %s\n", n.Text)
		}
	}
	deps.Outcomes = func(o createuser.Outcome) {
		if line := o.Line(pal); line != "" {
			printf("sesprov: %s\n", line)
		}
	}
	res, err := createuser.Run(ctx, in, deps)
	if res != nil && in.DryRun && res.Plan != nil {
		if perr := provision.WritePlan(stdout, in.Format, res.Plan); perr != nil && err == nil {
			err = perr
		}
	}
	if cerr := d.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if n := d.Delivered(); n > 0 && in.Dest.Kind == deliver.KindFile {
		printf("sesprov: credentials of %d user(s) written to %s (mode 0600)\n", n, in.Dest)
	}
	if res != nil && res.Batch != nil {
		printf("sesprov: %s\n", res.Batch.Line(pal))
	}
	return err
}
