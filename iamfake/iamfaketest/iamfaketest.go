// Package iamfaketest starts an iamfake server for a Go test and gives the
// aws.Config that points the real SDK clients at it (StartMoto does the same
// for moto_server, in the interoperability tests).
//
//	srv, cfg := iamfaketest.Start(t)
//	client := iam.NewFromConfig(cfg)
//	srv.Inject(iamfake.Fault{Action: "CreateAccessKey", Code: "Throttling"})
package iamfaketest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/sesprov/sesprov/iamfake"
)

// Test credentials: not the key of any user in the account, so requests
// signed with them are the operator's (user/iamfake).
const (
	AccessKeyID     = "AKIAIAMFAKETESTKEY00"
	SecretAccessKey = "iamfake/test/secret/not/a/real/one/0000"
	Region          = "us-east-1"
)

// Start serves a new iamfake on 127.0.0.1 (httptest), closed by t.Cleanup,
// and returns the server and an aws.Config (static test credentials, region
// us-east-1, BaseEndpoint set to the server URL, retryer tuned for tests:
// the SDK's standard retryer with short backoff) that iam.NewFromConfig and
// sts.NewFromConfig use unchanged.
func Start(t testing.TB, opts ...iamfake.Options) (*iamfake.Server, aws.Config) {
	t.Helper()
	var o iamfake.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	srv := iamfake.New(o)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, Config(hs.URL)
}

// Config is the aws.Config for an iamfake at url (a server started by
// other means, e.g. `iamfake --listen`).
func Config(url string) aws.Config {
	return aws.Config{
		Region: Region,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey, Source: "iamfaketest"}, nil
		}),
		BaseEndpoint: aws.String(url),
		HTTPClient:   &http.Client{Transport: transport},
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				o.MaxBackoff = 20 * time.Millisecond
				o.RateLimiter = noRateLimit{}
			})
		},
	}
}

// noRateLimit lets tests inject any number of retryable faults without the
// standard retryer's client-side retry quota running out.
type noRateLimit struct{}

func (noRateLimit) GetToken(context.Context, uint) (func() error, error) {
	return func() error { return nil }, nil
}

func (noRateLimit) AddTokens(uint) error { return nil }

// InProcess returns an aws.Config whose HTTP client calls srv directly
// (srv is the Transport): no listener, no socket. BaseEndpoint is a
// placeholder URL that is never resolved.
func InProcess(srv *iamfake.Server) aws.Config {
	cfg := Config("http://iamfake.invalid")
	cfg.HTTPClient = &http.Client{Transport: srv}
	return cfg
}

// transport is shared by every Config: one connection pool per test binary.
var transport = func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return iamfake.ClientTransport(t)
}()

// Reset empties the account of the iamfake (or moto_server) at url, as
// suites written for moto do between tests: POST /moto-api/reset.
func Reset(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+iamfake.ResetPath, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		return fmt.Errorf("reset %s: %w", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset %s: %s", url, resp.Status)
	}
	return nil
}
