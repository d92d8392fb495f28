package iamapi

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
)

// SES is the part of the SES v2 API sesprov calls (doctor's readiness
// checks). SES is regional: one client per region.
type SES interface {
	GetAccount(context.Context, *sesv2.GetAccountInput, ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error)
	GetEmailIdentity(context.Context, *sesv2.GetEmailIdentityInput, ...func(*sesv2.Options)) (*sesv2.GetEmailIdentityOutput, error)
}

// SESv2 returns an SES v2 client for region, built from the same
// aws.Config as the IAM client: the same credentials, retryer and
// --endpoint-url; without --endpoint-url the SDK honours
// AWS_ENDPOINT_URL_SESV2 (and AWS_ENDPOINT_URL) itself.
func (c *Clients) SESv2(region string) SES {
	return sesv2.NewFromConfig(c.Config, func(o *sesv2.Options) { o.Region = region })
}
