package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gradbench/gradbench/models"
	"github.com/urfave/cli/v2"
)

func trainCommand() *cli.Command {
	return &cli.Command{
		Name:  "train",
		Usage: "train one network and record its per-layer gradient norms",
		Flags: append(trainFlags(),
			&cli.StringFlag{Name: "resume", Usage: "continue the interrupted run in `DIR` from its checkpoint"}),
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
	var cfg models.Config
	var ck *models.Checkpoint
	var dir string
	var err error
	every := c.Int("checkpoint-every")
	if every < 0 {
		return usagef("--checkpoint-every must be 0 or more, got %d", every)
	}
	if dir = c.String("resume"); dir != "" {
		if out := c.String("out"); out != "" && filepath.Clean(out) != filepath.Clean(dir) {
			return usagef("--resume %s continues in place: drop --out %s", dir, out)
		}
		if ck, err = readResume(c, dir); err != nil {
			return err
		}
		cfg = ck.Config
		if finished(ck) {
			fmt.Printf("%s: the run in %s has already %s after %d steps; nothing to do\n", cfg.Act, dir, ck.State.Summary.Status, ck.State.Summary.Steps)
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	bar := progressFor(c)
	s, err := trainInto(ctx, cfg, ds, dir, ck, every, bar.update)
	bar.done()
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

// unwrapPath strips the path from a *PathError, which the message names.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// progressLine draws a one-line progress report on a terminal.
type progressLine struct {
	f    *os.File
	last time.Time
}

// progressFor returns the progress line on stderr, nil under --quiet.
func progressFor(c *cli.Context) *progressLine {
	if c.Bool("quiet") {
		return nil
	}
	return newProgressLine(os.Stderr)
}

// newProgressLine returns a progress line on f, or nil when f is not a
// terminal.
func newProgressLine(f *os.File) *progressLine {
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return &progressLine{f: f}
}

func (p *progressLine) update(pr models.Progress) {
	if p == nil || (time.Since(p.last) < 200*time.Millisecond && pr.Step != pr.Steps) {
		return
	}
	p.last = time.Now()
	eta := time.Duration(float64(pr.Elapsed) / float64(pr.Step) * float64(pr.Steps-pr.Step)).Round(time.Second)
	fmt.Fprintf(p.f, "\rstep %d/%d  epoch %d  loss %.4f  ETA %v   ", pr.Step, pr.Steps, pr.Epoch, pr.Loss, eta)
}

func (p *progressLine) done() {
	if p != nil {
		fmt.Fprint(p.f, "\r\033[K")
	}
}
