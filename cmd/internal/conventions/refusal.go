package conventions

import (
	"errors"
	"fmt"

	"github.com/gradbench/gradbench/models/rundir"
	"github.com/urfave/cli/v2"
)

// Refused reports whether err is a run directory the command refused to
// write, with nothing in it changed (a *rundir.RefusedError): bad input,
// exit code 2.
func Refused(err error) bool {
	var r *rundir.RefusedError
	return errors.As(err, &r)
}

// Advise returns err with the advice the command line gives for it: how
// to go on from a run directory in use or one holding another run.
func Advise(err error) error {
	var busy *rundir.BusyError
	var other *rundir.OtherRunError
	switch {
	case errors.As(err, &busy):
		return fmt.Errorf("%w; wait for it or choose another --out", err)
	case errors.As(err, &other):
		return fmt.Errorf("%w: choose another --out, or pass --force to replace it", err)
	}
	return err
}

// JSONFlag is the --json flag of a command that also writes what it
// prints to a JSON file: the path is checked (rundir.CheckFile) before the
// command starts, so that a path it cannot write is refused (exit 2)
// before anything is printed.
func JSONFlag(usage string) cli.Flag {
	return &cli.StringFlag{Name: "json", Usage: usage, Action: func(_ *cli.Context, p string) error {
		if err := rundir.CheckFile(p); err != nil {
			return rundir.Refused(fmt.Errorf("--json %s cannot be written: %w", p, err))
		}
		return nil
	}}
}
