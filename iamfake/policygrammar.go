package iamfake

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// IAM's policy grammar, checked in the order IAM checks it. The order and
// the messages follow the answers AWS gave to several hundred documents,
// recorded in moto's tests/test_iam/test_iam_policies.py (each case there
// was run against IAM): a syntax pass, the version, a "legacy" pass (case
// of Effect, dates in conditions, the gross shape of resource ARNs),
// unique Sids, actions and resources present, then the finer resource
// and action errors. A document with several faults answers the first.

// policyKind is the grammar a document is checked against.
type policyKind int

const (
	managedDoc policyKind = iota // CreatePolicy, CreatePolicyVersion: Version 2012-10-17 required
	inlineDoc                    // Put{User,Group,Role}Policy: 2008-10-17 or no Version accepted
	trustDoc                     // a role's AssumeRolePolicyDocument: Principal, no Resource
)

const (
	msgSyntax         = "Syntax errors in policy."
	msgVersion        = "Policy document must be version 2012-10-17 or greater."
	msgLegacy         = "The policy failed legacy parsing"
	msgDuplicateSid   = "Statement IDs (SID) in a single policy must be unique."
	msgNoActions      = "Policy statement must contain actions."
	msgNoResources    = "Policy statement must contain resources."
	msgPrincipal      = "Policy document should not specify a principal."
	msgVendorRequired = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgOneColon       = "Actions/Condition can contain only one colon."
)

func malformed(format string, args ...any) *apiError {
	return errf(MalformedPolicyDocument, format, args...)
}

// checkGrammar answers the first fault of doc, or nil.
func checkGrammar(doc string, kind policyKind) *apiError {
	top, stmts, ok := parsePolicy(doc)
	if !ok {
		return malformed(msgSyntax)
	}
	if kind == managedDoc && top["Version"] != "2012-10-17" {
		return malformed(msgVersion)
	}
	if kind == trustDoc {
		return checkTrust(stmts)
	}
	for _, st := range stmts {
		if has(st, "Principal") || has(st, "NotPrincipal") {
			return malformed(msgPrincipal)
		}
	}
	resourceErr, ok := legacyParse(stmts)
	if !ok {
		return malformed(msgLegacy)
	}
	if !uniqueSids(stmts) {
		return malformed(msgDuplicateSid)
	}
	for _, st := range stmts {
		if !present(st, "Action", "NotAction") {
			return malformed(msgNoActions)
		}
	}
	for _, st := range stmts {
		if !present(st, "Resource", "NotResource") {
			return malformed(msgNoResources)
		}
	}
	if resourceErr != "" {
		return malformed("%s", resourceErr)
	}
	return checkActionNames(stmts)
}

// checkTrust checks what a role's trust policy must have beyond syntax:
// a Principal, and no Resource (it is the role itself).
func checkTrust(stmts []map[string]any) *apiError {
	for _, st := range stmts {
		if has(st, "Resource") || has(st, "NotResource") {
			return malformed("Has prohibited field Resource")
		}
		if !has(st, "Principal") && !has(st, "NotPrincipal") {
			return malformed("Missing required field Principal")
		}
		if !present(st, "Action", "NotAction") {
			return malformed(msgNoActions)
		}
	}
	return checkActionNames(stmts)
}

func has(st map[string]any, k string) bool {
	_, ok := st[k]
	return ok
}

// present reports whether the statement has a or b, and not as an empty list.
func present(st map[string]any, a, b string) bool {
	for _, k := range []string{a, b} {
		if v, ok := st[k]; ok {
			l, isList := v.([]any)
			return !isList || len(l) > 0
		}
	}
	return false
}

// parsePolicy is the syntax pass: JSON of the right shape, keys IAM knows,
// values of the right types. It returns the top object and the statements.
func parsePolicy(doc string) (map[string]any, []map[string]any, bool) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || dec.More() {
		return nil, nil, false
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, nil, false
	}
	for k, v := range top {
		switch k {
		case "Version":
			if v != "2012-10-17" && v != "2008-10-17" {
				return nil, nil, false
			}
		case "Id":
			if _, ok := v.(string); !ok {
				return nil, nil, false
			}
		case "Statement":
		default:
			return nil, nil, false
		}
	}
	var raw []any
	switch st := top["Statement"].(type) {
	case map[string]any:
		raw = []any{st}
	case []any:
		raw = st
	}
	if len(raw) == 0 {
		return nil, nil, false
	}
	stmts := make([]map[string]any, len(raw))
	for i, r := range raw {
		st, ok := r.(map[string]any)
		if !ok || !statementSyntax(st) {
			return nil, nil, false
		}
		stmts[i] = st
	}
	return top, stmts, true
}

