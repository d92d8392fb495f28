package provision

// ClientOptions are the global flags that choose where IAM and STS calls go.
type ClientOptions struct {
	Profile      string // --profile / AWS_PROFILE
	Region       string // --region / AWS_REGION
	EndpointURL  string // --endpoint-url (the SDK's AWS_ENDPOINT_URL* work too)
	RoleARN      string // --role-arn / SESPROV_ROLE_ARN
	ExternalID   string // --external-id
	Sandbox      bool   // --sandbox / SESPROV_SANDBOX=1
	SandboxState string // --sandbox-state
	Debug        bool   // --debug: log every AWS call
}
