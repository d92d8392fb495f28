// Package awsfake serves iamfake's IAM and the fakes beside it (Secrets
// Manager, SSM Parameter Store, SES v2, Organizations) on one endpoint, as
// moto_server serves every service on one port: an SDK configured with one
// AWS_ENDPOINT_URL (or BaseEndpoint) reaches them all. Each service keeps
// its own state; this package only routes requests and bundles the
// services' persistence.
package awsfake

import (
	"net/http"
	"strings"

	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/organizations"
	"github.com/sesprov/sesprov/iamfake/secretsmanager"
	"github.com/sesprov/sesprov/iamfake/sesv2"
	"github.com/sesprov/sesprov/iamfake/ssm"
)

// Options configure a Server. The account ID and clock of IAM's options
// are every service's.
type Options struct {
	IAM iamfake.Options

	SESProductionAccess bool // SES regions start out of the sandbox
	SESAutoVerify       bool // SES identities are verified when created
}

// Server routes each request to its service's fake. The fields are the
// services, for their test controls (faults, SES sandbox, verification).
type Server struct {
	IAM            *iamfake.Server
	SecretsManager *secretsmanager.Server
	SSM            *ssm.Server
	SESv2          *sesv2.Server
	Organizations  *organizations.Server // no organization until one is made (CreateOrganization)
}

// New returns the services, empty.
func New(opts Options) *Server {
	iam := iamfake.New(opts.IAM)
	account, now := iam.AccountID(), opts.IAM.Now
	return &Server{
		IAM:            iam,
		SecretsManager: secretsmanager.New(secretsmanager.Options{AccountID: account, Now: now}),
		SSM:            ssm.New(ssm.Options{AccountID: account, Now: now}),
		SESv2: sesv2.New(sesv2.Options{AccountID: account, Now: now,
			ProductionAccess: opts.SESProductionAccess, AutoVerify: opts.SESAutoVerify}),
		Organizations: organizations.New(organizations.Options{AccountID: account, Now: now}),
	}
}

// Service names the service a request is for: "secretsmanager", "ssm",
// "organizations" and "sesv2" by the JSON protocols' X-Amz-Target or SES
// v2's path, "iam" (IAM's and STS's Query protocol) otherwise.
func Service(r *http.Request) string {
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, secretsmanager.TargetPrefix):
		return "secretsmanager"
	case strings.HasPrefix(target, ssm.TargetPrefix):
		return "ssm"
	case strings.HasPrefix(target, organizations.TargetPrefix):
		return "organizations"
	case strings.HasPrefix(r.URL.Path, sesv2.PathPrefix):
		return "sesv2"
	}
	return "iam"
}

// ServeHTTP hands the request to its service.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler(Service(r)).ServeHTTP(w, r)
}

func (s *Server) handler(service string) http.Handler {
	switch service {
	case "secretsmanager":
		return s.SecretsManager
	case "ssm":
		return s.SSM
	case "sesv2":
		return s.SESv2
	case "organizations":
		return s.Organizations
	}
	return s.IAM
}

// Changes is the sum of the services' change counts: save when it moves.
func (s *Server) Changes() uint64 {
	return s.IAM.Changes() + s.SecretsManager.Changes() + s.SSM.Changes() + s.SESv2.Changes() + s.Organizations.Changes()
}
