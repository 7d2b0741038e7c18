package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/gradbench/gradbench/cmd/internal/conventions"
	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models/rundir"
	"github.com/urfave/cli/v2"
)

func diffCommand() *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "compare two runs of one configuration step by step (loss and every gradient norm)",
		UsageText: "gradbench diff RUN_A RUN_B [--steps N] [--rtol R]  (e.g. the same flags on the CPU and GPU builds)",
		Description: "Prints the largest relative gap |a−b|/max(|a|,|b|) of the loss and of the per-layer " +
			"gradient norms, at the first logged step (same weights in both runs: the arithmetic alone) " +
			"and over all compared steps. Exits 1 when a gap is above --rtol.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "steps", Usage: "compare the first N logged steps (0: all both runs logged)"},
			&cli.Float64Flag{Name: "rtol", Value: 1e-3, Usage: "largest relative gap accepted"},
			conventions.JSONFlag("also write the gaps to this JSON file"),
		},
		Action: diffRuns,
	}
}

func diffRuns(c *cli.Context) error {
	if c.NArg() != 2 {
		return usagef("diff needs two run directories: gradbench diff RUN_A RUN_B [--steps N] [--rtol R]")
	}
	if r := c.Float64("rtol"); !(r >= 0) {
		return usagef("--rtol %v: must be 0 or more", r)
	}
	a, err := rundir.Read(c.Args().Get(0))
	if err != nil {
		return usageError{err}
	}
	b, err := rundir.Read(c.Args().Get(1))
	if err != nil {
		return usageError{err}
	}
	d, err := rundir.Diff(a, b, c.Int("steps"))
	if err != nil {
		return usageError{err}
	}
	w := c.App.Writer
	fmt.Fprintf(w, "%d logged steps of %s (a) and %s (b)\n", d.Steps, a.Dir, b.Dir)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tworst relative gap\twhere\ta\tb")
	for _, row := range []struct {
		name string
		g    metrics.Gap
	}{{"loss, first step", d.FirstLoss}, {"norms, first step", d.FirstNorm}, {"loss, all steps", d.Loss}, {"norms, all steps", d.Norm}} {
		fmt.Fprintf(tw, "%s\t%.3g\t%s\t%.9g\t%.9g\n", row.name, row.g.Rel, row.g.Where, row.g.A, row.g.B)
	}
	tw.Flush()
	if p := c.String("json"); p != "" {
		if err := rundir.WriteJSON(p, d); err != nil {
			return err
		}
	}
	if !d.Within(c.Float64("rtol")) {
		return fmt.Errorf("the runs differ by more than --rtol %g", c.Float64("rtol"))
	}
	fmt.Fprintf(w, "within --rtol %g\n", c.Float64("rtol"))
	return nil
}
