package main

import (
	"os"
	"strings"

	"github.com/sesprov/sesprov/internal/fail"
)

// The sandbox is an embedded IAM on loopback: it uses none of the AWS
// configuration, so the AWS environment a user exports for their real
// account (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL*, AWS_ROLE_ARN,
// SESPROV_ROLE_ARN …) is ignored rather than refused: the README's first
// command must work on a machine set up for AWS. Only a flag given on the
// command line alongside --sandbox is a contradiction worth stopping for.

// sandboxOf reads --sandbox, or else SESPROV_SANDBOX: yes/true/on/1 and
// no/false/off/0 (any case); anything else is a usage error naming it. The
// flag takes no environment variable itself: urfave would accept only what
// strconv.ParseBool does.
func sandboxOf(lv flagLevels) (bool, error) {
	if lv.given(flgSandbox, "") {
		return lv.Bool(flgSandbox), nil
	}
	v, ok := os.LookupEnv(envSandbox)
	if !ok {
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "true", "on", "1":
		return true, nil
	case "no", "false", "off", "0", "":
		return false, nil
	}
	return false, fail.Usagef("%s=%q: give yes or no (also true/false, on/off, 1/0)", envSandbox, v)
}

// sandboxConflicts names the flags given on the command line that the
// sandbox cannot honour.
func sandboxConflicts(lv flagLevels) error {
	var given []string
	for _, f := range []struct{ name, env string }{
		{flgProfile, envProfile}, {flgEndpointURL, ""}, {flgRoleARN, envRoleARN}, {flgExternalID, ""},
	} {
		if lv.given(f.name, f.env) {
			given = append(given, "--"+f.name)
		}
	}
	if len(given) == 0 {
		return nil
	}
	return fail.Usagef("--%s cannot be combined with %s: the sandbox is an embedded IAM and uses no AWS account; drop %s, or drop --%s to use AWS",
		flgSandbox, strings.Join(given, " and "), strings.Join(given, " and "), flgSandbox)
}
