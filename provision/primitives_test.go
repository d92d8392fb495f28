package provision

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/internal/redact"
)

const testSecretValue = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

func TestSecretNeverPrints(t *testing.T) {
	s := redact.NewSecret(testSecretValue)
	type wrapper struct {
		Name   string
		Secret redact.Secret
	}
	w := wrapper{"alice", s}
	outs := []string{
		fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q %x", s, s, s, s, s, s),
		fmt.Sprintf("%v %+v %#v", w, w, &w),
		fmt.Errorf("create key: %v", s).Error(),
	}
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(b))
	var logBuf bytes.Buffer
	redact.NewLogger(&logBuf, slog.LevelDebug).Debug("made key", "key", s, "user", w)
	outs = append(outs, logBuf.String())
	for _, o := range outs {
		if strings.Contains(o, testSecretValue) || strings.Contains(o, "wJalr") {
			t.Errorf("secret leaked: %s", o)
		}
		if !strings.Contains(o, "REDACTED") {
			t.Errorf("no redaction marker in %q", o)
		}
	}
	if s.Reveal() != testSecretValue {
		t.Errorf("Reveal() = %q", s.Reveal())
	}
}

func TestLoggerRedactsSecretLikeKeys(t *testing.T) {
	var buf bytes.Buffer
	log := redact.NewLogger(&buf, slog.LevelDebug)
	log.Info("step", "smtp_password", "BPLAINTEXTPASSWORD", "SecretAccessKey", "plainsecret", "user", "alice")
	out := buf.String()
	for _, leak := range []string{"BPLAINTEXTPASSWORD", "plainsecret"} {
		if strings.Contains(out, leak) {
			t.Errorf("log leaked %q: %s", leak, out)
		}
	}
	if !strings.Contains(out, "user=alice") {
		t.Errorf("non-secret attribute lost: %s", out)
	}
}

func TestExitCodes(t *testing.T) {
	base := errors.New("boom")
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{base, 1},
		{fail.Usagef("bad %s", "x"), 2},
		{fail.AsUsage(base), 2},
		{fmt.Errorf("wrapped: %w", fail.Usagef("bad")), 2},
		{fail.Conflictf("has keys"), 3},
		{fmt.Errorf("outer: %w", fail.Conflictf("has keys")), 3},
		{context.Canceled, 130},
		{fmt.Errorf("create user: %w", context.Canceled), 130},
	} {
		if got := fail.ExitCode(tc.err); got != tc.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
	if fail.AsUsage(nil) != nil {
		t.Error("AsUsage(nil) != nil")
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"table", "JSON", "csv", "env"} {
		if _, err := output.ParseFormat(s); err != nil {
			t.Errorf("ParseFormat(%q): %v", s, err)
		}
	}
	if _, err := output.ParseFormat("yaml"); fail.ExitCode(err) != fail.ExitUsage {
		t.Errorf("ParseFormat(yaml) = %v, want a usage error", err)
	}
}

func sampleSets() []creds.CredentialSet {
	return []creds.CredentialSet{
		{
			UserName: "alice", UserARN: "arn:aws:iam::123456789012:user/alice", AccessKeyID: "AKIAAAAAAAAAAAAAAAAA",
			SecretAccessKey: redact.NewSecret("secret-a"),
			Credentials: []creds.RegionCredential{
				{Region: "us-east-1", SMTPEndpoint: "email-smtp.us-east-1.amazonaws.com", Password: redact.NewSecret("BPASSWORDA1")},
				{Region: "eu-west-1", SMTPEndpoint: "email-smtp.eu-west-1.amazonaws.com", Password: redact.NewSecret("BPASSWORDA2")},
			},
		},
		{
			UserName: "bob", UserARN: "arn:aws:iam::123456789012:user/bob", AccessKeyID: "AKIABBBBBBBBBBBBBBBB",
			SecretAccessKey: redact.NewSecret("secret-b"),
			Credentials:     []creds.RegionCredential{{Region: "us-east-1", SMTPEndpoint: "email-smtp.us-east-1.amazonaws.com", Password: redact.NewSecret("BPASSWORDB1")}},
		},
	}
}

