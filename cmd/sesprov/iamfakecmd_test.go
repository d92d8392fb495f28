package main

import "github.com/rogpeppe/go-internal/testscript"

// cmdIAMFakeDeny runs `iamfake-deny iam:Action...`: the script's iamfake
// policy simulator (SimulatePrincipalPolicy) answers implicitDeny for these
// actions from now on; with no action, it allows everything again.
func cmdIAMFakeDeny(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! iamfake-deny")
	}
	srv := scriptFake(ts)
	srv.AllowAllActions()
	srv.DenyActions(args...)
}
