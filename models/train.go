package models

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/graph"
	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/metrics/jacobian"
	"github.com/gradbench/gradbench/models/config"
	"github.com/gradbench/gradbench/models/rundir"
)

// Sink receives a run's measurements as Train makes them: on each logged
// step Grads (the gradient values, before clipping), then Step and Stats;
// after each epoch Epoch. The CSV rundir.Recorder and the TensorBoard
// tfevents.Sink implement it; a sink that can resume reports its position
// with Offsets, which the checkpoint keeps and which a resumed run reopens
// it at.
type Sink interface {
	Grads(metrics.Grads) error
	Step(metrics.Step) error
	Stats([]metrics.Stats) error
	Epoch(metrics.Epoch) error
	Offsets() (rundir.Offsets, error)
}

// Sinks is a Sink that passes everything to each of its sinks in order;
// its Offsets are all of theirs (each sink names its own files).
type Sinks []Sink

// Grads implements Sink.
func (ss Sinks) Grads(g metrics.Grads) error {
	return ss.each(func(s Sink) error { return s.Grads(g) })
}

// Step implements Sink.
func (ss Sinks) Step(st metrics.Step) error { return ss.each(func(s Sink) error { return s.Step(st) }) }

// Stats implements Sink.
func (ss Sinks) Stats(st []metrics.Stats) error {
	return ss.each(func(s Sink) error { return s.Stats(st) })
}

// Epoch implements Sink.
func (ss Sinks) Epoch(e metrics.Epoch) error {
	return ss.each(func(s Sink) error { return s.Epoch(e) })
}

// Offsets implements Sink.
func (ss Sinks) Offsets() (rundir.Offsets, error) {
	all := rundir.Offsets{}
	err := ss.each(func(s Sink) error {
		o, err := s.Offsets()
		for name, off := range o {
			all[name] = off
		}
		return err
	})
	return all, err
}

