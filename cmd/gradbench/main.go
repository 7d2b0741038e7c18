package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/gradbench/gradbench/cmd/internal/conventions"
	"github.com/gradbench/gradbench/cmd/internal/signals"
	"github.com/gradbench/gradbench/cmd/internal/theory"
	"github.com/urfave/cli/v2"
)

// Exit codes.
const (
	exitFailure     = 1
	exitUsage       = 2
	exitDiverged    = 3
	exitInterrupted = signals.Exit
)

// usageError marks an error in the user's input.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

func main() {
	signals.Install("gradbench")
	cli.FlagStringer = conventions.TypedFlagStringer(cli.FlagStringer)
	cli.VersionPrinter = func(c *cli.Context) { fmt.Fprintf(c.App.Writer, "gradbench %s\n", c.App.Version) }
	app := &cli.App{
		Name:    "gradbench",
		Usage:   "measure how activation functions shape gradient flow in deep networks",
		Version: conventions.Version(),
		Commands: []*cli.Command{
			trainCommand(),
			compareCommand(),
			plotCommand(),
			curvesCommand(),
			sweepCommand(),
			infoCommand(),
			diffCommand(),
			benchCommand(),
			dataCommand(),
			theory.Command(),
		},
		// Errors are printed once, by main.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
		// Bare gradbench prints the help; a word that is no command is a
		// usage error.
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return unknownCommand(c.Args().First(), c.App.Commands)
			}
			return cli.ShowAppHelp(c)
		},
	}
	// gradbench help WORD, for a WORD that is no command.
	app.CommandNotFound = func(c *cli.Context, name string) {
		fmt.Fprintln(os.Stderr, "gradbench:", unknownCommand(name, app.Commands))
		os.Exit(exitUsage)
	}
	for _, c := range app.Commands {
		c.OnUsageError = onUsageError
	}
	if err := signals.Err(app.Run(conventions.Interspersed(os.Args, app.Commands))); err != nil {
		fmt.Fprintln(os.Stderr, "gradbench:", conventions.Advise(err))
		os.Exit(exitCode(err))
	}
}

// onUsageError marks a flag that cannot be parsed as a usage error.
func onUsageError(c *cli.Context, err error, _ bool) error {
	if c.Command == nil || c.Command.Name == "" || c.Command.Name == c.App.Name {
		return usagef("%v (see gradbench --help)", err)
	}
	return usagef("%v (see gradbench %s --help)", err, c.Command.Name)
}

func exitCode(err error) int {
	var u usageError
	var coded interface{ ExitCode() int }
	switch {
	case signals.Caught() != nil:
		return exitInterrupted
	case errors.As(err, &u) || conventions.Refused(err):
		return exitUsage
	case errors.As(err, &coded):
		return coded.ExitCode()
	}
	return exitFailure
}

// unknownCommand is the usage error for a command that does not exist,
// with the nearest command's name when one is close.
func unknownCommand(name string, cmds []*cli.Command) error {
	if s := conventions.Suggest(name, cmds); s != "" {
		return usagef("unknown command %q: did you mean %q? (gradbench --help lists the commands)", name, s)
	}
	return usagef("unknown command %q (gradbench --help lists the commands)", name)
}
