package derive

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// SMTP_REGIONS of AWS's example script, copied from "Obtaining Amazon SES SMTP
// credentials":
// every one of them must be available, with the script as a source.
var exampleScriptRegions = []string{
	"us-east-2", "us-east-1", "us-west-2", "ap-south-1", "ap-northeast-2",
	"ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ca-central-1",
	"eu-central-1", "eu-west-1", "eu-west-2", "eu-south-1", "eu-north-1",
	"sa-east-1", "us-gov-west-1", "us-gov-east-1",
}

func TestRegionTableSources(t *testing.T) {
	for _, n := range exampleScriptRegions {
		r, ok := Lookup(n)
		if !ok || r.Status != StatusAvailable || !contains(r.Sources, SourceExampleScript) {
			t.Errorf("%s: %+v, want available from %s", n, r, SourceExampleScript)
		}
	}
	for _, n := range []string{"us-west-1", "eu-west-3", "ap-northeast-3"} {
		r, ok := Lookup(n)
		if !ok || r.Status != StatusAvailable || !reflect.DeepEqual(r.Sources, []string{SourceGeneralReference}) {
			t.Errorf("%s: %+v, want available from the General Reference only", n, r)
		}
	}
	for _, n := range []string{"af-south-1", "ap-southeast-3", "il-central-1", "me-south-1"} {
		r, ok := Lookup(n)
		if !ok || r.Status != StatusUnavailable || r.SMTPEndpoint != "" || !contains(r.Sources, SourceCredentialsPage) {
			t.Errorf("%s: %+v, want unavailable per AWS's SMTP credentials page, no endpoint", n, r)
		}
	}
	milan, _ := Lookup("eu-south-1")
	if !contains(milan.Sources, SourceCredentialsPage) || !strings.Contains(milan.Note, "disagree") {
		t.Errorf("eu-south-1 should show the disagreement: %+v", milan)
	}
	var avail int
	for _, r := range Regions() {
		if r.Status == StatusAvailable {
			avail++
		}
	}
	if avail != 20 {
		t.Errorf("%d available regions, want 17 from the script + 3 from the General Reference", avail)
	}
}

func TestRegionEndpoints(t *testing.T) {
	for _, tc := range []struct{ name, smtp, fips string }{
		{"us-east-1", "email-smtp.us-east-1.amazonaws.com", "email-smtp-fips.us-east-1.amazonaws.com"},
		{"us-east-2", "email-smtp.us-east-2.amazonaws.com", "email-smtp-fips.us-east-2.amazonaws.com"},
		{"us-west-2", "email-smtp.us-west-2.amazonaws.com", "email-smtp-fips.us-west-2.amazonaws.com"},
		{"us-gov-west-1", "email-smtp.us-gov-west-1.amazonaws.com", "email-smtp-fips.us-gov-west-1.amazonaws.com"},
		{"us-gov-east-1", "email-smtp.us-gov-east-1.amazonaws.com", ""},
		{"eu-west-1", "email-smtp.eu-west-1.amazonaws.com", ""},
		{"ap-northeast-3", "email-smtp.ap-northeast-3.amazonaws.com", ""},
	} {
		r, _ := Lookup(tc.name)
		if r.SMTPEndpoint != tc.smtp || r.FIPSEndpoint != tc.fips {
			t.Errorf("%s: endpoints %q %q, want %q %q", tc.name, r.SMTPEndpoint, r.FIPSEndpoint, tc.smtp, tc.fips)
		}
	}
	if got := Endpoint("cn-north-1"); got != "email-smtp.cn-north-1.amazonaws.com.cn" {
		t.Errorf("Endpoint(cn-north-1) = %q", got)
	}
}

