package apply

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/provision"
)

// file reads the top-level mapping and returns the File it describes (its
// contents are only meaningful when no problem was reported).
func (r *reader) file(root *yaml.Node) *File {
	defs := &level{where: "defaults"}
	var senders *pair
	for _, p := range r.pairs(root, "") {
		switch p.key {
		case "defaults":
			defs = r.defaults(p)
		case "senders":
			senders = &p
		default:
			r.unknownTop(p)
		}
	}
	if senders == nil {
		r.add(root.Line, "", "no senders: key: add senders: with one entry per sender (senders: [] for none)")
		return nil
	}
	return r.resolveAll(defs, r.senders(*senders))
}

func (r *reader) unknownTop(p pair) {
	if _, ok := fieldByKey(p.key); ok {
		r.add(p.k.Line, "", "%s is a sender's setting: put it under defaults: (for every sender) or in a sender's entry", p.key)
		return
	}
	r.unknownKey(p.k, "", topKeys)
}

// defaults reads defaults:, which may be empty.
func (r *reader) defaults(p pair) *level {
	switch {
	case isNull(p.v):
		return &level{where: "defaults", line: p.k.Line}
	case p.v.Kind != yaml.MappingNode:
		r.add(p.v.Line, "defaults", "defaults is %s: write a mapping of settings, e.g. defaults: {regions: [us-east-1]}", kindName(p.v))
		return &level{where: "defaults", line: p.k.Line}
	}
	return r.level(p.v, "defaults", true)
}

// level reads the settings of defaults or of one sender.
func (r *reader) level(m *yaml.Node, where string, defaults bool) *level {
	l := &level{where: where, line: m.Line}
	for _, p := range r.pairs(m, where) {
		f, known := fieldByKey(p.key)
		switch {
		case !known:
			r.unknownKey(p.k, where, fieldKeys(defaults))
		case defaults && f.senderOnly:
			r.add(p.k.Line, where, "%s cannot be a default: each sender has its own; move it into a sender's entry", p.key)
		default:
			f.read(r, l, p)
		}
	}
	return l
}

// senders reads the list of senders: one level per readable entry.
func (r *reader) senders(p pair) []*level {
	switch {
	case isNull(p.v):
		r.add(p.k.Line, "", "senders is empty: list the senders (- name: billing-mailer), or write senders: [] for none")
		return nil
	case p.v.Kind != yaml.SequenceNode:
		r.add(p.v.Line, "", "senders is %s: write a list with one entry per sender, each starting - name: ...", kindName(p.v))
		return nil
	}
	var out []*level
	for i, n := range p.v.Content {
		where := senderWhere(i, n)
		switch {
		case n.Kind == yaml.AliasNode:
			continue
		case isNull(n):
			r.add(n.Line, where, "empty sender entry: give at least name:, or remove the entry")
			continue
		case n.Kind != yaml.MappingNode:
			r.add(n.Line, where, "the entry is %s: each sender is a mapping, e.g. - name: billing-mailer", kindName(n))
			continue
		}
		out = append(out, r.level(n, where, false))
	}
	return out
}

// senderWhere names entry i for messages, with its name when it has one.
func senderWhere(i int, n *yaml.Node) string {
	where := fmt.Sprintf("senders[%d]", i)
	if n.Kind != yaml.MappingNode {
		return where
	}
	for j := 0; j+1 < len(n.Content); j += 2 {
		k, v := n.Content[j], n.Content[j+1]
		if k.Value == "name" && v.Kind == yaml.ScalarNode && !isNull(v) && v.Value != "" {
			return fmt.Sprintf("%s (%s)", where, v.Value)
		}
	}
	return where
}

// resolved is a sender with the defaults applied, and what it was read
// from, for messages. Its values are meaningful only in a file without
// problems.
type resolved struct {
	Sender
	l    *level
	dest setting[deliver.Destination]
}

func (r *reader) resolveAll(defs *level, levels []*level) *File {
	rs := make([]resolved, 0, len(levels))
	for _, l := range levels {
		rs = append(rs, r.resolve(defs, l))
	}
	r.duplicateNames(rs)
	r.sharedDestinations(defs, rs)
	r.storeNames(rs)
	f := &File{Senders: make([]Sender, 0, len(rs))}
	for _, s := range rs {
		f.Senders = append(f.Senders, s.Sender)
	}
	return f
}