func (ss Sinks) each(fn func(Sink) error) error {
	for _, s := range ss {
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}

// Progress is reported after every step.
type Progress struct {
	Step, Steps, Epoch int
	Loss               float64
	Elapsed            time.Duration
}

// Hooks are the optional callbacks of Train.
type Hooks struct {
	// Progress is called after every step.
	Progress func(Progress)
	// Checkpoint is called with the run's state before the first step,
	// every CheckpointEvery steps (0: never in between), at the end, and
	// when training stops early.
	Checkpoint      func(*Checkpoint) error
	CheckpointEvery int
	// Spectrum, if not nil, is called at the first step with the
	// singular values of the input–output Jacobian at initialisation
	// (Model.JacobianSpectrum), whose summary goes into the summary.
	Spectrum func(sv [][]float64) error
}

// ErrDiverged is returned, wrapped, when the loss or a gradient became NaN
// or infinite. The outputs up to that step are kept.
var ErrDiverged = errors.New("training diverged")

// Train trains the network cfg describes on ds, recording into rec, and
// returns the run's summary. If resume is not nil, training continues from
// it and gives the same numbers as a run that was never stopped. A
// cancelled ctx stops training after the current step; the summary then
// covers the steps done and the error is ctx's.
func Train(ctx context.Context, cfg config.Config, ds *data.Dataset, sink Sink, resume *Checkpoint, hooks Hooks) (*rundir.Summary, error) {
	t, err := newTrainer(cfg, ds, sink, resume)
	if err != nil {
		return nil, err
	}
	defer t.m.Close()
	return t.run(ctx, hooks)
}

// run is the training loop of Train.
func (t *trainer) run(ctx context.Context, hooks Hooks) (*rundir.Summary, error) {
	cfg := t.cfg
	t.spectrum = hooks.Spectrum
	if err := t.save(hooks, rundir.StatusRunning); err != nil {
		return nil, err
	}
	st := &t.st
	for ; st.Epoch <= cfg.Epochs; st.Epoch, st.Batch = st.Epoch+1, 0 {
		t.shuffle()
		for st.Batch < t.stepsPerEpoch {
			if ctx.Err() != nil {
				return t.stop(hooks, rundir.StatusInterrupted, ctx.Err())
			}
			if err := t.step(); errors.Is(err, ErrDiverged) {
				return t.stop(hooks, rundir.StatusDiverged, err)
			} else if err != nil {
				return &st.Summary, err
			}
			if hooks.Progress != nil {
				hooks.Progress(Progress{Step: st.Summary.Steps, Steps: t.total, Epoch: st.Epoch, Loss: st.LastLoss, Elapsed: t.elapsed()})
			}
			if n := hooks.CheckpointEvery; n > 0 && st.Summary.Steps%n == 0 {
				if err := t.save(hooks, rundir.StatusRunning); err != nil {
					return &st.Summary, err
				}
			}
		}
		if err := t.evaluate(); err != nil {
			return &st.Summary, err
		}
	}
	return t.stop(hooks, rundir.StatusFinished, nil)
}

// trainer holds one run's model, optimiser, data and loop state.
type trainer struct {
	cfg           config.Config
	m             *Model
	opt           Optimizer
	rec           Sink
	train, test   *data.Set
	stepsPerEpoch int
	total         int
	src           *rand.PCG
	order         []int
	st            State
	start         time.Time
	stepTimes     []float64
	spectrum      func([][]float64) error
}

func newTrainer(cfg config.Config, ds *data.Dataset, rec Sink, resume *Checkpoint) (*trainer, error) {
	train, test, err := Splits(cfg, ds)
	if err != nil {
		return nil, err
	}
	m, err := NewModel(cfg, train.Dim, ds.Classes, test.N)
	if err != nil {
		return nil, err
	}
	opt, err := NewOptimizer(cfg.Optimizer, cfg.LR)
	if err != nil {
		m.Close()
		return nil, err
	}
	t := &trainer{cfg: cfg, m: m, opt: opt, rec: rec, train: train, test: test,
		stepsPerEpoch: train.N / cfg.Batch, src: rand.NewPCG(cfg.Seed, streamShuffle),
		order: make([]int, train.N), start: time.Now()}
	t.total = t.stepsPerEpoch * cfg.Epochs
	if resume == nil {
		t.st = State{Epoch: 1, Summary: rundir.Summary{Config: cfg, InitUsed: m.Init, Dataset: ds.Name, BLAS: graph.BLAS, Device: graph.DeviceName(),
			TrainExamples: train.N, TestExamples: test.N, StepsPerEpoch: t.stepsPerEpoch, Epochs: []metrics.Epoch{}}}
		t.st.Summary.WallClock.Started = t.start.UTC().Truncate(time.Second)
		return t, nil
	}
	if err := t.restore(resume); err != nil {
		m.Close()
		return nil, &badCheckpointError{err: fmt.Errorf("resume: %w", err)}
	}
	return t, nil
}

// badCheckpointError is a checkpoint that does not fit the run it is to
// resume (as opposed to a failure to build the run itself).
type badCheckpointError struct{ err error }

func (e *badCheckpointError) Error() string { return e.err.Error() }
func (e *badCheckpointError) Unwrap() error { return e.err }

// restore sets the trainer to the checkpoint's state.
func (t *trainer) restore(ck *Checkpoint) error {
	if ck.Config != t.cfg {
		return errors.New("the checkpoint is from another configuration")
	}
	if !slices.Equal(ck.ParamNames, t.m.ParamNames()) {
		return fmt.Errorf("the checkpoint's parameters (%d) are not the network's (%d)", len(ck.ParamNames), len(t.m.Params))
	}
	sizes := make([]int, len(t.m.Params))
	for i, p := range t.m.Params {
		sizes[i] = p.Value.Shape().TotalSize()
	}
	if err := checkRestore(ck, t.cfg.Optimizer, sizes); err != nil {
		return err
	}
	if err := t.m.LoadParams(ck.Params); err != nil {
		return err
	}
	if err := t.opt.SetState(ck.OptStep, ck.OptSlots); err != nil {
		return err
	}
	t.st = ck.State
	if t.st.Epoch < 1 || t.st.Batch < 0 || t.st.Batch > t.stepsPerEpoch || t.st.Summary.StepsPerEpoch != t.stepsPerEpoch {
		return fmt.Errorf("position epoch %d batch %d does not fit %d steps per epoch", t.st.Epoch, t.st.Batch, t.stepsPerEpoch)
	}
	if t.st.RNGEpoch == t.st.Epoch {
		if err := t.src.UnmarshalBinary(t.st.EpochRNG); err != nil {
			return fmt.Errorf("shuffle generator: %w", err)
		}
	}
	return nil
}

// shuffle draws the epoch's data order, saving the generator's state
// first so that a resumed run draws the same order.
func (t *trainer) shuffle() {
	st := &t.st
	if st.RNGEpoch == st.Epoch {
		t.src.UnmarshalBinary(st.EpochRNG) // drawn before: draw it again
	} else {
		st.EpochRNG, _ = t.src.MarshalBinary()
		st.RNGEpoch, st.EpochLoss, st.EpochSteps = st.Epoch, 0, 0
	}
	shuffle(rand.New(t.src), t.order)
}

// step trains one batch: forward and backward pass, gradient norms,
// records, clipping and the optimiser update.
func (t *trainer) step() error {
	st, cfg := &t.st, t.cfg
	step := st.Summary.Steps + 1
	t0 := time.Now()
	idx := t.order[st.Batch*cfg.Batch : (st.Batch+1)*cfg.Batch]
	loss, correct, err := t.m.Backward(t.train, idx)
	if err != nil {
		return fmt.Errorf("step %d: %w", step, err)
	}
	norms, err := metrics.GradNorms(t.m.Grads())
	if err != nil {
		return fmt.Errorf("step %d: %w", step, err)
	}
	clipped := norms.Global
	diverged := !finite(loss) || !norms.Finite()
	logged := (step-1)%cfg.LogEvery == 0 || step == t.total || diverged
	if logged {
		if err := t.rec.Grads(metrics.Grads{Step: step, First: step == 1, Last: step == t.total, Params: t.m.Grads()}); err != nil {
			return err
		}
	}
	if !diverged && cfg.ClipNorm > 0 && norms.Global > cfg.ClipNorm {
		f := cfg.ClipNorm / norms.Global
		t.m.ScaleGrads(f)
		clipped = norms.Global * f
		st.Summary.ClippedSteps++
	}
	if logged {
		if err := t.record(step, loss, correct, norms, clipped); err != nil {
			return err
		}
	}
	if step == 1 {
		g, err := t.m.PredictedGain()
		if err != nil {
			return fmt.Errorf("predicted gain: %w", err)
		}
		st.Summary.PredictedGain = rundir.Finite(g)
		if !t.m.Spec.Plain() {
			st.Summary.PredictedGainNote = rundir.PlainOnly
		}
		if err := t.recordSpectrum(); err != nil {
			return fmt.Errorf("step %d: %w", step, err)
		}
	}
	st.Summary.Steps = step
	if diverged {
		s := &st.Summary
		s.DivergedAtStep = &step
		s.DivergedWhere = t.m.FirstNonFinite()
		s.DivergedReason = fmt.Sprintf("loss %v, global gradient norm %v at step %d; first non-finite value: %s", loss, norms.Global, step, s.DivergedWhere)
		return fmt.Errorf("%w: %s", ErrDiverged, s.DivergedReason)
	}
	st.LastLoss = loss
	if err := t.m.Update(t.opt); err != nil {
		return fmt.Errorf("step %d: %w", step, err)
	}
	t.stepTimes = append(t.stepTimes, float64(time.Since(t0).Microseconds())/1000)
	st.EpochLoss += loss
	st.EpochSteps++
	st.Batch++
	return nil
}

// record writes one logged step's metrics, gradient norms and activation
// statistics.
func (t *trainer) record(step int, loss float64, correct int, norms metrics.Norms, clipped float64) error {
	s := &t.st.Summary
	err := t.rec.Step(metrics.Step{Step: step, Epoch: t.st.Epoch, Loss: loss, BatchAcc: float64(correct) / float64(t.cfg.Batch),
		Norms: norms, Clipped: clipped, Elapsed: t.elapsed().Seconds()})
	if err != nil {
		return err
	}
	stats, err := t.m.Stats(step)
	if err != nil {
		return fmt.Errorf("step %d: %w", step, err)
	}
	if err := t.rec.Stats(stats); err != nil {
		return err
	}
	r := norms.Ratio()
	if s.GradRatioFirst == nil {
		s.FirstLoggedStep, s.GradRatioFirst = step, rundir.Finite(r)
		fwd, delta := rundir.SignalGains(stats)
		s.ForwardGain, s.ErrorGain = rundir.Finite(fwd), rundir.Finite(delta)
		if n := len(stats); n > 0 {
			s.LastHiddenRMS = rundir.Finite(stats[n-1].OutRMS)
		}
	}
	s.LastLoggedStep, s.GradRatioLast = step, rundir.Finite(r)
	return nil
}

// recordSpectrum measures the Jacobian spectrum at initialisation, puts
// its summary into the run's summary and passes the values to the hook.
func (t *trainer) recordSpectrum() error {
	sv, err := t.m.JacobianSpectrum(JacobianExamples)
	if err != nil || sv == nil {
		return err
	}
	s := jacobian.Summarise(sv, t.m.Spec.Depth-1)
	t.st.Summary.JacobianSpectrum = &rundir.Spectrum{Examples: s.Examples, Layers: s.Layers, Values: s.Values, Unresolved: s.Unresolved,
		MeanSq: rundir.Finite(s.MeanSq), Max: rundir.Finite(s.Max), Min: rundir.Finite(s.Min), Median: rundir.Finite(s.Median), Std: rundir.Finite(s.Std), Spread: rundir.Finite(s.Spread), Log10Std: rundir.Finite(s.Log10Std)}
	if t.spectrum != nil {
		return t.spectrum(sv)
	}
	return nil
}

// evaluate measures the test split at the end of an epoch.
func (t *trainer) evaluate() error {
	st := &t.st
	acc, tl, err := t.m.Evaluate(t.test)
	if err != nil {
		return fmt.Errorf("epoch %d: %w", st.Epoch, err)
	}
	e := metrics.Epoch{Epoch: st.Epoch, Step: st.Summary.Steps, TrainLoss: st.EpochLoss / float64(st.EpochSteps), TestLoss: tl, TestAccuracy: acc}
	if err := t.rec.Epoch(e); err != nil {
		return err
	}
	st.Summary.Epochs = append(st.Summary.Epochs, e)
	st.Summary.TestAccuracy, st.Summary.TestLoss = rundir.Finite(acc), rundir.Finite(tl)
	return nil
}

// stop finishes the summary with status, saves a last checkpoint and
// returns the summary with err.
func (t *trainer) stop(hooks Hooks, status string, err error) (*rundir.Summary, error) {
	if serr := t.save(hooks, status); serr != nil {
		err = errors.Join(err, serr)
	}
	return &t.st.Summary, err
}

// save fills the summary's closing fields and, if hooks ask for
// checkpoints, passes the current state to them.
func (t *trainer) save(hooks Hooks, status string) error {
	s := &t.st.Summary
	s.Status = status
	s.FinalLoss = nil
	if s.Steps > 0 && status != rundir.StatusDiverged {
		s.FinalLoss = rundir.Finite(t.st.LastLoss)
	}
	s.MsPerStep = metrics.Median(slices.Clone(t.stepTimes))
	s.WallClock.Seconds = math.Round(t.elapsed().Seconds()*1000) / 1000
	if hooks.Checkpoint == nil {
		return nil
	}
	offsets, err := t.rec.Offsets()
	if err != nil {
		return err
	}
	ck := &Checkpoint{Config: t.cfg, State: t.st, ParamNames: t.m.ParamNames(), Params: t.m.SaveParams()}
	ck.State.Offsets = offsets
	ck.State.Elapsed = t.elapsed().Seconds()
	ck.OptStep, ck.OptSlots = t.opt.State()
	return hooks.Checkpoint(ck)
}

// elapsed is the wall-clock training time, including before a resume.
func (t *trainer) elapsed() time.Duration {
	return time.Duration(t.st.Elapsed*float64(time.Second)) + time.Since(t.start)
}

// Splits returns the training and test sets c uses from ds, and an error
// if a training batch does not fit in them or the network does not fit in
// this machine's memory (CheckMemory).
func Splits(c config.Config, ds *data.Dataset) (train, test *data.Set, err error) {
	train, test = ds.Train, ds.Test
	if c.TrainSize > 0 {
		train = train.Subset(c.TrainSize)
	}
	if c.TestSize > 0 {
		test = test.Subset(c.TestSize)
	}
	if c.Batch > train.N {
		return nil, nil, &config.FieldError{Field: "batch", Value: fmt.Sprint(c.Batch), Reason: fmt.Sprintf("larger than the %d training examples of %s; lower it", train.N, ds.Name)}
	}
	if test.N == 0 {
		return nil, nil, fmt.Errorf("the test split of %s is empty", ds.Name)
	}
	if err := CheckMemory(c, train.Dim, ds.Classes); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// shuffle sets order to a random permutation of 0..len(order)-1.
func shuffle(rng *rand.Rand, order []int) {
	for i := range order {
		order[i] = i
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