func statementSyntax(st map[string]any) bool {
	for k, v := range st {
		var ok bool
		switch k {
		case "Sid":
			_, ok = v.(string)
		case "Effect":
			e, _ := v.(string)
			ok = strings.EqualFold(e, "Allow") || strings.EqualFold(e, "Deny")
		case "Action", "NotAction", "NotResource":
			ok = stringOrStrings(v, false)
		case "Resource":
			// AWS accepts a null among the resources (moto #9701: an AWS
			// Solutions template that IAM takes as it is).
			ok = stringOrStrings(v, true)
		case "Condition":
			ok = conditionSyntax(v)
		case "Principal", "NotPrincipal":
			_, isMap := v.(map[string]any)
			ok = isMap || v == "*"
		}
		if !ok {
			return false
		}
	}
	return has(st, "Effect") && !(has(st, "Action") && has(st, "NotAction")) &&
		!(has(st, "Resource") && has(st, "NotResource"))
}

func stringOrStrings(v any, nullOK bool) bool {
	switch v := v.(type) {
	case string:
		return true
	case []any:
		for _, e := range v {
			if _, ok := e.(string); !ok && !(nullOK && e == nil) {
				return false
			}
		}
		return true
	}
	return false
}

// strings of a string-or-list value, nulls left out.
func stringsOf(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

var conditionOperators = []string{
	"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
	"StringLike", "StringNotLike",
	"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
	"NumericGreaterThan", "NumericGreaterThanEquals",
	"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
	"DateGreaterThan", "DateGreaterThanEquals",
	"Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
	"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
}

// baseOperator strips one set operator prefix and the IfExists suffix:
// "ForAnyValue:StringEqualsIfExists" is StringEquals.
func baseOperator(op string) string {
	for _, p := range []string{"ForAnyValue:", "ForAllValues:"} {
		if s, ok := strings.CutPrefix(op, p); ok {
			op = s
			break
		}
	}
	return strings.TrimSuffix(op, "IfExists")
}

// conditionSyntax: operator -> key -> value or values. An unknown operator
// passes only with nothing under it, as IAM lets it pass.
func conditionSyntax(v any) bool {
	cond, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for op, keys := range cond {
		km, ok := keys.(map[string]any)
		if !ok {
			return false
		}
		for _, val := range km {
			if !conditionValue(val) {
				return false
			}
		}
		if !slices.Contains(conditionOperators, baseOperator(op)) && len(km) > 0 {
			return false
		}
	}
	return true
}

// conditionValue: a string, a number or a boolean, or a list of them
// (AWS takes `true` unquoted: moto #9715).
func conditionValue(v any) bool {
	switch v := v.(type) {
	case string, bool, json.Number:
		return true
	case []any:
		for _, e := range v {
			switch e.(type) {
			case string, bool, json.Number:
			default:
				return false
			}
		}
		return true
	}
	return false
}

// legacyParse is IAM's older parser: Effect exactly Allow or Deny, dates
// that parse, resource ARNs not cut short. It also finds the first finer
// resource error, which IAM answers only after actions and resources are
// known to be present.
func legacyParse(stmts []map[string]any) (resourceErr string, ok bool) {
	for _, st := range stmts {
		if st["Effect"] != "Allow" && st["Effect"] != "Deny" {
			return "", false
		}
		if !legacyConditions(st["Condition"]) {
			return "", false
		}
	}
	for _, key := range []string{"Resource", "NotResource"} {
		for _, st := range stmts {
			v, ok := st[key]
			if !ok {
				continue
			}
			rs := stringsOf(v)
			// IAM reports the fault of the last resource it looked at, in
			// reverse order of the list sorted.
			slices.Sort(rs)
			slices.Reverse(rs)
			for _, r := range rs {
				if e := resourceFormatError(r); e != "" {
					resourceErr = e
				}
			}
			if resourceErr == "" && !legacyResources(rs) {
				return "", false
			}
		}
	}
	return resourceErr, true
}

func legacyConditions(v any) bool {
	cond, _ := v.(map[string]any)
	for op, keys := range cond {
		if !strings.HasPrefix(baseOperator(op), "Date") {
			continue
		}
		for _, val := range keys.(map[string]any) {
			vals, ok := val.([]any)
			if !ok {
				vals = []any{val}
			}
			for _, d := range vals {
				if !legacyDate(fmt.Sprint(d)) {
					return false
				}
			}
		}
	}
	return true
}

func legacyResources(rs []string) bool {
	for _, r := range rs {
		if r == "*" {
			continue
		}
		parts := strings.Split(r, ":")
		if strings.Contains(r, "::") && len(parts) < 6 || len(parts) < 3 || parts[2] == "" {
			return false
		}
	}
	return true
}

var partitions = []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc", "*"}

// iamResourceTypes are what may follow the account in an IAM ARN.
var iamResourceTypes = []string{"user/", "federated-user/", "role/", "group/", "instance-profile/",
	"mfa/", "server-certificate/", "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/",
	"report/", "access-report/"}

// resourceFormatError is IAM's message for a malformed resource ("" when
// it is well formed). The first field is not checked (IAM does not), the
// partition must be a real one, IAM and S3 ARNs carry no region.
func resourceFormatError(r string) string {
	if r == "*" {
		return ""
	}
	_, rest, ok := strings.Cut(r, ":")
	if !ok {
		return fmt.Sprintf("Resource %s must be in ARN format or \"*\".", r)
	}
	partition, rest, ok := strings.Cut(rest, ":")
	if !slices.Contains(partitions, partition) {
		return badPartition(partition, rest)
	}
	if !ok {
		return "Resource vendor must be fully qualified and cannot contain regexes."
	}
	service, rest, _ := strings.Cut(rest, ":")
	if !strings.HasPrefix(rest, ":") {
		switch service {
		case "iam":
			return fmt.Sprintf("IAM resource %s cannot contain region information.", r)
		case "s3":
			return fmt.Sprintf("Resource %s can not contain region information.", r)
		}
	}
	_, rest, _ = strings.Cut(rest, ":") // the region
	_, res, _ := strings.Cut(rest, ":") // the account
	if service == "iam" && !slices.ContainsFunc(iamResourceTypes, func(p string) bool { return strings.HasPrefix(res, p) }) {
		return `IAM resource path must either be "*" or start with ` + strings.Join(iamResourceTypes, ", ") + "."
	}
	return ""
}

// badPartition names the resource as IAM re-reads it: "arn:P:" and four
// more fields, "*" for each one missing.
func badPartition(partition, rest string) string {
	f := strings.Split(rest, ":")
	field := func(i int) string {
		if i < len(f) && (i > 0 || f[0] != "" || len(f) > 1) {
			if i == 3 {
				return strings.Join(f[3:], ":")
			}
			return f[i]
		}
		return "*"
	}
	return fmt.Sprintf(`Partition "%s" is not valid for resource "arn:%s:%s:%s:%s:%s".`,
		partition, partition, field(0), field(1), field(2), field(3))
}

func uniqueSids(stmts []map[string]any) bool {
	seen := map[string]bool{}
	for _, st := range stmts {
		sid, _ := st["Sid"].(string)
		if sid == "" {
			continue
		}
		if seen[sid] {
			return false
		}
		seen[sid] = true
	}
	return true
}

// checkActionNames: "service:action" with one colon, or "*". The action
// part is not checked (IAM takes "iam: asdf safdsf af "); the service is
// letters, digits, '-' and '.'.
func checkActionNames(stmts []map[string]any) *apiError {
	for _, key := range []string{"Action", "NotAction"} {
		for _, st := range stmts {
			for _, a := range stringsOf(st[key]) {
				parts := strings.Split(a, ":")
				switch {
				case len(parts) == 1 && a != "*":
					return malformed(msgVendorRequired)
				case len(parts) > 2:
					return malformed(msgOneColon)
				case parts[0] != "*" && !allVendor(parts[0]):
					return malformed("Vendor %s is not valid", parts[0])
				}
			}
		}
	}
	return nil
}

func isVendorRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '.'
}

