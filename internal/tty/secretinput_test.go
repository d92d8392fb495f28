package tty

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/fail"
)

const exampleSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

func TestReadSecret(t *testing.T) {
	for _, tc := range []struct {
		name, in, want, err, warn string
	}{
		{"line", exampleSecret + "\n", exampleSecret, "", ""},
		{"no newline", exampleSecret, exampleSecret, "", ""},
		{"crlf", exampleSecret + "\r\n", exampleSecret, "", ""},
		{"blank lines around", "\n \n" + exampleSecret + "\n\n", exampleSecret, "", ""},
		{"short warns", "some+secret+key\n", "some+secret+key", "", "this one has 15"},
		{"unicode counts characters", strings.Repeat("é", 40) + "\n", strings.Repeat("é", 40), "", ""},
		{"empty", "", "", "empty secret access key", ""},
		{"blank", "\n\t\n", "", "empty secret access key", ""},
		{"two lines", exampleSecret + "\nx\n", "", "2 non-empty lines", ""},
		{"inner space", "wJalr XUtn\n", "", "contains whitespace (position 6)", ""},
		{"inner tab", "wJalr\tXUtn\n", "", "contains whitespace", ""},
		{"leading space", " " + exampleSecret + "\n", "", "starts or ends with whitespace", ""},
		{"nbsp", "wJalr\u00a0XUtn\n", "", "contains whitespace", ""},
		{"key id", "AKIAIOSFODNN7EXAMPLE\n", "", "that is an access key ID (AKIA…)", ""},
		{"temp key id", "ASIAIOSFODNN7EXAMPLE", "", "(ASIA…)", ""},
		{"id and secret", "AKIAIOSFODNN7EXAMPLE " + exampleSecret, "", "access key ID followed by the secret", ""},
		{"csv line", "AKIAIOSFODNN7EXAMPLE," + exampleSecret, "", "access key ID and the secret joined by ','", ""},
		{"credentials file line", "aws_secret_access_key=" + exampleSecret, "", "a line of a credentials file", ""},
		{"smtp password", derive.Password(exampleSecret, "us-east-1"), "", "looks like an SES SMTP password", ""},
		{"bad utf-8", "\xff\xfe\n", "", "not valid UTF-8", ""},
		{"too big", strings.Repeat("a", maxSecretInput+1), "", "more than 64 KiB", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			got, err := ReadSecret(context.Background(), strings.NewReader(tc.in), &stderr)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || fail.ExitCode(err) != fail.ExitUsage {
					t.Fatalf("err %v (exit %d), want usage error containing %q", err, fail.ExitCode(err), tc.err)
				}
				if len(tc.in) > 8 && strings.Contains(err.Error(), strings.TrimSpace(tc.in)) {
					t.Errorf("error %q repeats the input", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Reveal() != tc.want {
				t.Errorf("got %q, want %q", got.Reveal(), tc.want)
			}
			if tc.warn == "" && stderr.Len() > 0 || !strings.Contains(stderr.String(), tc.warn) {
				t.Errorf("stderr %q, want warning %q", stderr.String(), tc.warn)
			}
		})
	}
}
