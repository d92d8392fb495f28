package main

import (
	"net/http/httptest"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

// cmdIAMFakeStart runs `iamfake-start [iam:Action]...`: an in-process iamfake
// for the rest of the script, whose policy simulator denies the actions
// given. It points the SDK at it (AWS_ENDPOINT_URL, test credentials,
// AWS_REGION) so `exec sesprov ...` talks to it with no flag.
func cmdIAMFakeStart(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! iamfake-start")
	}
	srv := iamfake.New(iamfake.Options{})
	srv.DenyActions(args...)
	hs := httptest.NewServer(srv)
	ts.Defer(hs.Close)
	ts.Setenv("AWS_ENDPOINT_URL", hs.URL)
	ts.Setenv("AWS_ACCESS_KEY_ID", iamfaketest.AccessKeyID)
	ts.Setenv("AWS_SECRET_ACCESS_KEY", iamfaketest.SecretAccessKey)
	ts.Setenv("AWS_REGION", iamfaketest.Region)
}
