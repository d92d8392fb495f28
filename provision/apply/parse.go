package apply

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sesprov/sesprov/internal/editdist"

	"go.yaml.in/yaml/v3"

	"github.com/sesprov/sesprov/internal/fail"
)

// Problem is one thing wrong in a senders file.
type Problem struct {
	Line  int    // 1-based; 0 when the YAML library could not say
	Where string // "defaults", "senders[1] (alerts)", or "" for the top level
	Msg   string // what is wrong and what to write instead
}

// FileError lists every problem found in a senders file, sorted by line.
// Parse returns it marked as a usage error (exit 2); errors.As finds it.
type FileError struct {
	File     string
	Problems []Problem
}

// Error is a first line counting the problems, then one indented line per
// problem: "FILE:LINE: WHERE: MESSAGE".
func (e *FileError) Error() string {
	var b strings.Builder
	s := "s"
	if len(e.Problems) == 1 {
		s = ""
	}
	fmt.Fprintf(&b, "%s: %d problem%s; nothing was changed", e.File, len(e.Problems), s)
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.format(e.File))
	}
	return b.String()
}

func (p Problem) format(file string) string {
	s := file
	if p.Line > 0 {
		s += ":" + strconv.Itoa(p.Line)
	}
	s += ": "
	if p.Where != "" {
		s += p.Where + ": "
	}
	return s + p.Msg
}

// Parse reads a senders file whole and returns it with the defaults
// applied. name is the file's name, for messages. A file with any problem
// yields no File but a *FileError (a usage error) listing every problem.
func Parse(r io.Reader, name string) (*File, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, fail.AsUsage(&FileError{File: name, Problems: []Problem{{Msg: fmt.Sprintf(
			"the file is larger than %d MiB: is it the senders file? (ten thousand senders take about 1 MiB)", MaxFileSize>>20)}}})
	}
	rd := &reader{}
	var f *File
	if root := rd.document(data); root != nil {
		f = rd.file(root)
	}
	if len(rd.problems) > 0 {
		sort.SliceStable(rd.problems, func(i, j int) bool { return rd.problems[i].Line < rd.problems[j].Line })
		return nil, fail.AsUsage(&FileError{File: name, Problems: rd.problems})
	}
	f.Name = name
	return f, nil
}

// reader gathers the problems of one file as it is read.
type reader struct {
	problems []Problem
}

// MaxFileSize bounds a senders file: what is larger is refused unread.
const MaxFileSize = 16 << 20

// maxProblemLen bounds one problem's message: a value quoted in it may be
// as long as the file.
const maxProblemLen = 400

func (r *reader) add(line int, where, format string, args ...any) {
	msg := clip(fmt.Sprintf(format, args...), maxProblemLen)
	r.problems = append(r.problems, Problem{Line: line, Where: clip(where, maxProblemLen/4), Msg: msg})
}

// clip cuts s to at most n bytes, on a rune boundary, saying so.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "… (cut)"
}

var yamlLineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntax reports a YAML library error at the line it names, if any.
func (r *reader) syntax(err error) {
	msg := err.Error()
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		r.add(line, "", "YAML syntax: %s", m[2])
		return
	}
	r.add(0, "", "YAML syntax: %s", strings.TrimPrefix(msg, "yaml: "))
}

// document decodes the one YAML document of data and returns its top-level
// mapping, or nil when there is none to read further.
func (r *reader) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			r.add(1, "", "the file is empty: write senders: with one entry per sender (senders: [] for none)")
		} else {
			r.syntax(err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		r.add(next.Line, "", "a second YAML document (after ---): a senders file holds one document; remove it or move it to a file of its own")
	case !errors.Is(err, io.EOF):
		r.syntax(err)
	}
	if len(doc.Content) == 0 {
		r.add(1, "", "the file holds no YAML value: write senders: with one entry per sender (senders: [] for none)")
		return nil
	}
	root := doc.Content[0]
	r.walk(root)
	if root.Kind != yaml.MappingNode {
		r.add(root.Line, "", "the top level is %s, not a mapping: write senders: (a list) and optionally defaults:", kindName(root))
		return nil
	}
	return root
}

// walk refuses aliases and merge keys anywhere in the tree: the file's
// one way of sharing values is defaults.
func (r *reader) walk(n *yaml.Node) {
	switch n.Kind {
	case yaml.AliasNode:
		r.add(n.Line, "", "alias *%s: aliases are not supported; use defaults for shared values", n.Value)
		return
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if isMerge(n.Content[i]) {
				r.add(n.Content[i].Line, "", "merge key <<: not supported; use defaults for shared values")
				continue
			}
			r.walk(n.Content[i])
			r.walk(n.Content[i+1])
		}
		return
	}
	for _, c := range n.Content {
		r.walk(c)
	}
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge"
}

// pair is one key of a mapping with its value.
type pair struct {
	key  string
	k, v *yaml.Node
}

// pairs returns a mapping's keys in order, reporting duplicate keys (the
// first one is kept) and leaving out what walk already refused.
func (r *reader) pairs(m *yaml.Node, where string) []pair {
	first := map[string]int{}
	var out []pair
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		switch {
		case isMerge(k) || k.Kind == yaml.AliasNode:
			continue
		case k.Kind != yaml.ScalarNode:
			r.add(k.Line, where, "a key is %s: keys are plain words such as regions", kindName(k))
			continue
		}
		if line, dup := first[k.Value]; dup {
			r.add(k.Line, where, "key %q given twice (also at line %d): keep one", k.Value, line)
			continue
		}
		first[k.Value] = k.Line
		if v.Kind != yaml.AliasNode {
			out = append(out, pair{key: k.Value, k: k, v: v})
		}
	}
	return out
}

// kindName names a node's shape for messages.
func kindName(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case isNull(n):
		return "empty"
	}
	return fmt.Sprintf("a single value (%q)", n.Value)
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// unknownKey reports a key that is not one of known, suggesting the
// nearest known key when one is close.
func (r *reader) unknownKey(k *yaml.Node, where string, known []string) {
	msg := fmt.Sprintf("unknown key %q", k.Value)
	if s := nearest(k.Value, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	} else {
		msg += " (the keys here are " + strings.Join(known, ", ") + ")"
	}
	r.add(k.Line, where, "%s", msg)
}

// nearest returns the key of known within a small edit distance of s
// (case aside), or "".
func nearest(s string, known []string) string {
	best, bestD := "", 3
	if len(s) <= 4 {
		bestD = 2
	}
	for _, k := range known {
		if d := editdist.Distance(strings.ToLower(s), k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}
