package apply

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/list"
)

func decodeSchema(t *testing.T) map[string]any {
	t.Helper()
	var s map[string]any
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatalf("the schema is not JSON: %v", err)
	}
	return s
}

// object returns m[path[0]][path[1]]… as a map, failing if absent.
func object(t *testing.T, m map[string]any, path ...string) map[string]any {
	t.Helper()
	for _, k := range path {
		next, ok := m[k].(map[string]any)
		if !ok {
			t.Fatalf("schema: no object at %s", strings.Join(path, "."))
		}
		m = next
	}
	return m
}

func keysOf(m map[string]any) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestSchemaShape(t *testing.T) {
	s := decodeSchema(t)
	if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" || s["$id"] != SchemaID || s["title"] == nil {
		t.Errorf("$schema %v, $id %v, title %v", s["$schema"], s["$id"], s["title"])
	}
	if !bytes.Equal(Schema(), Schema()) {
		t.Error("Schema differs between calls")
	}
	if !reflectEqual(s["required"], []any{"senders"}) {
		t.Errorf("top required = %v", s["required"])
	}
	sender := object(t, s, "$defs", "sender")
	defaults := object(t, s, "properties", "defaults")
	for what, o := range map[string]map[string]any{"top": s, "sender": sender, "defaults": defaults} {
		if o["additionalProperties"] != false {
			t.Errorf("%s: additionalProperties = %v, want false", what, o["additionalProperties"])
		}
		for key, p := range object(t, o, "properties") {
			if d, _ := p.(map[string]any)["description"].(string); d == "" {
				t.Errorf("%s.%s has no description", what, key)
			}
		}
	}
	if !reflectEqual(sender["required"], []any{"name"}) {
		t.Errorf("sender required = %v", sender["required"])
	}
}

func reflectEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// TestSchemaKeysMatchParser: the keys Parse knows are the schema's, both
// ways, at every level.
func TestSchemaKeysMatchParser(t *testing.T) {
	s := decodeSchema(t)
	checks := []struct {
		what  string
		props map[string]any
		known []string
	}{
		{"top", object(t, s, "properties"), topKeys},
		{"sender", object(t, s, "$defs", "sender", "properties"), fieldKeys(false)},
		{"defaults", object(t, s, "properties", "defaults", "properties"), fieldKeys(true)},
	}
	for _, c := range checks {
		known := slices.Clone(c.known)
		sort.Strings(known)
		if got := keysOf(c.props); !slices.Equal(got, known) {
			t.Errorf("%s: schema keys %v, parser's %v", c.what, got, known)
		}
	}
	if slices.Contains(fieldKeys(true), "name") {
		t.Error("defaults may hold name")
	}
	// And Parse itself: no schema key of a sender is unknown to it.
	for key := range object(t, s, "$defs", "sender", "properties") {
		_, err := parseString(t, base+"  - name: a\n    "+key+": 1\n")
		if err != nil && strings.Contains(err.Error(), "unknown key") {
			t.Errorf("Parse does not know the schema's key %q: %v", key, err)
		}
	}
}

func TestSchemaRegions(t *testing.T) {
	var want []any
	for _, r := range derive.Regions() {
		if r.Usable() {
			want = append(want, r.Name)
		}
	}
	regions := object(t, decodeSchema(t), "$defs", "sender", "properties", "regions", "items")
	if !reflectEqual(regions["enum"], want) || len(want) == 0 {
		t.Errorf("regions enum %v, want %v", regions["enum"], want)
	}
}

// TestSchemaPatterns: the schema's patterns agree with the parser's
// checks on samples (Go's regexp reads these patterns as ECMA-262 does).
func TestSchemaPatterns(t *testing.T) {
	dur := regexp.MustCompile(durationPattern)
	for _, v := range []string{"0", "90d", "0d", "24h", "36h30m", "1.5h", "+2h", "500ms", "90", "-1h", "-1d", "1 d", "soon", "", "1y"} {
		_, err := list.ParseMaxAge(v)
		if dur.MatchString(v) != (err == nil) {
			t.Errorf("duration %q: pattern matches %v, ParseMaxAge error %v", v, dur.MatchString(v), err)
		}
	}
	props := object(t, decodeSchema(t), "$defs", "sender", "properties")
	name := regexp.MustCompile(props["name"].(map[string]any)["pattern"].(string))
	for _, v := range []string{"a", "billing-mailer", "a+b=c,d.e@f_g", strings.Repeat("n", 64), strings.Repeat("n", 65), "", "a b", "é"} {
		if err := provision.ValidateUserName(v); name.MatchString(v) != (err == nil) {
			t.Errorf("name %q: pattern matches %v, ValidateUserName error %v", v, name.MatchString(v), err)
		}
	}
	path := regexp.MustCompile(props["path"].(map[string]any)["pattern"].(string))
	for _, v := range []string{"/", "/smtp/", "/a/b/", "smtp", "/smtp", "//", "/a b/"} {
		if err := provision.ValidatePath(v); path.MatchString(v) != (err == nil) {
			t.Errorf("path %q: pattern matches %v, ValidatePath error %v", v, path.MatchString(v), err)
		}
	}
}

// TestSchemaValidates checks example.yaml against the schema with
// Python's jsonschema, and that a bad file fails, when it is installed.
func TestSchemaValidates(t *testing.T) {
	if err := exec.Command("python3", "-c", "import jsonschema").Run(); err != nil {
		t.Skipf("skipped: needs python3 with the jsonschema module (pip install jsonschema): %v", err)
	}
	dir := t.TempDir()
	schema := filepath.Join(dir, "senders.schema.json")
	if err := os.WriteFile(schema, Schema(), 0o600); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := validate(t, schema, good); err != nil {
		t.Errorf("example.yaml fails the schema: %v\n%s", err, out)
	}
	bad := "senders:\n  - name: a\n    alow_from: [a@example.com]\n    regions: us-east-1\n    deliver_to: stdout\n"
	out, err := validate(t, schema, []byte(bad))
	if err == nil {
		t.Errorf("a bad file passes the schema:\n%s", bad)
	}
	for _, w := range []string{"alow_from", "us-east-1", "stdout"} {
		if !strings.Contains(out, w) {
			t.Errorf("the validator's output does not mention %s:\n%s", w, out)
		}
	}
}

// validate converts a YAML file to JSON and checks it against schema,
// returning the validator's output.
func validate(t *testing.T, schema string, src []byte) (string, error) {
	t.Helper()
	var doc any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	const script = `import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
errs = list(v.iter_errors(json.load(sys.stdin)))
for e in errs: print(e.message)
sys.exit(1 if errs else 0)
`
	cmd := exec.Command("python3", "-c", script, schema)
	cmd.Stdin = bytes.NewReader(js)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
