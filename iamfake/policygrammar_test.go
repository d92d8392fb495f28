package iamfake_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

// v12 wraps one statement's fields in a 2012-10-17 document.
func v12(statement string) string {
	return `{"Version":"2012-10-17","Statement":{` + statement + `}}`
}

const bucket = `"Resource":"arn:aws:s3:::example_bucket"`

// The answers AWS gave to these documents were recorded in moto's
// tests/test_iam/test_iam_policies.py (each case run against IAM), and
// moto #9715 (null among resources, unquoted booleans in conditions).
var grammarCases = []struct{ doc, msg string }{
	// Syntax.
	{`This is not a json document`, "Syntax errors in policy."},
	{`{"Version":"2013-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `}}`, "Syntax errors in policy."},
	{`{"Version":"2012-10-17"}`, "Syntax errors in policy."},
	{`{"Version":"2012-10-17","Statement":["afd"]}`, "Syntax errors in policy."},
	{`{"Version":"2012-10-17","Statement":[]}`, "Syntax errors in policy."},
	{`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `},"Extra field":"value"}`, "Syntax errors in policy."},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Extra field":"value"`), "Syntax errors in policy."},
	{`{"Version":"2012-10-17","Id":["x"],"Statement":{"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `}}`, "Syntax errors in policy."},
	{v12(`"Effect":"invalid","Action":"s3:ListBucket",` + bucket), "Syntax errors in policy."},
	{v12(`"Action":"s3:ListBucket",` + bucket), "Syntax errors in policy."},
	{v12(`"Sid":{},"Effect":"Allow","Action":"s3:ListBucket",` + bucket), "Syntax errors in policy."},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket","Resource":{"a":"arn:aws:s3:::example_bucket"}`), "Syntax errors in policy."},
	{v12(`"Effect":"Deny","Action":"s3:ListBucket","Resource":["adfdf",{}]`), "Syntax errors in policy."},
	{v12(`"Effect":"Deny","Action":[[]],` + bucket), "Syntax errors in policy."},
	{v12(`"Effect":"Allow","NotAction":"s3s:ListBucket","Action":[],` + bucket), "Syntax errors in policy."},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"NotResource":"*"`), "Syntax errors in policy."},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Condition":[]`), "Syntax errors in policy."},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Condition":{"a":"b"}`), "Syntax errors in policy."},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Condition":{"DateGreaterThan":{"a":{}}}`), "Syntax errors in policy."},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Condition":{"x":{"a":"1"}}`), "Syntax errors in policy."},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Condition":{"ForAnyValue::StringEqualsIfExists":{"a":"asf"}}`), "Syntax errors in policy."},
	// Version: a managed policy needs 2012-10-17; checked before legacy parsing.
	{`{"Statement":{"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `}}`, "Policy document must be version 2012-10-17 or greater."},
	{`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `}}`, "Policy document must be version 2012-10-17 or greater."},
	{`{"Statement":{"Effect":"denY","Action":"s3:ListBucket",` + bucket + `}}`, "Policy document must be version 2012-10-17 or greater."},
	// Identity policies name no principal.
	{v12(`"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"`), "Policy document should not specify a principal."},
	// Legacy parsing.
	{v12(`"Effect":"denY","Action":"s3:ListBucket",` + bucket), "The policy failed legacy parsing"},
	{v12(`"Effect":"allow","Resource":"arn:aws:s3:us-east-1::example_bucket"`), "The policy failed legacy parsing"},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3::example_bucket"`), "The policy failed legacy parsing"},
	{v12(`"Effect":"Allow","NotAction":"s3:ListBucket","Resource":"arn:aws::::example_bucket"`), "The policy failed legacy parsing"},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws::fdsasf"`), "The policy failed legacy parsing"},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Condition":{"DateGreaterThan":{"a":"sdfdsf"}}`), "The policy failed legacy parsing"},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Condition":{"DateLessThanEquals":{"a":"234-13"}}`), "The policy failed legacy parsing"},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Condition":{"DateLessThanEquals":{"a":"2016-12-13t2:00:00.593194+1"}}`), "The policy failed legacy parsing"},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Condition":{"DateLessThan":{"a":"9223372036854775808"}}`), "The policy failed legacy parsing"},
	// Sids, then actions and resources present.
	{`{"Version":"2012-10-17","Statement":[{"Sid":"sdf","Effect":"Allow","Action":"s3:ListBucket",` + bucket + `},{"Sid":"sdf","Effect":"Allow"}]}`, "Statement IDs (SID) in a single policy must be unique."},
	{v12(`"Effect":"Allow",` + bucket), "Policy statement must contain actions."},
	{v12(`"Effect":"Allow","Action":[],` + bucket), "Policy statement must contain actions."},
	{v12(`"Effect":"Allow"`), "Policy statement must contain actions."},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket"`), "Policy statement must contain resources."},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket","Resource":[]`), "Policy statement must contain resources."},
	// Resource formats.
	{v12(`"Effect":"Allow","Action":"s3:ListBucket","Resource":"invalid resource"`), `Resource invalid resource must be in ARN format or "*".`},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket","Resource":""`), `Resource  must be in ARN format or "*".`},
	{v12(`"Effect":"Allow","NotAction":"s3s:ListBucket","Resource":"a:bsdfdsafsad"`), `Partition "bsdfdsafsad" is not valid for resource "arn:bsdfdsafsad:*:*:*:*".`},
	{v12(`"Effect":"Allow","NotAction":"s3s:ListBucket","Resource":"a:b:cadfsdf"`), `Partition "b" is not valid for resource "arn:b:cadfsdf:*:*:*".`},
	{v12(`"Effect":"Allow","NotAction":"s3s:ListBucket","Resource":"a:b:c:d:e:f:g:h"`), `Partition "b" is not valid for resource "arn:b:c:d:e:f:g:h".`},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket","Resource":"aws:s3:::example_bucket"`), `Partition "s3" is not valid for resource "arn:s3:::example_bucket:*".`},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket","Resource":["arn:error:s3:::example_bucket","arn:error:s3::example_bucket"]`), `Partition "error" is not valid for resource "arn:error:s3:::example_bucket".`},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws"`), "Resource vendor must be fully qualified and cannot contain regexes."},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:iam:::example_bucket"`), `IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.`},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:iam:us-east-1::example_bucket"`), "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information."},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:us-east-1::example_bucket"`), "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information."},
	// Action names.
	{v12(`"Effect":"Allow","Action":"invalid",` + bucket), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
	{v12(`"Effect":"Allow","NotAction":"",` + bucket), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
	{v12(`"Effect":"Allow","Action":"a a:ListBucket",` + bucket), "Vendor a a is not valid"},
	{v12(`"Effect":"Allow","Action":"s3:List:Bucket",` + bucket), "Actions/Condition can contain only one colon."},
	// Accepted.
	{sesPolicy, ""},
	{v12(`"Effect":"Allow","Action":"iam: asdf safdsf af ",` + bucket), ""},
	{v12(`"Effect":"Allow","Action":"s3:Get*","Resource":["arn:aws:s3:::example_bucket","*"]`), ""},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket","Resource":["arn:aws:s3:::b",null]`), ""},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:iam::*:user/${aws:username}"`), ""},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:ec2:us-east-1::example_bucket"`), ""},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:fdsasf"`), ""},
	{v12(`"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::HR/Payroll","arn:aws:s3:::HR/Payroll/*"]`), ""},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Condition":{"x":{},"y":{}}`), ""},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Condition":{"ForAnyValue:StringEqualsIfExists":{"a":"asf"}}`), ""},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"s3:max-keys":10}}`), ""},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Condition":{"DateGreaterThan":{"a":"01T"},"DateLessThan":{"a":"-292275054"}}`), ""},
	{v12(`"Effect":"Allow","Action":"s3:ListBucket",` + bucket + `,"Condition":{"DateLessThanEquals":{"a":["2016-12-13T21:20:37.593194+00:00","2016-12-13t2:00:00.593194+23","2019-07-01T13:20:15Z"]}}`), ""},
}

