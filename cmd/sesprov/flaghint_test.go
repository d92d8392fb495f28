package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestNearest(t *testing.T) {
	flags := []string{"regions", "region", "allow-region", "user-name", "output", "o", "dry-run", "yes", "y"}
	for _, tc := range []struct{ typed, want string }{
		{"region-s", "regions"},
		{"regoins", "regions"},
		{"user-nme", "user-name"},
		{"username", "user-name"},
		{"ouptut", "output"},
		{"dry", "dry-run"}, // the only flag it begins
		{"dryrun", "dry-run"},
		{"nosuch", ""},
		{"x", ""},
		{"yse", "yes"},
	} {
		if got := nearest(tc.typed, flags); got != tc.want {
			t.Errorf("nearest(%q) = %q, want %q", tc.typed, got, tc.want)
		}
	}
	cmds := []string{"create-user", "rotate", "delete-user", "list", "migrate", "convert", "derive", "verify", "doctor", "regions", "completion", "man"}
	for _, tc := range []struct{ typed, want string }{
		{"creat-user", "create-user"},
		{"createuser", "create-user"},
		{"create", "create-user"},
		{"lsit", "list"},
		{"rotat", "rotate"},
		{"region", "regions"},
		{"frobnicate", ""},
		{"mna", "man"},
	} {
		if got := nearest(tc.typed, cmds); got != tc.want {
			t.Errorf("nearest(%q) = %q, want %q", tc.typed, got, tc.want)
		}
	}
}

// Every command takes every global flag after its name, and no command
// flag shadows one with another meaning (delete-user's and migrate's own
// --yes, -y mean the same).
func TestEveryCommandTakesTheGlobalFlags(t *testing.T) {
	app := newApp(nil, &bytes.Buffer{}, &bytes.Buffer{})
	for _, cmd := range app.Commands {
		for _, gf := range globalFlags() {
			name := gf.Names()[0]
			if !definesFlag(cmd, name) {
				t.Errorf("%s does not take --%s", cmd.Name, name)
			}
			for _, f := range cmd.Flags {
				for _, n := range f.Names() {
					for _, gn := range gf.Names() {
						if n == gn && !isGlobalFlag(f) && name != flgYes {
							t.Errorf("%s's own --%s shadows the global flag", cmd.Name, n)
						}
					}
				}
			}
		}
	}
}

// Each command's --help lists its own flags, then the global ones in a
// section of their own, each flag once.
func TestCommandHelpSections(t *testing.T) {
	app := newApp(nil, &bytes.Buffer{}, &bytes.Buffer{})
	for _, cmd := range app.VisibleCommands() {
		var out, errw bytes.Buffer
		if code := run(context.Background(), []string{"sesprov", cmd.Name, "--help"}, nil, &out, &errw); code != 0 {
			t.Fatalf("%s --help: exit %d: %s", cmd.Name, code, errw.String())
		}
		help := out.String()
		own, global, ok := strings.Cut(help, "\nGLOBAL OPTIONS (before or after the command):\n")
		if !ok || !strings.Contains(own, "\nOPTIONS:\n") {
			t.Fatalf("%s --help has no OPTIONS and GLOBAL OPTIONS sections:\n%s", cmd.Name, help)
		}
		for _, f := range cmd.VisibleFlags() {
			line := "\n   --" + f.Names()[0]
			in := func(s string) bool {
				return strings.Contains(s, line+" ") || strings.Contains(s, line+",")
			}
			inOwn, inGlobal := in(own), in("\n"+global)
			if isGlobalFlag(f) != inGlobal || inOwn == inGlobal {
				t.Errorf("%s --help: --%s in OPTIONS %v, in GLOBAL OPTIONS %v", cmd.Name, f.Names()[0], inOwn, inGlobal)
			}
		}
		if !strings.Contains(own, "\n   --help, -h ") {
			t.Errorf("%s --help lacks --help", cmd.Name)
		}
	}
}

// A global flag given after the command wins over the same flag before it,
// which wins over its environment variable (table tests through run).
func TestGlobalFlagLevels(t *testing.T) {
	state := t.TempDir() + "/sandbox.json"
	for _, tc := range []struct {
		env  string
		args []string
		want string // the start of stdout
	}{
		{"", []string{"regions", "-o", "json"}, `{"regions":`},
		{"", []string{"-o", "json", "regions"}, `{"regions":`},
		{"", []string{"-o", "csv", "regions", "-o", "json"}, `{"regions":`},
		{"", []string{"-o", "json", "regions", "--output=csv"}, `Region,`},
		{"csv", []string{"regions"}, `Region,`},
		{"csv", []string{"regions", "-o", "json"}, `{"regions":`},
		{"csv", []string{"-o", "json", "regions"}, `{"regions":`},
		{"json", []string{"-o", "table", "regions"}, `REGION`},
	} {
		t.Setenv(envOutput, tc.env)
		t.Setenv(envSandboxState, state)
		var out, errw bytes.Buffer
		code := run(context.Background(), append([]string{"sesprov"}, tc.args...), nil, &out, &errw)
		if code != 0 || !strings.HasPrefix(out.String(), tc.want) {
			t.Errorf("SESPROV_OUTPUT=%s sesprov %s: exit %d, stdout %.40q, want %q…; stderr %s", tc.env, strings.Join(tc.args, " "), code, out.String(), tc.want, errw.String())
		}
	}
}
