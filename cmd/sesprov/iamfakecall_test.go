package main

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdIAMFakeCall runs `iamfake-call ACTION [Param=Value]...`: one IAM call
// made directly on the script's iamfake (no SDK, no credentials), whose XML
// answer becomes the command's stdout. Scripts use it to set up what
// sesprov does not make (the console's legacy users, inline policies) and
// to read IAM's state back. It fails on an error answer unless negated.
// Calls it makes appear in the call log: iamfake-reset after setting up.
func cmdIAMFakeCall(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: iamfake-call ACTION [Param=Value]...")
	}
	form := url.Values{"Action": {args[0]}, "Version": {"2010-05-08"}}
	for _, a := range args[1:] {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("iamfake-call: %q is not Param=Value", a)
		}
		form.Add(k, v)
	}
	req := httptest.NewRequest("POST", "/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	scriptFake(ts).ServeHTTP(rec, req)
	ts.Stdout().Write(rec.Body.Bytes())
	failed := rec.Code >= 300
	if failed != neg {
		ts.Fatalf("iamfake-call %s: HTTP %d: %s", args[0], rec.Code, rec.Body.String())
	}
}

// cmdIAMFakeConsistency runs `iamfake-consistency DURATION`: what is made
// from now on stays unseen by reads for DURATION (IAM's eventual
// consistency); 0 turns it off.
func cmdIAMFakeConsistency(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: iamfake-consistency DURATION")
	}
	d, err := time.ParseDuration(args[0])
	if err != nil {
		ts.Fatalf("iamfake-consistency: %v", err)
	}
	scriptFake(ts).SetConsistencyDelay(d)
}
