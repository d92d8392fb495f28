// Package sandbox serves sesprov's --sandbox: an embedded iamfake on loopback whose
// state lives in a local file, so later commands see what earlier ones did.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/awsfake"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/redact"
)

// The sandbox's static credentials: not a secret, not a key of any account.
const (
	sandboxAccessKeyID     = "AKIASESPROVSANDBOX00"
	sandboxSecretAccessKey = "sesprov-sandbox-not-a-secret"
)

// StatePath is where --sandbox keeps its account between runs:
// --sandbox-state, else $XDG_STATE_HOME/sesprov/sandbox.json, else
// ~/.local/state/sesprov/sandbox.json.
func StatePath(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "sesprov", "sandbox.json"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("sandbox state: no home directory (%w); pass --sandbox-state FILE", err)
	}
	return filepath.Join(home, ".local", "state", "sesprov", "sandbox.json"), nil
}

// sandboxLockWait bounds how long a sandbox run waits for another to finish.
const sandboxLockWait = 30 * time.Second

// NewClients serves the embedded iamfake, and the Secrets Manager, SSM,
// SES v2 and Organizations fakes beside it (iamfake/awsfake), on a 127.0.0.1 listener (so
// the SDK's whole stack runs: signing, HTTP, retries, parsing) with the state
// of earlier sandbox runs, and points the clients at it. The IAM state holds
// no secret (iamfake never stores secret access keys); the Secrets Manager and
// SSM files next to it hold what was stored in them, the credentials
// delivered there (mode 0600). A lock file next to it
// keeps two concurrent sandbox runs from overwriting each other's changes.
// Every change is on disk before the answer to it leaves (see store), so a
// run killed after a change, even after the credentials were printed, finds
// that change on the next run, as with AWS. Close folds the journal into the
// state file and releases the lock.
func NewClients(ctx context.Context, opts iamapi.ClientOptions, log *slog.Logger) (*iamapi.Clients, error) {
	if log == nil {
		log = redact.DiscardLogger()
	}
	path, err := StatePath(opts.SandboxState)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sandbox state directory %s: %w", dir, err)
	}
	unlock, err := lockFile(ctx, path+".lock", sandboxLockWait)
	if err != nil {
		return nil, err
	}
	all := awsfake.New(awsfake.Options{})
	srv := all.IAM
	st, err := openStore(srv, path)
	if err != nil {
		unlock()
		return nil, fmt.Errorf("sandbox: %w (remove the file to start over)", err)
	}
	others, err := openServices(all, path)
	if err != nil {
		st.close()
		unlock()
		return nil, fmt.Errorf("sandbox: %w (remove the file to start over)", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		st.close()
		unlock()
		return nil, fmt.Errorf("sandbox: listen on loopback: %w", err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if service := awsfake.Service(r); service != "iam" {
			others.serve(w, r, service, log)
			return
		}
		serveSaved(w, r, srv, st, log)
	})
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	url := "http://" + ln.Addr().String()
	log.Info("sandbox", "state", path, "endpoint", url)

	cfg := aws.Config{
		Region:      iamapi.DefaultRegion,
		Credentials: credentials.NewStaticCredentialsProvider(sandboxAccessKeyID, sandboxSecretAccessKey, ""),
		// Against a loopback server this fast the SDK can lose a race with
		// net/http and have a connection closed under a large answer
		// (see iamfake.ClientTransport).
		HTTPClient: &http.Client{Transport: iamfake.ClientTransport(nil)},
	}
	sopts := opts
	sopts.EndpointURL, sopts.RoleARN, sopts.ExternalID = url, "", ""
	c, err := iamapi.NewClientsFromConfig(cfg, sopts, log)
	if err != nil {
		hs.Close()
		st.close()
		unlock()
		return nil, err
	}
	var once sync.Once
	var closeErr error
	c.Close = func() error {
		once.Do(func() {
			// The command is over, no call is in flight: Close, not
			// Shutdown, which waits 5 s for connections the SDK dialed but
			// never used (a concurrent batch leaves some).
			hs.Close()
			closeErr = st.close()
			unlock()
		})
		return closeErr
	}
	return c, nil
}

// errLocked is returned by tryLock when another process holds the lock.
var errLocked = errors.New("locked")

// lockFile takes an exclusive lock on path (created 0600), waiting up to
// wait for another sandbox run to release it.
func lockFile(ctx context.Context, path string, wait time.Duration) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sandbox lock %s: %w", path, err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := tryLock(f)
		if err == nil {
			return func() { unlockFile(f); f.Close() }, nil
		}
		if !errors.Is(err, errLocked) {
			f.Close()
			return nil, fmt.Errorf("sandbox lock %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("sandbox state is in use by another sesprov --sandbox run (lock %s held for %s); try again when it is done", path, wait)
		}
		if err := iamapi.SleepCtx(ctx, 100*time.Millisecond); err != nil {
			f.Close()
			return nil, err
		}
	}
}

// serveSaved answers r, holding the answer back until what it changed is on
// disk.
func serveSaved(w http.ResponseWriter, r *http.Request, srv *iamfake.Server, st *store, log *slog.Logger) {
	c, err := readCall(r)
	if err != nil {
		http.Error(w, "sandbox: read request: "+err.Error(), http.StatusBadRequest)
		return
	}
	held := &heldAnswer{header: http.Header{}}
	srv.ServeHTTP(held, r)
	if err := st.record(c, held.status); err != nil {
		log.Warn("sandbox: saving the state failed", "err", err)
	}
	held.send(w)
}
