package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/gradbench/gradbench/cmd/internal/conventions"
	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models"
	"github.com/gradbench/gradbench/models/sweep"
	"github.com/gradbench/gradbench/models/sweep/slurm"
	"github.com/gradbench/gradbench/plots"
	"github.com/urfave/cli/v2"
)

func sweepCommand() *cli.Command {
	cmds := []*cli.Command{
		{Name: "status", Usage: "print each run of a sweep: done, running, failed or pending", UsageText: "gradbench sweep status DIR", Action: sweepStatus},
		{Name: "resubmit", Usage: "submit the failed and unfinished runs of a Slurm sweep again (each resumes from its checkpoint)", UsageText: "gradbench sweep resubmit DIR", Action: sweepResubmit},
		{Name: "run-task", Usage: "train run INDEX of the sweep in DIR (what each Slurm array task runs)", UsageText: "gradbench sweep run-task DIR INDEX", Hidden: true, Action: sweepRunTask},
	}
	for _, c := range cmds {
		c.OnUsageError = onUsageError
	}
	return &cli.Command{
		Name:  "sweep",
		Usage: "train every combination of a grid of train settings (locally or as a Slurm job array)",
		UsageText: "gradbench sweep --grid FILE --out DIR [--dry-run] [--engine local|slurm] [--jobs N]\n" +
			"gradbench sweep status DIR\ngradbench sweep resubmit DIR",
		Description: "The grid is a TOML file whose keys are train's flags (act, depth, width, lr, seed, dataset, …);\n" +
			"a key may take one value or a list, and the runs are every combination of the lists.\n" +
			"See docs/sweeps.md.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "grid", Usage: "grid `FILE` (TOML): train flags, each a value or a list"},
			&cli.StringFlag{Name: "out", Value: "runs/sweep", Usage: "sweep `DIR`: run NAME goes to DIR/runs/NAME"},
			&cli.BoolFlag{Name: "dry-run", Usage: "list the runs and their train command lines; train nothing"},
			&cli.StringFlag{Name: "engine", Value: "local", Usage: "local (train here, --jobs at once) or slurm (submit a job array)"},
			&cli.IntFlag{Name: "jobs", Value: runtime.NumCPU(), Usage: "local engine: runs trained at once"},
			&cli.IntFlag{Name: "checkpoint-every", Value: 200, Usage: "write each run's checkpoint every N steps"},
			&cli.BoolFlag{Name: "quiet", Usage: "no progress lines"},
			&cli.StringFlag{Name: "partition", Usage: "slurm: partition (default: the cluster's)"},
			&cli.IntFlag{Name: "cpus-per-task", Value: 1, Usage: "slurm: CPUs of each task"},
			&cli.StringFlag{Name: "mem", Usage: "slurm: memory of each task, as sbatch --mem takes it (e.g. 2G)"},
			&cli.StringFlag{Name: "time", Usage: "slurm: time limit of each task, as sbatch --time takes it (e.g. 1:00:00)"},
		},
		Subcommands: cmds,
		Action:      sweepRun,
	}
}