func TestResolveRegions(t *testing.T) {
	got, err := ResolveRegions([]string{"eu-west-1", " us-east-1", "eu-west-1", "", "us-east-1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if names(got) != "eu-west-1,us-east-1" {
		t.Errorf("got %s, want the given order without duplicates", names(got))
	}

	got, err = ResolveRegions([]string{"ap-east-1", "af-south-1", "us-east-1", "ap-southeast-9"},
		[]string{"ap-east-1", "af-south-1", "ap-southeast-9"})
	if err != nil {
		t.Fatal(err)
	}
	if names(got) != "ap-east-1,af-south-1,us-east-1,ap-southeast-9" {
		t.Fatalf("got %s", names(got))
	}
	for _, r := range []Region{got[0], got[1], got[3]} {
		if r.Status != StatusAllowed || r.SMTPEndpoint != "email-smtp."+r.Name+".amazonaws.com" || !r.Usable() {
			t.Errorf("allowed region %+v", r)
		}
	}
	if got[2].Status != StatusAvailable {
		t.Errorf("us-east-1 should stay available: %+v", got[2])
	}

	if _, err := ResolveRegions(nil, nil); err == nil {
		t.Error("no names: want an error")
	}
}

func TestResolveRegionsReportsEveryProblem(t *testing.T) {
	_, err := ResolveRegions([]string{
		"us-east-9", "useast1", "US-EAST-1", "af-south-1", "ap-east-1", "eu-west-1a", "eu-south-1", "mars-1",
	}, []string{"Bad Name"})
	var re *RegionError
	if !errors.As(err, &re) {
		t.Fatalf("want *RegionError, got %v", err)
	}
	want := map[string][]string{
		"Bad Name":   {"--allow-region", "not an AWS region"},
		"us-east-9":  {"not an AWS region", "did you mean us-east-1 or us-east-2?"},
		"useast1":    {"not an AWS region", "did you mean us-east-1?"},
		"US-EAST-1":  {"not an AWS region", "did you mean us-east-1?"},
		"af-south-1": {"no SES SMTP endpoint in Africa (Cape Town)", SourceCredentialsPage, "--allow-region af-south-1"},
		"ap-east-1":  {"no SMTP endpoint is documented for this region", "--allow-region ap-east-1"},
		"eu-west-1a": {"did you mean eu-west-1?"},
		"mars-1":     {"not an AWS region", "sesprov regions"},
	}
	if len(re.Problems) != len(want) {
		t.Errorf("%d problems, want %d:\n%v", len(re.Problems), len(want), err)
	}
	for _, p := range re.Problems {
		for _, w := range want[p.Name] {
			if !strings.Contains(p.Reason, w) {
				t.Errorf("%s: reason %q lacks %q", p.Name, p.Reason, w)
			}
		}
		if want[p.Name] == nil {
			t.Errorf("unexpected problem %s: %s", p.Name, p.Reason)
		}
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "8 regions refused:\n") {
		t.Errorf("message %q", msg)
	}
}

func names(rs []Region) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.Name)
	}
	return strings.Join(s, ",")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestRegionsReturnsCopies(t *testing.T) {
	rs := Regions()
	rs[0].Sources[0] = "changed"
	if r, _ := Lookup(rs[0].Name); r.Sources[0] == "changed" {
		t.Error("Regions shares Sources with the table")
	}
}

func TestRegionShaped(t *testing.T) {
	for _, n := range []string{"us-east-1", "us-gov-west-1", "eusc-de-east-1", "us-isob-east-1", "ap-southeast-12", "mx-central-1"} {
		if !regionShaped(n) {
			t.Errorf("%s: want region-shaped", n)
		}
	}
	for _, n := range []string{"", "useast1", "US-EAST-1", "us-east", "us-east-1a", "us-east-123", "u-east-1", "abcde-east-1",
		"us--1", "us-east-", "-east-1", "us-a-b-c-1", "us-east-1 ", "us_east_1"} {
		if regionShaped(n) {
			t.Errorf("%q: want not region-shaped", n)
		}
	}
	for name, want := range map[string]string{
		"us-gov-west-1": "aws-us-gov", "cn-north-1": "aws-cn", "eusc-de-east-1": "aws-eusc",
		"us-isob-east-1": "aws-iso-b", "us-iso-east-1": "aws-iso", "us-east-1": "aws", "ap-east-9": "aws",
	} {
		if got, _ := partitionOf(name); got != want {
			t.Errorf("partitionOf(%s) = %s, want %s", name, got, want)
		}
	}
	// Every table row is region-shaped and in the partition its row says.
	for _, r := range Regions() {
		if p, _ := partitionOf(r.Name); !regionShaped(r.Name) || p != r.Partition {
			t.Errorf("%s: shaped %v, partition %s, row says %s", r.Name, regionShaped(r.Name), p, r.Partition)
		}
	}
}

// A secret given where a region belongs (swapped arguments, a hand-edited
// file) is refused without being shown; a mistyped region name is shown.
func TestRegionErrorDoesNotEchoSecrets(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	for _, name := range []string{secret, "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9", "abcdefghijklmnopqrstuvwxyz0123456789abcd"} {
		_, err := ResolveRegions([]string{name}, nil)
		if err == nil || strings.Contains(err.Error(), name) || strings.Contains(err.Error(), name[:16]) {
			t.Errorf("refusal of a secret-shaped value shows it: %v", err)
		}
	}
	_, err := ResolveRegions([]string{"us-east-9"}, nil)
	if err == nil || !strings.Contains(err.Error(), `"us-east-9"`) {
		t.Errorf("a mistyped region is not named: %v", err)
	}
}
