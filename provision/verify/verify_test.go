package verify_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/creds"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/redact"
	"github.com/sesprov/sesprov/provision"

	"github.com/sesprov/sesprov/internal/smtpauth/smtpauthtest"
	"github.com/sesprov/sesprov/provision/verify"
)

const (
	vKeyID  = "AKIAIOSFODNN7EXAMPLE"
	vSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func vSet(secret string, rcs ...creds.RegionCredential) creds.CredentialSet {
	return creds.CredentialSet{UserName: "alice", AccessKeyID: vKeyID, SecretAccessKey: redact.NewSecret(secret), Credentials: rcs}
}

func cred(region, password string) creds.RegionCredential {
	return creds.RegionCredential{Region: region, Password: redact.NewSecret(password)}
}

func vOpts(s *smtpauthtest.Server) verify.Options {
	return verify.Options{Endpoint: s.Addr, RootCAs: s.RootCAs, Timeout: 5 * time.Second}
}

// TestVerifyCredentialsDiagnoses checks the verdict and the hint for each of
// the failures users meet, with and without the secret in the input.
func TestVerifyCredentialsDiagnoses(t *testing.T) {
	srv := smtpauthtest.Start(t, smtpauthtest.Config{Accounts: map[string]string{vKeyID: vSecret}, Region: "eu-west-1"})
	good := derive.Password(vSecret, "eu-west-1")
	other := derive.Password(vSecret, "ap-south-1")
	cases := []struct {
		name     string
		set      creds.CredentialSet
		status   verify.Status
		hintHas  string
		hintNone bool
	}{
		{"good", vSet("", cred("eu-west-1", good)), verify.Accepted, "", true},
		{"other region, secret known", vSet(vSecret, cred("eu-west-1", other)), verify.Rejected, "derived for ap-south-1, not eu-west-1", false},
		{"raw secret, secret known", vSet(vSecret, cred("eu-west-1", vSecret)), verify.Rejected, "raw secret access key", false},
		{"raw secret, secret unknown", vSet("", cred("eu-west-1", vSecret)), verify.Rejected, "looks like a secret access key", false},
		{"not derived from this secret", vSet(vSecret, cred("eu-west-1", derive.Password("someothersecret", "eu-west-1"))), verify.Rejected, "not derived from this secret", false},
		{"right for its region, stand-in serves another", vSet(vSecret, cred("us-east-1", derive.Password(vSecret, "us-east-1"))), verify.Rejected, "does not serve us-east-1", false},
		{"same password for two regions", vSet("", cred("eu-west-1", other), cred("ap-south-1", other)), verify.Rejected, "the same password is listed for ap-south-1", false},
		{"unknown, common causes", vSet("", cred("eu-west-1", other)), verify.Rejected, "--wait 60s", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := verify.Set(context.Background(), tc.set, vOpts(srv))
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) == 0 || rs[0].Status != tc.status {
				t.Fatalf("results %+v, want one %s", rs, tc.status)
			}
			if tc.hintNone && rs[0].Hint != "" || !strings.Contains(rs[0].Hint, tc.hintHas) {
				t.Errorf("hint %q, want it to contain %q", rs[0].Hint, tc.hintHas)
			}
			dump := fmt.Sprintf("%+v", rs)
			for _, secret := range []string{vSecret, good, other} {
				if strings.Contains(dump, secret) {
					t.Errorf("result contains a secret: %s", dump)
				}
			}
		})
	}
}

// With one endpoint standing in for every region, a password for the wrong
// region is accepted there: verify says SES would refuse it.
func TestVerifyAcceptedButWrongRegion(t *testing.T) {
	srv := smtpauthtest.Start(t, smtpauthtest.Config{Accounts: map[string]string{vKeyID: vSecret}, Region: "eu-west-1"})
	p := derive.Password(vSecret, "eu-west-1")
	rs, err := verify.Set(context.Background(), vSet(vSecret, cred("eu-west-1", p), cred("us-east-1", p)), vOpts(srv))
	if err != nil {
		t.Fatal(err)
	}
	if !verify.AllAccepted(rs) || rs[0].Hint != "" || !strings.Contains(rs[1].Hint, "SES's us-east-1 endpoint will refuse it") {
		t.Fatalf("results %+v", rs)
	}
}

