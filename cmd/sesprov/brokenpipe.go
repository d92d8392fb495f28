package main

import (
	"errors"
	"syscall"
)

// readerGone reports whether err is a write to a pipe whose reader has
// closed it (sesprov regions | head -1). SIGPIPE is ignored (main.go), so
// the write fails with EPIPE instead of killing the process.
func readerGone(err error) bool {
	return errors.Is(err, syscall.EPIPE)
}

// quietWhenReaderGone ends a read-only command quietly (exit 0) when
// whoever reads its output has stopped reading, as git and gh do: nothing
// was changed and nobody is left to tell.
func quietWhenReaderGone(err error) error {
	if readerGone(err) {
		return nil
	}
	return err
}