func writeAll(t *testing.T, f output.Format, includeSecret bool) string {
	t.Helper()
	var buf bytes.Buffer
	w := creds.NewCredentialWriter(&buf, f, includeSecret)
	for _, s := range sampleSets() {
		if err := w.Write(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestCredentialWriterJSON(t *testing.T) {
	out := writeAll(t, output.FormatJSON, false)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one JSON object per line, got %d lines:\n%s", len(lines), out)
	}
	var got struct {
		UserName     string  `json:"user_name"`
		UserARN      string  `json:"user_arn"`
		AccessKeyID  string  `json:"access_key_id"`
		SMTPUsername string  `json:"smtp_username"`
		Secret       *string `json:"secret_access_key"`
		Credentials  []struct {
			Region, SMTPEndpoint, SMTPPassword string
		} `json:"credentials"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatal(err)
	}
	if got.UserName != "alice" || got.SMTPUsername != "AKIAAAAAAAAAAAAAAAAA" || got.AccessKeyID != got.SMTPUsername || got.UserARN == "" {
		t.Errorf("bad user fields: %+v", got)
	}
	if got.Secret != nil {
		t.Error("secret_access_key present without --include-secret-key")
	}
	var raw map[string]any
	json.Unmarshal([]byte(lines[0]), &raw)
	creds := raw["credentials"].([]any)
	c0 := creds[0].(map[string]any)
	if c0["region"] != "us-east-1" || c0["smtp_endpoint"] != "email-smtp.us-east-1.amazonaws.com" || c0["smtp_password"] != "BPASSWORDA1" {
		t.Errorf("bad credential: %v", c0)
	}
	withSecret := writeAll(t, output.FormatJSON, true)
	if !strings.Contains(withSecret, `"secret_access_key":"secret-a"`) {
		t.Errorf("--include-secret-key did not add the secret: %s", withSecret)
	}
}

func TestCredentialWriterCSVConsoleColumns(t *testing.T) {
	out := writeAll(t, output.FormatCSV, false)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"IAM User Name", "Smtp Username", "Smtp Password", "Region", "SMTP Endpoint"},
		{"alice", "AKIAAAAAAAAAAAAAAAAA", "BPASSWORDA1", "us-east-1", "email-smtp.us-east-1.amazonaws.com"},
		{"alice", "AKIAAAAAAAAAAAAAAAAA", "BPASSWORDA2", "eu-west-1", "email-smtp.eu-west-1.amazonaws.com"},
		{"bob", "AKIABBBBBBBBBBBBBBBB", "BPASSWORDB1", "us-east-1", "email-smtp.us-east-1.amazonaws.com"},
	}
	if fmt.Sprint(recs) != fmt.Sprint(want) {
		t.Errorf("csv =\n%v\nwant\n%v", recs, want)
	}
}

func TestCredentialWriterEnvIsShellReadable(t *testing.T) {
	var buf bytes.Buffer
	w := creds.NewCredentialWriter(&buf, output.FormatEnv, false)
	set := sampleSets()[1]
	set.Credentials[0].Password = redact.NewSecret("B+a/b='c")
	if err := w.Write(set); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"SES_SMTP_USERNAME='AKIABBBBBBBBBBBBBBBB'\n",
		"SES_SMTP_HOST='email-smtp.us-east-1.amazonaws.com'\n",
		`SES_SMTP_PASSWORD_US_EAST_1='B+a/b='\''c'` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("env output lacks %q:\n%s", want, out)
		}
	}
}

func TestCredentialWriterTableAligned(t *testing.T) {
	out := writeAll(t, output.FormatTable, false)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "USER") {
		t.Fatalf("table:\n%s", out)
	}
	col := strings.Index(lines[0], "REGION")
	for _, l := range lines[1:] {
		if !strings.HasPrefix(l[col:], "us-east-1") && !strings.HasPrefix(l[col:], "eu-west-1") {
			t.Errorf("column REGION not aligned in %q", l)
		}
	}
}

func TestOutFileExclusive0600(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "creds.json")
	old := umask(0)
	defer umask(old)
	f, err := deliver.CreateOutFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	if _, err := deliver.CreateOutFile(p); fail.ExitCode(err) != fail.ExitUsage {
		t.Errorf("second create of an existing file: %v, want a usage error", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "x" {
		t.Errorf("existing file changed: %q", b)
	}
	// Abort removes a file nothing was written to, so a failed run leaves no litter.
	p2 := filepath.Join(dir, "unused.json")
	f2, err := deliver.CreateOutFile(p2)
	if err != nil {
		t.Fatal(err)
	}
	f2.Abort()
	if _, err := os.Stat(p2); !os.IsNotExist(err) {
		t.Errorf("aborted empty out-file still exists: %v", err)
	}
	if _, err := deliver.CreateOutFile(filepath.Join(dir, "no/such/dir/f")); fail.ExitCode(err) != fail.ExitUsage {
		t.Errorf("unwritable path: %v, want a usage error", err)
	}
}

// An out-file appears under its name only with credentials in it: a run
// killed before delivering leaves nothing there to block the re-run, and a
// file made at the name during the run is never overwritten.
func TestOutFilePublishedOnFirstDelivery(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "creds.csv")
	f, err := deliver.CreateOutFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(p); !os.IsNotExist(err) {
		t.Fatalf("out-file visible before anything was delivered: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, deliver.OutFilePattern)); len(m) != 1 {
		t.Fatalf("temporary files %v, want one named %s", m, deliver.OutFilePattern)
	}
	f.Write([]byte("user1\n"))
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "user1\n" {
		t.Fatalf("after the first delivery %s holds %q", p, b)
	}
	f.Write([]byte("user2\n"))
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "user1\nuser2\n" {
		t.Errorf("after commit %s holds %q", p, b)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, deliver.OutFilePattern)); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}

	// Someone makes the file during the run: publishing fails, theirs stays.
	p2 := filepath.Join(dir, "raced.csv")
	f2, err := deliver.CreateOutFile(p2)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p2, []byte("theirs"), 0o600); err != nil {
		t.Fatal(err)
	}
	f2.Write([]byte("ours"))
	if err := f2.Sync(); err == nil {
		t.Error("published over a file made during the run")
	}
	f2.Abort()
	if b, _ := os.ReadFile(p2); string(b) != "theirs" {
		t.Errorf("existing file changed: %q", b)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, deliver.OutFilePattern)); len(m) != 0 {
		t.Errorf("temporary files left after abort: %v", m)
	}
}

// Paths follow IAM's pattern ^/$|^/[\x21-\x7e]+/$. (Found in review: "//"
// was accepted, and IAM refuses it only after the shared changes.)
func TestValidatePath(t *testing.T) {
	for p, ok := range map[string]bool{
		"/": true, "/smtp/": true, "/a/b/": true, "///": true,
		"//": false, "": false, "smtp/": false, "/smtp": false, "/s p/": false,
	} {
		if err := ValidatePath(p); (err == nil) != ok {
			t.Errorf("ValidatePath(%q): %v, want ok=%v", p, err, ok)
		}
	}
}
