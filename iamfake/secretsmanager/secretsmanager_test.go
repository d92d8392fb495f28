package secretsmanager_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sm "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/iamfake/secretsmanager"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func start(t *testing.T) (*secretsmanager.Server, *sm.Client, *clock) {
	t.Helper()
	clk := &clock{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	srv := secretsmanager.New(secretsmanager.Options{AccountID: "111122223333", Now: clk.Now})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, sm.NewFromConfig(iamfaketest.Config(hs.URL)), clk
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return "ok"
}

const tok1 = "11111111-1111-4111-8111-111111111111"
const tok2 = "22222222-2222-4222-8222-222222222222"

func TestCreateGetPutVersions(t *testing.T) {
	ctx := context.Background()
	_, c, _ := start(t)
	out, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("app/smtp"), SecretString: aws.String("v1"),
		ClientRequestToken: aws.String(tok1), KmsKeyId: aws.String("alias/mine"), Description: aws.String("d"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("mail")}}})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.ARN)
	if want := "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/smtp-"; len(arn) != len(want)+6 || arn[:len(want)] != want {
		t.Errorf("ARN %s", arn)
	}
	if aws.ToString(out.VersionId) != tok1 {
		t.Errorf("VersionId %s, want the token", aws.ToString(out.VersionId))
	}
	put, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String(arn), SecretString: aws.String("v2"), ClientRequestToken: aws.String(tok2)})
	if err != nil || aws.ToString(put.VersionId) != tok2 || len(put.VersionStages) != 1 || put.VersionStages[0] != "AWSCURRENT" {
		t.Fatalf("put: %+v %v", put, err)
	}
	for _, tc := range []struct{ id, stage, vid, want string }{
		{"app/smtp", "", "", "v2"},
		{arn, "AWSPREVIOUS", "", "v1"},
		{arn[:len(arn)-7], "", tok1, "v1"}, // partial ARN
		{"app/smtp", "AWSCURRENT", tok2, "v2"},
	} {
		in := &sm.GetSecretValueInput{SecretId: aws.String(tc.id)}
		if tc.stage != "" {
			in.VersionStage = aws.String(tc.stage)
		}
		if tc.vid != "" {
			in.VersionId = aws.String(tc.vid)
		}
		g, err := c.GetSecretValue(ctx, in)
		if err != nil || aws.ToString(g.SecretString) != tc.want {
			t.Errorf("get %+v: %v %v", tc, g, err)
		}
	}
	_, err = c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("app/smtp"), VersionId: aws.String(tok1), VersionStage: aws.String("AWSCURRENT")})
	if code(err) != "InvalidRequestException" {
		t.Errorf("mismatched id and stage: %v", err)
	}
	d, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("app/smtp")})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.VersionIdsToStages) != 2 || d.VersionIdsToStages[tok1][0] != "AWSPREVIOUS" || aws.ToString(d.KmsKeyId) != "alias/mine" ||
		len(d.Tags) != 1 || aws.ToString(d.Description) != "d" || d.LastAccessedDate == nil {
		t.Errorf("describe: %+v", d)
	}
}

func TestIdempotentTokens(t *testing.T) {
	ctx := context.Background()
	_, c, _ := start(t)
	create := func(val string) (*sm.CreateSecretOutput, error) {
		return c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("s"), SecretString: aws.String(val), ClientRequestToken: aws.String(tok1)})
	}
	first, err := create("a")
	if err != nil {
		t.Fatal(err)
	}
	again, err := create("a")
	if err != nil || aws.ToString(again.ARN) != aws.ToString(first.ARN) || aws.ToString(again.VersionId) != tok1 {
		t.Errorf("same token and value: %v %v", again, err)
	}
	if _, err := create("b"); code(err) != "ResourceExistsException" {
		t.Errorf("same token, other value: %v", err)
	}
	if _, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("s"), SecretString: aws.String("a")}); code(err) != "ResourceExistsException" {
		t.Errorf("other token: %v", err)
	}
	put := func(val string) (*sm.PutSecretValueOutput, error) {
		return c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("s"), SecretString: aws.String(val), ClientRequestToken: aws.String(tok2)})
	}
	if _, err := put("c"); err != nil {
		t.Fatal(err)
	}
	if p, err := put("c"); err != nil || aws.ToString(p.VersionId) != tok2 {
		t.Errorf("put retried: %v %v", p, err)
	}
	if _, err := put("d"); code(err) != "ResourceExistsException" {
		t.Errorf("put, same token, other value: %v", err)
	}
	l, _ := c.ListSecretVersionIds(ctx, &sm.ListSecretVersionIdsInput{SecretId: aws.String("s")})
	if len(l.Versions) != 2 {
		t.Errorf("versions %+v", l.Versions)
	}
}

