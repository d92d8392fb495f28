// Command sesprov provisions Amazon SES SMTP credentials safely: IAM user,
// sending group and policy, access key, and a derived SMTP password per region.
package main

import (
	"context"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/sesprov/sesprov/internal/fail"
)

// exitTerminated is the exit code of a run stopped by SIGTERM (128+15).
const exitTerminated = 143

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
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	var got atomic.Value // the first signal; later ones are ignored
	go func() {
		if s, ok := <-sigs; ok {
			got.Store(s)
			cancel()
		}
	}()
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	s, _ := got.Load().(os.Signal)
	return signalExit(code, s)
}

// signalExit is the exit code of a run interrupted by s: a stop asked by a
// service manager or an orchestrator (SIGTERM) exits 143, 128+15, as a
// process killed by it would, so that they can tell it from Ctrl-C (130).
// The run ended at a safe point all the same.
func signalExit(code int, s os.Signal) int {
	if code == fail.ExitInterrupted && s == syscall.SIGTERM {
		return exitTerminated
	}
	return code
}
