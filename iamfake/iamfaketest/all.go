package iamfaketest

import (
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sesprov/sesprov/iamfake/awsfake"
)

// StartAll serves IAM and the fakes beside it (Secrets Manager, SSM, SES
// v2) on one httptest server, closed by t.Cleanup, and returns them and
// the aws.Config that Start's config is: secretsmanager.NewFromConfig,
// ssm.NewFromConfig, sesv2.NewFromConfig and iam.NewFromConfig all use it
// unchanged.
func StartAll(t testing.TB, opts ...awsfake.Options) (*awsfake.Server, aws.Config) {
	t.Helper()
	var o awsfake.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	srv := awsfake.New(o)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, Config(hs.URL)
}
