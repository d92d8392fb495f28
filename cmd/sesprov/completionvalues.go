package main

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/sesprov/sesprov/derive"
	"github.com/sesprov/sesprov/internal/output"
	"github.com/sesprov/sesprov/provision/doctor"
	"github.com/sesprov/sesprov/provision/rotate"
)

// The values a flag or an argument takes, for every shell's completion:
// bash and zsh ask sesprov (completeValue, completeArgs); fish's script is
// written with them (fishValues). One table, so the shells never disagree.

// flagValues returns the values of the flag named name (without dashes),
// or nil when it takes a free value (a name, a file, a duration).
func flagValues(name string) []string {
	switch name {
	case flgOldKey:
		return []string{string(rotate.OldKeyDeactivate), string(rotate.OldKeyDelete), string(rotate.OldKeyKeep)}
	case flgOutput, alsOutput:
		vs := make([]string, len(output.Formats))
		for i, f := range output.Formats {
			vs[i] = string(f)
		}
		return vs
	case flgRegions, flgAllowRegion, flgRegion:
		var vs []string
		for _, r := range derive.Regions() {
			// --regions offers the regions it accepts without
			// --allow-region; the others any region sesprov knows.
			if r.Usable() || name != flgRegions {
				vs = append(vs, r.Name)
			}
		}
		return vs
	case flgPort:
		return []string{"587", "465", "2587", "2465", "25"}
	case flgCommand:
		return doctor.CommandNames()
	}
	return nil
}

// listFlags take several values, comma-separated: each is completed after
// the ones typed.
var listFlags = map[string]bool{flgRegions: true, flgAllowRegion: true, flgCommand: true}

// argValues are the values of a command's argument.
var argValues = map[string][]string{"completion": {"bash", "zsh", "fish"}}

// completeValue prints the candidates for the value of flag prev (as typed:
// --name or -o), and reports whether prev takes one from a known set.
func completeValue(w io.Writer, prev, cur string) bool {
	name := strings.TrimLeft(prev, "-")
	if !strings.HasPrefix(prev, "-") || strings.Contains(name, "=") {
		return false
	}
	vs := flagValues(name)
	if vs == nil {
		return false
	}
	typed := ""
	if i := strings.LastIndexByte(cur, ','); i >= 0 && listFlags[name] {
		typed = cur[:i+1]
	}
	for _, v := range vs {
		fmt.Fprintln(w, typed+v)
	}
	return true
}

// completeArgs prints the values of command's argument when one is being
// typed (not a flag), and reports whether it has such values.
func completeArgs(w io.Writer, command, cur string) bool {
	vs, ok := argValues[command]
	if !ok || strings.HasPrefix(cur, "-") {
		return false
	}
	for _, v := range vs {
		fmt.Fprintln(w, v)
	}
	return true
}

// fishFlagLine matches a fish line completing a flag that takes a value:
// its condition (which command) and its long name.
var fishFlagLine = regexp.MustCompile(`^(complete -c sesprov -n '[^']*') -f -l ([a-z-]+)( -s [a-z])? -r `)

// fishValues adds, to urfave's fish script, the values of the flags that
// take one from a known set (-a), and the arguments of the commands that
// take one.
func fishValues(script string) string {
	lines := strings.Split(script, "\n")
	for i, l := range lines {
		m := fishFlagLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if vs := flagValues(m[2]); vs != nil {
			lines[i] = strings.Replace(l, " -r ", " -r -a '"+strings.Join(vs, " ")+"' ", 1)
		}
	}
	out := strings.Join(lines, "\n")
	for _, cmd := range []string{"completion"} {
		out += fmt.Sprintf("complete -c sesprov -n '__fish_seen_subcommand_from %s' -f -a '%s'\n", cmd, strings.Join(argValues[cmd], " "))
	}
	return out
}
