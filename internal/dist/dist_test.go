package dist

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// repoRoot is the module's root, two directories up from this package.
var repoRoot = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Join(wd, "..", "..")
}()

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// makeVar returns the value of `NAME := value` (or ?=, =) in the Makefile.
func makeVar(t *testing.T, name string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s*[:?]?=\s*(.*?)\s*$`)
	m := re.FindStringSubmatch(readRepoFile(t, "Makefile"))
	if m == nil {
		t.Fatalf("Makefile has no %s variable", name)
	}
	return m[1]
}

// makefileLDFlags is the Makefile's LDFLAGS with $(VERSION) replaced by
// version.
func makefileLDFlags(t *testing.T, version string) string {
	t.Helper()
	ld := makeVar(t, "LDFLAGS")
	if !strings.Contains(ld, "$(VERSION)") {
		t.Fatalf("the Makefile's LDFLAGS %q does not set the version from $(VERSION)", ld)
	}
	return strings.ReplaceAll(ld, "$(VERSION)", version)
}

// mainPackages returns the commands under cmd/ (the ones a release ships),
// as ./cmd/NAME paths.
func mainPackages(t *testing.T) []string {
	t.Helper()
	out := goCmd(t, "", "list", "-f", "{{if eq .Name \"main\"}}{{.Dir}}{{end}}", "./cmd/...")
	var mains []string
	for _, dir := range strings.Fields(out) {
		rel, err := filepath.Rel(repoRoot, dir)
		if err != nil {
			t.Fatal(err)
		}
		mains = append(mains, "./"+filepath.ToSlash(rel))
	}
	return mains
}

// goCmd runs the go command in the repository's root and returns its
// stdout; env is added to the environment.
func goCmd(t *testing.T, env string, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), args...)
	cmd.Dir = repoRoot
	cmd.Env = os.Environ()
	if env != "" {
		cmd.Env = append(cmd.Env, strings.Fields(env)...)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}