func TestVerifyRegionsFilterAndOrder(t *testing.T) {
	srv := smtpauthtest.Start(t, smtpauthtest.Config{Accounts: map[string]string{vKeyID: vSecret}, Region: "eu-west-1"})
	set := vSet("", cred("us-east-1", "x"), cred("eu-west-1", derive.Password(vSecret, "eu-west-1")), cred("us-west-2", "y"))
	o := vOpts(srv)
	o.Regions = []string{"eu-west-1"}
	rs, err := verify.Set(context.Background(), set, o)
	if err != nil || len(rs) != 1 || rs[0].Region != "eu-west-1" || rs[0].Status != verify.Accepted {
		t.Fatalf("filtered: %+v %v", rs, err)
	}
	rs, err = verify.Set(context.Background(), set, vOpts(srv))
	if err != nil || len(rs) != 3 || rs[0].Region != "us-east-1" || rs[2].Region != "us-west-2" || verify.AllAccepted(rs) {
		t.Fatalf("all: %+v %v", rs, err)
	}
	o.Regions = []string{"ap-south-1"}
	if _, err := verify.Set(context.Background(), set, o); fail.ExitCode(err) != fail.ExitUsage {
		t.Fatalf("region not in input: %v, want a usage error", err)
	}
	if st := srv.Stats(); st.AuthAttempts != 4 {
		t.Fatalf("%d AUTH attempts, want 4 (none for the bad filter)", st.AuthAttempts)
	}
}

func TestVerifyTargets(t *testing.T) {
	set := vSet("", cred("us-east-1", "x"), cred("eu-west-1", "y"))
	for _, tc := range []struct {
		name string
		opts verify.Options
		want string // substring of the usage error
	}{
		{"bad port", verify.Options{Port: 2525}, "SES listens on"},
		{"fips without endpoint", verify.Options{FIPS: true}, "eu-west-1 has no FIPS SMTP endpoint"},
		{"bad endpoint", verify.Options{Endpoint: "no-port"}, "want HOST:PORT"},
		{"fips and endpoint", verify.Options{Endpoint: "h:1", FIPS: true}, "cannot be combined"},
	} {
		_, err := verify.Set(context.Background(), set, tc.opts)
		if fail.ExitCode(err) != fail.ExitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want usage error with %q", tc.name, err, tc.want)
		}
	}
	bad := vSet("", cred("email-smtp.evil.example:25#", "x"))
	if _, err := verify.Set(context.Background(), bad, verify.Options{}); fail.ExitCode(err) != fail.ExitUsage {
		t.Errorf("a region that is not a region name: %v, want usage error", err)
	}
}

func TestVerifyWaitRetriesThenAccepts(t *testing.T) {
	srv := smtpauthtest.Start(t, smtpauthtest.Config{Accounts: map[string]string{vKeyID: vSecret}, Region: "eu-west-1", RejectFirst: 3})
	o := vOpts(srv)
	o.Wait, o.RetryInitial = 5*time.Second, 10*time.Millisecond
	var progress []string
	var mu sync.Mutex
	o.Notices = func(n provision.Notice) {
		mu.Lock()
		defer mu.Unlock()
		progress = append(progress, n.Text)
	}
	rs, err := verify.Set(context.Background(), vSet("", cred("eu-west-1", derive.Password(vSecret, "eu-west-1"))), o)
	if err != nil || rs[0].Status != verify.Accepted || rs[0].Attempts != 4 {
		t.Fatalf("%+v %v, want accepted on attempt 4", rs, err)
	}
	if n := strings.Count(strings.Join(progress, "\n"), "retrying in"); n != 3 {
		t.Errorf("%d progress notices, want 3:\n%s", n, strings.Join(progress, "\n"))
	}
}