func sweepRun(c *cli.Context) error {
	if c.Args().Present() {
		if s := conventions.Suggest(c.Args().First(), c.Command.Subcommands); s != "" {
			return usagef("unknown sweep command %q: did you mean %q? (gradbench sweep --help)", c.Args().First(), s)
		}
		return usagef("unexpected argument %q: gradbench sweep --grid FILE --out DIR, or gradbench sweep status|resubmit DIR", c.Args().First())
	}
	grid, out, engine, jobs := c.String("grid"), c.String("out"), c.String("engine"), c.Int("jobs")
	switch {
	case grid == "":
		return usagef("sweep needs --grid FILE: a TOML file of train flags, each a value or a list (see docs/sweeps.md)")
	case out == "":
		return usagef("--out is empty: give the sweep's directory")
	case engine != "local" && engine != "slurm":
		return usagef("unknown --engine %q: use local or slurm", engine)
	case jobs < 1:
		return usagef("--jobs must be at least 1, got %d", jobs)
	}
	every := c.Int("checkpoint-every")
	if every < 0 {
		return usagef("--checkpoint-every must be 0 or more, got %d", every)
	}
	opts := slurm.Options{Partition: c.String("partition"), CPUs: c.Int("cpus-per-task"), Mem: c.String("mem"), Time: c.String("time")}
	if err := opts.Check(); engine == "slurm" && err != nil {
		return usagef("--%v", err)
	}
	spec, err := sweep.Build(grid, every)
	if err != nil {
		return usageError{err}
	}
	if engine == "slurm" {
		if out, err = filepath.Abs(out); err != nil {
			return err
		}
		if err := slurm.Available(); err != nil {
			return usagef("--engine slurm: %v: run on a Slurm submit host, or use --engine local", err)
		}
		if err := slurm.CheckPath(out); err != nil {
			return usagef("--engine slurm: %v: choose another --out", err)
		}
	}
	// Nothing is written before everything is checked.
	if c.Bool("dry-run") {
		if err := sweep.Check(out, spec); err != nil {
			return usageError{err}
		}
		sweep.PrintDryRun(os.Stdout, spec, out)
		return nil
	}
	old, err := sweep.Read(out)
	switch {
	case err == nil:
		if d := old.SameRuns(spec); d != "" {
			return usagef("%s holds another sweep (%s): choose another --out, or remove it", out, d)
		}
		spec.Slurm = old.Slurm
	case !errors.Is(err, fs.ErrNotExist):
		return usageError{err}
	}
	if pid := sweep.LocalPID(out); pid > 0 {
		return usagef("a sweep (process %d) is already training in %s: wait for it to end or stop it", pid, out)
	}
	sw, err := sweep.Prepare(out, spec)
	if err != nil {
		return usageError{err}
	}
	if err := checkWritable(out); err != nil {
		return err
	}
	if err := checkSpace(out, sw.Need, "sweep"); err != nil {
		return err
	}
	if engine == "slurm" {
		bin, err := thisBinary()
		if err != nil {
			return err
		}
		return sweep.Slurm{Options: opts, Binary: bin, Log: os.Stdout}.Launch(context.Background(), sw)
	}
	if active, err := spec.Active(); err == nil && len(active) > 0 {
		return usagef("Slurm tasks of this sweep are still queued or running (%s): wait for them (gradbench sweep status %s) or scancel them", strings.Join(active, ", "), out)
	}
	if err := spec.Write(out); err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	bar := progressFor(c, len(spec.Runs))
	err = sweep.Local{Jobs: jobs, Log: bar.Writer(os.Stdout), Progress: bar.Update, Finished: bar.Finish}.Launch(ctx, sw)
	bar.Clear()
	switch {
	case errors.Is(err, context.Canceled):
		return exitError{fmt.Errorf("interrupted; finished runs are in %s; continue with: gradbench sweep --grid %s --out %s", filepath.Join(out, sweep.RunsDir), grid, out), exitInterrupted}
	case err != nil:
		return err
	}
	return plotSweep(os.Stdout, out, out)
}

// thisBinary is the absolute path of the running gradbench.
func thisBinary() (string, error) {
	bin, err := os.Executable()
	if err == nil {
		bin, err = filepath.EvalSymlinks(bin)
	}
	if err != nil {
		return "", fmt.Errorf("sweep: the path of this gradbench: %w", err)
	}
	if err := slurm.CheckPath(bin); err != nil {
		return "", usagef("--engine slurm: gradbench itself: %v", err)
	}
	return bin, nil
}

// sweepDir reads the sweep directory a subcommand takes as its first of n
// arguments.
func sweepDir(c *cli.Context, n int) (string, *sweep.Spec, error) {
	if c.NArg() != n {
		return "", nil, usagef("usage: %s", c.Command.UsageText)
	}
	dir := c.Args().First()
	spec, err := sweep.Read(dir)
	if err != nil {
		return "", nil, usageError{err}
	}
	return dir, spec, nil
}

func sweepStatus(c *cli.Context) error {
	dir, spec, err := sweepDir(c, 1)
	if err != nil {
		return err
	}
	states, qerr := sweep.Statuses(dir, spec)
	sweep.PrintStatus(os.Stdout, dir, spec, states)
	if qerr != nil {
		fmt.Fprintf(os.Stderr, "gradbench: %v: the states of submitted runs are unknown\n", qerr)
	}
	return nil
}

