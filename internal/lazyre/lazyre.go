// Package lazyre compiles a regular expression on first use.
package lazyre

import (
	"regexp"
	"sync"
)

// Regexp compiles its pattern on first use. Package-level
// regexp.MustCompile runs at every process start, and sesprov's start-up
// time is part of its speed targets (docs/performance.md: `sesprov derive`
// as a whole process), while most commands never need most patterns.
type Regexp struct {
	re func() *regexp.Regexp
}

// New returns a Regexp for pattern, compiled when first used.
func New(pattern string) *Regexp {
	return &Regexp{re: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })}
}

func (l *Regexp) MatchString(s string) bool                { return l.re().MatchString(s) }
func (l *Regexp) FindStringSubmatch(s string) []string     { return l.re().FindStringSubmatch(s) }
func (l *Regexp) ReplaceAllString(src, repl string) string { return l.re().ReplaceAllString(src, repl) }
