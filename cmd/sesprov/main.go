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
	os.Exit(mainCode())
}

// mainCode runs sesprov as a process: Ctrl-C, SIGTERM and SIGHUP cancel the
// command's context, so that it can clean up and say what to run next.
// The tests' `sesprov` command runs it too.
func mainCode() int {
	// A closed stdout (`sesprov … | head -0`) must not kill sesprov with
	// SIGPIPE between making a key and delivering it: ignored, the write
	// fails with EPIPE and DeliverOrRollback deletes the undelivered key.
	signal.Ignore(syscall.SIGPIPE)
	// SIGHUP (terminal closed, ssh dropped) is an interruption like Ctrl-C:
	// the run stops at a safe point and undoes what it must.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	return run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
}
