package main

import (
	"os"

	"github.com/sesprov/sesprov/internal/fail"
)

// A batch re-run within the hour sees the users the earlier run delivered
// as possible orphans (young, never-used keys): the command advised for a
// re-run therefore names the earlier output with --done, so that those
// users are reported done instead of conflicts.

// isBatch reports whether args run create-user with --from.
func isBatch(command string, args []string) bool {
	if command != "create-user" {
		return false
	}
	for _, a := range args {
		if a == "--"+flgFrom || a == "-"+flgFrom || len(a) > len(flgFrom)+3 && a[:len(flgFrom)+3] == "--"+flgFrom+"=" {
			return true
		}
	}
	return false
}

// withDone adds --done file to a batch's command line (again), which
// already writes a new --out-file.
func withDone(command string, again []string, file string) []string {
	if !isBatch(command, again) {
		return again
	}
	return append(again, "--"+flgDone, file)
}

// batchRerunAdvice is the command a partial batch (exit 1) that wrote an
// --out-file advises: the same, with a new --out-file and --done naming
// the one written. "" when it does not apply (the error then says
// --done FILE for a batch on stdout).
func batchRerunAdvice(command string, args []string, code int) string {
	if code != fail.ExitFailed || !isBatch(command, args) {
		return ""
	}
	again := append([]string{"sesprov"}, args[1:]...)
	i, file := outFileArg(again)
	if file == "" {
		return ""
	}
	if _, err := os.Stat(file); err != nil {
		return ""
	}
	next := freshName(file)
	if again[i] == file {
		again[i] = next
	} else {
		again[i] = "--" + flgOutFile + "=" + next
	}
	return "sesprov: " + file + " holds the credentials delivered: keep them. To finish, run (users it names are reported done, not re-keyed):\n" +
		"    " + shellQuoteArgs(withDone(command, again, file))
}
