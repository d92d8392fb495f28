package apply

import (
	"errors"
	"fmt"
	"io"
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

// TestParseProblemClasses has one case per kind of problem, each with the
// exact lines it is reported at.
func TestParseProblemClasses(t *testing.T) {
	const a = "senders[0] (a)"
	cases := []struct {
		name, src string
		want      []want
	}{
		// The YAML itself.
		{"empty file", "", []want{{1, "", "the file is empty"}}},
		{"syntax", "senders:\n  - name: a\n    path: /a/: b\n", []want{{3, "", "YAML syntax: mapping values are not allowed in this context"}}},
		{"syntax without a line", "senders: \"\\q\"\n", []want{{0, "", "YAML syntax: found unknown escape character"}}},
		{"two documents", "senders: []\n---\nsenders: []\n", []want{{2, "", "a second YAML document"}}},
		{"top level a list", "- name: a\n", []want{{1, "", "the top level is a list, not a mapping"}}},
		{"alias", base + "  - name: a\n    regions: &r [eu-west-1]\n  - name: b\n    regions: *r\n",
			[]want{{8, "", "alias *r: aliases are not supported; use defaults for shared values"}}},
		{"merge key", "defaults: &d\n  regions: [us-east-1]\n  deliver_to: ssm:/m/{user}\nsenders:\n  - name: a\n    <<: *d\n",
			[]want{{6, "", "merge key <<: not supported; use defaults for shared values"}}},
		{"duplicate top key", "senders: []\nsenders: []\n", []want{{2, "", `key "senders" given twice (also at line 1)`}}},
		{"duplicate sender key", base + "  - name: a\n    path: /a/\n    path: /b/\n",
			[]want{{7, a, `key "path" given twice (also at line 6)`}}},
		{"duplicate defaults key", "defaults:\n  grace: 1h\n  grace: 2h\nsenders: []\n",
			[]want{{3, "defaults", `key "grace" given twice`}}},

		// Store names the store would refuse, found before the day a key is due.
		{"ssm name reserved", base + "  - name: a\n    deliver_to: ssm:/aws/{user}\n",
			[]want{{6, a, `deliver_to ssm: "/aws/a" is not a Parameter Store name`}}},
		{"secret name with a comma", base + "  - name: x,y\n    deliver_to: secretsmanager:ses/{user}\n",
			[]want{{6, "senders[0] (x,y)", `deliver_to secretsmanager: "ses/x,y" is not a Secrets Manager secret name`}}},

		// Keys.
		{"unknown top key", "sender: []\n", []want{
			{1, "", `unknown key "sender" (did you mean "senders"?)`}, {1, "", "no senders: key"}}},
		{"sender setting at the top", "regions: [us-east-1]\nsenders: []\n",
			[]want{{1, "", "regions is a sender's setting: put it under defaults:"}}},
		{"unknown defaults key", "defaults:\n  region: [us-east-1]\nsenders: []\n",
			[]want{{2, "defaults", `unknown key "region" (did you mean "regions"?)`}}},
		{"unknown sender key, no near match", base + "  - name: a\n    colour: blue\n",
			[]want{{6, a, `unknown key "colour" (the keys here are name, regions, deliver_to,`}}},
		{"name in defaults", "defaults:\n  name: x\nsenders: []\n", []want{{2, "defaults", "name cannot be a default"}}},

		// Shapes.
		{"defaults a list", "defaults: [a]\nsenders: []\n", []want{{1, "defaults", "defaults is a list: write a mapping"}}},
		{"senders empty", "senders:\n", []want{{1, "", "senders is empty: list the senders (- name: billing-mailer), or write senders: [] for none"}}},
		{"senders a mapping", "senders: {name: a}\n", []want{{1, "", "senders is a mapping: write a list"}}},
		{"sender a single value", base + "  - billing\n", []want{{5, "senders[0]", `the entry is a single value ("billing"): each sender is a mapping`}}},
		{"sender empty", base + "  -\n  - name: b\n", []want{{5, "senders[0]", "empty sender entry"}}},
		{"regions a single value", base + "  - name: a\n    regions: us-east-1\n",
			[]want{{6, a, "regions is a single value: write a list, e.g. regions: [us-east-1]"}}},
		{"regions comma-separated", base + "  - name: a\n    regions: \"us-east-1, eu-west-1\"\n",
			[]want{{6, a, "write a list, e.g. regions: [us-east-1, eu-west-1]"}}},
		{"regions a mapping", base + "  - name: a\n    regions: {us-east-1: yes}\n",
			[]want{{6, a, "regions is a mapping: write a list, e.g. regions: [us-east-1, eu-west-1]"}}},
		{"regions item a list", base + "  - name: a\n    regions:\n      - [us-east-1]\n",
			[]want{{7, a, "regions: an item is a list: each item is one text value"}}},
		{"regions item blank", base + "  - name: a\n    regions: [us-east-1, \" \"]\n",
			[]want{{6, a, "regions: an item is blank: remove it"}}},
		{"allow_from item empty", base + "  - name: a\n    allow_from:\n      -\n",
			[]want{{7, a, "allow_from: an item is empty: each item is one text value"}}},
		{"name a list", base + "  - name: [a]\n", []want{{5, "senders[0]", "name is a list: give a single value"}}},
		{"tags a list", base + "  - name: a\n    tags: [team=mail]\n", []want{{6, a, "tags is a list: write a mapping of KEY: VALUE"}}},
		{"tag value a mapping", base + "  - name: a\n    tags:\n      team: {x: y}\n",
			[]want{{7, a, `tags: the value of "team" is a mapping`}}},

		// name.
		{"name missing", base + "  - regions: [us-east-1]\n", []want{{5, "senders[0]", "no name"}}},
		{"name invalid", base + "  - name: bad name!\n", []want{{5, "senders[0] (bad name!)", "has characters IAM refuses"}}},
		{"name too long", base + "  - name: " + strings.Repeat("n", 65) + "\n", []want{{5, "senders[0] (" + strings.Repeat("n", 65) + ")", "is 65 characters long; IAM allows at most 64"}}},
		{"name listed twice", base + "  - name: Mailer\n  - name: b\n  - name: mailer\n",
			[]want{{7, "senders[2] (mailer)", `sender "mailer" is listed twice (also senders[0] (Mailer) at line 5`}}},

		// regions.
		{"regions: every bad name at its line", base + "  - name: a\n    regions:\n      - us-east-1\n      - xx-nowhere-1\n      - mars\n",
			[]want{{8, a, `regions: "xx-nowhere-1" refused`}, {9, a, `regions: "mars" refused`}}},
		{"regions empty", base + "  - name: a\n    regions: []\n", []want{{6, a, "regions is an empty list"}}},
		{"regions nowhere", "defaults:\n  deliver_to: ssm:/m/{user}\nsenders:\n  - name: a\n",
			[]want{{4, a, "no regions: give regions: [us-east-1] (a list) here or under defaults"}}},
		{"bad default regions reported once", "defaults:\n  regions: [mars]\n  deliver_to: ssm:/m/{user}\nsenders:\n  - name: a\n  - name: b\n",
			[]want{{2, "defaults", `regions: "mars" refused`}}},

		// deliver_to.
		{"deliver_to stdout", base + "  - name: a\n    deliver_to: stdout\n",
			[]want{{6, a, "apply prints one status line per sender on stdout; deliver to secretsmanager:, ssm:, cmd: or file:"}}},
		{"deliver_to empty", base + "  - name: a\n    deliver_to:\n", []want{{6, a, `deliver_to "": apply prints`}}},
		{"deliver_to unknown kind", base + "  - name: a\n    deliver_to: s3:bucket\n",
			[]want{{6, a, `deliver_to: unknown kind "s3": the kinds are file:, cmd:, secretsmanager:, ssm:`}}},
		{"deliver_to no kind", base + "  - name: a\n    deliver_to: ses/{user}\n", []want{{6, a, `deliver_to "ses/{user}": give a kind and a target`}}},
		{"deliver_to no target", base + "  - name: a\n    deliver_to: \"ssm:\"\n", []want{{6, a, "deliver_to ssm:: needs a target"}}},
		{"deliver_to nowhere", "defaults:\n  regions: [us-east-1]\nsenders:\n  - name: a\n",
			[]want{{4, a, "no deliver_to: give e.g. deliver_to: secretsmanager:ses/{user} here or under defaults"}}},
		{"deliver_to shared, own", base + "  - name: a\n    deliver_to: file:/tmp/x.json\n  - name: b\n    deliver_to: file:/tmp/./x.json\n",
			[]want{{8, "senders[1] (b)", "deliver_to file:/tmp/x.json is also the destination of senders[0] (a) at line 5: each would overwrite the other's credentials; add {user}"}}},
		{"deliver_to shared via defaults", "defaults:\n  regions: [us-east-1]\n  deliver_to: secretsmanager:ses/smtp\nsenders:\n  - name: a\n  - name: b\n  - name: c\n",
			[]want{{3, "defaults", "deliver_to secretsmanager:ses/smtp is the same for senders a (line 5), b (line 6), c (line 7): each would overwrite the other's credentials; add {user}"}}},
		{"deliver_to shared, one inherits", "defaults:\n  regions: [us-east-1]\n  deliver_to: ssm:/smtp\nsenders:\n  - name: a\n  - name: b\n    deliver_to: ssm:/smtp\n",
			[]want{{7, "senders[1] (b)", "is also the destination of senders[0] (a) at line 5"}}},
		{"deliver_to shared command, not repeated", "defaults:\n  regions: [us-east-1]\n  deliver_to: cmd:vault write TOKEN=s3cr3t\nsenders:\n  - name: a\n  - name: b\n",
			[]want{{3, "defaults", "deliver_to cmd:… is the same for senders a (line 5), b (line 6)"}}},

		// max_key_age and grace.
		{"duration without unit", base + "  - name: a\n    max_key_age: 90\n", []want{{6, a, `max_key_age "90": give whole days (90d) or a Go duration (24h, 36h30m), not negative; 0 turns it off`}}},
		{"duration negative", base + "  - name: a\n    grace: -1d\n", []want{{6, a, `grace "-1d"`}}},
		{"duration garbage", base + "  - name: a\n    grace: soon\n", []want{{6, a, `grace "soon"`}}},
		{"duration a list", base + "  - name: a\n    grace: [1h]\n", []want{{6, a, "grace is a list: give a single value"}}},

		// allow_from.
		{"allow_from not an address", base + "  - name: a\n    allow_from:\n      - ok@example.com\n      - billing\n",
			[]want{{8, a, `allow_from "billing": not an address: give local@domain`}}},
		{"allow_from everything", base + "  - name: a\n    allow_from: [\"*@*\"]\n",
			[]want{{6, a, "matches every address, which is no scope: for no scope write allow_from: []"}}},
		{"allow_from a single value", base + "  - name: a\n    allow_from: a@example.com,b@example.com\n",
			[]want{{6, a, "write a list, e.g. allow_from: [a@example.com, b@example.com]"}}},

		// path, tags, permissions_boundary.
		{"path", base + "  - name: a\n    path: smtp/\n", []want{{6, a, `path "smtp/" is not an IAM path`}}},
		{"tag reserved aws:", base + "  - name: a\n    tags:\n      AWS:x: y\n", []want{{7, a, `key "AWS:x" is reserved`}}},
		{"tag reserved sesprov:", base + "  - name: a\n    tags:\n      SESPROV:regions: y\n", []want{{7, a, `key "SESPROV:regions" is reserved`}}},
		{"tag bad characters", base + "  - name: a\n    tags:\n      ok: fine\n      \"a!b\": c\n", []want{{8, a, `tag key "a!b" has characters IAM refuses`}}},
		{"tag value too long", base + "  - name: a\n    tags:\n      k: " + strings.Repeat("v", 257) + "\n", []want{{7, a, "longer than IAM's 256"}}},
		{"tags too many once merged", manyTags(), []want{{32, a, "tags, with the defaults' merged in: 50 tags"}}},
		{"permissions_boundary", base + "  - name: a\n    permissions_boundary: SMTPBoundary\n",
			[]want{{6, a, `permissions_boundary: "SMTPBoundary" is not a managed policy ARN`}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkProblems(t, problemsOf(t, c.src), c.want)
		})
	}
}

// manyTags is a file whose defaults hold 25 tags and whose sender adds 25
// more: 50, over the 49 sesprov leaves room for. The sender's tags: is at
// line 32.
func manyTags() string {
	var b strings.Builder
	b.WriteString(base[:len(base)-len("senders:\n")])
	b.WriteString("  tags:\n")
	for i := range 25 {
		fmt.Fprintf(&b, "    d%d: v\n", i)
	}
	b.WriteString("senders:\n  - name: a\n    tags:\n")
	for i := range 25 {
		fmt.Fprintf(&b, "      s%d: v\n", i)
	}
	return b.String()
}

// TestParseBoundsItsInput: a file larger than MaxFileSize is refused unread,
// and a problem quoting a huge value is cut, not echoed whole.
func TestParseBoundsItsInput(t *testing.T) {
	_, err := Parse(io.LimitReader(zeros{}, MaxFileSize+10), "big.yaml")
	var fe *FileError
	if !errors.As(err, &fe) || len(fe.Problems) != 1 || !strings.Contains(fe.Problems[0].Msg, "larger than 16 MiB") {
		t.Fatalf("a huge file: %v", err)
	}
	_, err = Parse(strings.NewReader("senders:\n  - name: "+strings.Repeat("a", 100000)+"\n"), "long.yaml")
	if err == nil || len(err.Error()) > 4000 {
		t.Fatalf("a huge name: %d bytes of error", len(err.Error()))
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}