// resolve applies defs to one sender, reporting what neither gives.
func (r *reader) resolve(defs, l *level) resolved {
	regions, dest := pick(l.regions, defs.regions), pick(l.deliverTo, defs.deliverTo)
	maxAge, grace := pick(l.maxKeyAge, defs.maxKeyAge), pick(l.grace, defs.grace)
	allow, path, boundary := pick(l.allowFrom, defs.allowFrom), pick(l.path, defs.path), pick(l.boundary, defs.boundary)
	if !l.name.given() {
		r.add(l.line, l.where, "no name: give the IAM user's name, e.g. name: billing-mailer")
	}
	if !regions.given() {
		r.add(l.line, l.where, "no regions: give regions: [us-east-1] (a list) here or under defaults")
	}
	if !dest.given() {
		r.add(l.line, l.where, "no deliver_to: give e.g. deliver_to: secretsmanager:ses/{user} here or under defaults")
	}
	tags := r.senderTags(defs, l)
	s := Sender{
		Name: l.name.val, Line: l.line,
		Regions: slices.Clone(regions.val), DeliverTo: dest.val,
		MaxKeyAge: maxAge.val, Grace: grace.val,
		AllowFrom: slices.Clone(allow.val), Path: "/", Tags: tags,
		PermissionsBoundary: boundary.val,
	}
	if path.given() {
		s.Path = path.val
	}
	return resolved{Sender: s, l: l, dest: dest}
}

// senderTags merges a sender's tags over the defaults', checking the
// merged set (IAM's count) when both give some.
func (r *reader) senderTags(defs, l *level) []provision.Tag {
	if defs.tags.given() && !defs.tags.ok || l.tags.given() && !l.tags.ok {
		return nil // reported
	}
	tags := mergeTags(defs.tags.val, l.tags.val)
	if len(defs.tags.val) > 0 && len(l.tags.val) > 0 {
		if err := provision.ValidateTags(tags); err != nil {
			r.add(l.tags.line, l.where, "tags, with the defaults' merged in: %v", err)
			return nil
		}
	}
	if len(tags) == 0 {
		return nil
	}
	return tags
}

// duplicateNames reports a sender listed twice; IAM user names are
// case-insensitive.
func (r *reader) duplicateNames(rs []resolved) {
	first := map[string]*resolved{}
	for i := range rs {
		s := &rs[i]
		if !s.l.name.ok {
			continue
		}
		key := strings.ToLower(s.Name)
		if f, dup := first[key]; dup {
			r.add(s.l.name.line, s.l.where, "sender %q is listed twice (also %s at line %d; IAM user names are case-insensitive): keep one entry", s.Name, f.l.where, f.Line)
			continue
		}
		first[key] = s
	}
}

// storeNames reports senders whose store destination, {user} expanded, is
// a name the store refuses: found now rather than on the day a key is due.
func (r *reader) storeNames(rs []resolved) {
	for i := range rs {
		s := &rs[i]
		if !s.l.name.ok || !s.dest.ok || !s.dest.val.Kind.IsStore() {
			continue
		}
		if err := s.dest.val.Check([]string{s.Name}); err != nil {
			line := s.Line
			if s.l.deliverTo.given() {
				line = s.l.deliverTo.line
			}
			r.add(line, s.l.where, "%v", err)
		}
	}
}

// sharedDestinations reports senders whose credentials would go to the
// same place once {user} is expanded: each would overwrite the other's.
func (r *reader) sharedDestinations(defs *level, rs []resolved) {
	var order []string
	groups := map[string][]*resolved{}
	for i := range rs {
		s := &rs[i]
		if !s.l.name.ok || !s.dest.ok {
			continue
		}
		key := destKey(s.dest.val.For(s.Name))
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], s)
	}
	for _, key := range order {
		if g := groups[key]; len(g) > 1 {
			r.sharedDestination(defs, key, g)
		}
	}
}

func (r *reader) sharedDestination(defs *level, key string, g []*resolved) {
	if g[0].dest.val.Kind == deliver.KindCommand {
		key = "cmd:…" // a command line may hold a token: not repeated in messages (destText)
	}
	inherited := true
	for _, s := range g {
		inherited = inherited && !s.l.deliverTo.given()
	}
	if inherited {
		names := make([]string, len(g))
		for i, s := range g {
			names[i] = fmt.Sprintf("%s (line %d)", s.Name, s.Line)
		}
		r.add(defs.deliverTo.line, defs.where, "deliver_to %s is the same for senders %s: each would overwrite the other's credentials; add {user} to the target", key, strings.Join(names, ", "))
		return
	}
	first := g[0]
	for _, s := range g[1:] {
		line := s.Line
		if s.l.deliverTo.given() {
			line = s.l.deliverTo.line
		}
		r.add(line, s.l.where, "deliver_to %s is also the destination of %s at line %d: each would overwrite the other's credentials; add {user} to the target", key, first.l.where, first.Line)
	}
}

// destKey names a destination for comparison.
func destKey(d deliver.Destination) string {
	t := d.Target
	if d.Kind == deliver.KindFile {
		t = filepath.Clean(t)
	}
	return string(d.Kind) + ":" + t
}
