package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated files (make generate)")

// repoRoot is the repository's root, from this package's directory.
const repoRoot = "../.."

// TestGeneratedFilesAreCurrent regenerates the completion scripts and the man
// page from the app definition in memory and compares them with the
// committed files. `make generate` (this test with -update) rewrites them.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	app := newApp(nil, &bytes.Buffer{}, &bytes.Buffer{})
	paths := make([]string, 0, len(generatedFiles))
	for p := range generatedFiles {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		want, err := generatedFiles[p](app)
		if err != nil {
			t.Fatalf("generate %s: %v", p, err)
		}
		full := filepath.Join(repoRoot, p)
		if *update {
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(full)
		if err != nil {
			t.Errorf("%s: %v; run 'make generate' and commit the result", p, err)
			continue
		}
		if string(got) != want {
			t.Errorf("%s is not current with the commands' definitions (%s); run 'make generate' and commit the result", p, firstDiff(string(got), want))
		}
	}
}

// firstDiff describes the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + itoa(i+1) + ": file has " + quoteShort(gl) + ", definitions give " + quoteShort(wl)
		}
	}
	return "same lines"
}

func itoa(i int) string { return fmtInt(i) }

func fmtInt(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func quoteShort(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return "\"" + s + "\""
}

// The man page documents every command with its examples and flags.
func TestManPageCoversEveryCommand(t *testing.T) {
	app := newApp(nil, &bytes.Buffer{}, &bytes.Buffer{})
	page, err := manPage(app)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(page, ".nh\n.TH SESPROV 1\n") {
		t.Errorf("man page has no .TH SESPROV 1 header:\n%.200s", page)
	}
	for _, cmd := range app.VisibleCommands() {
		if !strings.Contains(page, ".SS "+cmd.Name+"\n") {
			t.Errorf("man page lacks command %s", cmd.Name)
		}
		for _, f := range cmd.VisibleFlags() {
			name := f.Names()[0]
			if len(name) > 1 && !strings.Contains(page, `\fB--`+name+`\fP`) {
				t.Errorf("man page lacks %s --%s", cmd.Name, name)
			}
		}
	}
	if _, err := exec.LookPath("man"); err == nil {
		dir := t.TempDir()
		p := filepath.Join(dir, "sesprov.1")
		os.WriteFile(p, []byte(page), 0o644)
		cmd := exec.Command("man", "-l", p)
		cmd.Env = append(os.Environ(), "MANWIDTH=100", "MANPAGER=cat", "PAGER=cat")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("man -l: %v\n%s", err, out)
		}
		if !bytes.Contains(out, []byte("sesprov --sandbox create-user --regions us-east-1,eu-west-1")) {
			t.Errorf("man renders without create-user's example:\n%.1000s", out)
		}
	} else {
		t.Log("man is not installed: the page's rendering is not checked")
	}
}

// bashComplete loads the bash script the way a user does (source <(sesprov
// completion bash)) and asks it to complete line, the cursor at its end.
func bashComplete(t *testing.T, env []string, line string) []string {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed: the bash completion is not exercised")
	}
	script := `source <(sesprov completion bash) || exit 1
complete -p sesprov || exit 1
read -r -a COMP_WORDS <<<"$LINE"
[[ $LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE=$LINE
COMP_POINT=${#LINE}
_sesprov_complete
printf '%s\n' "${COMPREPLY[@]}"`
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", script)
	cmd.Env = append(append(os.Environ(), env...), "LINE="+line)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash completion of %q: %v\n%s", line, err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) == 0 || !strings.Contains(lines[0], "-F _sesprov_complete") || !strings.HasSuffix(lines[0], " sesprov") {
		t.Fatalf("complete -p sesprov: %q", lines)
	}
	return lines[1:]
}

