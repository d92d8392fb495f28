package createuser_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/provision/createuser"
)

// BenchmarkCreateUser measures one create-user (group and policy in place)
// through the real SDK over loopback HTTP to iamfake, and reports the IAM
// calls it makes.
func BenchmarkCreateUser(b *testing.B) {
	srv, cfg := iamfaketest.Start(b)
	api, stsc := iam.NewFromConfig(cfg), sts.NewFromConfig(cfg)
	rs := regions(nil, "us-east-1", "eu-west-1")
	deps := createuser.Deps{IAM: api, STS: stsc}
	ctx := context.Background()
	if err := runCLI(ctx, createuser.Options{UserNames: []string{"warmup"}, Regions: rs, Format: output.FormatJSON}, deps, io.Discard, io.Discard); err != nil {
		b.Fatal(err)
	}
	srv.ResetCalls()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		in := createuser.Options{UserNames: []string{fmt.Sprintf("bench-%d", i)}, Regions: rs, Format: output.FormatJSON}
		if err := runCLI(ctx, in, deps, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(srv.Calls()))/float64(b.N), "calls/user")
}
