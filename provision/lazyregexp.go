package provision

import (
	"regexp"
	"sync"
)

// lazyRegexp compiles its pattern on first use. Package-level
// regexp.MustCompile runs at every process start, and sesprov's start-up
// time is part of its speed targets (docs/performance.md: `sesprov derive`
// as a whole process), while most commands never need most patterns.
type lazyRe struct {
	re func() *regexp.Regexp
}

func lazyRegexp(pattern string) *lazyRe {
	return &lazyRe{re: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })}
}

func (l *lazyRe) MatchString(s string) bool                { return l.re().MatchString(s) }
func (l *lazyRe) FindStringSubmatch(s string) []string     { return l.re().FindStringSubmatch(s) }
func (l *lazyRe) ReplaceAllString(src, repl string) string { return l.re().ReplaceAllString(src, repl) }
