package apply

import (
	"errors"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/deliver"
	"github.com/sesprov/sesprov/provision"
	"github.com/sesprov/sesprov/provision/list"
	"github.com/sesprov/sesprov/provision/scope"
)

// field is one key a sender (and, unless senderOnly, defaults) may hold.
// The one table, fields, drives both the parser's known-key check and the
// JSON Schema's properties, so that the two cannot drift.
type field struct {
	key        string
	senderOnly bool   // not allowed under defaults
	doc        string // the schema's description, shown by editors
	// schema returns the property's JSON Schema, without its description.
	schema func() map[string]any
	// read checks the value of p and stores it in l.
	read func(r *reader, l *level, p pair)
}

// topKeys are the keys of the file's top level.
var topKeys = []string{"defaults", "senders"}

// fields lists a sender's keys, in the order the schema shows them.
var fields = []field{
	{key: "name", senderOnly: true, read: readName, schema: nameSchema,
		doc: "The IAM user's name (1-64 letters, digits and + = , . @ _ -). IAM names are case-insensitive: two senders may not differ only in case."},
	{key: "regions", read: readRegions, schema: regionsSchema,
		doc: "The SES regions whose SMTP endpoints the credentials must work in, as a list, e.g. [us-east-1, eu-west-1]."},
	{key: "deliver_to", read: readDeliverTo, schema: deliverSchema,
		doc: "Where a new key's SMTP credentials go: secretsmanager:NAME, ssm:NAME, cmd:COMMAND or file:PATH. {user} stands for the sender's name; put it in the target so senders do not overwrite each other's."},
	{key: "max_key_age", read: readMaxKeyAge, schema: durationSchema,
		doc: "Rotate the sender once its newest active key is older than this: whole days (90d) or a Go duration (2160h). 0 or absent: never for age."},
	{key: "grace", read: readGrace, schema: durationSchema,
		doc: "How long a superseded key stays active after its replacement was delivered: days (1d) or a Go duration (24h). 0 or absent: retired at once."},
	{key: "allow_from", read: readAllowFrom, schema: allowFromSchema,
		doc: "The From addresses the sender may send as (wildcards * and ? allowed), e.g. [billing@example.com, *@alerts.example.com]. [] or absent: no scope. A sender's own list replaces the defaults'."},
	{key: "path", read: readPath, schema: pathSchema,
		doc: "The IAM user's path: / (the default) or /a/b/."},
	{key: "tags", read: readTags, schema: tagsSchema,
		doc: "Tags set on the IAM user, KEY: VALUE. A sender's tags are merged over the defaults' (the sender's win). Keys starting with aws: or sesprov: are reserved."},
	{key: "permissions_boundary", read: readBoundary, schema: boundarySchema,
		doc: "The ARN of a managed policy set as the user's permissions boundary, e.g. arn:aws:iam::123456789012:policy/SMTPBoundary. Absent: the user's boundary is left as it is."},
}

// fieldKeys returns the keys allowed in a sender (or in defaults).
func fieldKeys(defaults bool) []string {
	var keys []string
	for _, f := range fields {
		if !(defaults && f.senderOnly) {
			keys = append(keys, f.key)
		}
	}
	return keys
}

func fieldByKey(key string) (field, bool) {
	for _, f := range fields {
		if f.key == key {
			return f, true
		}
	}
	return field{}, false
}

// setting is one value of a sender or of defaults as read.
type setting[T any] struct {
	line int  // the key's line; 0: not given
	ok   bool // given and valid (a bad one has been reported)
	val  T
}

func (s setting[T]) given() bool { return s.line > 0 }

// pick is the sender's own setting if given, else the defaults'.
func pick[T any](own, def setting[T]) setting[T] {
	if own.given() {
		return own
	}
	return def
}

// level is what one mapping (defaults or a sender) holds, as read.
type level struct {
	where     string // for messages: "defaults", "senders[1] (alerts)"
	line      int
	name      setting[string]
	regions   setting[[]derive.Region]
	deliverTo setting[deliver.Destination]
	maxKeyAge setting[time.Duration]
	grace     setting[time.Duration]
	allowFrom setting[[]string]
	path      setting[string]
	tags      setting[[]provision.Tag]
	boundary  setting[string]
}

// scalar returns p's single value ("" when empty), or reports a list or
// mapping given instead.
func (r *reader) scalar(l *level, p pair) (string, bool) {
	if p.v.Kind != yaml.ScalarNode {
		r.add(p.v.Line, l.where, "%s is %s: give a single value", p.key, kindName(p.v))
		return "", false
	}
	if isNull(p.v) {
		return "", true
	}
	return p.v.Value, true
}

// item is one string of a list, with its line.
type item struct {
	val  string
	line int
}

