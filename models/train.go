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
	"github.com/gradbench/gradbench/metrics"
)

// Summary is what a run writes to summary.json. Fields that may be
// undefined (a diverged run has no final loss) are null in JSON.
// MsPerStep and WallClock are wall-clock measurements; every other field
// depends only on the configuration and the data.
type Summary struct {
	Config        Config `json:"config"`
	InitUsed      string `json:"init_used"`
	Dataset       string `json:"dataset"`
	TrainExamples int    `json:"train_examples"`
	TestExamples  int    `json:"test_examples"`
	StepsPerEpoch int    `json:"steps_per_epoch"`
	Steps         int    `json:"steps"`
	// FinalLoss is the training loss of the last step.
	FinalLoss    *float64        `json:"final_loss"`
	TestAccuracy *float64        `json:"test_accuracy"`
	TestLoss     *float64        `json:"test_loss"`
	Epochs       []metrics.Epoch `json:"epochs"`
	// GradRatioFirst and GradRatioLast are the first-layer over
	// last-layer weight-gradient norm at the first and last logged step.
	FirstLoggedStep int      `json:"first_logged_step"`
	LastLoggedStep  int      `json:"last_logged_step"`
	GradRatioFirst  *float64 `json:"grad_ratio_first"`
	GradRatioLast   *float64 `json:"grad_ratio_last"`
	// PredictedGain is the mean-field per-layer backward gain at
	// initialisation (Model.PredictedGain), to compare with
	// metrics.Gain of the first step's norms.
	PredictedGain  *float64 `json:"predicted_gain"`
	DivergedAtStep *int     `json:"diverged_at_step"`
	DivergedReason string   `json:"diverged_reason,omitempty"`
	MsPerStep      float64  `json:"ms_per_step"`
	WallClock      Wall     `json:"wall_clock"`
}

// Wall holds a run's wall-clock fields.
type Wall struct {
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"`
}

// Progress is reported after every step.
type Progress struct {
	Step, Steps, Epoch int
	Loss               float64
	Elapsed            time.Duration
}

// ErrDiverged is returned, wrapped, when the loss or a gradient became NaN
// or infinite. The outputs up to that step are kept.
var ErrDiverged = errors.New("training diverged")

