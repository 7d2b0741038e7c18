package main

import (
	"bytes"
	"fmt"
	"path/filepath"

	"github.com/gradbench/gradbench/graph"
	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models/rundir"
	"github.com/gradbench/gradbench/plots"
	"github.com/urfave/cli/v2"
)

func curvesCommand() *cli.Command {
	return &cli.Command{
		Name:  "curves",
		Usage: "plot every activation and its derivative on [-5, 5] (the table's closed forms, which tests check against Gorgonia's differentiation)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Value: "runs/curves", Usage: "output directory"},
			settingFlags("leaky-slope")[0],
		},
		Action: curves,
	}
}

func curves(c *cli.Context) error {
	cfg, err := configFrom(c) // checks --leaky-slope as train does
	if err != nil {
		return err
	}
	out := c.String("out")
	if err := checkWritable(out); err != nil {
		return err
	}
	const n = 1001
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = -5 + 10*float64(i)/(n-1)
	}
	var ys, dys [][]float64
	for _, name := range graph.Canonical {
		act, err := graph.Lookup(name, cfg.LeakySlope)
		if err != nil {
			return err
		}
		y, dy := make([]float64, n), make([]float64, n)
		for i, x := range xs {
			y[i], dy[i] = act.Phi(x), act.Deriv(x)
		}
		ys, dys = append(ys, y), append(dys, dy)
	}
	var b bytes.Buffer
	b.WriteString("x")
	for _, name := range graph.Canonical {
		fmt.Fprintf(&b, ",%s,d_%s", name, name)
	}
	b.WriteString("\n")
	for i, x := range xs {
		b.WriteString(metrics.F(x))
		for k := range graph.Canonical {
			fmt.Fprintf(&b, ",%s,%s", metrics.F(ys[k][i]), metrics.F(dys[k][i]))
		}
		b.WriteString("\n")
	}
	// The figures first: they make out.
	if _, err := plots.Curves(out, xs, graph.Canonical, ys, dys); err != nil {
		return fmt.Errorf("curves: %w", err)
	}
	if err := rundir.WriteFileAtomic(filepath.Join(out, "curves.csv"), b.Bytes()); err != nil {
		return err
	}
	fmt.Printf("curves: %s, %s, %s\n", filepath.Join(out, "curves.png"), filepath.Join(out, "derivatives.png"), filepath.Join(out, "curves.csv"))
	return nil
}