// strList returns the strings of p's list, or reports another shape. A
// single value gets the list to write instead.
func (r *reader) strList(l *level, p pair, example string) ([]item, bool) {
	switch {
	case p.v.Kind == yaml.ScalarNode && !isNull(p.v):
		if parts := strings.FieldsFunc(p.v.Value, func(c rune) bool { return c == ',' || c == ' ' }); len(parts) > 0 {
			example = "[" + strings.Join(parts, ", ") + "]"
		}
		r.add(p.v.Line, l.where, "%s is a single value: write a list, e.g. %s: %s", p.key, p.key, example)
		return nil, false
	case p.v.Kind != yaml.SequenceNode:
		r.add(p.v.Line, l.where, "%s is %s: write a list, e.g. %s: %s", p.key, kindName(p.v), p.key, example)
		return nil, false
	}
	items, ok := []item{}, true
	for _, n := range p.v.Content {
		switch {
		case n.Kind == yaml.AliasNode:
			ok = false
		case n.Kind != yaml.ScalarNode || isNull(n):
			r.add(n.Line, l.where, "%s: an item is %s: each item is one text value, e.g. %s: %s", p.key, kindName(n), p.key, example)
			ok = false
		case strings.TrimSpace(n.Value) == "":
			r.add(n.Line, l.where, "%s: an item is blank: remove it", p.key)
			ok = false
		default:
			items = append(items, item{strings.TrimSpace(n.Value), n.Line})
		}
	}
	return items, ok
}

func readName(r *reader, l *level, p pair) {
	l.name = r.checked(l, p, "name: ", provision.ValidateUserName)
}

// checked reads a scalar and checks it with validate; prefix leads the
// message of a value validate refuses.
func (r *reader) checked(l *level, p pair, prefix string, validate func(string) error) setting[string] {
	v, ok := r.scalar(l, p)
	if ok {
		if err := validate(v); err != nil {
			r.add(p.v.Line, l.where, "%s%v", prefix, err)
			ok = false
		}
	}
	return setting[string]{line: p.k.Line, ok: ok, val: v}
}

func readRegions(r *reader, l *level, p pair) {
	items, ok := r.strList(l, p, "[us-east-1, eu-west-1]")
	l.regions = setting[[]derive.Region]{line: p.k.Line}
	if !ok {
		return
	}
	if len(items) == 0 {
		r.add(p.v.Line, l.where, "regions is an empty list: name at least one region, e.g. regions: [us-east-1]")
		return
	}
	names := make([]string, len(items))
	for i, it := range items {
		names[i] = it.val
	}
	regions, err := derive.ResolveRegions(names, nil)
	var re *derive.RegionError
	switch {
	case errors.As(err, &re):
		for _, rp := range re.Problems {
			r.add(lineOf(items, rp.Name, p.v.Line), l.where, "regions: %q refused: %s (see 'sesprov regions')", rp.Name, regionReason(rp.Reason))
		}
	case err != nil:
		r.add(p.v.Line, l.where, "regions: %v", err)
	default:
		l.regions.ok, l.regions.val = true, regions
	}
}

// regionReason drops derive's advice to pass --allow-region, which a
// senders file has no equivalent of.
func regionReason(reason string) string {
	if i := strings.Index(reason, "; if "); i >= 0 && strings.Contains(reason[i:], "--allow-region") {
		return reason[:i]
	}
	return reason
}

// lineOf is the line of the item holding val, else def.
func lineOf(items []item, val string, def int) int {
	for _, it := range items {
		if it.val == val {
			return it.line
		}
	}
	return def
}

func readDeliverTo(r *reader, l *level, p pair) {
	v, ok := r.scalar(l, p)
	l.deliverTo = setting[deliver.Destination]{line: p.k.Line}
	if !ok {
		return
	}
	v = strings.TrimSpace(v)
	if v == "" || v == "stdout" || strings.HasPrefix(v, "stdout:") {
		r.add(p.v.Line, l.where, "deliver_to %q: apply prints one status line per sender on stdout; deliver to secretsmanager:, ssm:, cmd: or file:, e.g. deliver_to: secretsmanager:ses/{user}", v)
		return
	}
	d, err := deliver.Parse(v)
	if err != nil {
		r.add(p.v.Line, l.where, "%s", strings.ReplaceAll(err.Error(), "--deliver-to", "deliver_to"))
		return
	}
	d.Flag = "deliver_to" // messages about it name the file's key
	l.deliverTo.ok, l.deliverTo.val = true, d
}

func readMaxKeyAge(r *reader, l *level, p pair) { l.maxKeyAge = r.duration(l, p) }
func readGrace(r *reader, l *level, p pair)     { l.grace = r.duration(l, p) }