func allVendor(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !isVendorRune(r) }) < 0
}

// legacyDate: seconds since the epoch (0 to 2^63-1), or an ISO 8601 date
// and time as loosely as IAM reads it ("01T" passes, "234-13" does not).
func legacyDate(v string) bool {
	l := strings.ToLower(v)
	if !strings.ContainsAny(l, "t-") {
		n, err := strconv.ParseUint(l, 10, 64)
		return err == nil && n <= math.MaxInt64
	}
	date, clock, _ := strings.Cut(l, "t")
	return isoDate(date) && isoClock(clock)
}

func isoDate(date string) bool {
	neg := strings.HasPrefix(date, "-")
	parts := strings.Split(strings.TrimPrefix(date, "-"), "-")
	year, err := strconv.Atoi(parts[0])
	if neg {
		year = -year
	}
	return err == nil && year >= -292275054 && year <= 292278993 && len(parts) < 4 &&
		(len(parts) < 2 || inRange(parts[1], 1, 12)) && (len(parts) < 3 || inRange(parts[2], 1, 31))
}

func isoClock(clock string) bool {
	parts := strings.Split(clock, ":")
	if parts[0] != "" && !inRange(parts[0], 0, 23) {
		return false
	}
	if len(parts) > 1 && !inRange(parts[1], 0, 59) {
		return false
	}
	if len(parts) < 3 {
		return true
	}
	// Seconds, then Z or an offset: +HH or +HH:MM (parts[3] holds MM).
	sec, zone := parts[2], ""
	if i := strings.IndexAny(sec, "z+-"); i >= 0 {
		sec, zone = sec[:i], sec[i:]
	}
	switch {
	case zone == "z":
	case zone == "":
	case len(zone) == 3 && inRange(zone[1:], 0, 23):
		if len(parts) > 3 && (len(parts[3]) != 2 || !inRange(parts[3], 0, 59)) {
			return false
		}
	default:
		return false
	}
	whole, frac, hasFrac := strings.Cut(sec, ".")
	return inRange(whole, 0, 59) && (!hasFrac || inRange(frac, 0, 999999999))
}

func inRange(s string, lo, hi int) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= lo && n <= hi
}