func TestVerifyWaitGivesUp(t *testing.T) {
	srv := smtpauthtest.Start(t, smtpauthtest.Config{Accounts: map[string]string{vKeyID: vSecret}, Region: "eu-west-1"})
	o := vOpts(srv)
	o.Wait, o.RetryInitial = 200*time.Millisecond, 20*time.Millisecond
	other := derive.Password(vSecret, "us-east-1")
	start := time.Now()
	rs, err := verify.Set(context.Background(), vSet("", cred("eu-west-1", other)), o)
	if err != nil || rs[0].Status != verify.Rejected || rs[0].Attempts < 2 || !strings.Contains(rs[0].Hint, "still not active in SES after 200ms") {
		t.Fatalf("%+v %v", rs, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %s with --wait 200ms", d)
	}
}

func TestVerifyCancelled(t *testing.T) {
	srv := smtpauthtest.Start(t, smtpauthtest.Config{Silent: true})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := verify.Set(ctx, vSet("", cred("eu-west-1", "x"), cred("us-east-1", "y")), vOpts(srv))
	if fail.ExitCode(err) != fail.ExitInterrupted {
		t.Fatalf("%v, want an interruption", err)
	}
}

func TestReadCredentialSets(t *testing.T) {
	line := `{"user_name":"a","access_key_id":"AKIA1","credentials":[{"region":"us-east-1","smtp_password":"p1"}]}`
	pretty := "{\n  \"smtp_username\": \"AKIA2\",\n  \"secret_access_key\": \"s\",\n  \"credentials\": [{\"region\": \"eu-west-1\", \"smtp_password\": \"p2\"}]\n}"
	sets, err := creds.ReadCredentialSets(strings.NewReader(line + "\n" + pretty + "\n[" + line + "]"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 3 || sets[1].AccessKeyID != "AKIA2" || sets[1].SecretAccessKey.Reveal() != "s" || sets[2].Credentials[0].Password.Reveal() != "p1" {
		t.Fatalf("%+v", sets)
	}
	for _, bad := range []string{"", `{"credentials":[]}`, `{"access_key_id":"A","credentials":[{"region":"r"}]}`, `{"access_key_id":"A","smtp_username":"B","credentials":[{"region":"r","smtp_password":"p"}]}`, `{"access_key_id": "A", "credentials": [{"region":"r","smtp_password":"SeCrEtPaSs"}] x`} {
		_, err := creds.ReadCredentialSets(strings.NewReader(bad))
		if fail.ExitCode(err) != fail.ExitUsage || strings.Contains(err.Error(), "SeCrEtPaSs") {
			t.Errorf("%q: %v, want a usage error without the password", bad, err)
		}
	}
}

// A batch's status lines carry no credentials: they are passed over and
// named; only an input of nothing else is refused (exit 2).
func TestReadCredentialInputSkipsStatusLines(t *testing.T) {
	created := `{"user_name":"bob","access_key_id":"AKIAEXAMPLE000000001","smtp_username":"AKIAEXAMPLE000000001","status":"created","credentials":[{"region":"us-east-1","smtp_endpoint":"email-smtp.us-east-1.amazonaws.com","smtp_password":"pw"}]}`
	exists := `{"user_name":"alice","user_arn":"arn:aws:iam::123456789012:user/alice","status":"exists","access_key_ids":["AKIAEXAMPLE000000002"],"credentials":[]}`
	failed := `{"user_name":"carol","status":"failed","error":"iam:CreateAccessKey: AccessDenied","credentials":[]}`
	sets, skipped, err := creds.ReadCredentialInput(strings.NewReader(exists + "\n" + created + "\n" + failed + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 1 || sets[0].UserName != "bob" {
		t.Errorf("sets %+v; want bob's only", sets)
	}
	if len(skipped) != 2 || skipped[0].String() != "alice (exists)" || skipped[1].String() != "carol (failed)" || skipped[1].Object != 3 {
		t.Errorf("skipped %+v", skipped)
	}
	_, _, err = creds.ReadCredentialInput(strings.NewReader(exists + "\n" + failed))
	if fail.ExitCode(err) != 2 || !strings.Contains(err.Error(), "alice (exists), carol (failed)") {
		t.Errorf("only status lines: %v (exit %d)", err, fail.ExitCode(err))
	}
	// A credentials object that lacks credentials, with no status, is still
	// refused.
	if _, _, err := creds.ReadCredentialInput(strings.NewReader(`{"access_key_id":"AKIAEXAMPLE000000001","credentials":[]}`)); fail.ExitCode(err) != 2 {
		t.Errorf("no credentials, no status: %v", err)
	}
}
