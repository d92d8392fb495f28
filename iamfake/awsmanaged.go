package iamfake

import (
	"strings"
	"time"
)

// AWS managed policies: a few that SES and IAM users meet, present in every
// account (arn:aws:iam::aws:policy/NAME), attachable and usable as
// permissions boundaries, never modifiable. Their documents are shortened
// versions of AWS's (AdministratorAccess and the SES ones are exact in
// substance; the broad read-only and power-user ones are abbreviated).

var awsManagedCatalogue = []struct{ name, doc string }{
	{"AdministratorAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
	{"AmazonSESFullAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ses:*"],"Resource":"*"}]}`},
	{"AmazonSESReadOnlyAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ses:Get*","ses:List*","ses:Describe*"],"Resource":"*"}]}`},
	{"IAMFullAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization","organizations:DescribeOrganizationalUnit","organizations:DescribePolicy","organizations:ListChildren","organizations:ListParents","organizations:ListPoliciesForTarget","organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]}`},
	{"IAMReadOnlyAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}`},
	{"IAMUserChangePassword", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ChangePassword"],"Resource":["arn:aws:iam::*:user/${aws:username}"]},{"Effect":"Allow","Action":["iam:GetAccountPasswordPolicy"],"Resource":"*"}]}`},
	{"PowerUserAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},{"Effect":"Allow","Action":["iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeOrganization","account:ListRegions","account:GetAccountInformation"],"Resource":"*"}]}`},
	{"ReadOnlyAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ses:Get*","ses:List*","ses:Describe*","iam:Get*","iam:List*","sts:GetCallerIdentity"],"Resource":"*"}]}`},
}

var awsManagedCreated = time.Date(2015, 2, 6, 18, 39, 46, 0, time.UTC)

// stableID derives an IAM-style unique ID from a name, so AWS managed
// policies keep their IDs across restarts.
func stableID(prefix, name string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	h := uint64(14695981039346656037)
	for _, c := range []byte(name) {
		h = (h ^ uint64(c)) * 1099511628211
	}
	b := []byte(prefix)
	for range 17 {
		b = append(b, alphabet[h&31])
		h = h>>5 | h<<59
		h *= 1099511628211
	}
	return string(b)
}

func newAWSManaged() index[*policy] {
	var ix index[*policy]
	for _, c := range awsManagedCatalogue {
		ix.put(lower(c.name), &policy{
			Name: c.name, Path: "/", ID: stableID("ANPA", c.name), ARN: "arn:aws:iam::aws:policy/" + c.name,
			Created: awsManagedCreated, Updated: awsManagedCreated, Default: "v1", NextVersion: 2,
			Versions:   []*policyVersion{{ID: "v1", Document: c.doc, Created: awsManagedCreated}},
			AWSManaged: true,
		})
	}
	return ix
}

// awsPolicyByARN finds an AWS managed policy by ARN (nil if none).
func (s *Server) awsPolicyByARN(arn string) *policy {
	name, ok := strings.CutPrefix(arn, "arn:aws:iam::aws:policy/")
	if !ok {
		return nil
	}
	p, ok := s.st.AWS.get(lower(name[strings.LastIndexByte(name, '/')+1:]))
	if !ok || p.ARN != arn {
		return nil
	}
	return p
}

func awsManagedImmutable(p *policy) *apiError {
	return errf(InvalidInput, "Policy %s is an AWS managed policy and cannot be changed.", p.ARN)
}
