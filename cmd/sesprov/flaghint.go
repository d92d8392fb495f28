package main

import (
	"fmt"
	"strings"
)

// globalFlagHint explains the commonest usage error: a global flag (say
// `-o json`) put after the command, where urfave/cli does not look for it.
func globalFlagHint(cmd string, err error) error {
	const prefix = "flag provided but not defined: "
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) {
		return err
	}
	name := strings.TrimLeft(strings.TrimPrefix(msg, prefix), "-")
	for _, f := range globalFlags() {
		for _, n := range f.Names() {
			if n == name {
				return fmt.Errorf("%w: --%s is a global flag and goes before the command, e.g. sesprov --%s … %s …", err, f.Names()[0], f.Names()[0], cmd)
			}
		}
	}
	return err
}
