//go:build unix

package main

import (
	"os"
	"syscall"
)

// isDevNull reports whether f is the null device: a character device with
// /dev/null's device number (a file merely named so does not count).
func isDevNull(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	if err != nil || null.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	a, ok := fi.Sys().(*syscall.Stat_t)
	b, ok2 := null.Sys().(*syscall.Stat_t)
	return ok && ok2 && a.Rdev == b.Rdev
}
