// Package provision holds what every sesprov workflow shares: the engine
// (Run, Step, Plan, cleanups), the sending access (the group and its policy),
// the one SMTP-user classifier (Classify), the paged account scan, the
// regions tag, typed Notices and the one worker pool (ForEach).
//
// Each workflow is a package below it (createuser, rotate, deleteuser, list,
// migrate, convert, verify, doctor, audit, scope) with Options, a Run and a
// typed result or sink; the CLI in cmd/sesprov binds flags into Options,
// renders the result and maps errors to exit codes.
//
// The engine follows one rule everywhere: read IAM, decide (the plan, which
// --dry-run prints), then act; every mutation is safe to repeat, so a command
// cut short at any point and run again converges on the right state.
package provision
