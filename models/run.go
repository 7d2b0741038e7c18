package models

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"

	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/models/config"
	"github.com/gradbench/gradbench/models/rundir"
)

// TrainInto trains cfg on ds into the run directory dir, recording with a
// rundir.Recorder, from the checkpoint ck when it is not nil (which must
// have been read from dir). The checkpoint and summary.json in dir are
// rewritten every checkpointEvery steps (0: only at the start and the
// end) and when training ends or stops.
func TrainInto(ctx context.Context, cfg config.Config, ds *data.Dataset, dir string, ck *Checkpoint, checkpointEvery int, progress func(Progress)) (*rundir.Summary, error) {
	var rec *rundir.Recorder
	var err error
	if ck != nil {
		rec, err = rundir.Reopen(dir, ck.State.Offsets)
	} else {
		rec, err = rundir.Create(dir)
	}
	if err != nil {
		return nil, err
	}
	defer rec.Close()
	hooks := Hooks{Progress: progress, CheckpointEvery: checkpointEvery, Checkpoint: func(c *Checkpoint) error {
		if err := WriteCheckpoint(filepath.Join(dir, rundir.CheckpointFile), c); err != nil {
			return err
		}
		return rundir.WriteJSON(filepath.Join(dir, rundir.SummaryFile), &c.State.Summary)
	}}
	return Train(ctx, cfg, ds, rec, ck, hooks)
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
// valid, and it must equal want(its configuration) in every setting that
// changes a number (a *MismatchError names the first that differs). A
// directory without a checkpoint gives an error wrapping ErrNoCheckpoint.
func ReadResume(dir string, want func(have config.Config) config.Config) (*Checkpoint, error) {
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
