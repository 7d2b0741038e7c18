package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/gradbench/gradbench/models"
	"github.com/gradbench/gradbench/models/config"
	"github.com/urfave/cli/v2"
)

func trainCommand() *cli.Command {
	return &cli.Command{
		Name:  "train",
		Usage: "train one network and record its per-layer gradient norms",
		Flags: append(trainFlags(),
			&cli.StringFlag{Name: "resume", Usage: "continue the interrupted run in `DIR` from its checkpoint", Category: "Output"}),
		Action: train,
	}
}

type exitError struct {
	err  error
	code int
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }
func (e exitError) ExitCode() int { return e.code }

func train(c *cli.Context) error {
	var cfg config.Config
	var ck *models.Checkpoint
	var dir string
	var err error
	write, err := output(c)
	if err != nil {
		return err
	}
	if dir = c.String("resume"); dir != "" {
		if out := c.String("out"); out != "" && filepath.Clean(out) != filepath.Clean(dir) {
			return usagef("--resume %s continues in place: drop --out %s", dir, out)
		}
		if c.IsSet("preset") {
			return usagef("--resume continues a run as it was configured: drop --preset")
		}
		// The flags given must not change the run; --data-dir may point
		// elsewhere, since it changes no number.
		ck, err = readResume(dir, func(have config.Config) config.Config { applyFlags(c, &have); return have })
		if err != nil {
			return err
		}
		cfg = ck.Config
		if s := ck.State.Summary; s.Done() {
			fmt.Printf("%s: the run in %s has already %s after %d steps; nothing to do\n", cfg.Act, dir, s.Status, s.Steps)
			return nil
		}
	} else {
		if cfg, err = configFrom(c); err != nil {
			return err
		}
		dir = outDir(c, cfg)
	}
	dataCfg := cfg
	if c.IsSet("data-dir") {
		dataCfg.DataDir = c.String("data-dir")
	}
	ds, err := prepare(dataCfg, dir, 1)
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	bar := progressFor(c, 1)
	write = resumedOutput(c, write, ck)
	write.Progress = bar.Update(cfg.Act)
	s, err := models.TrainInto(ctx, cfg, ds, dir, ck, write)
	bar.Clear()
	switch {
	case errors.Is(err, models.ErrDiverged):
		return exitError{fmt.Errorf("%w; outputs so far are in %s", err, dir), exitDiverged}
	case errors.Is(err, context.Canceled):
		return exitError{fmt.Errorf("interrupted after step %d; outputs so far are in %s; continue with: gradbench train --resume %s", s.Steps, dir, dir), exitInterrupted}
	case err != nil:
		return err
	}
	fmt.Printf("%s: %d steps, final loss %s, test accuracy %s, %.1f ms/step; outputs in %s\n",
		cfg.Act, s.Steps, fmtPtr(s.FinalLoss, "%.4f"), fmtPtr(s.TestAccuracy, "%.4f"), s.MsPerStep, dir)
	return nil
}

func fmtPtr(p *float64, format string) string {
	if p == nil {
		return "n/a"
	}
	return fmt.Sprintf(format, *p)
}
