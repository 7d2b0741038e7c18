package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/gradbench/gradbench/cmd/internal/conventions"
	"github.com/gradbench/gradbench/cmd/internal/signals"
	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/models"
	"github.com/gradbench/gradbench/models/config"
	"github.com/gradbench/gradbench/models/rundir"
	"github.com/gradbench/gradbench/models/rundir/tfevents"
	"github.com/urfave/cli/v2"
)

// settingFlags returns a flag for each of the named settings (all of
// config.Fields when none is named), generated from the table.
func settingFlags(names ...string) []cli.Flag {
	d := config.Default()
	var flags []cli.Flag
	for _, f := range config.Fields {
		if len(names) > 0 && !slices.Contains(names, f.Name) {
			continue
		}
		var env []string
		if f.Env != "" {
			env = []string{f.Env}
		}
		g := f.Group
		switch v := f.Value(d).(type) {
		case string:
			flags = append(flags, &cli.StringFlag{Name: f.Name, Value: v, Usage: f.Help, EnvVars: env, Category: g})
		case int:
			flags = append(flags, &cli.IntFlag{Name: f.Name, Value: v, Usage: f.Help, EnvVars: env, Category: g})
		case uint64:
			flags = append(flags, &cli.Uint64Flag{Name: f.Name, Value: v, Usage: f.Help, EnvVars: env, Category: g})
		case float64:
			flags = append(flags, &cli.Float64Flag{Name: f.Name, Value: v, Usage: f.Help, EnvVars: env, Category: g})
		case bool:
			flags = append(flags, &cli.BoolFlag{Name: f.Name, Value: v, Usage: f.Help, EnvVars: env, Category: g})
		}
	}
	return flags
}

// trainFlags are the flags of train: every setting, then how the run is
// written.
func trainFlags() []cli.Flag {
	return append(settingFlags(), outputFlags(&cli.StringFlag{Name: "out", Usage: "output directory (default: runs/ACT)", Category: "Output"})...)
}

// outputFlags are the flags of how a training command writes its runs,
// which change no number, with its --out flag.
func outputFlags(out cli.Flag) []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "checkpoint-every", Value: 200, Usage: "write a checkpoint every N steps (0: only at the start, the end and on interrupt)", Category: "Output"},
		&cli.BoolFlag{Name: "tensorboard", Value: true, Usage: "also write a TensorBoard event file (events.out.tfevents.*) in each run directory; --tensorboard=false: none", Category: "Output"},
		&cli.IntFlag{Name: "hist-every", Usage: "TensorBoard: weight-gradient histograms every N steps (0: about 50 per run)", Category: "Output"},
		out,
		&cli.BoolFlag{Name: "force", Usage: "replace a run of another configuration in the output directory (default: refuse)", Category: "Output"},
		&cli.BoolFlag{Name: "quiet", Usage: "no progress lines", Category: "Output"},
		&cli.BoolFlag{Name: "cuda", Usage: "train on an NVIDIA GPU (binary built with make gpu)", Category: "Training"},
	}
}

// output returns how the runs of c are written: the checked
// --checkpoint-every, --tensorboard and --hist-every, and --force.
func output(c *cli.Context) (models.Output, error) {
	every := c.Int("checkpoint-every")
	if every < 0 {
		return models.Output{}, usagef("--checkpoint-every must be 0 or more, got %d", every)
	}
	hist := c.Int("hist-every")
	if hist < 0 {
		return models.Output{}, usagef("--hist-every must be 0 or more, got %d", hist)
	}
	return models.Output{CheckpointEvery: every, TensorBoard: c.Bool("tensorboard"), HistEvery: hist, Replace: c.Bool("force")}, nil
}

// resumedOutput returns o for continuing the run of checkpoint ck: unless
// --tensorboard was given, it writes an event file if the run did.
func resumedOutput(c *cli.Context, o models.Output, ck *models.Checkpoint) models.Output {
	if ck != nil && !c.IsSet("tensorboard") {
		o.TensorBoard = tfevents.FileIn(ck.State.Offsets) != ""
	}
	return o
}

// configFrom builds the configuration: defaults, then the preset, then the
// flags the user set.
func configFrom(c *cli.Context) (config.Config, error) {
	if c.Args().Present() {
		return config.Config{}, usagef("unexpected argument %q: %s takes flags only", c.Args().First(), c.Command.Name)
	}
	cfg := config.Default()
	if err := cfg.ApplyPreset(c.String("preset")); err != nil {
		return cfg, flagError(err)
	}
	applyFlags(c, &cfg)
	if err := cfg.Validate(); err != nil {
		return cfg, flagError(err)
	}
	if err := checkCUDA(c.Bool("cuda")); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// applyFlags sets the settings of cfg whose flags the user gave.
func applyFlags(c *cli.Context, cfg *config.Config) {
	for _, f := range config.Fields {
		if c.IsSet(f.Name) && f.Name != "preset" {
			f.SetValue(cfg, c.Value(f.Name)) // the flag parsed it
		}
	}
}

// flagError maps an error about a setting to a usage error that names its
// flag; other errors are returned as they are.
func flagError(err error) error {
	var fe *config.FieldError
	if errors.As(err, &fe) {
		return usagef("--%s: %v", fe.Field, err)
	}
	return err
}

// prepare loads the dataset cfg names, checks that a batch fits and that
// out can be written and has room for runs runs: everything that can fail
// before training starts.
func prepare(cfg config.Config, out string, runs int) (*data.Dataset, error) {
	ds, err := data.Load(cfg.Dataset, cfg.DataDir)
	if err != nil {
		return nil, usageError{err}
	}
	train, _, err := models.Splits(cfg, ds)
	if err != nil {
		return nil, usageError{flagError(err)}
	}
	if err := checkWritable(out); err != nil {
		return nil, err
	}
	// Files a run replaces give their space back.
	need := int64(runs)*min(models.OutputBytes(cfg, train.N, train.Dim, ds.Classes), math.MaxInt64/int64(runs)) - rundir.TreeBytes(out)
	return ds, checkSpace(out, need, "run")
}

// checkSpace refuses to start when out has less than need bytes free.
func checkSpace(out string, need int64, what string) error {
	if free := freeBytes(rundir.Existing(out)); free >= 0 && free < need {
		return usagef("output %s has %s free but the %s needs about %s: free some space or choose another --out", out, mib(free), what, mib(need))
	}
	return nil
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func outDir(c *cli.Context, cfg config.Config) string {
	if out := c.String("out"); out != "" {
		return out
	}
	return fmt.Sprintf("runs/%s", cfg.Act)
}

// signalContext returns a context cancelled by Ctrl-C, SIGTERM or SIGQUIT
// (package signals): the one place the commands that train stop on a signal.
func signalContext() (context.Context, context.CancelFunc) {
	return context.WithCancel(signals.Context())
}

// readResume reads the checkpoint of the run in dir for --resume, with
// want giving the configuration the run must have.
func readResume(dir string, want func(config.Config) config.Config) (*models.Checkpoint, error) {
	ck, err := models.ReadResume(dir, want)
	var m *models.MismatchError
	switch {
	case errors.Is(err, models.ErrNoCheckpoint):
		return nil, usagef("no checkpoint in %s: it is not a run directory, or the run was written by an older gradbench; start it again without --resume", dir)
	case errors.As(err, &m):
		return nil, usagef("--resume continues a run as it was configured, but --%s %s differs from the run's %s; drop the flag or start a new run", m.Field, m.Want, m.Have)
	case conventions.Refused(err):
		return nil, err
	case err != nil:
		return nil, usagef("%v: start the run again without --resume", err)
	}
	return ck, nil
}
