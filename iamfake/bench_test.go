package iamfake_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/sesprov/sesprov/iamfake"
	"github.com/sesprov/sesprov/iamfake/iamfaketest"
)

// serve calls the handler in process: the engine's own cost, no network.
func serve(b *testing.B, srv *iamfake.Server, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("%s: %d %s", form.Get("Action"), rec.Code, rec.Body.String())
	}
	return rec
}

func seedUsers(b *testing.B, srv *iamfake.Server, n int) {
	for i := range n {
		serve(b, srv, url.Values{"Action": {"CreateUser"}, "Version": {"2010-05-08"}, "UserName": {fmt.Sprintf("user%05d", i)}})
	}
	srv.ResetCalls()
}

func BenchmarkCreateUserInProcess(b *testing.B) {
	srv := iamfake.New(iamfake.Options{UsersQuota: -1})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		serve(b, srv, url.Values{"Action": {"CreateUser"}, "Version": {"2010-05-08"}, "UserName": {fmt.Sprintf("u%08d", i)}})
	}
}

func BenchmarkGetUserInProcess10k(b *testing.B) {
	srv := iamfake.New(iamfake.Options{UsersQuota: -1})
	seedUsers(b, srv, 10000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		serve(b, srv, url.Values{"Action": {"GetUser"}, "Version": {"2010-05-08"}, "UserName": {fmt.Sprintf("user%05d", i%10000)}})
	}
}

// A page of 100 from the middle of 10,000 users.
func BenchmarkListUsersPageInProcess10k(b *testing.B) {
	srv := iamfake.New(iamfake.Options{UsersQuota: -1})
	seedUsers(b, srv, 10000)
	// Find a marker half-way through.
	form := url.Values{"Action": {"ListUsers"}, "Version": {"2010-05-08"}, "MaxItems": {"1000"}}
	var marker string
	for range 5 {
		if marker != "" {
			form.Set("Marker", marker)
		}
		body := serve(b, srv, form).Body.String()
		i := strings.Index(body, "<Marker>")
		marker = body[i+8 : strings.Index(body, "</Marker>")]
	}
	form = url.Values{"Action": {"ListUsers"}, "Version": {"2010-05-08"}, "Marker": {marker}}
	b.ReportAllocs()
	for b.Loop() {
		serve(b, srv, form)
	}
}

// Every page of 10,000 users through the real SDK paginator over HTTP.
func BenchmarkListAllUsersSDK10k(b *testing.B) {
	srv, cfg := iamfaketest.Start(b, iamfake.Options{UsersQuota: -1})
	seedUsers(b, srv, 10000)
	c := iam.NewFromConfig(cfg)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(1000)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				b.Fatal(err)
			}
			n += len(out.Users)
		}
		if n != 10000 {
			b.Fatalf("listed %d", n)
		}
	}
}

// The SES provisioning calls for one user through the real SDK over HTTP.
func BenchmarkProvisionUserSDK(b *testing.B) {
	srv, cfg := iamfaketest.Start(b, iamfake.Options{UsersQuota: -1})
	_ = srv
	c := iam.NewFromConfig(cfg)
	ctx := context.Background()
	g := aws.String("AWSSESSendingGroupDoNotRename")
	if _, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: g}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		name := aws.String(fmt.Sprintf("smtp%07d", i))
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: name}); err != nil {
			b.Fatal(err)
		}
		if _, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: g, UserName: name}); err != nil {
			b.Fatal(err)
		}
		if _, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: name}); err != nil {
			b.Fatal(err)
		}
	}
}
