// Package provision is sesprov's workflow engine and the logic of its commands.
//
// Every command is a plain function that takes a typed input and its dependencies
// (an IAM client, an STS client, writers) and returns an error. The CLI in
// cmd/sesprov only binds flags into those inputs and maps errors to exit codes.
//
// The engine follows one rule everywhere: read IAM, decide (the plan, which
// --dry-run prints), then act; every mutation is safe to repeat, so a command cut
// short at any point and run again converges on the right state.
package provision
