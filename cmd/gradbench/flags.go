package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/graph"
	"github.com/gradbench/gradbench/models"
	"github.com/urfave/cli/v2"
)

// trainFlags are the flags of train, shared by the commands that train.
func trainFlags() []cli.Flag {
	d := models.Default()
	return []cli.Flag{
		&cli.StringFlag{Name: "act", Value: d.Act, Usage: "activation: " + strings.Join(graph.Names(), ", ")},
		&cli.Float64Flag{Name: "leaky-slope", Value: d.LeakySlope, Usage: "negative-side slope of leakyrelu"},
		&cli.IntFlag{Name: "depth", Value: d.Depth, Usage: "number of hidden layers"},
		&cli.IntFlag{Name: "width", Value: d.Width, Usage: "units per hidden layer"},
		&cli.IntFlag{Name: "batch", Value: d.Batch, Usage: "examples per training step"},
		&cli.IntFlag{Name: "epochs", Value: d.Epochs, Usage: "passes over the training set"},
		&cli.Float64Flag{Name: "lr", Value: d.LR, Usage: "learning rate"},
		&cli.StringFlag{Name: "optimizer", Value: d.Optimizer, Usage: "optimiser: " + strings.Join(models.OptimizerNames(), ", ")},
		&cli.StringFlag{Name: "init", Value: d.Init, Usage: "initialisation: " + strings.Join(models.InitNames(), ", ")},
		&cli.StringFlag{Name: "preset", Usage: "start from a preset (" + strings.Join(models.PresetNames(), ", ") + "); other flags override it"},
		&cli.StringFlag{Name: "dtype", Value: d.Dtype, Usage: "float32 or float64"},
		&cli.Uint64Flag{Name: "seed", Value: d.Seed, Usage: "seed of initialisation and data order"},
		&cli.StringFlag{Name: "dataset", Value: d.Dataset, Usage: "dataset: " + strings.Join(data.Names(), ", ")},
		&cli.StringFlag{Name: "data-dir", Value: d.DataDir, EnvVars: []string{"GRADBENCH_DATA"}, Usage: "folder holding the datasets (make data fills it)"},
		&cli.IntFlag{Name: "train-size", Usage: "use only the first N training examples (0: all)"},
		&cli.IntFlag{Name: "test-size", Usage: "use only the first N test examples (0: all)"},
		&cli.IntFlag{Name: "log-every", Value: d.LogEvery, Usage: "record gradient norms every N steps"},
		&cli.Float64Flag{Name: "clip-norm", Usage: "clip the global gradient norm to X (0: off)"},
		&cli.IntFlag{Name: "checkpoint-every", Value: 200, Usage: "write a checkpoint every N steps (0: only at the start, the end and on interrupt)"},
		&cli.StringFlag{Name: "out", Usage: "output directory (default runs/ACT)"},
		&cli.BoolFlag{Name: "quiet", Usage: "no progress line"},
		&cli.BoolFlag{Name: "cuda", Usage: "train on an NVIDIA GPU (binary built with make gpu)"},
	}
}

// configFrom builds the configuration: defaults, then the preset, then the
// flags the user set.
func configFrom(c *cli.Context) (models.Config, error) {
	if c.Args().Present() {
		return models.Config{}, usagef("unexpected argument %q: %s takes flags only", c.Args().First(), c.Command.Name)
	}
	cfg := models.Default()
	if err := cfg.ApplyPreset(c.String("preset")); err != nil {
		return cfg, usageError{err}
	}
	applyFlags(c, &cfg)
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{err}
	}
	if err := checkCUDA(c.Bool("cuda")); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// applyFlags sets the fields of cfg whose flags the user gave.
func applyFlags(c *cli.Context, cfg *models.Config) {
	set := func(name string, apply func()) {
		if c.IsSet(name) {
			apply()
		}
	}
	set("act", func() { cfg.Act = c.String("act") })
	set("leaky-slope", func() { cfg.LeakySlope = c.Float64("leaky-slope") })
	set("depth", func() { cfg.Depth = c.Int("depth") })
	set("width", func() { cfg.Width = c.Int("width") })
	set("batch", func() { cfg.Batch = c.Int("batch") })
	set("epochs", func() { cfg.Epochs = c.Int("epochs") })
	set("lr", func() { cfg.LR = c.Float64("lr") })
	set("optimizer", func() { cfg.Optimizer = c.String("optimizer") })
	set("init", func() { cfg.Init = c.String("init") })
	set("dtype", func() { cfg.Dtype = c.String("dtype") })
	set("seed", func() { cfg.Seed = c.Uint64("seed") })
	set("dataset", func() { cfg.Dataset = c.String("dataset") })
	set("data-dir", func() { cfg.DataDir = c.String("data-dir") })
	set("train-size", func() { cfg.TrainSize = c.Int("train-size") })
	set("test-size", func() { cfg.TestSize = c.Int("test-size") })
	set("log-every", func() { cfg.LogEvery = c.Int("log-every") })
	set("clip-norm", func() { cfg.ClipNorm = c.Float64("clip-norm") })
}

// prepare loads the dataset cfg names, checks that a batch fits and that
// out can be written and has room for runs runs: everything that can fail
// before training starts.
func prepare(cfg models.Config, out string, runs int) (*data.Dataset, error) {
	ds, err := data.Load(cfg.Dataset, cfg.DataDir)
	if err != nil {
		return nil, usageError{err}
	}
	train, _, err := cfg.Splits(ds)
	if err != nil {
		return nil, usageError{err}
	}
	if err := checkWritable(out); err != nil {
		return nil, err
	}
	// Files a run replaces give their space back.
	need := int64(runs)*models.OutputBytes(cfg, train.N, train.Dim, ds.Classes) - dirBytes(out, true)
	if free := freeBytes(out); free >= 0 && free < need {
		return nil, usagef("output %s has %s free but the run needs about %s: free some space or choose another --out", out, mib(free), mib(need))
	}
	return ds, nil
}

// dirBytes returns the size of the regular files in dir and, when sub is
// true, in its immediate subdirectories (the runs of a compare).
func dirBytes(dir string, sub bool) int64 {
	var n int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() && sub {
			n += dirBytes(filepath.Join(dir, e.Name()), false)
		} else if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
	}
	return n
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func outDir(c *cli.Context, cfg models.Config) string {
	if out := c.String("out"); out != "" {
		return out
	}
	return fmt.Sprintf("runs/%s", cfg.Act)
}