// duration reads max_key_age or grace as list.ParseMaxAge does.
func (r *reader) duration(l *level, p pair) setting[time.Duration] {
	s := setting[time.Duration]{line: p.k.Line}
	v, ok := r.scalar(l, p)
	if !ok {
		return s
	}
	d, err := list.ParseMaxAge(strings.TrimSpace(v))
	if err != nil {
		r.add(p.v.Line, l.where, "%s %q: give whole days (90d) or a Go duration (24h, 36h30m), not negative; 0 turns it off", p.key, v)
		return s
	}
	s.ok, s.val = true, d
	return s
}

func readAllowFrom(r *reader, l *level, p pair) {
	items, ok := r.strList(l, p, "[billing@example.com]")
	l.allowFrom = setting[[]string]{line: p.k.Line}
	if !ok {
		return
	}
	addrs := make([]string, len(items))
	for i, it := range items {
		addrs[i] = it.val
		if _, err := scope.ParseAddresses([]string{it.val}); err != nil {
			r.add(it.line, l.where, "%s", allowFromMsg(err))
			ok = false
		}
	}
	if !ok {
		return
	}
	l.allowFrom.ok = true
	if len(addrs) == 0 {
		return // [] is no scope
	}
	parsed, err := scope.ParseAddresses(addrs)
	if err != nil {
		r.add(p.k.Line, l.where, "%s", allowFromMsg(err))
		l.allowFrom.ok = false
		return
	}
	l.allowFrom.val = parsed
}

// allowFromMsg words scope's flag messages for the file.
func allowFromMsg(err error) string {
	msg := strings.ReplaceAll(err.Error(), "--allow-from", "allow_from")
	return strings.ReplaceAll(msg, "remove the scope with 'sesprov scope --remove'", "for no scope write allow_from: []")
}

func readPath(r *reader, l *level, p pair) { l.path = r.checked(l, p, "", provision.ValidatePath) }

func readBoundary(r *reader, l *level, p pair) {
	l.boundary = r.checked(l, p, "permissions_boundary: ", provision.ValidatePolicyARN)
}

func readTags(r *reader, l *level, p pair) {
	l.tags = setting[[]provision.Tag]{line: p.k.Line}
	if p.v.Kind != yaml.MappingNode {
		r.add(p.v.Line, l.where, "tags is %s: write a mapping of KEY: VALUE, e.g. tags: {team: mail}", kindName(p.v))
		return
	}
	var tags []provision.Tag
	ok, seen := true, map[string]pair{}
	for _, t := range r.pairs(p.v, l.where) {
		tag, good := r.tag(l, t, seen)
		tags = append(tags, tag)
		ok = ok && good
	}
	if ok {
		if err := provision.ValidateTags(tags); err != nil {
			r.add(p.k.Line, l.where, "tags: %v", err)
			ok = false
		}
	}
	l.tags.ok, l.tags.val = ok, tags
}

// tag checks one KEY: VALUE of tags; seen holds the keys so far by their
// lower-cased form.
func (r *reader) tag(l *level, t pair, seen map[string]pair) (provision.Tag, bool) {
	tag := provision.Tag{Key: t.key}
	if t.v.Kind != yaml.ScalarNode {
		r.add(t.v.Line, l.where, "tags: the value of %q is %s: give a single value", t.key, kindName(t.v))
		return tag, false
	}
	if !isNull(t.v) {
		tag.Value = t.v.Value
	}
	lower := strings.ToLower(t.key)
	if prev, dup := seen[lower]; dup {
		r.add(t.k.Line, l.where, "tags: key %q repeats %q (line %d): IAM tag keys are case-insensitive; keep one", t.key, prev.key, prev.k.Line)
		return tag, false
	}
	seen[lower] = t
	if strings.HasPrefix(lower, "aws:") || strings.HasPrefix(lower, "sesprov:") {
		r.add(t.k.Line, l.where, "tags: key %q is reserved (aws: is AWS's, sesprov: is sesprov's own): choose another key", t.key)
		return tag, false
	}
	if err := provision.ValidateTag(tag); err != nil {
		r.add(t.k.Line, l.where, "tags: %v", err)
		return tag, false
	}
	return tag, true
}

// mergeTags returns def's tags with own's over them (case-insensitively,
// own winning), sorted by key.
func mergeTags(def, own []provision.Tag) []provision.Tag {
	byKey := map[string]provision.Tag{}
	for _, ts := range [][]provision.Tag{def, own} {
		for _, t := range ts {
			byKey[strings.ToLower(t.Key)] = t
		}
	}
	out := make([]provision.Tag, 0, len(byKey))
	for _, t := range byKey {
		out = append(out, t)
	}
	sortTags(out)
	return out
}

func sortTags(tags []provision.Tag) {
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
}
