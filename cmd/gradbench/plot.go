package main

import (
	"os"

	"github.com/gradbench/gradbench/models/rundir"
	"github.com/gradbench/gradbench/models/sweep"
	"github.com/urfave/cli/v2"
)

func plotCommand() *cli.Command {
	return &cli.Command{
		Name:      "plot",
		Usage:     "rebuild every figure and the report from saved runs, without training",
		UsageText: "gradbench plot RUN_DIR... --out DIR  (a compare directory stands for the runs in it; a sweep directory, alone, gets the sweep figures)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "directory for the figures and report (required; may follow the run directories)"},
		},
		Action: plot,
	}
}

func plot(c *cli.Context) error {
	// main moves flags given after the run directories before them.
	out := c.String("out")
	args := c.Args().Slice()
	if len(args) == 0 {
		return usagef("plot needs at least one run directory: gradbench plot RUN_DIR... --out DIR")
	}
	if out == "" {
		return usagef("plot needs --out DIR for the figures and report")
	}
	if len(args) == 1 && sweep.IsSweep(args[0]) {
		if err := checkWritable(out); err != nil {
			return err
		}
		return plotSweep(os.Stdout, args[0], out)
	}
	var dirs []string
	for _, arg := range args {
		if sweep.IsSweep(arg) {
			return usagef("%s is a sweep: plot it on its own (gradbench plot %s --out DIR)", arg, arg)
		}
		d, err := rundir.Find(arg)
		if err != nil {
			return usageError{err}
		}
		dirs = append(dirs, d...)
	}
	if err := checkWritable(out); err != nil {
		return err
	}
	return writeReport(os.Stdout, dirs, out)
}
