package apply

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/provision"
)

// summary is a Sender with its regions reduced to their names, for
// comparing.
type summary struct {
	Name      string
	Line      int
	Regions   []string
	DeliverTo string
	MaxKeyAge time.Duration
	Grace     time.Duration
	AllowFrom []string
	Path      string
	Tags      []provision.Tag
	Boundary  string
}

func summarize(ss []Sender) []summary {
	out := []summary{}
	for _, s := range ss {
		var regions []string
		for _, r := range s.Regions {
			regions = append(regions, r.Name)
		}
		out = append(out, summary{s.Name, s.Line, regions, string(s.DeliverTo.Kind) + ":" + s.DeliverTo.Target,
			s.MaxKeyAge, s.Grace, s.AllowFrom, s.Path, s.Tags, s.PermissionsBoundary})
	}
	return out
}

func parseString(t *testing.T, src string) (*File, error) {
	t.Helper()
	return Parse(strings.NewReader(src), "senders.yaml")
}

func mustParse(t *testing.T, src string) *File {
	t.Helper()
	f, err := parseString(t, src)
	if err != nil {
		t.Fatalf("Parse: %v\nfile:\n%s", err, src)
	}
	return f
}

// problemsOf returns the problems of a file that must not parse, checking
// that the error is a usage error carrying a *FileError.
func problemsOf(t *testing.T, src string) []Problem {
	t.Helper()
	f, err := parseString(t, src)
	if err == nil {
		t.Fatalf("Parse accepted the file: %+v\nfile:\n%s", f, src)
	}
	if fail.KindOf(err) != fail.KindUsage || fail.ExitCode(err) != fail.ExitUsage {
		t.Errorf("error kind %v, want a usage error: %v", fail.KindOf(err), err)
	}
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %T is not a *FileError: %v", err, err)
	}
	return fe.Problems
}

const day = 24 * time.Hour

