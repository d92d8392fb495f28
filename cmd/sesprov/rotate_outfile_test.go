package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sesprov/sesprov/iamfake"
)

// A rotation that fails before delivery removes only what it wrote: a file
// something else created at the --out-file path during the run stays. (Found
// in review: the deferred cleanup removed the path whatever was there.)
func TestRotateKeepsAnOutFileItDidNotCreate(t *testing.T) {
	isolateAWSEnv(t)
	srv := iamfake.New(iamfake.Options{})
	path := filepath.Join(t.TempDir(), "creds.txt")
	var rotating atomic.Bool
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if rotating.Load() && strings.Contains(string(body), "Action=CreateAccessKey") {
			// Someone else writes the path while the rotation runs; the
			// rotation then fails before delivering.
			if err := os.WriteFile(path, []byte("someone else's\n"), 0o600); err != nil {
				t.Error(err)
			}
			srv.Inject(iamfake.Fault{Action: "CreateAccessKey", Code: "AccessDenied"})
		}
		srv.ServeHTTP(w, r)
	}))
	defer hs.Close()
	if r := runMain(t, nil, "--endpoint-url", hs.URL, "create-user", "--user-name", "m", "--regions", "eu-west-1"); r.code != 0 {
		t.Fatalf("create-user: exit %d: %s", r.code, r.stderr)
	}
	rotating.Store(true)
	r := runMain(t, nil, "--endpoint-url", hs.URL, "rotate", "--user-name", "m", "--regions", "eu-west-1", "--out-file", path)
	if r.code != 1 || !strings.Contains(r.stderr, "CreateAccessKey") {
		t.Fatalf("rotate: exit %d, want 1 naming CreateAccessKey: %s", r.code, r.stderr)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "someone else's\n" {
		t.Fatalf("the file someone else made at the --out-file path: %q, %v", got, err)
	}
	if tmp, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".sesprov-outfile-*")); len(tmp) != 0 {
		t.Fatalf("temporary file left: %v", tmp)
	}
}
