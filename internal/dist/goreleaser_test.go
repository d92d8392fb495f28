package dist

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// goreleaserConfig is the part of .goreleaser.yaml (GoReleaser v2) these
// tests check.
type goreleaserConfig struct {
	Version     int    `yaml:"version"`
	ProjectName string `yaml:"project_name"`
	Builds      []struct {
		ID      string   `yaml:"id"`
		Main    string   `yaml:"main"`
		Binary  string   `yaml:"binary"`
		Env     []string `yaml:"env"`
		Flags   []string `yaml:"flags"`
		LDFlags []string `yaml:"ldflags"`
		GOOS    []string `yaml:"goos"`
		GOARCH  []string `yaml:"goarch"`
		Ignore  []any    `yaml:"ignore"`
		Skip    any      `yaml:"skip"`
	} `yaml:"builds"`
	Archives []struct {
		ID              string   `yaml:"id"`
		IDs             []string `yaml:"ids"`
		Formats         []string `yaml:"formats"`
		FormatOverrides []struct {
			GOOS    string   `yaml:"goos"`
			Formats []string `yaml:"formats"`
		} `yaml:"format_overrides"`
		Files []string `yaml:"files"`
	} `yaml:"archives"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
		Algorithm    string `yaml:"algorithm"`
		Disable      any    `yaml:"disable"`
	} `yaml:"checksum"`
}

func loadGoreleaser(t *testing.T) goreleaserConfig {
	t.Helper()
	var c goreleaserConfig
	if err := yaml.Unmarshal([]byte(readRepoFile(t, ".goreleaser.yaml")), &c); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	return c
}

// crossTargets is the Makefile's CROSS_TARGETS (what `make cross` builds).
func crossTargets(t *testing.T) []string {
	return strings.Fields(makeVar(t, "CROSS_TARGETS"))
}

// TestGoreleaserBuilds checks the release's builds: every command under
// cmd/, for Linux, macOS and Windows on amd64 and arm64 (the Makefile's
// CROSS_TARGETS), built as the Makefile builds it.
func TestGoreleaserBuilds(t *testing.T) {
	c := loadGoreleaser(t)
	if c.Version != 2 {
		t.Errorf(".goreleaser.yaml: version: %d, want 2 (GoReleaser v2's schema)", c.Version)
	}
	wantLD := makefileLDFlags(t, "{{.Version}}")
	wantTargets := crossTargets(t)
	var mains []string
	for _, b := range c.Builds {
		mains = append(mains, b.Main)
		if b.Binary != filepath.Base(b.Main) {
			t.Errorf("build %s: binary %q, want %q (the name `make build` gives it)", b.ID, b.Binary, filepath.Base(b.Main))
		}
		if !slices.Contains(b.Env, "CGO_ENABLED=0") {
			t.Errorf("build %s: env %q lacks CGO_ENABLED=0 (a static binary that runs on any libc, and in the distroless image)", b.ID, b.Env)
		}
		if !slices.Equal(b.Flags, []string{"-trimpath"}) {
			t.Errorf("build %s: flags %q, want [-trimpath] as the Makefile builds", b.ID, b.Flags)
		}
		if got := strings.Join(b.LDFlags, " "); got != wantLD {
			t.Errorf("build %s: ldflags %q, want the Makefile's LDFLAGS %q", b.ID, got, wantLD)
		}
		var targets []string
		for _, goos := range b.GOOS {
			for _, goarch := range b.GOARCH {
				targets = append(targets, goos+"/"+goarch)
			}
		}
		slices.Sort(targets)
		want := slices.Sorted(slices.Values(wantTargets))
		if !slices.Equal(targets, want) {
			t.Errorf("build %s: targets %q, want %q (the Makefile's CROSS_TARGETS)", b.ID, targets, want)
		}
		if len(b.Ignore) > 0 || b.Skip != nil {
			t.Errorf("build %s: ignore/skip drop targets of the matrix", b.ID)
		}
	}
	for _, m := range mainPackages(t) {
		if !slices.Contains(mains, m) {
			t.Errorf(".goreleaser.yaml has no build of %s (every command under cmd/ is released)", m)
		}
	}
	for _, m := range mains {
		if _, err := os.Stat(filepath.Join(repoRoot, m)); err != nil {
			t.Errorf(".goreleaser.yaml builds %s: %v", m, err)
		}
	}
	want := []string{"darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64", "windows/arm64"}
	if got := slices.Sorted(slices.Values(wantTargets)); !slices.Equal(got, want) {
		t.Errorf("the Makefile's CROSS_TARGETS are %q, want %q", got, want)
	}
}

// TestGoreleaserArchives checks the archives (tar.gz, zip on Windows, with
// every build and the files they name) and the sha256 checksums file.
func TestGoreleaserArchives(t *testing.T) {
	c := loadGoreleaser(t)
	if len(c.Archives) != 1 {
		t.Fatalf(".goreleaser.yaml: %d archives, want 1", len(c.Archives))
	}
	a := c.Archives[0]
	var ids []string
	for _, b := range c.Builds {
		ids = append(ids, b.ID)
	}
	for _, id := range ids {
		if len(a.IDs) > 0 && !slices.Contains(a.IDs, id) {
			t.Errorf("archive %s: ids %q leave out build %s", a.ID, a.IDs, id)
		}
	}
	if !slices.Equal(a.Formats, []string{"tar.gz"}) {
		t.Errorf("archive %s: formats %q, want [tar.gz]", a.ID, a.Formats)
	}
	if len(a.FormatOverrides) != 1 || a.FormatOverrides[0].GOOS != "windows" || !slices.Equal(a.FormatOverrides[0].Formats, []string{"zip"}) {
		t.Errorf("archive %s: format_overrides %+v, want zip for windows only", a.ID, a.FormatOverrides)
	}
	for _, pattern := range a.Files {
		matches, err := filepath.Glob(filepath.Join(repoRoot, pattern))
		if err != nil || len(matches) == 0 {
			t.Errorf("archive %s: files %q matches nothing", a.ID, pattern)
		}
	}
	if c.Checksum.Disable != nil && c.Checksum.Disable != false {
		t.Errorf("checksum: disable: %v; the README tells users to verify the archives with sha256sum -c", c.Checksum.Disable)
	}
	if c.Checksum.Algorithm != "sha256" {
		t.Errorf("checksum: algorithm %q, want sha256 (sha256sum -c, as the README says)", c.Checksum.Algorithm)
	}
	if c.Checksum.NameTemplate == "" {
		t.Errorf("checksum: no name_template; the README names the file")
	}
}

// TestReleaseBuildsRun builds every release build for this machine with
// the release's flags (the version template filled in) and checks that
// sesprov reports the version the ldflags set. `make cross` builds the
// other targets.
func TestReleaseBuildsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	c := loadGoreleaser(t)
	dir := t.TempDir()
	const version = "9.8.7-disttest"
	for _, b := range c.Builds {
		ld := strings.ReplaceAll(strings.Join(b.LDFlags, " "), "{{.Version}}", version)
		out := filepath.Join(dir, b.Binary)
		args := append([]string{"build"}, b.Flags...)
		args = append(args, "-ldflags", ld, "-o", out, b.Main)
		goCmd(t, strings.Join(b.Env, " "), args...)
		if b.Binary != "sesprov" {
			continue
		}
		got, err := exec.Command(out, "--version").CombinedOutput()
		if err != nil || !strings.Contains(string(got), version) {
			t.Errorf("%s --version: %q, %v; want the version %s set by the release's ldflags", b.Binary, got, err, version)
		}
	}
}
