package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sesprov/sesprov/internal/editdist"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/fail"
	"github.com/urfave/cli/v2"
)

// Usage errors that guess what was meant: the nearest command or flag to a
// mistyped one, and the commonest slips with --regions and --user-name.
// Each is a usage error (exit 2) raised before anything is changed.

// flagNotDefined is the flag package's error for an unknown flag.
const flagNotDefined = "flag provided but not defined: "

// unknownFlagHint adds the nearest of flags to the flag package's "flag
// provided but not defined" error: `--user-nme` gets `Did you mean
// "--user-name"?`.
func unknownFlagHint(err error, flags []cli.Flag) error {
	msg := err.Error()
	if !strings.HasPrefix(msg, flagNotDefined) {
		return err
	}
	typed := strings.TrimLeft(strings.TrimPrefix(msg, flagNotDefined), "-")
	var names []string
	for _, f := range flags {
		names = append(names, f.Names()...)
	}
	if n := nearest(typed, names); n != "" {
		return fmt.Errorf("%w. Did you mean %q?", err, dashed(n))
	}
	return err
}

// dashed is a flag's name as typed: -o, --output.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// commandHint is the message for an unknown command: the nearest command,
// if one is near.
func commandHint(app *cli.App, name string) string {
	var names []string
	for _, c := range app.VisibleCommands() {
		names = append(names, c.Names()...)
	}
	if n := nearest(name, names); n != "" {
		return fmt.Sprintf("unknown command %q. Did you mean %q?", name, n)
	}
	return fmt.Sprintf("unknown command %q; run 'sesprov --help' for the list", name)
}

// nearest returns the candidate closest to typed, or "" if none is close
// enough to be what was meant: at most one edit in five characters (at
// least one), a swap of neighbours counting as one; a candidate
// beginning with typed (an abbreviation, at least three letters) also
// counts, when only one does.
func nearest(typed string, candidates []string) string {
	if len(typed) < 2 {
		return "" // -x: any letter is as near as another
	}
	maxD := max(1, len([]rune(typed))/5)
	best, bestD := "", maxD+1
	var prefixed []string
	for _, c := range candidates {
		if len(c) < 2 && len(typed) > 2 {
			continue // -o, -y: a long word's nearest is never a letter
		}
		if d := editdist.Distance(typed, c); d < bestD {
			best, bestD = c, d
		}
		if len(typed) >= 3 && strings.HasPrefix(c, typed) {
			prefixed = append(prefixed, c)
		}
	}
	if best == "" && len(prefixed) == 1 {
		return prefixed[0]
	}
	return best
}

// regionShape is what a region name looks like (us-east-1, us-gov-west-1,
// eu-central-2), for telling a stray region from a stray user name.
var regionShape = regexp.MustCompile(`^[a-z]{2}(-[a-z]+){1,3}-[0-9]{1,2}$`)

func looksLikeRegion(s string) bool {
	_, known := derive.Lookup(s)
	return known || regionShape.MatchString(s)
}

// userNameShape is an IAM user name.
var userNameShape = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)

// noArgCommands take no positional argument; those in userCommands name a
// user with --user-name.
var (
	noArgCommands = map[string]bool{
		"create-user": true, "rotate": true, "delete-user": true, "list": true, "migrate": true,
		"convert": true, "verify": true, "doctor": true, "regions": true,
	}
	userCommands = map[string]bool{"create-user": true, "rotate": true, "delete-user": true, "migrate": true}
)

// argsHint explains positional arguments where a command takes none and
// the argument shows what was meant: a region split off --regions by a
// space after a comma (`--regions us-east-1, eu-west-1`), or a user name
// without --user-name. An argument that may be a secret is refused without
// being shown. Other arguments are left to the command's own check.
func argsHint(c *cli.Context) error {
	name := c.Command.Name
	args := c.Args().Slice()
	if len(args) == 0 || (!noArgCommands[name] && name != "derive") {
		return nil
	}
	// urfave reads no flag after an argument: the arguments up to the next
	// flag are the stray ones.
	for i, a := range args {
		if strings.HasPrefix(a, "-") && i > 0 {
			args = args[:i]
			break
		}
	}
	// derive's two arguments are AWS's example script's SECRET REGION.
	if definesFlag(c.Command, flgRegions) && (name != "derive" || c.IsSet(flgRegions) && c.NArg() == 1) {
		var stray []string
		for _, a := range args {
			if r := strings.Trim(a, ", "); r != "" && looksLikeRegion(r) {
				stray = append(stray, r)
			}
		}
		if len(stray) > 0 {
			var all []string
			for _, r := range c.StringSlice(flgRegions) {
				if r = strings.TrimSpace(r); r != "" {
					all = append(all, r)
				}
			}
			all = append(all, stray...)
			looks, it := "looks like a region", "it"
			if len(stray) > 1 {
				looks, it = "look like regions", "them"
			}
			if !c.IsSet(flgRegions) {
				return fail.Usagef("%s: %s %s: pass %s with --%s %s", name, quotedList(stray), looks, it, flgRegions, strings.Join(all, ","))
			}
			return fail.Usagef("%s: %s %s, cut off --%s by a space: the list must not contain spaces (--%s %s)",
				name, quotedList(stray), looks, flgRegions, flgRegions, strings.Join(all, ","))
		}
	}
	if noArgCommands[name] && name != "convert" && !derive.EchoSafe(args[0]) {
		// The commands' own checks would quote it (convert's does not):
		// errors never hold a secret.
		return fail.Usagef("%s takes no arguments (got an argument, not shown: it may be a secret); see 'sesprov %s --help'", name, name)
	}
	if userCommands[name] && len(args) == 1 && !c.IsSet(flgUserName) && userNameShape.MatchString(args[0]) &&
		!strings.HasPrefix(args[0], "-") && derive.EchoSafe(args[0]) {
		more := ""
		if c.NArg() > 1 {
			more = " (flags after an argument are not read)"
		}
		return fail.Usagef("%s takes no arguments (got %q): to name the user, pass --%s %s%s", name, args[0], flgUserName, args[0], more)
	}
	return nil
}

// quotedList is "a", "a and b" or "a, b and c", each quoted.
func quotedList(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

// regionFlagHint refuses --region after derive or verify, which make no
// IAM call: there it does nothing, and --regions was meant.
func regionFlagHint(c *cli.Context) error {
	switch name := c.Command.Name; name {
	case "derive", "verify":
		if lv := flagLevelsOf(c); lv.cmd != nil && definesFlag(c.Command, flgRegion) && c.IsSet(flgRegion) {
			return fail.Usagef("%s makes no IAM call: --%s is the region of the IAM/STS clients; the SMTP regions are --%s (--%s %s)",
				name, flgRegion, flgRegions, flgRegions, c.String(flgRegion))
		}
	}
	return nil
}
