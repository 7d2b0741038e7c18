package models

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/gradbench/gradbench/models/config"
	"github.com/gradbench/gradbench/models/rundir"
	"github.com/gradbench/gradbench/models/rundir/tfevents"
)

// Check validates ck, read from the run directory dir, as the state a run
// of stepsPerEpoch steps per epoch continues from, and changes nothing. A
// checkpoint can have a valid checksum and still not be this run's (copied
// in from another run, or written by a broken build), so Check compares
// it with the run's own summary.json, checks that its loop position,
// step counts and optimiser step agree with each other, and that its
// file offsets fall at row (and record) boundaries of the files in dir
// that end with the checkpoint's last logged step and epoch. The
// parameters' shapes are checked against the network when the run is
// restored, also before any file changes. Errors are *rundir.RefusedError.
func (ck *Checkpoint) Check(dir string, stepsPerEpoch int) error {
	fail := func(format string, args ...any) error {
		return rundir.Refused(fmt.Errorf("checkpoint in %s: "+format+"; remove it to train the run again", append([]any{dir}, args...)...))
	}
	s, err := rundir.ReadSummary(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return fail("no %s beside it: it was not written here", rundir.SummaryFile)
	}
	if err != nil {
		return fail("%v", err)
	}
	if m := config.Diff(s.Config, ck.Config); m != nil {
		return fail("it is of another run: its %s is %s, the run's %s has %s", m.Field, m.Want, rundir.SummaryFile, m.Have)
	}
	st, sum, c := ck.State, ck.State.Summary, ck.Config
	if sum.Config != c {
		return fail("its summary is of another configuration")
	}
	updates := sum.Steps
	if sum.Status == rundir.StatusDiverged {
		updates--
	}
	switch {
	case st.Epoch < 1 || st.Epoch > c.Epochs+1:
		return fail("epoch %d is outside 1 to %d", st.Epoch, c.Epochs+1)
	case st.Batch < 0 || st.Batch > stepsPerEpoch || (st.Epoch == c.Epochs+1 && st.Batch != 0):
		return fail("batch %d of epoch %d does not fit %d steps per epoch and %d epochs", st.Batch, st.Epoch, stepsPerEpoch, c.Epochs)
	case sum.StepsPerEpoch != stepsPerEpoch:
		return fail("%d steps per epoch, the run has %d", sum.StepsPerEpoch, stepsPerEpoch)
	case updates != (st.Epoch-1)*stepsPerEpoch+st.Batch:
		return fail("%d steps done, but its position (epoch %d, batch %d) is after %d", sum.Steps, st.Epoch, st.Batch, (st.Epoch-1)*stepsPerEpoch+st.Batch)
	case ck.OptStep != updates:
		return fail("optimiser step %d after %d updates", ck.OptStep, updates)
	case st.EpochSteps < 0 || st.EpochSteps > stepsPerEpoch || st.RNGEpoch < st.Epoch-1 || st.RNGEpoch > st.Epoch:
		return fail("epoch state (%d steps, generator of epoch %d) does not fit epoch %d", st.EpochSteps, st.RNGEpoch, st.Epoch)
	case len(sum.Epochs) != st.Epoch-1:
		return fail("%d epochs evaluated at epoch %d", len(sum.Epochs), st.Epoch)
	case sum.LastLoggedStep < 0 || sum.LastLoggedStep > sum.Steps || sum.FirstLoggedStep > sum.LastLoggedStep:
		return fail("logged steps %d to %d after %d steps", sum.FirstLoggedStep, sum.LastLoggedStep, sum.Steps)
	case len(ck.ParamNames) != len(ck.Params):
		return fail("%d parameter names for %d parameter arrays", len(ck.ParamNames), len(ck.Params))
	}
	for name, off := range st.Offsets {
		if off < 0 || filepath.Base(name) != name {
			return fail("bad position %d of file %q", off, name)
		}
	}
	if err := rundir.CheckOffsets(dir, st.Offsets, sum.LastLoggedStep, len(sum.Epochs)); err != nil {
		return fail("%v", err)
	}
	if tfevents.FileIn(st.Offsets) != "" {
		if err := tfevents.Check(dir, st.Offsets); err != nil {
			return fail("%v", err)
		}
	}
	return nil
}

// slotsPer is the number of slot vectors per parameter of each
// optimiser's state.
var slotsPer = map[string]int{"sgd": 0, "momentum": 1, "adam": 2}

// checkRestore checks that ck's parameters and optimiser slots have the
// network's shapes, sizes being each parameter's number of values.
func checkRestore(ck *Checkpoint, optimizer string, sizes []int) error {
	if len(ck.Params) != len(sizes) {
		return fmt.Errorf("the checkpoint has %d parameter arrays, the network %d", len(ck.Params), len(sizes))
	}
	for i, p := range ck.Params {
		if len(p) != sizes[i] {
			return fmt.Errorf("the checkpoint's parameter %s has %d values, the network's %d", ck.ParamNames[i], len(p), sizes[i])
		}
	}
	n := slotsPer[optimizer] * len(sizes)
	if len(ck.OptSlots) != 0 && len(ck.OptSlots) != n {
		return fmt.Errorf("the checkpoint has %d optimiser slots, %s keeps %d", len(ck.OptSlots), optimizer, n)
	}
	for i, s := range ck.OptSlots {
		if len(s) != sizes[i%len(sizes)] {
			return fmt.Errorf("the checkpoint's optimiser slot %d has %d values, its parameter %d", i, len(s), sizes[i%len(sizes)])
		}
	}
	if len(ck.OptSlots) == 0 && n > 0 && ck.OptStep > 0 {
		return fmt.Errorf("the checkpoint has no %s state after %d steps", optimizer, ck.OptStep)
	}
	return nil
}
