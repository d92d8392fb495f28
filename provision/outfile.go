package provision

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// OutFile is an --out-file: created exclusively with mode 0600 before any IAM
// change, so a run that cannot deliver its secrets never makes them. Commit
// syncs and closes it; Abort removes it when nothing was written.
type OutFile struct {
	f       *os.File
	path    string
	written bool
}

// CreateOutFile creates path exclusively (O_EXCL, mode 0600). An existing file
// is never overwritten: that is a usage error, reported before any IAM change.
func CreateOutFile(path string) (*OutFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, Usagef("--out-file %s already exists: sesprov never overwrites credentials; choose a new path", path)
		}
		return nil, Usagef("--out-file %s: %v", path, err)
	}
	// The umask can only remove bits, but a pre-set ACL or odd filesystem could
	// add some: make sure the mode is exactly 0600.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("--out-file %s: set mode 0600: %w", path, err)
	}
	return &OutFile{f: f, path: path}, nil
}

// Path is the file's name.
func (o *OutFile) Path() string { return o.path }

// Write implements io.Writer.
func (o *OutFile) Write(p []byte) (int, error) {
	if len(p) > 0 {
		o.written = true
	}
	return o.f.Write(p)
}

// Sync flushes what was written so far to stable storage: a batch's users
// are on disk as each is delivered.
func (o *OutFile) Sync() error {
	if err := o.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", o.path, err)
	}
	return nil
}

// Commit syncs the file to stable storage and closes it.
func (o *OutFile) Commit() error {
	if err := o.f.Sync(); err != nil {
		o.f.Close()
		return fmt.Errorf("sync %s: %w", o.path, err)
	}
	return o.f.Close()
}

// Abort closes the file and removes it if nothing was written to it.
func (o *OutFile) Abort() {
	o.f.Close()
	if !o.written {
		os.Remove(o.path)
	}
}
