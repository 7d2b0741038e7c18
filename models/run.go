package models

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sync"

	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/models/config"
	"github.com/gradbench/gradbench/models/rundir"
	"github.com/gradbench/gradbench/models/rundir/tfevents"
)

// Output says how TrainInto writes a run besides its CSV files. The zero
// value writes a checkpoint only at the start and the end, and no event
// file.
type Output struct {
	// CheckpointEvery rewrites the checkpoint and summary.json every N
	// steps (0: only at the start and the end), and when training ends or
	// stops.
	CheckpointEvery int
	// TensorBoard also writes the run as a TensorBoard event file
	// (package tfevents), with weight-gradient histograms every HistEvery
	// steps (0: the resumed run's interval, else about
	// tfevents.DefaultHistograms per run).
	TensorBoard bool
	HistEvery   int
	// Replace lets a new run replace a run of another configuration in
	// its directory; without it TrainInto refuses.
	Replace bool
	// Progress, if not nil, is called after every step.
	Progress func(Progress)
}

// TrainInto trains cfg on ds into the run directory dir, recording with a
// rundir.Recorder (and a tfevents.Sink if out asks for one), from the
// checkpoint ck when it is not nil (which must have been read from dir).
//
// Nothing in dir changes before everything is checked: TrainInto holds
// dir's lock (rundir.Acquire) for the whole run, removes the temporary
// files of atomic writes killed half-way, validates ck against dir
// (Checkpoint.Check) and the network, refuses a directory that holds a run
// of another configuration unless out.Replace, and checks every file the
// run writes (rundir.CheckFiles) before any is cut back or emptied. Each
// refusal is a *rundir.RefusedError.
func TrainInto(ctx context.Context, cfg config.Config, ds *data.Dataset, dir string, ck *Checkpoint, out Output) (*rundir.Summary, error) {
	var sinks Sinks
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	lock, err := rundir.Acquire(dir)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if err := rundir.CleanTemps(dir); err != nil {
		return nil, err
	}
	t, err := newTrainer(cfg, ds, nil, ck)
	var bad *badCheckpointError
	if errors.As(err, &bad) {
		return nil, rundir.Refused(fmt.Errorf("checkpoint in %s: %w; remove it to train the run again", dir, bad.err))
	}
	if err != nil {
		return nil, err
	}
	defer t.m.Close()
	if ck != nil {
		if err := ck.Check(dir, t.stepsPerEpoch); err != nil {
			return nil, err
		}
	} else if !out.Replace {
		if err := rundir.CheckReplace(dir, cfg); err != nil {
			return nil, err
		}
	}
	events, err := tfevents.Files(dir)
	if err == nil {
		err = rundir.CheckFiles(dir, append(rundir.Files(), events...)...)
	}
	if err != nil {
		return nil, err
	}
	histEvery := out.HistEvery
	if histEvery == 0 && ck != nil {
		histEvery = ck.HistEvery
	}
	if histEvery == 0 {
		histEvery = tfevents.HistEveryFor(t.total)
	}
	tbOpts := tfevents.Options{HistEvery: histEvery, LogEvery: cfg.LogEvery}
	var rec *rundir.Recorder
	var tb *tfevents.Sink
	if ck != nil {
		// Every file is checked before any is cut back.
		if out.TensorBoard {
			if err := tfevents.Check(dir, ck.State.Offsets); err != nil {
				return nil, rundir.Refused(err)
			}
		}
		if rec, err = rundir.Reopen(dir, ck.State.Offsets); err != nil {
			return nil, err
		}
		closers = append(closers, rec)
		if out.TensorBoard {
			tb, err = tfevents.Reopen(dir, ck.State.Offsets, tbOpts)
		}
	} else {
		if rec, err = rundir.Create(dir); err != nil {
			return nil, err
		}
		closers = append(closers, rec)
		// A new run replaces the event files of the one before, whether
		// or not it writes one.
		if err = tfevents.Remove(dir); err == nil && out.TensorBoard {
			tb, err = tfevents.Create(dir, tbOpts)
		}
	}
	if err != nil {
		return nil, err
	}
	sinks = append(sinks, rec)
	if tb != nil {
		closers = append(closers, tb)
		sinks = append(sinks, tb)
	}
	hooks := Hooks{Progress: out.Progress, CheckpointEvery: out.CheckpointEvery, Checkpoint: func(c *Checkpoint) error {
		if tb != nil {
			c.HistEvery = histEvery
		}
		if err := WriteCheckpoint(filepath.Join(dir, rundir.CheckpointFile), c); err != nil {
			return err
		}
		return rundir.WriteJSON(filepath.Join(dir, rundir.SummaryFile), &c.State.Summary)
	}, Spectrum: func(sv [][]float64) error { return rundir.WriteSpectrum(dir, sv) }}
	t.rec = sinks
	return t.run(ctx, hooks)
}

// MismatchError is a checkpoint whose run was configured otherwise than
// the run that would continue from it.
type MismatchError struct {
	Dir string
	config.Mismatch
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("the run in %s has %s %s, not %s", e.Dir, e.Field, e.Have, e.Want)
}

// ErrNoCheckpoint is returned, wrapped, by ReadResume for a directory
// without a checkpoint.
var ErrNoCheckpoint = errors.New("no checkpoint")

// ReadResume reads the checkpoint of the run in dir, the one check before
// a run continues: the checkpoint must decode, its configuration must be
// valid, it must equal want(its configuration) in every setting that
// changes a number (a *MismatchError names the first that differs), and
// it must fit the run in dir (Checkpoint.Check, a *rundir.RefusedError). A
// directory without a checkpoint gives an error wrapping ErrNoCheckpoint.
func ReadResume(dir string, want func(have config.Config) config.Config) (*Checkpoint, error) {
	if err := rundir.Probe(dir); err != nil {
		return nil, err
	}
	ck, err := ReadCheckpoint(filepath.Join(dir, rundir.CheckpointFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", dir, ErrNoCheckpoint)
	}
	if err != nil {
		return nil, err
	}
	if err := ck.Config.Validate(); err != nil {
		return nil, fmt.Errorf("checkpoint in %s: %w", dir, err)
	}
	if m := config.Diff(ck.Config, want(ck.Config)); m != nil {
		return nil, &MismatchError{Dir: dir, Mismatch: *m}
	}
	// The checkpoint against the run it sits in; TrainInto checks it
	// again against the data.
	if err := ck.Check(dir, ck.State.Summary.StepsPerEpoch); err != nil {
		return nil, err
	}
	return ck, nil
}

// ForEach calls fn(i) for every i in [0, n), jobs calls at a time, and
// returns when all have returned.
func ForEach(n, jobs int, fn func(i int)) {
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(max(jobs, 1), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				fn(i)
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
}
