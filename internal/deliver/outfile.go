package deliver

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/sesprov/sesprov/internal/fail"
)

// OutFilePattern names the temporary file an --out-file is written to before
// it is published under its own name (see CreateOutFile):
// .sesprov-outfile-NAME-RANDOM. A run killed before
// it delivered anything leaves such a file behind, empty; one killed between
// writing and publishing (a window of one link(2) call) may leave one with
// credentials in it, mode 0600. They are safe to remove when no sesprov run
// is going on.
const OutFilePattern = ".sesprov-outfile-*"

// OutFile is an --out-file. It is created before any IAM change, so a run
// that cannot write its secrets never makes them, but under a temporary name
// in the same directory (O_EXCL, mode 0600): the file appears under its own
// name only with the first credentials in it (link(2), which never
// overwrites), so a run killed before delivering leaves no empty file that
// would block the same command run again.
type OutFile struct {
	f         *os.File
	path      string
	tmp       string // the temporary name, until published
	written   bool   // something was written
	published bool
}

// CreateOutFile checks that path does not exist and creates its temporary
// file (O_EXCL, mode 0600) in the same directory. An existing path is never
// overwritten: that is a usage error, reported before any IAM change.
func CreateOutFile(path string) (*OutFile, error) {
	if err := outFileFree("--out-file", path); err != nil {
		return nil, err
	}
	base := filepath.Base(path)
	if len(base) > 64 {
		base = base[:64]
	}
	f, err := os.CreateTemp(filepath.Dir(path), strings.TrimSuffix(OutFilePattern, "*")+base+"-*")
	if err != nil {
		return nil, fail.Usagef("--out-file %s: %v", path, err)
	}
	// CreateTemp uses mode 0600 and the umask can only remove bits, but a
	// pre-set ACL or odd filesystem could add some: make sure it is 0600.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("--out-file %s: set mode 0600: %w", path, err)
	}
	return &OutFile{f: f, path: path, tmp: f.Name()}, nil
}

// outFileFree refuses a path that exists; flag names where the path came
// from, for the message.
func outFileFree(flag, path string) error {
	_, err := os.Lstat(path)
	if err == nil {
		return fail.Usagef("%s %s already exists: sesprov never overwrites credentials; choose a new path", flag, path)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fail.Usagef("%s %s: %v", flag, path, err)
	}
	return nil
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

// Sync flushes what was written so far to stable storage and, the first
// time, publishes the file under its name: a batch's users are on disk, in
// the named file, as each is delivered. An error means the credentials just
// written may not be in the named file (the caller rolls their key back).
func (o *OutFile) Sync() error {
	if err := o.f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", o.path, err)
	}
	if o.published || !o.written {
		return nil
	}
	return o.publish()
}

// publish links the synced temporary file to its name — link(2) fails if the
// name exists, so nothing is ever overwritten, even by a file made since the
// run began — removes the temporary name and syncs the directory, so the
// name survives a crash.
func (o *OutFile) publish() error {
	exists := func() error {
		return fmt.Errorf("--out-file %s was created by something else during the run: sesprov never overwrites credentials", o.path)
	}
	if err := os.Link(o.tmp, o.path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return exists()
		}
		// A filesystem without hard links (FAT, some network and FUSE
		// mounts): rename, after checking the name is still free (a
		// window of two system calls instead of none).
		if _, lerr := os.Lstat(o.path); lerr == nil {
			return exists()
		}
		if rerr := os.Rename(o.tmp, o.path); rerr != nil {
			return fmt.Errorf("--out-file %s: publish (link: %v; rename: %w)", o.path, err, rerr)
		}
	} else {
		os.Remove(o.tmp)
	}
	o.published = true
	if err := syncDir(filepath.Dir(o.path)); err != nil {
		return fmt.Errorf("--out-file %s: %w", o.path, err)
	}
	return nil
}

// syncDir makes a new name in dir durable. Windows cannot sync a directory
// handle (NTFS journals the name itself): nothing to do there.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// Commit syncs the file to stable storage, publishes it if that was not done
// yet, and closes it.
func (o *OutFile) Commit() error {
	if err := o.Sync(); err != nil {
		o.f.Close()
		return err
	}
	return o.f.Close()
}

// Published reports whether this OutFile put its file under its name (a
// file someone else made at that name is never this OutFile's).
func (o *OutFile) Published() bool { return o.published }

// Abort closes the file and removes the temporary name if the file was
// never published: whatever was written there belongs to keys whose
// delivery failed and which were deleted. A published file is kept.
func (o *OutFile) Abort() {
	o.f.Close()
	if !o.published {
		os.Remove(o.tmp)
	}
}
