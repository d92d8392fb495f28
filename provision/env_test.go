package provision_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/iamapi"
)

// env is an iamfake on loopback and the real SDK clients pointed at it.
type env struct {
	t   *testing.T
	srv *iamfake.Server
	iam *iam.Client
	sts *sts.Client
	ctx context.Context
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv, cfg := iamfaketest.Start(t)
	ctx := iamapi.WithConsistencyTimeout(context.Background(), 2*time.Second)
	return &env{t: t, srv: srv, iam: iam.NewFromConfig(cfg), sts: sts.NewFromConfig(cfg), ctx: ctx}
}
