package main

import (
	"io"

	"github.com/sesprov/sesprov/internal/fail"
	"github.com/urfave/cli/v2"
)

func createCompletionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Description: "Prints a script that completes sesprov's commands, flags and their values (--old-key,\n" +
			"-o, --regions, …) and the shell here. The scripts are\n" +
			"also in contrib/completion/ of the source tree.\n\n" +
			"Examples:\n" +
			"   source <(sesprov completion bash)\n" +
			"   mkdir -p ~/.zsh/completions && sesprov completion zsh > ~/.zsh/completions/_sesprov    # a directory listed in $fpath\n" +
			"   mkdir -p ~/.config/fish/completions && sesprov completion fish > ~/.config/fish/completions/sesprov.fish",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fail.Usagef("completion takes one shell: bash, zsh or fish")
			}
			s, err := completionFor(c.App, c.Args().First())
			if err != nil {
				return err
			}
			_, err = io.WriteString(globalsOf(c).Stdout, s)
			return err
		},
	}
}

func createManCommand() *cli.Command {
	return &cli.Command{
		Name:  "man",
		Usage: "print sesprov's manual page (roff), made from the same definitions as --help",
		Description: "The page is also docs/sesprov.1 in the source tree.\n\n" +
			"Examples:\n" +
			"   sesprov man | man -l -\n" +
			"   mkdir -p ~/.local/share/man/man1 && sesprov man > ~/.local/share/man/man1/sesprov.1",
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fail.Usagef("man takes no arguments")
			}
			s, err := manPage(c.App)
			if err != nil {
				return err
			}
			_, err = io.WriteString(globalsOf(c).Stdout, s)
			return err
		},
	}
}
