package main

import (
	"flag"

	"github.com/sesprov/sesprov/internal/output"
	"github.com/urfave/cli/v2"
)

// Global flag names, their short aliases and the environment variables
// beside them. The SDK's own variables (AWS_PROFILE,
// AWS_REGION, AWS_ENDPOINT_URL*) are read by the SDK as well.
const (
	flgProfile      = "profile"
	flgRegion       = "region"
	flgEndpointURL  = "endpoint-url"
	flgRoleARN      = "role-arn"
	flgExternalID   = "external-id"
	flgSandbox      = "sandbox"
	flgSandboxState = "sandbox-state"
	flgOutput       = "output"
	flgVerbose      = "verbose"
	flgDebug        = "debug"
	flgYes          = "yes"

	alsOutput = "o"
	alsYes    = "y"

	envProfile         = "AWS_PROFILE"
	envRegion          = "AWS_REGION"
	envEndpointURL     = "AWS_ENDPOINT_URL"
	envEndpointURLIAM  = "AWS_ENDPOINT_URL_IAM"
	envEndpointURLSTS  = "AWS_ENDPOINT_URL_STS"
	envRoleARN         = "SESPROV_ROLE_ARN"
	envSandbox         = "SESPROV_SANDBOX"
	envSandboxState    = "SESPROV_SANDBOX_STATE"
	envOutput          = "SESPROV_OUTPUT"
	globalFlagCategory = "GLOBAL OPTIONS"
)

// globalFlags returns the global flags, new each call (urfave records on a
// flag whether its environment variable set it). The app takes them with
// their environment variables; every command takes them again
// (commandGlobalFlags), so that they work after the command too.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flgProfile, EnvVars: []string{envProfile}, Usage: "shared-config `PROFILE` (SSO and assume-role profiles included)"},
		&cli.StringFlag{Name: flgRegion, EnvVars: []string{envRegion}, Usage: "`REGION` of the IAM/STS clients (default us-east-1 when nothing is configured); the SMTP regions are --" + flgRegions},
		&cli.StringFlag{Name: flgEndpointURL, Usage: "IAM/STS endpoint `URL` override (the SDK's " + envEndpointURL + ", " + envEndpointURLIAM + " and " + envEndpointURLSTS + " also work)"},
		&cli.StringFlag{Name: flgRoleARN, EnvVars: []string{envRoleARN}, Usage: "assume role `ARN` first (provision into another account)"},
		&cli.StringFlag{Name: flgExternalID, Usage: "external `ID` for --" + flgRoleARN},
		// SESPROV_SANDBOX is read by sandboxOf (yes/no as well as true/false).
		&cli.BoolFlag{Name: flgSandbox, Usage: "use the embedded iamfake instead of AWS (no account needed; state kept between runs; the AWS environment is ignored; or " + envSandbox + "=yes)"},
		&cli.StringFlag{Name: flgSandboxState, EnvVars: []string{envSandboxState}, Usage: "sandbox state `FILE` (default $XDG_STATE_HOME/sesprov/sandbox.json)"},
		&cli.StringFlag{Name: flgOutput, Aliases: []string{alsOutput}, EnvVars: []string{envOutput}, Value: string(output.FormatTable), Usage: "output `FORMAT`: table, json, csv or env"},
		&cli.BoolFlag{Name: flgVerbose, Usage: "log each step on stderr (secrets are always redacted)"},
		&cli.BoolFlag{Name: flgDebug, Usage: "log every AWS call on stderr (secrets are always redacted)"},
		&cli.BoolFlag{Name: flgYes, Aliases: []string{alsYes}, Usage: "do not ask for confirmation (prompts appear only on a terminal)"},
	}
}

// commandGlobalFlags returns the global flags a command takes after its
// name, in the "GLOBAL OPTIONS" category of its --help, leaving out those
// the command defines itself (delete-user's and migrate's --yes). They read
// no environment variable: the app-level flag does, once, and a value given
// after the command is then the only thing that can override it
// (globalFlagLevels).
func commandGlobalFlags(own []cli.Flag) []cli.Flag {
	taken := map[string]bool{}
	for _, f := range own {
		for _, n := range f.Names() {
			taken[n] = true
		}
	}
	var flags []cli.Flag
next:
	for _, f := range globalFlags() {
		for _, n := range f.Names() {
			if taken[n] {
				continue next
			}
		}
		switch f := f.(type) {
		case *cli.StringFlag:
			f.Category = globalFlagCategory
			flags = append(flags, commandStringFlag{f})
		case *cli.BoolFlag:
			f.Category = globalFlagCategory
			flags = append(flags, commandBoolFlag{f})
		default:
			panic("commandGlobalFlags: no command-level form of global flag --" + f.Names()[0])
		}
	}
	return flags
}

// commandStringFlag and commandBoolFlag are a global flag as a command
// takes it: shown (help, man page, completion) with its environment
// variable, but applied without it. urfave records a value from the
// environment as if it had been given: applied at both levels, the variable
// would hide a value given before the command.
type commandStringFlag struct{ *cli.StringFlag }

func (f commandStringFlag) Apply(set *flag.FlagSet) error {
	noEnv := *f.StringFlag
	noEnv.EnvVars = nil
	return noEnv.Apply(set)
}

type commandBoolFlag struct{ *cli.BoolFlag }

func (f commandBoolFlag) Apply(set *flag.FlagSet) error {
	noEnv := *f.BoolFlag
	noEnv.EnvVars = nil
	return noEnv.Apply(set)
}

// isGlobalFlag reports whether f is a global flag as a command takes it.
func isGlobalFlag(f cli.Flag) bool {
	switch f.(type) {
	case commandStringFlag, commandBoolFlag:
		return true
	}
	return false
}

// ownFlags returns a command's visible flags without the global ones.
func ownFlags(cmd *cli.Command) []cli.Flag {
	var own []cli.Flag
	for _, f := range cmd.VisibleFlags() {
		if !isGlobalFlag(f) {
			own = append(own, f)
		}
	}
	return own
}
