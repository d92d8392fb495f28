package deliver

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// SecretsManager lists every Secrets Manager call sesprov makes, with the
// SDK's exact signatures; *secretsmanager.Client satisfies it.
type SecretsManager interface {
	CreateSecret(context.Context, *secretsmanager.CreateSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error)
	PutSecretValue(context.Context, *secretsmanager.PutSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
}

// SSM lists every SSM call sesprov makes; *ssm.Client satisfies it.
type SSM interface {
	PutParameter(context.Context, *ssm.PutParameterInput, ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
	DescribeParameters(context.Context, *ssm.DescribeParametersInput, ...func(*ssm.Options)) (*ssm.DescribeParametersOutput, error)
}

// Stores are the clients of the secret stores a run may write to.
type Stores struct {
	SecretsManager SecretsManager
	SSM            SSM
}

// NewStores builds the store clients from cfg, the aws.Config the run's IAM
// client was built from (credentials, endpoint, retryer), in region, or
// cfg's region when region is empty.
func NewStores(cfg aws.Config, region string) Stores {
	if region != "" {
		cfg.Region = region
	}
	return Stores{SecretsManager: secretsmanager.NewFromConfig(cfg), SSM: ssm.NewFromConfig(cfg)}
}