func TestBashCompletion(t *testing.T) {
	state := filepath.Join(t.TempDir(), "sandbox.json")
	env := []string{"SESPROV_SANDBOX_STATE=" + state}
	app := newApp(nil, &bytes.Buffer{}, &bytes.Buffer{})
	var names []string
	for _, c := range app.VisibleCommands() {
		names = append(names, c.Name)
	}
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"sesprov cr", []string{"create-user"}},
		{"sesprov ", names},
		{"sesprov --sandbox der", []string{"derive"}},
		{"sesprov create-user --reg", []string{"--regions"}},
		{"sesprov --sandbox create-user --regions us-east-1 --dry", []string{"--dry-run"}},
		{"sesprov regions --av", []string{"--available"}},
		{"sesprov -o j", []string{"json"}},
		{"sesprov create-user --regions eu-c", []string{"eu-central-1"}},
		{"sesprov derive --regions us-east-1,eu-w", []string{"us-east-1,eu-west-1", "us-east-1,eu-west-2", "us-east-1,eu-west-3"}},
		{"sesprov create-user --regions il-", nil},
		{"sesprov create-user --allow-region il-", []string{"il-central-1"}},
		// Flags' values from a known set, and the completion command's shell.
		{"sesprov rotate --old-key ", []string{"deactivate", "delete", "keep"}},
		{"sesprov rotate --user-name a --old-key d", []string{"deactivate", "delete"}},
		{"sesprov -o ", []string{"table", "json", "csv", "env"}},
		{"sesprov list -o ", []string{"table", "json", "csv", "env"}},
		{"sesprov create-user --output c", []string{"csv"}},
		{"sesprov completion ", []string{"bash", "zsh", "fish"}},
		{"sesprov completion z", []string{"zsh"}},
		{"sesprov verify --port 24", []string{"2465"}},
		{"sesprov doctor --command create-user,rot", []string{"create-user,rotate"}},
	} {
		got := bashComplete(t, env, tc.line)
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("complete %q = %q, want %q", tc.line, got, tc.want)
		}
	}
	// Completing asks sesprov, which must not act: no sandbox account appears.
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("completion made the sandbox state %s (err %v): it ran a command", state, err)
	}
}

// zsh and fish are checked for syntax where they are installed; the scripts
// must name sesprov's commands (fish) or call its completion (zsh).
func TestZshFishCompletionScripts(t *testing.T) {
	app := newApp(nil, &bytes.Buffer{}, &bytes.Buffer{})
	fish, err := fishCompletion(app)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range app.VisibleCommands() {
		if !strings.Contains(fish, "-a '"+c.Name+"'") {
			t.Errorf("fish completion lacks command %s", c.Name)
		}
	}
	// fish: the values are in the script.
	for _, want := range []string{
		"-l old-key -r -a 'deactivate delete keep'",
		"-l output -s o -r -a 'table json csv env'",
		"__fish_seen_subcommand_from completion' -f -a 'bash zsh fish'",
	} {
		if !strings.Contains(fish, want) {
			t.Errorf("fish completion lacks %q", want)
		}
	}
	if !regexp.MustCompile(`seen_subcommand_from create-user' -f -l regions -r -a '[^']*\beu-west-1\b`).MatchString(fish) {
		t.Error("fish completion lacks create-user's --regions values")
	}
	// zsh asks sesprov with the words typed, the previous one included: the
	// values come from the code TestBashCompletion runs.
	if !strings.Contains(zshCompletion, `typed=("${(@)words[2,CURRENT-1]}")`) {
		t.Error("zsh completion does not pass the words typed")
	}
	if !strings.Contains(zshCompletion, "--generate-bash-completion") || !strings.HasPrefix(zshCompletion, "#compdef sesprov\n") {
		t.Error("zsh completion does not ask sesprov for candidates")
	}
	dir := t.TempDir()
	for shell, args := range map[string][]string{"zsh": {"-n"}, "fish": {"--no-execute"}} {
		path, err := exec.LookPath(shell)
		if err != nil {
			t.Logf("%s is not installed: its completion script's syntax is not checked", shell)
			continue
		}
		s, _ := completionFor(app, shell)
		f := filepath.Join(dir, "sesprov."+shell)
		os.WriteFile(f, []byte(s), 0o644)
		if out, err := exec.Command(path, append(args, f)...).CombinedOutput(); err != nil {
			t.Errorf("%s %v: %v\n%s", shell, args, err, out)
		}
	}
}