func TestParseExample(t *testing.T) {
	fh, err := os.Open("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	f, err := Parse(fh, "example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "example.yaml" {
		t.Errorf("Name = %q", f.Name)
	}
	want := []summary{
		{Name: "billing-mailer", Line: 7, Regions: []string{"us-east-1", "eu-west-1"}, DeliverTo: "secretsmanager:ses/{user}",
			MaxKeyAge: 90 * day, Grace: 24 * time.Hour, AllowFrom: []string{"billing@example.com"}, Path: "/"},
		{Name: "alerts", Line: 9, Regions: []string{"eu-west-1"}, DeliverTo: "ssm:/mail/{user}",
			MaxKeyAge: 90 * day, Grace: 24 * time.Hour, Path: "/"},
	}
	if got := summarize(f.Senders); !reflect.DeepEqual(got, want) {
		t.Errorf("senders:\n got %+v\nwant %+v", got, want)
	}
	if got := f.Senders[0].DeliverTo.For("billing-mailer"); got.Kind != deliver.KindSecretsManager || got.Target != "ses/billing-mailer" {
		t.Errorf("DeliverTo.For = %+v", got)
	}
}

func TestParseValid(t *testing.T) {
	cases := []struct {
		name, src string
		want      []summary
	}{
		{"no senders", "senders: []\n", []summary{}},
		{"empty defaults, everything per sender", `defaults:
senders:
  - name: a1
    regions:
      - us-east-1
    deliver_to: file:/tmp/creds/{user}.json
    max_key_age: "0"
    grace: 36h30m
    allow_from: [Billing@Example.com, "*@alerts.example.com"]
    path: /smtp/
    tags: {team: mail, cost: 1234}
    permissions_boundary: arn:aws:iam::123456789012:policy/SMTPBoundary
`, []summary{{Name: "a1", Line: 3, Regions: []string{"us-east-1"}, DeliverTo: "file:/tmp/creds/{user}.json",
			Grace:     36*time.Hour + 30*time.Minute,
			AllowFrom: []string{"Billing@Example.com", "billing@example.com", "*@alerts.example.com"}, Path: "/smtp/",
			Tags:     []provision.Tag{{Key: "cost", Value: "1234"}, {Key: "team", Value: "mail"}},
			Boundary: "arn:aws:iam::123456789012:policy/SMTPBoundary"}}},
		{"sender overrides: allow_from [] and tags merged", `defaults:
  regions: [eu-west-1]
  deliver_to: cmd:store {user}
  allow_from: [all@example.com]
  tags: {team: mail, env: prod}
  max_key_age: 0
senders:
  - name: a
    allow_from: []
    tags: {Env: staging, owner: ops}
  - name: b
`, []summary{
			{Name: "a", Line: 8, Regions: []string{"eu-west-1"}, DeliverTo: "cmd:store {user}", Path: "/",
				Tags: []provision.Tag{{Key: "Env", Value: "staging"}, {Key: "owner", Value: "ops"}, {Key: "team", Value: "mail"}}},
			{Name: "b", Line: 11, Regions: []string{"eu-west-1"}, DeliverTo: "cmd:store {user}", Path: "/",
				AllowFrom: []string{"all@example.com"},
				Tags:      []provision.Tag{{Key: "env", Value: "prod"}, {Key: "team", Value: "mail"}}},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := mustParse(t, c.src)
			if got := summarize(f.Senders); !reflect.DeepEqual(got, c.want) {
				t.Errorf("senders:\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// TestParseAllowFromNil: no scope is nil, whether absent or [].
func TestParseAllowFromNil(t *testing.T) {
	f := mustParse(t, base+"  - name: a\n  - name: b\n    allow_from: []\n")
	for _, s := range f.Senders {
		if s.AllowFrom != nil || s.Tags != nil {
			t.Errorf("%s: AllowFrom %#v, Tags %#v; want nil", s.Name, s.AllowFrom, s.Tags)
		}
	}
}

// want is one expected problem: its line, where, and a part of its message.
type want struct {
	line  int
	where string
	msg   string
}

func checkProblems(t *testing.T, got []Problem, wants []want) {
	t.Helper()
	ok := len(got) == len(wants)
	for i := 0; ok && i < len(got); i++ {
		w := wants[i]
		ok = got[i].Line == w.line && got[i].Where == w.where && strings.Contains(got[i].Msg, w.msg)
	}
	if ok {
		return
	}
	var b strings.Builder
	for _, p := range got {
		fmt.Fprintf(&b, "\n  %d %q %s", p.Line, p.Where, p.Msg)
	}
	t.Errorf("problems:%s\nwant %+v", b.String(), wants)
}

func TestParseManyProblems(t *testing.T) {
	data, err := os.ReadFile("testdata/many.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := problemsOf(t, string(data))
	const (
		s0 = "senders[0] (billing-mailer)"
		s1 = "senders[1] (alerts)"
		s2 = "senders[2] (Billing-Mailer)"
	)
	checkProblems(t, got, []want{
		{2, "defaults", "regions is a single value: write a list, e.g. regions: [us-east-1, eu-west-1]"},
		{3, "defaults", "deliver_to secretsmanager:ses/shared is the same for senders billing-mailer (line 7), alerts (line 12)"},
		{4, "defaults", `max_key_age "3 months": give whole days (90d)`},
		{5, "defaults", "name cannot be a default"},
		{8, s0, `unknown key "alow_from" (did you mean "allow_from"?)`},
		{10, s0, `tags: key "aws:owner" is reserved`},
		{13, s1, `regions: "mars-north-1" refused`},
		{14, s1, `grace "-1h"`},
		{15, s1, `path "smtp" is not an IAM path`},
		{16, s2, `sender "Billing-Mailer" is listed twice (also senders[0] (billing-mailer) at line 7`},
		{17, s2, `deliver_to "stdout": apply prints one status line per sender on stdout; deliver to secretsmanager:, ssm:, cmd: or file:`},
		{18, "senders[3]", "no name"},
		{19, "senders[3]", "permissions_boundary:"},
		{20, "senders[4]", "empty sender entry"},
		{23, "senders[5] (reports)", "allow_from is a single value: write a list, e.g. allow_from: [reports@example.com]"},
		{25, "senders[6] (daily)", "deliver_to ssm:/mail/reports is also the destination of senders[5] (reports) at line 21"},
		{26, "senders[6] (daily)", `tags: key "team" repeats "Team"`},
		{27, "", `unknown key "extra"`},
	})
	_, err = Parse(strings.NewReader(string(data)), "senders.yaml")
	lines := strings.Split(err.Error(), "\n")
	if lines[0] != "senders.yaml: 18 problems; nothing was changed" {
		t.Errorf("first line %q", lines[0])
	}
	if w := `  senders.yaml:8: senders[0] (billing-mailer): unknown key "alow_from" (did you mean "allow_from"?)`; lines[5] != w {
		t.Errorf("line 5 of the message:\n got %q\nwant %q", lines[5], w)
	}
}

// base is a defaults section that makes a sender with only a name valid;
// senders start at line 5.
const base = `defaults:
  regions: [us-east-1]
  deliver_to: ssm:/mail/{user}
senders:
`
