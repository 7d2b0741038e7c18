package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
)

// Exit codes.
const (
	exitFailure     = 1
	exitUsage       = 2
	exitDiverged    = 3
	exitInterrupted = 130
)

// usageError marks an error in the user's input.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

func main() {
	app := &cli.App{
		Name:  "gradbench",
		Usage: "measure how activation functions shape gradient flow in deep networks",
		Commands: []*cli.Command{
			trainCommand(),
			compareCommand(),
			plotCommand(),
			curvesCommand(),
			sweepCommand(),
			infoCommand(),
			diffCommand(),
			benchCommand(),
		},
		// Errors are printed once, by main.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
	}
	for _, c := range app.Commands {
		c.OnUsageError = onUsageError
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "gradbench:", err)
		os.Exit(exitCode(err))
	}
}

// onUsageError marks a flag that cannot be parsed as a usage error.
func onUsageError(c *cli.Context, err error, _ bool) error {
	return usagef("%v (see gradbench %s --help)", err, c.Command.Name)
}

func exitCode(err error) int {
	var u usageError
	var coded interface{ ExitCode() int }
	switch {
	case errors.As(err, &u):
		return exitUsage
	case errors.As(err, &coded):
		return coded.ExitCode()
	}
	return exitFailure
}
