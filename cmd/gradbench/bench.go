package main

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/gradbench/gradbench/graph"
	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models"
	"github.com/gradbench/gradbench/models/config"
	"github.com/urfave/cli/v2"
)

func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "time training steps of one network and print one JSON line (median ms per step)",
		Description: "A step is what a logged training step does without writing files: forward, loss, " +
			"backward, every layer's gradient norm, the optimiser's update; on synthetic 784-pixel " +
			"inputs, 10 classes. The line has the fields of scripts/torch_reference.py's, so the two " +
			"can be set side by side (scripts/bench-vs-pytorch.sh, scripts/gpu-check.sh).",
		Flags: append(networkFlags("relu"),
			&cli.IntFlag{Name: "steps", Value: 20, Usage: "timed steps"},
			&cli.IntFlag{Name: "warmup", Value: 2, Usage: "untimed steps first"},
			&cli.BoolFlag{Name: "cuda", Usage: "on the GPU (binary built with make gpu)"},
		),
		Action: bench,
	}
}

// benchLine is the JSON line bench prints.
type benchLine struct {
	Impl     string    `json:"impl"`
	Build    string    `json:"build"`
	BLAS     string    `json:"blas"`
	Device   string    `json:"device"`
	Act      string    `json:"act"`
	Depth    int       `json:"depth"`
	Residual bool      `json:"residual"`
	Norm     string    `json:"norm"`
	Width    int       `json:"width"`
	Batch    int       `json:"batch"`
	Dtype    string    `json:"dtype"`
	Steps    int       `json:"steps"`
	MedianMs float64   `json:"median_ms"`
	MinMs    float64   `json:"min_ms"`
	StepsMs  []float64 `json:"steps_ms"`
}

func bench(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("unexpected argument %q: bench takes flags only", c.Args().First())
	}
	if err := checkCUDA(c.Bool("cuda")); err != nil {
		return err
	}
	cfg, err := networkConfig(c)
	if err != nil {
		return err
	}
	if c.Int("steps") < 1 || c.Int("warmup") < 0 {
		return usagef("--steps must be at least 1 and --warmup 0 or more")
	}
	times, err := models.StepTimes(cfg, c.Int("warmup"), c.Int("steps"))
	if err != nil {
		return err
	}
	line := benchLine{Impl: "gradbench", Build: "cpu", BLAS: graph.BLAS, Device: graph.DeviceName(), Act: cfg.Act,
		Depth: cfg.Depth, Residual: cfg.Residual, Norm: cfg.Norm, Width: cfg.Width, Batch: cfg.Batch, Dtype: cfg.Dtype, Steps: len(times)}
	if graph.CUDA {
		line.Build = "cuda"
	}
	for _, t := range times {
		line.StepsMs = append(line.StepsMs, float64(t.Nanoseconds())/1e6)
	}
	sorted := slices.Clone(line.StepsMs)
	line.MedianMs, line.MinMs = metrics.Median(sorted), sorted[0]
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.App.Writer, string(b))
	return nil
}

// networkFlags are the flags of commands that build one network without
// training it on a dataset (info, bench): its activation (act by default),
// size, structure and dtype.
func networkFlags(act string) []cli.Flag {
	flags := settingFlags("act", "depth", "width", "batch", "residual", "norm", "dtype")
	flags[0].(*cli.StringFlag).Value = act
	return flags
}

// networkConfig is the configuration networkFlags describe, on the
// synthetic dataset's 784 inputs and 10 classes.
func networkConfig(c *cli.Context) (config.Config, error) {
	cfg := config.Default()
	cfg.Act = c.String("act")
	applyFlags(c, &cfg)
	cfg.Dataset = "synthetic"
	if err := cfg.Validate(); err != nil {
		return cfg, flagError(err)
	}
	if err := models.CheckMemory(cfg, 784, 10); err != nil {
		return cfg, usageError{err}
	}
	return cfg, nil
}
