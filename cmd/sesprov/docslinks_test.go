package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docsPending are documents other branches add; the index links them before
// they land. A missing one is logged, not failed; once present it is checked
// like the rest.
var docsPending = map[string]string{
	"docs/operations.md": "written on the lifecycle branch",
	"docs/iamfake.md":    "written on the iamfake branch",
}

var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// Every relative link in README.md and docs/*.md names a file or directory
// of the repository, and the docs index links every document.
func TestDocsLinks(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(repoRoot, "README.md"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			full := filepath.Join(filepath.Dir(f), target)
			if _, err := os.Stat(full); err != nil {
				rel, _ := filepath.Rel(repoRoot, full)
				if why, ok := docsPending[filepath.ToSlash(rel)]; ok {
					t.Logf("%s links %s, not here yet (%s)", filepath.Base(f), rel, why)
					continue
				}
				t.Errorf("%s links %s, which does not exist", f, m[1])
			}
		}
	}
	index, err := os.ReadFile(filepath.Join(repoRoot, "docs", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		if filepath.Dir(f) == filepath.Join(repoRoot, "docs") && name != "README.md" && !strings.Contains(string(index), "]("+name+")") {
			t.Errorf("docs/README.md does not link docs/%s", name)
		}
	}
}
