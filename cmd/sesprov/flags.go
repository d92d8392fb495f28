package main

// Global flag names and the environment variables beside them. The SDK's own
// variables (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL*) are read by the SDK as
// well.
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

	envProfile      = "AWS_PROFILE"
	envRegion       = "AWS_REGION"
	envEndpointURL  = "AWS_ENDPOINT_URL"
	envRoleARN      = "SESPROV_ROLE_ARN"
	envSandbox      = "SESPROV_SANDBOX"
	envSandboxState = "SESPROV_SANDBOX_STATE"
	envOutput       = "SESPROV_OUTPUT"
)