func TestPolicyGrammar(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	for i, tc := range grammarCases {
		_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("p%d", i)), PolicyDocument: aws.String(tc.doc)})
		if got := message(t, err); got != tc.msg {
			t.Errorf("%s\n  answered %q\n  want     %q", tc.doc, got, tc.msg)
		}
	}
}

// Inline policies take the older grammar: no Version, or 2008-10-17.
func TestInlinePolicyVersions(t *testing.T) {
	ctx := context.Background()
	_, c := newClient(t)
	ok(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))(t)
	for i, doc := range []string{
		`{"Statement":{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*"}}`,
		`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"ses:SendRawEmail","Resource":"*"}}`,
	} {
		ok(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String(fmt.Sprint("p", i)), PolicyDocument: aws.String(doc)}))(t)
	}
	_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u"), PolicyName: aws.String("bad"),
		PolicyDocument: aws.String(`{"Statement":{"Effect":"Allow","Principal":"*","Action":"ses:SendRawEmail","Resource":"*"}}`)})
	if got := message(t, err); got != "Policy document should not specify a principal." {
		t.Errorf("principal in an inline policy: %q", got)
	}
}

// message is the error message of an IAM answer ("" for success).
func message(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an API error: %v", err)
	}
	return ae.ErrorMessage()
}
