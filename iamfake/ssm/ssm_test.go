package ssm_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/sesprov/sesprov/iamfake/iamfaketest"
	"github.com/sesprov/sesprov/iamfake/ssm"
)

func start(t *testing.T) (*ssm.Server, *awsssm.Client) {
	t.Helper()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	srv := ssm.New(ssm.Options{AccountID: "111122223333", Now: func() time.Time { return now }})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return srv, awsssm.NewFromConfig(iamfaketest.Config(hs.URL))
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

func put(c *awsssm.Client, name, value string, typ types.ParameterType, overwrite bool) (*awsssm.PutParameterOutput, error) {
	return c.PutParameter(context.Background(), &awsssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: typ, Overwrite: aws.Bool(overwrite)})
}

func TestPutOverwriteVersions(t *testing.T) {
	ctx := context.Background()
	_, c := start(t)
	out, err := c.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/app/smtp/user"), Value: aws.String("v1"), Type: types.ParameterTypeString,
		Description: aws.String("d"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("mail")}}})
	if err != nil || out.Version != 1 || out.Tier != types.ParameterTierStandard {
		t.Fatalf("create: %+v %v", out, err)
	}
	if _, err := put(c, "/app/smtp/user", "v2", "", false); code(err) != "ParameterAlreadyExists" {
		t.Errorf("without Overwrite: %v", err)
	}
	out, err = put(c, "/app/smtp/user", "v2", "", true)
	if err != nil || out.Version != 2 {
		t.Fatalf("overwrite: %+v %v", out, err)
	}
	_, err = c.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/app/smtp/user"), Value: aws.String("v3"), Overwrite: aws.Bool(true),
		Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	if code(err) != "ValidationException" {
		t.Errorf("tags with overwrite: %v", err)
	}
	if _, err := put(c, "/app/smtp/user", "v3", types.ParameterTypeSecureString, true); code(err) != "HierarchyTypeMismatchException" {
		t.Errorf("type change: %v", err)
	}
	g, err := c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/app/smtp/user")})
	if err != nil || aws.ToString(g.Parameter.Value) != "v2" || g.Parameter.Version != 2 ||
		aws.ToString(g.Parameter.ARN) != "arn:aws:ssm:us-east-1:111122223333:parameter/app/smtp/user" {
		t.Errorf("get: %+v %v", g.Parameter, err)
	}
	g, err = c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/app/smtp/user:1")})
	if err != nil || aws.ToString(g.Parameter.Value) != "v1" || aws.ToString(g.Parameter.Selector) != ":1" {
		t.Errorf("get :1: %+v %v", g.Parameter, err)
	}
	if _, err := c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/app/smtp/user:9")}); code(err) != "ParameterVersionNotFound" {
		t.Errorf("get :9: %v", err)
	}
	h, err := c.GetParameterHistory(ctx, &awsssm.GetParameterHistoryInput{Name: aws.String("/app/smtp/user")})
	if err != nil || len(h.Parameters) != 2 || aws.ToString(h.Parameters[1].Description) != "d" || aws.ToString(h.Parameters[0].Value) != "v1" {
		t.Errorf("history: %+v %v", h, err)
	}
	tags, err := c.ListTagsForResource(ctx, &awsssm.ListTagsForResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String("/app/smtp/user")})
	if err != nil || len(tags.TagList) != 1 {
		t.Errorf("tags only from the create: %+v %v", tags, err)
	}
}

func TestSecureString(t *testing.T) {
	ctx := context.Background()
	_, c := start(t)
	if _, err := put(c, "/s/pass", "hunter2", types.ParameterTypeSecureString, false); err != nil {
		t.Fatal(err)
	}
	g, _ := c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/s/pass")})
	if v := aws.ToString(g.Parameter.Value); v == "hunter2" || v == "" {
		t.Errorf("undecrypted value %q", v)
	}
	g, _ = c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/s/pass"), WithDecryption: aws.Bool(true)})
	if aws.ToString(g.Parameter.Value) != "hunter2" {
		t.Errorf("decrypted %q", aws.ToString(g.Parameter.Value))
	}
	d, _ := c.DescribeParameters(ctx, &awsssm.DescribeParametersInput{})
	if len(d.Parameters) != 1 || aws.ToString(d.Parameters[0].KeyId) != "alias/aws/ssm" {
		t.Errorf("describe: %+v", d.Parameters)
	}
	_, err := c.PutParameter(ctx, &awsssm.PutParameterInput{Name: aws.String("/s/plain"), Value: aws.String("x"), Type: types.ParameterTypeString, KeyId: aws.String("alias/k")})
	if code(err) != "ValidationException" {
		t.Errorf("KeyId on a String: %v", err)
	}
}

