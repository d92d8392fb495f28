package deliver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/output"
)

// ErrReaderGone is a delivery to a stream whose reader went away (a broken
// pipe: `create-user --from … | head -3`). Nothing more can be delivered
// there, so a batch stops at the first one.
var ErrReaderGone = errors.New("the reader of the credentials went away (broken pipe)")

// Options say how credentials are written.
type Options struct {
	Format           output.Format
	IncludeSecretKey bool
	Stdout           io.Writer // KindStdout's writer
	Stderr           io.Writer // a command's stderr (its stdout is discarded)
	Users            []string  // the run's users: checked, and a table aligned to them
	DryRun           bool      // check only: nothing is created
	Store            StoreOptions
}

// Deliverer hands each user's credentials to a Destination. It is safe for
// concurrent use: a batch's workers deliver as each user is done.
type Deliverer struct {
	dest Destination
	opts Options

	mu        sync.Mutex
	out       *OutFile                // the run's one file (file: without {user})
	stream    io.Writer               // stdout or out: many users, one table
	cw        *creds.CredentialWriter // stream's writer, rendering into buf
	buf       bytes.Buffer
	delivered int
	gone      bool // the stream's reader went away

	connect   sync.Once // the store clients, made at the first store write
	stores    Stores
	connErr   error
	lastStore Destination
}

// Open checks dest for opts.Users and, for a file shared by the run, creates
// it (under a temporary name, see OutFile): both before any IAM change, so
// a run that cannot deliver a secret never makes it.
func Open(dest Destination, opts Options) (*Deliverer, error) {
	if err := dest.Check(opts.Users); err != nil {
		return nil, err
	}
	if opts.Stderr == nil {
		opts.Stderr = io.Discard
	}
	d := &Deliverer{dest: dest, opts: opts}
	switch {
	case dest.Kind == KindStdout:
		d.stream = opts.Stdout
	case dest.Kind == KindFile && !dest.PerUser() && !opts.DryRun:
		f, err := CreateOutFile(dest.Target)
		if err != nil {
			return nil, err
		}
		d.out, d.stream = f, f
	}
	if d.stream != nil {
		d.cw = creds.NewCredentialWriter(&d.buf, opts.Format, opts.IncludeSecretKey)
		d.cw.AlignUsers(opts.Users)
	}
	return d, nil
}

// Destination is where d delivers.
func (d *Deliverer) Destination() Destination { return d.dest }

// ToStdout reports whether credentials go to stdout (a person reads them).
func (d *Deliverer) ToStdout() bool { return d.dest.Kind == KindStdout }

// Delivered is the number of users delivered so far.
func (d *Deliverer) Delivered() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.delivered
}

// Align widens a table's user column for names not known at Open.
func (d *Deliverer) Align(names []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cw != nil {
		d.cw.AlignUsers(names)
	}
}

// Deliver hands set to the destination; an error means it may not be there
// (the caller deletes its key: DeliverOrRollback).
func (d *Deliverer) Deliver(ctx context.Context, set creds.CredentialSet) error {
	if d.dest.Kind.IsStore() {
		// Outside the lock: a batch's workers write to the store at once.
		return d.toStore(ctx, set)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var err error
	switch {
	case d.stream != nil:
		err = d.toStream(set)
	case d.dest.Kind == KindFile:
		err = d.toOwnFile(d.dest.For(set.UserName).Target, set)
	case d.dest.Kind == KindCommand:
		err = d.toCommand(ctx, d.dest.For(set.UserName).Target, set)
	default:
		err = fmt.Errorf("no writer for destination kind %q", d.dest.Kind)
	}
	if err == nil {
		d.delivered++
	}
	return err
}

// toStream renders set and writes it in one piece, synced for a file.
func (d *Deliverer) toStream(set creds.CredentialSet) error {
	if d.gone {
		return fmt.Errorf("write to %s: %w", d.dest, ErrReaderGone)
	}
	d.buf.Reset()
	defer wipe(&d.buf)
	if err := d.cw.Write(set); err != nil {
		return err
	}
	if err := d.cw.Close(); err != nil { // flushes; the writer stays usable
		return err
	}
	if _, err := d.stream.Write(d.buf.Bytes()); err != nil {
		if errors.Is(err, syscall.EPIPE) {
			d.gone = true
			return fmt.Errorf("write to %s: %w: %w", d.dest, ErrReaderGone, err)
		}
		return fmt.Errorf("write to %s: %w", d.dest, err)
	}
	if d.out != nil {
		return d.out.Sync()
	}
	return nil
}

// render writes set alone, as a destination of its own receives it.
func (d *Deliverer) render(set creds.CredentialSet) (*bytes.Buffer, error) {
	var buf bytes.Buffer
	w := creds.NewCredentialWriter(&buf, d.opts.Format, d.opts.IncludeSecretKey)
	if err := w.Write(set); err != nil {
		wipe(&buf)
		return nil, err
	}
	if err := w.Close(); err != nil {
		wipe(&buf)
		return nil, err
	}
	return &buf, nil
}

// toOwnFile writes a user's own file (a path naming {user}).
func (d *Deliverer) toOwnFile(path string, set creds.CredentialSet) error {
	buf, err := d.render(set)
	if err != nil {
		return err
	}
	defer wipe(buf)
	f, err := CreateOutFile(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		if f.Published() {
			os.Remove(path) // it names a key about to be deleted
		}
		return err
	}
	return nil
}

// toCommand hands set to a command on its stdin (never in its argv or
// environment). Delivery counts as done only when it exits 0: a pipe
// (rotate | store) cannot say whether the store kept them.
func (d *Deliverer) toCommand(ctx context.Context, command string, set creds.CredentialSet) error {
	buf, err := d.render(set)
	if err != nil {
		return err
	}
	defer wipe(buf)
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.Stdin = bytes.NewReader(buf.Bytes())
	// The command's stdout is discarded: a store command that echoes its
	// input (tee) would otherwise put the credentials into sesprov's stderr,
	// i.e. cron mail or the journal. Its stderr is kept for diagnostics.
	cmd.Stdout, cmd.Stderr = io.Discard, d.opts.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		// The contract: non-zero means nothing was stored. Say what follows
		// if the command broke it.
		return fmt.Errorf("%s %q: %w (a failing %s must have stored nothing: if it stored these credentials before failing, its store now holds the deleted key — put the previous credentials back)", d.dest.flag(), command, err, d.dest.flag())
	}
	return nil
}

// WriteLine writes a line that carries no secret (a batch's status of a
// user that got no credentials) to stdout, when that is the destination.
func (d *Deliverer) WriteLine(line []byte) {
	if d.dest.Kind != KindStdout {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.gone {
		d.stream.Write(line)
	}
}

// Close finishes the run's delivery: a file shared by the run is synced and
// kept when it holds credentials, removed when it holds none (their keys
// were deleted).
func (d *Deliverer) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.out == nil {
		return nil
	}
	out := d.out
	d.out = nil
	if d.delivered == 0 {
		abort(out)
		return nil
	}
	return out.Commit()
}

// Abort ends a run that failed before delivering anything: what it wrote
// names keys that were deleted.
func (d *Deliverer) Abort() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.out != nil && d.delivered == 0 {
		abort(d.out)
		d.out = nil
	}
}

// abort removes out's temporary file, and the file itself if this run
// published it — never one made by something else meanwhile.
func abort(out *OutFile) {
	published := out.Published()
	out.Abort()
	if published {
		os.Remove(out.Path())
	}
}

func wipe(b *bytes.Buffer) {
	p := b.Bytes()
	clear(p[:cap(p)])
	b.Reset()
}