// Train trains the network cfg describes on ds, recording into rec, and
// returns the run's summary. progress, if not nil, is called after every
// step. A cancelled ctx stops training after the current step; the summary
// then covers the steps done.
func Train(ctx context.Context, cfg Config, ds *data.Dataset, rec *metrics.Recorder, progress func(Progress)) (*Summary, error) {
	train, test, err := cfg.Splits(ds)
	if err != nil {
		return nil, err
	}
	m, err := NewModel(cfg, train.Dim, ds.Classes, test.N)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	opt, err := NewOptimizer(cfg.Optimizer, cfg.LR)
	if err != nil {
		return nil, err
	}

	s := &Summary{Config: cfg, InitUsed: m.Init, Dataset: ds.Name, TrainExamples: train.N, TestExamples: test.N,
		StepsPerEpoch: train.N / cfg.Batch, Epochs: []metrics.Epoch{}}
	s.WallClock.Started = time.Now().UTC().Truncate(time.Second)
	total := s.StepsPerEpoch * cfg.Epochs
	rng := rand.New(rand.NewPCG(cfg.Seed, streamShuffle))
	order := make([]int, train.N)
	var stepTimes []float64
	var lastLoss float64
	start := time.Now()

	for epoch := 1; epoch <= cfg.Epochs && s.DivergedAtStep == nil && ctx.Err() == nil; epoch++ {
		shuffle(rng, order)
		var epochLoss float64
		var epochSteps int
		for b := 0; b < s.StepsPerEpoch && ctx.Err() == nil; b++ {
			step := s.Steps + 1
			t0 := time.Now()
			idx := order[b*cfg.Batch : (b+1)*cfg.Batch]

			loss, correct, err := m.Backward(train, idx)
			if err != nil {
				return s, fmt.Errorf("step %d: %w", step, err)
			}
			logged := (step-1)%cfg.LogEvery == 0 || step == total
			var norms metrics.Norms
			if logged || !finite(loss) {
				w, bs := m.Grads()
				if norms, err = metrics.GradNorms(w, bs); err != nil {
					return s, fmt.Errorf("step %d: %w", step, err)
				}
				if err := rec.Step(metrics.Step{Step: step, Epoch: epoch, Loss: loss,
					BatchAcc: float64(correct) / float64(cfg.Batch), Norms: norms,
					Elapsed: time.Since(start).Seconds()}); err != nil {
					return s, err
				}
				stats, err := m.Stats(step)
				if err != nil {
					return s, fmt.Errorf("step %d: %w", step, err)
				}
				if err := rec.Stats(stats); err != nil {
					return s, err
				}
				r := norms.Ratio()
				if s.GradRatioFirst == nil {
					s.FirstLoggedStep, s.GradRatioFirst = step, num(r)
				}
				s.LastLoggedStep, s.GradRatioLast = step, num(r)
			}
			if step == 1 {
				g, err := m.PredictedGain()
				if err != nil {
					return s, fmt.Errorf("predicted gain: %w", err)
				}
				s.PredictedGain = num(g)
			}
			s.Steps = step
			lastLoss = loss
			if !finite(loss) || (logged && !norms.Finite()) {
				s.DivergedAtStep = &step
				s.DivergedReason = fmt.Sprintf("loss %v, global gradient norm %v at step %d", loss, norms.Global, step)
				break
			}
			if err := m.Update(opt); err != nil {
				return s, fmt.Errorf("step %d: %w", step, err)
			}
			stepTimes = append(stepTimes, float64(time.Since(t0).Microseconds())/1000)
			epochLoss += loss
			epochSteps++
			if progress != nil {
				progress(Progress{Step: step, Steps: total, Epoch: epoch, Loss: loss, Elapsed: time.Since(start)})
			}
		}
		if s.DivergedAtStep != nil || epochSteps < s.StepsPerEpoch {
			break
		}
		acc, tl, err := m.Evaluate(test)
		if err != nil {
			return s, fmt.Errorf("epoch %d: %w", epoch, err)
		}
		e := metrics.Epoch{Epoch: epoch, Step: s.Steps, TrainLoss: epochLoss / float64(epochSteps), TestLoss: tl, TestAccuracy: acc}
		if err := rec.Epoch(e); err != nil {
			return s, err
		}
		s.Epochs = append(s.Epochs, e)
		s.TestAccuracy, s.TestLoss = num(acc), num(tl)
	}
	if s.Steps > 0 {
		s.FinalLoss = num(lastLoss)
	}
	s.MsPerStep = median(stepTimes)
	s.WallClock.Seconds = math.Round(time.Since(start).Seconds()*1000) / 1000
	if s.DivergedAtStep != nil {
		return s, fmt.Errorf("%w: %s", ErrDiverged, s.DivergedReason)
	}
	return s, ctx.Err()
}

// Splits returns the training and test sets cfg uses from ds, and an error
// if a training batch does not fit in them.
func (c Config) Splits(ds *data.Dataset) (train, test *data.Set, err error) {
	train, test = ds.Train, ds.Test
	if c.TrainSize > 0 {
		train = train.Subset(c.TrainSize)
	}
	if c.TestSize > 0 {
		test = test.Subset(c.TestSize)
	}
	if c.Batch > train.N {
		return nil, nil, fmt.Errorf("--batch %d is larger than the %d training examples of %s: lower --batch", c.Batch, train.N, ds.Name)
	}
	if test.N == 0 {
		return nil, nil, fmt.Errorf("the test split of %s is empty", ds.Name)
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

// num returns a pointer to x, or nil when x is not finite (JSON null).
func num(x float64) *float64 {
	if !finite(x) {
		return nil
	}
	return &x
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
