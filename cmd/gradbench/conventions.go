package main

import (
	"github.com/gradbench/gradbench/cmd/internal/conventions"
	"github.com/urfave/cli/v2"
)

// unknownCommand is the usage error for a command that does not exist,
// with the nearest command's name when one is close.
func unknownCommand(name string, cmds []*cli.Command) error {
	if s := conventions.Suggest(name, cmds); s != "" {
		return usagef("unknown command %q: did you mean %q? (gradbench --help lists the commands)", name, s)
	}
	return usagef("unknown command %q (gradbench --help lists the commands)", name)
}
