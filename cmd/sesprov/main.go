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

// mainCode runs sesprov as a process: Ctrl-C and SIGTERM cancel the
// command's context, so that it can clean up and say what to run next.
// The tests' `sesprov` command runs it too.
func mainCode() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
}
