package main

import (
	"io"
	"os"

	"github.com/sesprov/sesprov/internal/fail"
)

// refuseNullStdout stops a command whose credentials would go to stdout when
// stdout is /dev/null: a cron line's '>/dev/null 2>&1', systemd's
// StandardOutput=null, or a closed fd 1 (Go's runtime reopens it on
// /dev/null). Writing there succeeds, so sesprov would count the secret as
// delivered — and rotate would retire the old key — while nobody has it.
// what names what would be lost; alternatives the flags that deliver
// elsewhere. It is called before any IAM change.
func refuseNullStdout(w io.Writer, what, alternatives string) error {
	f, ok := w.(*os.File)
	if !ok || !isDevNull(f) {
		return nil
	}
	return fail.Usagef("stdout is /dev/null: %s would be lost, so nothing was changed. Deliver them with %s (or send stdout somewhere kept)", what, alternatives)
}
