package deliver

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/sesprov/sesprov/internal/output"
)

// Kind is a sort of destination. A secret store is one more Kind, with its
// own writer in Deliverer.deliverOne.
type Kind string

const (
	KindStdout  Kind = "stdout"
	KindFile    Kind = "file"
	KindCommand Kind = "cmd"
)

// UserPlaceholder in a destination's target stands for the user's name.
const UserPlaceholder = "{user}"

// kinds lists what --deliver-to accepts, for its error message.
var kinds = []Kind{KindFile, KindCommand, KindSecretsManager, KindSSM}

// Destination is where a run's new credentials go: stdout, a new file
// (mode 0600, never overwritten), a command fed on stdin, or a secret
// store (a Secrets Manager secret or an SSM SecureString parameter).
type Destination struct {
	Kind   Kind
	Target string // the file's path or the command; may hold {user}
	Flag   string // the flag it came from, for messages ("--out-file")
}

// Stdout is the destination when none is given.
var Stdout = Destination{Kind: KindStdout}

// Parse reads a --deliver-to value: file:PATH, cmd:COMMAND,
// secretsmanager:NAME or ssm:NAME.
func Parse(s string) (Destination, error) {
	kind, target, ok := strings.Cut(s, ":")
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k) + ":"
	}
	if !ok {
		return Destination{}, fail.Usagef("--deliver-to %q: give a kind and a target (%s)", s, strings.Join(names, ", "))
	}
	switch Kind(kind) {
	case KindFile, KindCommand, KindSecretsManager, KindSSM:
	default:
		return Destination{}, fail.Usagef("--deliver-to: unknown kind %q: the kinds are %s", kind, strings.Join(names, ", "))
	}
	if strings.TrimSpace(target) == "" {
		return Destination{}, fail.Usagef("--deliver-to %s: needs a target after the colon", kind+":")
	}
	return Destination{Kind: Kind(kind), Target: target, Flag: "--deliver-to"}, nil
}

// FromFlags picks the one destination of --deliver-to and its aliases
// --out-file (file:) and --deliver-cmd (cmd:); none is stdout, two is a
// usage error.
func FromFlags(deliverTo, outFile, deliverCmd string) (Destination, error) {
	var given []Destination
	var flags []string
	if deliverTo != "" {
		d, err := Parse(deliverTo)
		if err != nil {
			return Destination{}, err
		}
		given, flags = append(given, d), append(flags, "--deliver-to")
	}
	if outFile != "" {
		given, flags = append(given, Destination{Kind: KindFile, Target: outFile, Flag: "--out-file"}), append(flags, "--out-file")
	}
	if deliverCmd != "" {
		given, flags = append(given, Destination{Kind: KindCommand, Target: deliverCmd, Flag: "--deliver-cmd"}), append(flags, "--deliver-cmd")
	}
	switch len(given) {
	case 0:
		return Stdout, nil
	case 1:
		return given[0], nil
	}
	return Destination{}, fail.Usagef("%s cannot be combined: choose one destination", strings.Join(flags, " and "))
}

// PerUser reports whether each user gets their own delivery (a target
// naming {user}, or a command or store, which takes one user's credentials
// a write).
func (d Destination) PerUser() bool {
	return d.Kind == KindCommand || d.Kind.IsStore() || strings.Contains(d.Target, UserPlaceholder)
}

// For returns the destination of user's credentials: {user} expanded.
func (d Destination) For(user string) Destination {
	d.Target = strings.ReplaceAll(d.Target, UserPlaceholder, user)
	return d
}

// String names the destination for a person: "stdout", the path, or the
// flag of a command (a command may be long, and is the user's own).
func (d Destination) String() string {
	switch d.Kind {
	case KindFile:
		return d.Target
	case KindSecretsManager, KindSSM:
		return string(d.Kind) + ":" + d.Target
	case KindCommand:
		if d.Flag == "--deliver-to" {
			return "--deliver-to cmd:"
		}
		return d.Flag
	}
	return "stdout"
}

// Check refuses, before any IAM change, a destination that cannot take the
// credentials of users: a file that exists or whose directory does not, or
// a run of several users whose per-user kind lacks {user} (they would
// all land in one place, each replacing the last).
func (d Destination) Check(users []string) error {
	if d.Kind == KindCommand && len(users) > 1 && !strings.Contains(d.Target, UserPlaceholder) {
		return fail.Usagef("%s: a run of %d users delivers each user's credentials separately: put %s in the command where the user's name goes", d.flag(), len(users), UserPlaceholder)
	}
	if d.Kind.IsStore() {
		return d.checkStore(users)
	}
	if d.Kind != KindFile {
		return nil
	}
	if !strings.Contains(d.Target, UserPlaceholder) {
		return checkFile(d.flag(), d.Target)
	}
	for _, u := range users {
		if err := checkFile(d.flag(), d.For(u).Target); err != nil {
			return err
		}
	}
	return nil
}

func (d Destination) flag() string {
	if d.Flag == "" {
		return "--deliver-to " + string(d.Kind) + ":"
	}
	return d.Flag
}

func checkFile(flag, path string) error {
	if err := outFileFree(flag, path); err != nil {
		return err
	}
	if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
		return fail.Usagef("%s %s: directory %s does not exist", flag, path, filepath.Dir(path))
	}
	return nil
}

// extFormats are the formats a file's extension names.
var extFormats = map[string]output.Format{
	".json": output.FormatJSON, ".jsonl": output.FormatJSON, ".ndjson": output.FormatJSON,
	".csv": output.FormatCSV, ".env": output.FormatEnv,
}

// FormatFor is the format the credentials are written in: a file's
// extension (.json, .jsonl, .csv, .env) decides it, so that billing.csv
// holds CSV; otherwise asked. A format asked for explicitly (-o) that the
// extension contradicts is a usage error, before any change.
func (d Destination) FormatFor(asked output.Format, explicit bool) (output.Format, error) {
	if d.Kind != KindFile {
		return asked, nil
	}
	ext := strings.ToLower(filepath.Ext(d.Target))
	f, ok := extFormats[ext]
	switch {
	case !ok:
		return asked, nil
	case explicit && asked != f:
		return "", fail.Usagef("%s %s: a %s file holds %s, but the output format asked for is %s: name the file for its format, or drop -o", d.flag(), d.Target, ext, f, asked)
	}
	return f, nil
}
