package iamapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/sesprov/sesprov/internal/lazyre"
	"github.com/sesprov/sesprov/internal/redact"
)

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

	// RetryMaxBackoff caps the SDK retryer's wait between attempts; 0 means
	// the default (20 s, and up to 2 s after the first failure). No flag or
	// environment variable sets it: tests shorten it so that a retried call
	// does not wait seconds.
	RetryMaxBackoff time.Duration

	// SessionName is the role session name used with RoleARN; CloudTrail shows
	// it, so it says who ran sesprov. Empty means "sesprov".
	SessionName string
}

// Clients are the IAM and STS clients of one sesprov run. Close releases what
// the run holds (the sandbox saves its state and drops its lock); it is safe
// to call more than once.
type Clients struct {
	IAM   IAM
	STS   STS
	Close func() error

	// Config is the aws.Config the clients were built from (region,
	// credentials, retryer, endpoint). Clients of other services of the same
	// account are built from here (the secret stores': deliver.NewStores).
	Config aws.Config

	// Limiter paces every IAM call of the run and adapts to Throttling
	// (see ratelimit.go).
	Limiter *AdaptiveLimiter
}

// DefaultRegion is the region of the IAM and STS clients when nothing is
// configured: IAM is global and its endpoint lives in us-east-1.
const DefaultRegion = "us-east-1"

// Retry tuning for IAM. IAM's request rate limits cannot be raised and
// throttling is common when many users are provisioned, so sesprov retries
// more (and waits longer) than the SDK's default of 3 attempts.
const (
	retryMaxAttempts = 8
	retryMaxBackoff  = 20 * time.Second
)

// retryableCodes are IAM error codes that are safe to retry on every call
// sesprov makes, beyond the SDK's defaults (Throttling, 5xx, connection
// resets, timeouts). ConcurrentModification answers CreateUser, CreatePolicy
// and TagUser under concurrent changes; every such call is idempotent here
// because EntityAlreadyExists is handled as an outcome.
var retryableCodes = map[string]struct{}{
	"ConcurrentModification": {},
	"ServiceFailure":         {},
	"ServiceUnavailable":     {},
}

// NewRetryer returns the retryer sesprov's clients use: the SDK's standard
// retryer with more attempts, a 20 s backoff cap, no client-side retry quota
// (a long batch under throttling must not run out of retry tokens), and the
// extra retryable codes above. An AWS_MAX_ATTEMPTS or max_attempts setting
// still wins when it is given (maxAttempts > 0).
func NewRetryer(maxAttempts int) aws.Retryer {
	return newRetryer(maxAttempts, 0)
}

// newRetryer is NewRetryer with the backoff cap (0: retryMaxBackoff).
func newRetryer(maxAttempts int, maxBackoff time.Duration) aws.Retryer {
	if maxAttempts <= 0 {
		maxAttempts = retryMaxAttempts
	}
	if maxBackoff <= 0 {
		maxBackoff = retryMaxBackoff
	}
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.MaxBackoff = maxBackoff
		o.RateLimiter = ratelimit.None
		o.Retryables = append(o.Retryables, retry.RetryableErrorCode{Codes: retryableCodes})
	})
}

// NewClients builds the IAM and STS clients of a run from the SDK's default
// configuration chain (environment, shared config and credentials files, SSO,
// container and instance roles) and opts. The sandbox's clients come from
// package sandbox instead.
func NewClients(ctx context.Context, opts ClientOptions, log *slog.Logger) (*Clients, error) {
	if log == nil {
		log = redact.DiscardLogger()
	}
	// The SDK's own warnings (e.g. about instance metadata) go to the
	// debug log, not bare to stderr.
	loadOpts := []func(*config.LoadOptions) error{config.WithLogger(sdkLogger(log))}
	if opts.Profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(opts.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", profileError(err))
	}
	return NewClientsFromConfig(cfg, opts, log)
}

func NewClientsFromConfig(cfg aws.Config, opts ClientOptions, log *slog.Logger) (*Clients, error) {
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if opts.EndpointURL != "" {
		// BaseEndpoint wins over AWS_ENDPOINT_URL*, which the SDK reads
		// itself when it is not set.
		cfg.BaseEndpoint = aws.String(opts.EndpointURL)
	}
	cfg.Logger = sdkLogger(log)
	maxAttempts := cfg.RetryMaxAttempts
	cfg.Retryer = func() aws.Retryer { return newRetryer(maxAttempts, opts.RetryMaxBackoff) }
	if opts.Debug {
		cfg.APIOptions = append(cfg.APIOptions, callLogger(log))
	}
	if opts.RoleARN != "" {
		session := sessionName(opts.SessionName)
		stsClient := sts.NewFromConfig(cfg)
		provider := stscreds.NewAssumeRoleProvider(stsClient, opts.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = session
			if opts.ExternalID != "" {
				o.ExternalID = aws.String(opts.ExternalID)
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
	}
	if cfg.Credentials != nil {
		cfg.Credentials = hintedCredentials{cfg.Credentials}
	}
	lim := NewAdaptiveLimiter()
	return &Clients{
		IAM:     iam.NewFromConfig(cfg, lim.IAMOption()),
		STS:     sts.NewFromConfig(cfg, NewAdaptiveLimiter().STSOption()),
		Close:   func() error { return nil },
		Config:  cfg,
		Limiter: lim,
	}, nil
}

var sessionNameBad = lazyre.New(`[^\w+=,.@-]`)

// sessionName makes a valid RoleSessionName (2–64 of [\w+=,.@-]) from name.
func sessionName(name string) string {
	if name == "" {
		return "sesprov"
	}
	s := sessionNameBad.ReplaceAllString(name, "-")
	if len(s) > 64 {
		s = s[:64]
	}
	if len(s) < 2 {
		s = "sesprov-" + s
	}
	return s
}

// callLogger logs every attempt of every AWS call at debug level: service,
// operation, duration and error code. It never logs a request or response
// body: CreateAccessKey's response holds the secret access key.
func callLogger(log *slog.Logger) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("sesprovCallLog",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				start := time.Now()
				out, md, err := next.HandleDeserialize(ctx, in)
				attrs := []any{
					slog.String("service", awsmiddleware.GetServiceID(ctx)),
					slog.String("op", awsmiddleware.GetOperationName(ctx)),
					slog.Duration("took", time.Since(start).Round(time.Millisecond)),
				}
				if err != nil {
					attrs = append(attrs, slog.String("code", ErrorCode(err)))
				}
				log.Debug("aws call", attrs...)
				return out, md, err
			}), middleware.Before)
	}
}

// sdkLogger sends the SDK's log lines to log at debug level.
func sdkLogger(log *slog.Logger) logging.Logger {
	return logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
		log.Debug("aws sdk", "class", string(c), "msg", fmt.Sprintf(format, v...))
	})
}

// ErrorCode returns the AWS error code of err ("NoSuchEntity", "Throttling",
// …), "RequestCanceled" for a cancelled context, or "" if err carries none.
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if errors.Is(err, context.Canceled) {
		return "RequestCanceled"
	}
	var se *smithyhttp.RequestSendError
	if errors.As(err, &se) {
		return "NetworkError"
	}
	return ""
}

// HasCode reports whether err is an AWS API error with one of codes.
func HasCode(err error, codes ...string) bool {
	c := ErrorCode(err)
	for _, want := range codes {
		if c == want {
			return true
		}
	}
	return false
}
