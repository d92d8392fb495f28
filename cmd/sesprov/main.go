// Command sesprov provisions Amazon SES SMTP credentials safely: IAM user,
// sending group and policy, access key, and a derived SMTP password per region.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// A closed stdout (`sesprov … | head -0`) must not kill sesprov with
	// SIGPIPE between making a key and delivering it: ignored, the write
	// fails with EPIPE and DeliverOrRollback deletes the undelivered key.
	signal.Ignore(syscall.SIGPIPE)
	// SIGHUP (terminal closed, ssh dropped) is an interruption like Ctrl-C:
	// the run stops at a safe point and undoes what it must.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