func sweepResubmit(c *cli.Context) error {
	dir, spec, err := sweepDir(c, 1)
	if err != nil {
		return err
	}
	if spec.Slurm == nil {
		return usagef("the sweep in %s was never submitted to Slurm: submit it with gradbench sweep --engine slurm --grid %s --out %s", dir, spec.GridFile, dir)
	}
	if err := slurm.Available(); err != nil {
		return usagef("resubmit: %v: run on a Slurm submit host", err)
	}
	if pid := sweep.LocalPID(dir); pid > 0 {
		return usagef("a local sweep (process %d) is training in %s: wait for it to end or stop it", pid, dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := slurm.CheckPath(abs); err != nil {
		return usagef("resubmit: %v", err)
	}
	bin, err := thisBinary()
	if err != nil {
		return err
	}
	return sweep.Slurm{Binary: bin, Log: os.Stdout, Keep: true}.Launch(context.Background(), &sweep.Sweep{Dir: abs, Spec: spec})
}

// sweepRunTask trains one run of a sweep into its directory, resuming
// from its checkpoint if it has one. A run that diverges is done: the
// task exits 0.
func sweepRunTask(c *cli.Context) error {
	dir, spec, err := sweepDir(c, 2)
	if err != nil {
		return err
	}
	i, err := strconv.Atoi(c.Args().Get(1))
	if err != nil || i < 0 || i >= len(spec.Runs) {
		return usagef("run-task: index %q: the sweep in %s has runs 0 to %d", c.Args().Get(1), dir, len(spec.Runs)-1)
	}
	r := spec.Runs[i]
	rd := filepath.Join(dir, r.Dir)
	ck, err := sweep.RunCheckpoint(rd, r)
	if err != nil {
		return usageError{err}
	}
	sw := &sweep.Sweep{Dir: dir, Spec: spec, Sets: map[sweep.DataKey]*data.Dataset{}, Checkpoints: make([]*models.Checkpoint, len(spec.Runs))}
	if !ck.Done() {
		if sw.Sets[r.Key()], err = prepare(r.Config, rd, 1); err != nil {
			return err
		}
	}
	sw.Checkpoints[i] = ck
	ctx, stop := signalContext()
	defer stop()
	s, err := sw.TrainTask(ctx, i, os.Stdout)
	if errors.Is(err, context.Canceled) {
		return exitError{fmt.Errorf("%s: interrupted after step %d; the checkpoint is in %s", r.Name, s.Steps, rd), exitInterrupted}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", r.Name, err)
	}
	return nil
}

// plotSweep reads the finished runs of the sweep in dir and writes the
// sweep figures, the stop-depth table, the results table and the report
// into out; it prints the two tables to w.
func plotSweep(w io.Writer, dir, out string) error {
	spec, err := sweep.Read(dir)
	if err != nil {
		return usageError{err}
	}
	res, err := sweep.Results(dir, spec)
	if err != nil {
		return err
	}
	rows, points, missing := res.Rows, res.Points, res.Missing
	if len(points) == 0 {
		return usagef("no run of the sweep in %s has finished yet: see gradbench sweep status %s", dir, dir)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	figs, err := sweep.Figures(out, spec, res)
	if err != nil {
		return fmt.Errorf("figures: %w", err)
	}
	if err := plots.WriteTidy(filepath.Join(out, plots.TidyFile), res.Runs, res.Names); err != nil {
		return err
	}
	stop := plots.StopDepths(points)
	if err := plots.SweepReport(out, "gradbench sweep: training against depth", spec.Describe(missing), stop, rows, figs); err != nil {
		return err
	}
	fmt.Fprintf(w, "where each activation stops training (mean test accuracy below %g):\n%s\n", plots.StopBelow, plots.StopText(stop))
	fmt.Fprint(w, metrics.Text(rows))
	if len(missing) > 0 {
		fmt.Fprintf(w, "left out %d unfinished run(s): %s\n", len(missing), strings.Join(missing, " "))
	}
	fmt.Fprintf(w, "report: %s\n", filepath.Join(out, "report.html"))
	return nil
}
