// Command iamfake serves an in-memory IAM account (and STS
// GetCallerIdentity) over IAM's Query protocol, and on the same endpoint
// Secrets Manager, SSM Parameter Store, SES v2 and Organizations
// (iamfake/awsfake), for
// tests and for trying sesprov without AWS:
//
//	iamfake --listen 127.0.0.1:0 --state iam.json
//	aws --endpoint-url http://127.0.0.1:PORT iam list-users
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/awsfake"
)

const (
	flgListen      = "listen"
	flgState       = "state"
	flgAccountID   = "account-id"
	flgLatency     = "latency"
	flgRateLimit   = "rate-limit"
	flgConsistency = "consistency-delay"
	flgDeny        = "deny-actions"
	flgVerbose     = "verbose"
	flgSESProd     = "ses-production-access"
	flgSESVerify   = "ses-auto-verify"
	flgOrgAccounts = "org-accounts"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("iamfake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: iamfake --listen ADDR [--state FILE] [--account-id ID]\n\n"+
			"Serves an in-memory IAM (and STS GetCallerIdentity), Secrets Manager, SSM\n"+
			"Parameter Store, SES v2 and Organizations on http://ADDR.\n"+
			"Example: iamfake --listen 127.0.0.1:0 --state iam.json\n\n")
		fs.PrintDefaults()
	}
	listen := fs.String(flgListen, "127.0.0.1:0", "address to listen on; port 0 picks a free port")
	statePath := fs.String(flgState, "", "JSON file the account is loaded from at start and saved to after every change (mode 0600);\n"+
		"the other services' state goes next to it (FILE.secretsmanager.json, FILE.ssm.json, FILE.sesv2.json: secret values included)")
	accountID := fs.String(flgAccountID, "123456789012", "12-digit account ID in ARNs and GetCallerIdentity")
	latency := fs.Duration(flgLatency, 0, "delay added to every call")
	rate := fs.Float64(flgRateLimit, 0, "calls per second before answering Throttling (0 = no limit)")
	consistency := fs.Duration(flgConsistency, 0, "new entities stay unseen by reads for this long (eventual consistency)")
	deny := fs.String(flgDeny, "", "comma-separated actions SimulatePrincipalPolicy denies, e.g. iam:CreateUser")
	verbose := fs.Bool(flgVerbose, false, "log every call (action, status, duration) to stderr")
	sesProd := fs.Bool(flgSESProd, false, "SES regions are out of the SES sandbox (production access)")
	sesVerify := fs.Bool(flgSESVerify, false, "SES identities are verified as soon as they are created")
	orgAccounts := fs.String(flgOrgAccounts, "", "comma-separated 12-digit account IDs: an AWS Organizations organization managed by\n"+
		"--account-id with these member accounts (unless the state file already holds an organization)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "iamfake: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if len(*accountID) != 12 || strings.Trim(*accountID, "0123456789") != "" {
		fmt.Fprintf(stderr, "iamfake: --account-id %q: want 12 digits\n", *accountID)
		return 2
	}

	var members []string
	if *orgAccounts != "" {
		for _, id := range strings.Split(*orgAccounts, ",") {
			if id = strings.TrimSpace(id); len(id) != 12 || strings.Trim(id, "0123456789") != "" {
				fmt.Fprintf(stderr, "iamfake: --%s: %q is not a 12-digit account ID\n", flgOrgAccounts, id)
				return 2
			}
			members = append(members, id)
		}
	}

	srv := awsfake.New(awsfake.Options{IAM: iamfake.Options{AccountID: *accountID}, SESProductionAccess: *sesProd, SESAutoVerify: *sesVerify})
	paths := awsfake.StatePaths(*statePath)
	if *statePath != "" {
		if err := srv.LoadFiles(paths); err != nil {
			fmt.Fprintf(stderr, "iamfake: %v\n", err)
			return 1
		}
	}
	if *sesProd {
		srv.SESv2.SetProductionAccess("", true) // regions loaded from the state file too
	}
	if err := createOrganization(srv.Organizations, members); err != nil {
		fmt.Fprintf(stderr, "iamfake: %v\n", err)
		return 1
	}
	addMemberAccounts(srv.IAM, members)
	srv.IAM.SetLatency(*latency)
	if *rate > 0 {
		srv.IAM.SetRateLimit(*rate, max(1, int(*rate)))
	}
	srv.IAM.SetConsistencyDelay(*consistency)
	if *deny != "" {
		srv.IAM.DenyActions(strings.Split(*deny, ",")...)
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "iamfake: listen: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "iamfake listening on http://%s\n", ln.Addr())

	saver := &saver{srv: srv, paths: paths, stderr: stderr, verbose: *verbose}
	hs := &http.Server{Handler: saver, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()

	select {
	case <-ctx.Done():
	case err := <-errc:
		fmt.Fprintf(stderr, "iamfake: serve: %v\n", err)
		return 1
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(shutdownCtx)
	if err := saver.save(true); err != nil {
		fmt.Fprintf(stderr, "iamfake: %v\n", err)
		return 1
	}
	return 0
}

// saver serves the fake and saves the state after every call that changed it.
type saver struct {
	srv    *awsfake.Server
	paths  awsfake.Paths
	stderr io.Writer

	verbose bool

	mu    sync.Mutex
	saved uint64
}

func (h *saver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	h.srv.ServeHTTP(sw, r)
	if h.verbose {
		status := fmt.Sprint(sw.status)
		if sw.hijacked {
			status = "dropped"
		} else if sw.status == 0 {
			status = "200"
		}
		// Parameters are not logged: the call log has them, passwords redacted.
		fmt.Fprintf(h.stderr, "iamfake: %s %s %s\n", operation(r), status, time.Since(start).Round(time.Microsecond))
	}
	if err := h.save(false); err != nil {
		fmt.Fprintf(h.stderr, "iamfake: %v\n", err)
	}
}

// statusWriter records the status answered, and passes Hijack through so
// that a DropResponse fault can still close the connection.
type statusWriter struct {
	http.ResponseWriter
	status   int
	hijacked bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("iamfake: connection cannot be hijacked")
	}
	w.hijacked = true
	return hj.Hijack()
}

func (h *saver) save(force bool) error {
	if h.paths.IAM == "" {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	n := h.srv.Changes()
	if n == h.saved && !force {
		return nil
	}
	if err := h.srv.SaveFiles(h.paths); err != nil {
		return err
	}
	h.saved = n
	return nil
}

// operation names a call for the verbose log: IAM's Action, the JSON
// services' X-Amz-Target, SES v2's method and path.
func operation(r *http.Request) string {
	switch awsfake.Service(r) {
	case "iam":
		return r.Form.Get("Action")
	case "sesv2":
		return r.Method + " " + r.URL.Path
	}
	return r.Header.Get("X-Amz-Target")
}
