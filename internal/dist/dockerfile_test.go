package dist

import (
	"encoding/json"
	"go/version"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// dockerInstr is one Dockerfile instruction, its continuation lines joined.
type dockerInstr struct {
	cmd  string // upper case: FROM, RUN, …
	args string
}

// dockerStage is a FROM and the instructions up to the next FROM.
type dockerStage struct {
	image, name string
	instrs      []dockerInstr
}

// parseDockerfile returns the global ARGs (before the first FROM, name to
// default) and the stages.
func parseDockerfile(t *testing.T, text string) (map[string]string, []dockerStage) {
	t.Helper()
	var instrs []dockerInstr
	var cur string
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if cur == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur += strings.TrimSuffix(trimmed, "\\") + " "
			continue
		}
		cur += trimmed
		cmd, args, _ := strings.Cut(cur, " ")
		instrs = append(instrs, dockerInstr{strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur = ""
	}
	globals := map[string]string{}
	var stages []dockerStage
	for _, in := range instrs {
		switch {
		case in.cmd == "FROM":
			f := strings.Fields(in.args)
			s := dockerStage{image: f[len(f)-1]}
			if len(f) >= 3 && strings.EqualFold(f[len(f)-2], "AS") {
				s.image, s.name = f[len(f)-3], f[len(f)-1]
			}
			stages = append(stages, s)
		case len(stages) == 0 && in.cmd == "ARG":
			k, v, _ := strings.Cut(in.args, "=")
			globals[k] = v
		case len(stages) == 0:
			t.Fatalf("Dockerfile: %s before the first FROM", in.cmd)
		default:
			stages[len(stages)-1].instrs = append(stages[len(stages)-1].instrs, in)
		}
	}
	return globals, stages
}

var (
	goBuildRun = regexp.MustCompile(`\bgo build\b(.*)$`)
	ldflagsArg = regexp.MustCompile(`-ldflags[ =]"([^"]*)"`)
	outputArg  = regexp.MustCompile(`-o (\S+)`)
	goModGo    = regexp.MustCompile(`(?m)^go (\S+)\s*$`)
)

// TestDockerfile checks that the image is built as the Makefile builds
// sesprov (the same main package, -trimpath, ldflags with the version,
// CGO_ENABLED=0), with a Go at least as new as go.mod asks for, and that it
// runs it as a non-root user on a base with CA certificates.
func TestDockerfile(t *testing.T) {
	globals, stages := parseDockerfile(t, readRepoFile(t, "Dockerfile"))
	if len(stages) != 2 {
		t.Fatalf("Dockerfile: %d stages, want 2 (build, then the image)", len(stages))
	}
	build, final := stages[0], stages[1]

	goVersion, ok := globals["GO_VERSION"]
	if !ok || build.image != "golang:${GO_VERSION}" {
		t.Errorf("Dockerfile: the build stage is FROM %s (ARG GO_VERSION %q); want golang:${GO_VERSION}", build.image, goVersion)
	}
	m := goModGo.FindStringSubmatch(readRepoFile(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	// The golang image sets GOTOOLCHAIN=local: an older Go refuses the module.
	if version.Compare("go"+goVersion, "go"+m[1]) < 0 {
		t.Errorf("Dockerfile: GO_VERSION %s is older than go.mod's go %s", goVersion, m[1])
	}

	var run string
	cgoOff, versionArg := false, false
	for _, in := range build.instrs {
		switch in.cmd {
		case "ENV":
			if slices.Contains(strings.Fields(in.args), "CGO_ENABLED=0") {
				cgoOff = true
			}
		case "ARG":
			if k, _, _ := strings.Cut(in.args, "="); k == "VERSION" {
				versionArg = true
			}
		case "RUN":
			if goBuildRun.MatchString(in.args) {
				if run != "" {
					t.Errorf("Dockerfile: more than one go build")
				}
				run = in.args
			}
		}
	}
	if run == "" {
		t.Fatal("Dockerfile: the build stage has no RUN go build")
	}
	if strings.Contains(run, "CGO_ENABLED=0") {
		cgoOff = true
	}
	if !cgoOff {
		t.Errorf("Dockerfile: the build does not set CGO_ENABLED=0 (the image has no libc)")
	}
	if !versionArg {
		t.Errorf("Dockerfile: the build stage has no ARG VERSION for the ldflags")
	}
	args := goBuildRun.FindStringSubmatch(run)[1]
	if !slices.Contains(strings.Fields(args), "-trimpath") {
		t.Errorf("Dockerfile: go build without -trimpath: %s", run)
	}
	if lm := ldflagsArg.FindStringSubmatch(args); lm == nil {
		t.Errorf("Dockerfile: go build has no -ldflags \"…\": %s", run)
	} else if want := makefileLDFlags(t, "${VERSION}"); lm[1] != want {
		t.Errorf("Dockerfile: go build's ldflags %q, want the Makefile's %q", lm[1], want)
	}
	if f := strings.Fields(args); len(f) == 0 || f[len(f)-1] != "./cmd/sesprov" {
		t.Errorf("Dockerfile: go build %s does not build ./cmd/sesprov (the package the Makefile builds)", args)
	}
	om := outputArg.FindStringSubmatch(args)
	if om == nil {
		t.Fatalf("Dockerfile: go build has no -o")
	}
	built := om[1]

	if !strings.HasPrefix(final.image, "gcr.io/distroless/static") && final.image != "scratch" {
		t.Errorf("Dockerfile: the image is FROM %s, want distroless/static (or scratch)", final.image)
	}
	var user, binary, entry string
	caCerts := strings.HasPrefix(final.image, "gcr.io/distroless/static")
	for _, in := range final.instrs {
		switch in.cmd {
		case "USER":
			user = in.args
		case "COPY":
			f := strings.Fields(in.args)
			if len(f) == 3 && f[0] == "--from="+build.name && f[1] == built {
				binary = f[2]
			}
			if strings.Contains(in.args, "ca-certificates") {
				caCerts = true
			}
		case "ENTRYPOINT":
			var argv []string
			if err := json.Unmarshal([]byte(in.args), &argv); err != nil || len(argv) == 0 {
				t.Errorf("Dockerfile: ENTRYPOINT %s is not the exec form [\"…\"]", in.args)
				continue
			}
			entry = argv[0]
		}
	}
	if binary == "" {
		t.Errorf("Dockerfile: the image does not copy %s from the %s stage", built, build.name)
	}
	if entry != binary || path.Base(entry) != "sesprov" {
		t.Errorf("Dockerfile: ENTRYPOINT runs %q, want the copied sesprov %q", entry, binary)
	}
	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "root" || u == "0" {
		t.Errorf("Dockerfile: USER %q; want a non-root user", user)
	}
	if !caCerts {
		t.Errorf("Dockerfile: the image has no CA certificates (sesprov talks TLS to AWS)")
	}
}

// dockerignoreMatcher turns a .dockerignore pattern into a regexp over
// slash-separated paths relative to the context: * and ? within a path
// element, ** across elements; a pattern that matches a directory excludes
// what is inside it.
func dockerignoreMatcher(t *testing.T, pattern string) *regexp.Regexp {
	t.Helper()
	p := strings.TrimPrefix(path.Clean(strings.TrimPrefix(pattern, "/")), "/")
	var re strings.Builder
	re.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case strings.HasPrefix(p[i:], "**/"):
			re.WriteString("(.*/)?")
			i += 2
		case strings.HasPrefix(p[i:], "**"):
			re.WriteString(".*")
			i++
		case c == '*':
			re.WriteString("[^/]*")
		case c == '?':
			re.WriteString("[^/]")
		case c == '[' || c == '\\':
			t.Fatalf(".dockerignore: pattern %q: character classes and escapes are not understood by this check", pattern)
		default:
			re.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	re.WriteString("(/.*)?$")
	return regexp.MustCompile(re.String())
}

// TestDockerignoreKeepsTheBuild checks that .dockerignore leaves in the
// build context every file `go build ./cmd/sesprov` reads (go.mod, go.sum,
// the module's packages it imports), and keeps out .git and local builds.
func TestDockerignoreKeepsTheBuild(t *testing.T) {
	var matchers []*regexp.Regexp
	var patterns []string
	for _, line := range strings.Split(readRepoFile(t, ".dockerignore"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") {
			t.Fatalf(".dockerignore: exceptions (%s) are not understood by this check", line)
		}
		patterns = append(patterns, line)
		matchers = append(matchers, dockerignoreMatcher(t, line))
	}
	excluded := func(file string) string {
		for i, m := range matchers {
			if m.MatchString(file) {
				return patterns[i]
			}
		}
		return ""
	}

	files := []string{"go.mod", "go.sum"}
	out := goCmd(t, "", "list", "-deps", "-f",
		`{{if .Module}}{{if .Module.Main}}{{$d := .Dir}}{{range .GoFiles}}{{$d}}/{{.}} {{end}}{{range .EmbedFiles}}{{$d}}/{{.}} {{end}}{{end}}{{end}}`,
		"./cmd/sesprov")
	for _, f := range strings.Fields(out) {
		rel := strings.TrimPrefix(f, repoRoot+"/")
		files = append(files, rel)
	}
	if len(files) < 5 {
		t.Fatalf("go list found only %q", files)
	}
	for _, f := range files {
		if p := excluded(f); p != "" {
			t.Errorf(".dockerignore: %q leaves out %s, which go build ./cmd/sesprov needs", p, f)
		}
	}
	for _, f := range []string{".git/config", "bin/sesprov", "dist/checksums.txt"} {
		if excluded(f) == "" {
			t.Errorf(".dockerignore does not leave out %s", f)
		}
	}
}

func TestDockerignoreMatcher(t *testing.T) {
	for _, c := range []struct {
		pattern, file string
		want          bool
	}{
		{".git", ".git/config", true},
		{".git", ".github/x", false},
		{"/bin", "bin/sesprov", true},
		{"bin", "cmd/bin/x", false},
		{"**/testdata", "testdata/a", true},
		{"**/testdata", "cmd/sesprov/testdata/script/x.txtar", true},
		{"*.test", "sesprov.test", true},
		{"*.test", "cmd/x.test", false},
		{"docs", "docs/sesprov.1", true},
		{"docs", "cmd/sesprov/docgen.go", false},
	} {
		if got := dockerignoreMatcher(t, c.pattern).MatchString(c.file); got != c.want {
			t.Errorf("pattern %q, file %q: excluded = %v, want %v", c.pattern, c.file, got, c.want)
		}
	}
}
