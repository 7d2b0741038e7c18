package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/gradbench/gradbench/cmd/internal/conventions"
	"github.com/gradbench/gradbench/graph"
	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models"
	"github.com/gradbench/gradbench/models/config"
	"github.com/gradbench/gradbench/models/rundir"
	"github.com/gradbench/gradbench/plots"
	"github.com/urfave/cli/v2"
)

func compareCommand() *cli.Command {
	// Every setting but --act, which compare refuses (a hidden flag, so
	// that the refusal can name --acts).
	var flags []cli.Flag
	for _, f := range settingFlags() {
		if f.Names()[0] == "act" {
			f = &cli.StringFlag{Name: "act", Hidden: true}
		}
		flags = append(flags, f)
	}
	flags = append(append(flags, outputFlags(&cli.StringFlag{Name: "out", Value: "runs/compare", Usage: "output directory: run ACT goes to DIR/ACT, the report to DIR", Category: "Output"})...),
		&cli.StringFlag{Name: "acts", Value: strings.Join(graph.Classic, ","), Usage: "activations to compare, comma-separated, or all (" + strings.Join(graph.Canonical, ", ") + ")", Category: "Compare"},
		&cli.IntFlag{Name: "jobs", Value: runtime.NumCPU(), Usage: "activations trained at once", Category: "Compare"},
		&cli.BoolFlag{Name: "resume", Usage: "continue an interrupted compare in --out: finished activations are not trained again", Category: "Compare"},
	)
	return &cli.Command{
		Name:      "compare",
		Usage:     "train every activation with the same seed, data order and flags, then write the report",
		UsageText: "gradbench compare --out DIR [--acts LIST] [--jobs N] [train flags]",
		Flags:     flags,
		Action:    compare,
	}
}

func compare(c *cli.Context) error {
	if c.IsSet("act") {
		return usagef("compare trains several activations: use --acts, not --act")
	}
	base, err := configFrom(c)
	if err != nil {
		return err
	}
	acts, err := parseActs(c.String("acts"), base.LeakySlope)
	if err != nil {
		return err
	}
	jobs := c.Int("jobs")
	if jobs < 1 {
		return usagef("--jobs must be at least 1, got %d", jobs)
	}
	out := c.String("out")
	if out == "" {
		return usagef("--out is empty: give the compare's directory")
	}
	ds, err := prepare(base, out, len(acts))
	if err != nil {
		return err
	}
	output, err := output(c)
	if err != nil {
		return err
	}
	resume := make([]*models.Checkpoint, len(acts))
	for i, a := range acts { // every directory is checked before any activation trains
		if resume[i], err = compareCheckpoint(filepath.Join(out, a), base, a, c.Bool("resume"), output.Replace); err != nil {
			return err
		}
	}
	ctx, stop := signalContext()
	defer stop()
	prog := progressFor(c, len(acts))
	errs := make([]error, len(acts))
	models.ForEach(len(acts), jobs, func(i int) {
		cfg, ck := base, resume[i]
		cfg.Act = acts[i]
		if ck != nil {
			cfg = ck.Config // equal but for the data directory
		}
		if !ck.Done() {
			o := resumedOutput(c, output, ck)
			o.Progress = prog.Update(acts[i])
			_, errs[i] = models.TrainInto(ctx, cfg, ds, filepath.Join(out, acts[i]), ck, o)
		}
		prog.Finish(acts[i])
	})
	prog.Clear()

	var dirs []string
	for i, err := range errs {
		switch {
		case err == nil || errors.Is(err, models.ErrDiverged):
			dirs = append(dirs, filepath.Join(out, acts[i]))
		case errors.Is(err, context.Canceled):
			return exitError{fmt.Errorf("interrupted; finished runs are in %s", out), exitInterrupted}
		default:
			return fmt.Errorf("%s: %w", acts[i], err)
		}
	}
	return writeReport(os.Stdout, dirs, out)
}

// compareCheckpoint checks activation act's directory dir before any
// activation trains: with resume it returns its checkpoint (nil if none);
// without, it refuses a busy dir or, unless replace, another run in it.
func compareCheckpoint(dir string, base config.Config, act string, resume, replace bool) (*models.Checkpoint, error) {
	want := base
	want.Act = act
	if !resume && !replace {
		return nil, cmp.Or(rundir.Probe(dir), rundir.CheckReplace(dir, want))
	} else if !resume {
		return nil, rundir.Probe(dir)
	}
	ck, err := models.ReadResume(dir, func(config.Config) config.Config { return want })
	var m *models.MismatchError
	switch {
	case errors.Is(err, models.ErrNoCheckpoint):
		return nil, nil
	case errors.As(err, &m):
		return nil, usagef("--resume: the %s run in %s was configured differently: --%s %s differs from the run's %s", act, dir, m.Field, m.Want, m.Have)
	case conventions.Refused(err):
		return nil, err
	case err != nil:
		return nil, usagef("--resume: %v: remove %s to train %s again", err, dir, act)
	}
	return ck, nil
}

// parseActs splits a comma-separated activation list, checks each name
// and returns them in canonical order.
func parseActs(list string, slope float64) ([]string, error) {
	var acts []string
	for _, a := range strings.Split(list, ",") {
		a = strings.TrimSpace(strings.ToLower(a))
		if a == "" {
			continue
		}
		if a == "all" {
			acts = append(acts, graph.Canonical...)
			continue
		}
		if _, err := graph.Lookup(a, slope); err != nil {
			return nil, usageError{fmt.Errorf("--acts: %w", err)}
		}
		acts = append(acts, a)
	}
	slices.Sort(acts)
	acts = slices.Compact(acts)
	if len(acts) == 0 {
		return nil, usagef("--acts is empty: name at least one of %s", strings.Join(graph.Names(), ", "))
	}
	// Reports list activations in one order, however they were named.
	return rundir.ByActivation(acts), nil
}

// checkWritable checks that dir can be made and written, making nothing.
func checkWritable(dir string) error {
	if err := rundir.CheckDir(dir); err != nil {
		return usagef("output %s cannot be written (%v): choose another --out", dir, err)
	}
	return nil
}

// writeReport writes the figures and report of the runs in dirs into out
// and prints the results table to w.
func writeReport(w io.Writer, dirs []string, out string) error {
	rows, err := plots.RunsReport(dirs, out)
	if err != nil {
		return err
	}
	fmt.Fprint(w, metrics.Text(rows))
	fmt.Fprintf(w, "report: %s\n", filepath.Join(out, "report.html"))
	return nil
}
