// Package scope limits the From addresses an SMTP user may send as: the
// user's own inline policy PolicyName, an explicit Deny of SES sending when
// ses:FromAddress is none of the allowed addresses. The sending group's
// grant stays as it is, so the user remains the console's kind of SMTP
// user; an explicit Deny wins over the group's Allow in IAM's evaluation.
// See docs/verify.md.
package scope

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/iamapi"
	"github.com/sesprov/sesprov/internal/policy"
)

// PolicyName is the inline user policy that holds a user's scope. Its name
// is fixed so that every sesprov command finds it, and so that migrate
// (which removes only the legacy sending policy) and list recognise it.
const PolicyName = "sesprov-from-scope"

// FromAddressKey is the condition key SES sets to the message's From.
const FromAddressKey = "ses:FromAddress"

// Actions are the SES actions the scope denies from other addresses:
// SMTP sends are ses:SendRawEmail; ses:SendEmail covers the same key's
// API sends.
var Actions = []string{"ses:SendRawEmail", "ses:SendEmail"}

// maxInlineSize is IAM's limit on all of a user's inline policies together
// (whitespace excluded); the scope must leave room under it.
const maxInlineSize = 2048

// ParseAddresses checks --allow-from's addresses and returns them with,
// for each one holding capitals, its lower-case form added: IAM's
// StringNotLike is case-sensitive, so "Billing@Example.com" alone would
// refuse a sender writing billing@example.com. Duplicates are dropped.
// Every error is a usage error naming the bad address.
func ParseAddresses(list []string) ([]string, error) {
	var out []string
	for _, raw := range list {
		a := strings.TrimSpace(raw)
		if a == "" {
			continue
		}
		if err := checkAddress(a); err != nil {
			return nil, err
		}
		for _, v := range []string{a, strings.ToLower(a)} {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	if len(out) == 0 {
		return nil, fail.Usagef("--allow-from: no address given: give ADDR[,ADDR…] (e.g. billing@example.com or *@example.com), or remove the scope with 'sesprov scope --remove'")
	}
	if n := len(Document(out)); n > maxInlineSize {
		return nil, fail.Usagef("--allow-from: %d addresses make a %d-character policy, over IAM's %d for a user's inline policies: use wildcards (*@example.com)", len(out), n, maxInlineSize)
	}
	return out, nil
}

// checkAddress accepts local@domain, where either part may hold the
// wildcards * and ?; a pattern that matches every address is no scope.
func checkAddress(a string) error {
	local, domain, ok := strings.Cut(a, "@")
	switch {
	case !ok || local == "" || domain == "" || strings.Contains(domain, "@"):
		return fail.Usagef("--allow-from %q: not an address: give local@domain, e.g. billing@example.com or *@example.com", a)
	case len(a) > 320:
		return fail.Usagef("--allow-from %q: longer than an address may be (320)", a[:40]+"…")
	case strings.Trim(local, "*") == "" && strings.Trim(domain, "*") == "":
		return fail.Usagef("--allow-from %q: matches every address, which is no scope: remove the scope with 'sesprov scope --remove' instead", a)
	}
	if i := strings.IndexFunc(local, badLocalRune); i >= 0 {
		return fail.Usagef("--allow-from %q: %q is not allowed in an address's local part", a, local[i:i+1])
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" || strings.IndexFunc(label, badDomainRune) >= 0 {
			return fail.Usagef("--allow-from %q: domain %q is not a domain (letters, digits, hyphens, dots; * and ? as wildcards)", a, domain)
		}
	}
	return nil
}

func badLocalRune(r rune) bool {
	return r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),:;<>[\]`, r)
}

func badDomainRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '*' || r == '?')
}

// Document is the scope's policy for the given (parsed) addresses.
func Document(addrs []string) string {
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Sid":       "SesprovFromScope",
			"Effect":    "Deny",
			"Action":    Actions,
			"Resource":  "*",
			"Condition": map[string]any{"StringNotLike": map[string]any{FromAddressKey: addrs}},
		}},
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

// AddressesOf reads the allowed addresses back from a scope document (raw
// or URL-encoded). A document sesprov did not write yields what its
// StringNotLike on ses:FromAddress lists, if anything.
func AddressesOf(doc string) ([]string, error) {
	addrs, err := policy.ConditionValues(doc, "StringNotLike", FromAddressKey)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", PolicyName, err)
	}
	return addrs, nil
}

// Shown drops the lower-case forms ParseAddresses added, for display: the
// addresses as they were given.
func Shown(addrs []string) []string {
	var out []string
	for _, a := range addrs {
		added := a == strings.ToLower(a) && slices.ContainsFunc(addrs, func(b string) bool { return b != a && strings.ToLower(b) == a })
		if !added {
			out = append(out, a)
		}
	}
	return out
}

// Read returns the user's scope: nil when it has none.
func Read(ctx context.Context, api iamapi.IAM, user string) ([]string, error) {
	out, err := api.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String(PolicyName)})
	if iamapi.IsNoSuchEntity(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("iam:GetUserPolicy %s %s: %w", user, PolicyName, err)
	}
	return AddressesOf(aws.ToString(out.PolicyDocument))
}

// Put sets the user's scope to addrs (parsed); PutUserPolicy replaces a
// policy of the same name, so it is safe to repeat.
func Put(ctx context.Context, api iamapi.IAM, user string, addrs []string) error {
	_, err := api.PutUserPolicy(ctx, &iam.PutUserPolicyInput{
		UserName: aws.String(user), PolicyName: aws.String(PolicyName), PolicyDocument: aws.String(Document(addrs)),
	})
	if err != nil {
		return fmt.Errorf("iam:PutUserPolicy %s %s: %w", user, PolicyName, err)
	}
	return nil
}

// Delete removes the user's scope; a scope already gone is no error.
func Delete(ctx context.Context, api iamapi.IAM, user string) error {
	_, err := api.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String(PolicyName)})
	if err != nil && !iamapi.IsNoSuchEntity(err) {
		return fmt.Errorf("iam:DeleteUserPolicy %s %s: %w", user, PolicyName, err)
	}
	return nil
}