// A lost response: the SDK retries with the same token and the retry is
// answered as the first call would have been.
func TestLostResponseRetried(t *testing.T) {
	ctx := context.Background()
	srv, c, _ := start(t)
	srv.Inject(secretsmanager.Fault{Op: "CreateSecret", DropResponse: true})
	out, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("lost"), SecretString: aws.String("x")})
	if err != nil || out.VersionId == nil {
		t.Fatalf("%v %v", out, err)
	}
	if n := srv.CallCount("CreateSecret"); n != 2 {
		t.Errorf("CreateSecret called %d times", n)
	}
	srv.Inject(secretsmanager.Fault{Op: "GetSecretValue", Code: "ThrottlingException"})
	srv.Inject(secretsmanager.Fault{Op: "GetSecretValue", Code: "ResourceNotFoundException"})
	if _, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("lost")}); code(err) != "ResourceNotFoundException" {
		t.Errorf("throttled then not found: %v", err)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	_, c, _ := start(t)
	_, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || nf.ErrorMessage() != "Secrets Manager can't find the specified secret." {
		t.Errorf("not found: %v", err)
	}
	for name, call := range map[string]func() error{
		"InvalidParameterException both values": func() error {
			_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("x"), SecretString: aws.String("a"), SecretBinary: []byte("b")})
			return err
		},
		"ValidationException bad name": func() error {
			_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("a b")})
			return err
		},
		"InvalidParameterException short token": func() error {
			_, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("x"), ClientRequestToken: aws.String("short")})
			return err
		},
	} {
		if got := code(call()); got != name[:len(got)] {
			t.Errorf("%s: got %s", name, got)
		}
	}
	// No value yet: the secret exists, its value does not.
	c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("empty")})
	if _, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("empty")}); code(err) != "ResourceNotFoundException" {
		t.Errorf("no value: %v", err)
	}
	if _, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("empty")}); code(err) != "InvalidRequestException" {
		t.Errorf("put without value: %v", err)
	}
	b, err := c.PutSecretValue(ctx, &sm.PutSecretValueInput{SecretId: aws.String("empty"), SecretBinary: []byte{0, 1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: b.ARN})
	if err != nil || string(g.SecretBinary) != "\x00\x01\x02" || g.SecretString != nil {
		t.Errorf("binary: %v %v", g, err)
	}
}

func TestDeleteAndRecovery(t *testing.T) {
	ctx := context.Background()
	_, c, clk := start(t)
	mk := func(name string) {
		if _, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("v")}); err != nil {
			t.Fatal(err)
		}
	}
	mk("a")
	mk("b")
	if _, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("a"), RecoveryWindowInDays: aws.Int64(7), ForceDeleteWithoutRecovery: aws.Bool(true)}); code(err) != "InvalidParameterException" {
		t.Errorf("both: %v", err)
	}
	if _, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("a"), RecoveryWindowInDays: aws.Int64(3)}); code(err) != "InvalidParameterException" {
		t.Errorf("3 days: %v", err)
	}
	d, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("a"), RecoveryWindowInDays: aws.Int64(7)})
	if err != nil || !d.DeletionDate.Equal(clk.t.Add(7*24*time.Hour)) {
		t.Fatalf("delete: %v %v", d, err)
	}
	if _, err := c.GetSecretValue(ctx, &sm.GetSecretValueInput{SecretId: aws.String("a")}); code(err) != "InvalidRequestException" {
		t.Errorf("get deleted: %v", err)
	}
	if _, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String("a"), SecretString: aws.String("v")}); code(err) != "InvalidRequestException" {
		t.Errorf("create over deleted: %v", err)
	}
	if _, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("a")}); code(err) != "InvalidRequestException" {
		t.Errorf("delete twice: %v", err)
	}
	if ds, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("a")}); err != nil || ds.DeletedDate == nil {
		t.Errorf("describe deleted: %v %v", ds, err)
	}
	if _, err := c.RestoreSecret(ctx, &sm.RestoreSecretInput{SecretId: aws.String("a")}); err != nil {
		t.Fatal(err)
	}
	c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("a")})
	clk.t = clk.t.Add(31 * 24 * time.Hour)
	if _, err := c.DescribeSecret(ctx, &sm.DescribeSecretInput{SecretId: aws.String("a")}); code(err) != "ResourceNotFoundException" {
		t.Errorf("after the window: %v", err)
	}
	if _, err := c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("b"), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	mk("b") // the name is free at once
}

func TestListAndTags(t *testing.T) {
	ctx := context.Background()
	_, c, _ := start(t)
	for _, n := range []string{"p/1", "p/2", "p/3", "q/1", "q/2"} {
		if _, err := c.CreateSecret(ctx, &sm.CreateSecretInput{Name: aws.String(n), SecretString: aws.String("v")}); err != nil {
			t.Fatal(err)
		}
	}
	c.TagResource(ctx, &sm.TagResourceInput{SecretId: aws.String("q/2"), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("k"), Value: aws.String("v")}}})
	c.UntagResource(ctx, &sm.UntagResourceInput{SecretId: aws.String("q/2"), TagKeys: []string{"k"}})
	c.DeleteSecret(ctx, &sm.DeleteSecretInput{SecretId: aws.String("p/3")})
	var names []string
	p := sm.NewListSecretsPaginator(c, &sm.ListSecretsInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.SecretList {
			names = append(names, aws.ToString(s.Name))
		}
	}
	if want := "[p/1 p/2 q/1 q/2]"; fmtList(names) != want {
		t.Errorf("listed %v, want %s", names, want)
	}
	l, err := c.ListSecrets(ctx, &sm.ListSecretsInput{Filters: []types.Filter{{Key: types.FilterNameStringTypeTagKey, Values: []string{"env"}}}})
	if err != nil || len(l.SecretList) != 1 || len(l.SecretList[0].Tags) != 1 || aws.ToString(l.SecretList[0].Tags[0].Value) != "prod" {
		t.Errorf("by tag: %+v %v", l, err)
	}
	l, _ = c.ListSecrets(ctx, &sm.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true), Filters: []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{"p/"}}}})
	if len(l.SecretList) != 3 {
		t.Errorf("with planned deletion: %d", len(l.SecretList))
	}
}

func fmtList(s []string) string {
	out := "["
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out + "]"
}
