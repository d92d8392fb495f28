package awsjson

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// SaveFile writes a state file atomically, as iamfake's SaveFile does: a
// 0600 temporary file beside path, synced, then renamed over it. The
// stores keep secret values, so the mode matters.
func SaveFile(path string, write func(io.Writer) error) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("save state %s: %w", path, err)
		}
	}()
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".awsfake-state-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// LoadFile reads a state file with read. A missing or empty file calls
// reset instead: it is an empty account.
func LoadFile(path string, read func(io.Reader) error, reset func()) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		reset()
		return nil
	}
	if err != nil {
		return fmt.Errorf("load state: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() == 0 {
		reset()
		return nil
	}
	if err := read(f); err != nil {
		return fmt.Errorf("load state %s: %w", path, err)
	}
	return nil
}