func TestNames(t *testing.T) {
	_, c := start(t)
	for name, want := range map[string]string{
		"plain":                  "ok",
		"/a/b-c_d.e":             "ok",
		"a/b":                    "ValidationException", // a hierarchy starts with /
		"/awsx":                  "ValidationException",
		"SSM-thing":              "ValidationException",
		"/aws/service/x":         "AccessDeniedException",
		"/has space":             "ValidationException",
		"/a//b":                  "ValidationException",
		strings.Repeat("/a", 16): "HierarchyLevelLimitExceededException",
		strings.Repeat("/a", 15): "ok",
	} {
		if _, err := put(c, name, "v", types.ParameterTypeString, false); code(err) != want {
			t.Errorf("%q: %s, want %s", name, code(err), want)
		}
	}
	if _, err := c.PutParameter(context.Background(), &awsssm.PutParameterInput{Name: aws.String("/notype"), Value: aws.String("v")}); code(err) != "ValidationException" {
		t.Errorf("no type: %v", err)
	}
	if _, err := c.GetParameter(context.Background(), &awsssm.GetParameterInput{Name: aws.String("/nope")}); code(err) != "ParameterNotFound" {
		t.Errorf("missing: %v", err)
	}
}

func TestByPathAndMany(t *testing.T) {
	ctx := context.Background()
	_, c := start(t)
	for _, n := range []string{"/p/a", "/p/b", "/p/q/c", "/p/q/d", "/p/q/r/e", "/other", "root"} {
		if _, err := put(c, n, "v-"+n, types.ParameterTypeString, false); err != nil {
			t.Fatal(err)
		}
	}
	byPath := func(path string, recursive bool) []string {
		var names []string
		p := awsssm.NewGetParametersByPathPaginator(c, &awsssm.GetParametersByPathInput{Path: aws.String(path), Recursive: aws.Bool(recursive), MaxResults: aws.Int32(2)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range page.Parameters {
				names = append(names, aws.ToString(x.Name))
			}
		}
		return names
	}
	if got := byPath("/p", false); !slices.Equal(got, []string{"/p/a", "/p/b"}) {
		t.Errorf("one level: %v", got)
	}
	if got := byPath("/p/", true); len(got) != 5 {
		t.Errorf("recursive: %v", got)
	}
	if got := byPath("/", false); !slices.Equal(got, []string{"/other", "root"}) {
		t.Errorf("root: %v", got)
	}
	if _, err := c.GetParametersByPath(ctx, &awsssm.GetParametersByPathInput{Path: aws.String("p")}); code(err) != "ValidationException" {
		t.Errorf("relative path: %v", err)
	}
	m, err := c.GetParameters(ctx, &awsssm.GetParametersInput{Names: []string{"/p/a", "/missing", "root"}})
	if err != nil || len(m.Parameters) != 2 || !slices.Equal(m.InvalidParameters, []string{"/missing"}) {
		t.Errorf("get many: %+v %v", m, err)
	}
	d, err := c.DescribeParameters(ctx, &awsssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Path"), Option: aws.String("Recursive"), Values: []string{"/p/q"}}}})
	if err != nil || len(d.Parameters) != 3 {
		t.Errorf("describe by path: %+v %v", d, err)
	}
	d, err = c.DescribeParameters(ctx, &awsssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Name"), Option: aws.String("BeginsWith"), Values: []string{"/p/q/r"}}}})
	if err != nil || len(d.Parameters) != 1 {
		t.Errorf("describe by name: %+v %v", d, err)
	}
	if _, err := c.DeleteParameter(ctx, &awsssm.DeleteParameterInput{Name: aws.String("/p/a")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteParameter(ctx, &awsssm.DeleteParameterInput{Name: aws.String("/p/a")}); code(err) != "ParameterNotFound" {
		t.Errorf("delete twice: %v", err)
	}
}

func TestTagsAndLabels(t *testing.T) {
	ctx := context.Background()
	_, c := start(t)
	put(c, "/t", "1", types.ParameterTypeString, false)
	put(c, "/t", "2", types.ParameterTypeString, true)
	_, err := c.AddTagsToResource(ctx, &awsssm.AddTagsToResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String("/t"),
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.AddTagsToResource(ctx, &awsssm.AddTagsToResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String("/none"),
		Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	if code(err) != "InvalidResourceId" {
		t.Errorf("tag missing: %v", err)
	}
	l, err := c.ListTagsForResource(ctx, &awsssm.ListTagsForResourceInput{ResourceType: types.ResourceTypeForTaggingParameter, ResourceId: aws.String("/t")})
	if err != nil || len(l.TagList) != 1 {
		t.Errorf("list tags: %+v %v", l, err)
	}
	lb, err := c.LabelParameterVersion(ctx, &awsssm.LabelParameterVersionInput{Name: aws.String("/t"), ParameterVersion: aws.Int64(1), Labels: []string{"stable", "1bad"}})
	if err != nil || lb.ParameterVersion != 1 || !slices.Equal(lb.InvalidLabels, []string{"1bad"}) {
		t.Fatalf("label: %+v %v", lb, err)
	}
	g, err := c.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String("/t:stable")})
	if err != nil || aws.ToString(g.Parameter.Value) != "1" {
		t.Errorf("by label: %+v %v", g, err)
	}
}
