package models

import (
	"fmt"
	"time"

	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models/config"
)

// Step is one full training step on the examples of set at idx, the work a
// logged step of Train does without writing files: forward, loss,
// backward, every layer's gradient norm, and the optimiser's update. It
// returns the loss and the norms.
func (m *Model) Step(set *data.Set, idx []int, opt Optimizer) (float64, metrics.Norms, error) {
	loss, _, err := m.Backward(set, idx)
	if err != nil {
		return 0, metrics.Norms{}, err
	}
	norms, err := metrics.GradNorms(m.Grads())
	if err != nil {
		return 0, metrics.Norms{}, err
	}
	return loss, norms, m.Update(opt)
}

// StepTimes builds the network cfg describes (784 inputs, 10 classes, the
// synthetic dataset's batches) and times steps training steps (Step) after
// warmup untimed ones. The warm-up steps allocate the optimiser's moments
// and, on the GPU, load the kernels.
func StepTimes(cfg config.Config, warmup, steps int) ([]time.Duration, error) {
	if steps < 1 || warmup < 0 {
		return nil, fmt.Errorf("time steps: want at least 1 timed step and no negative warm-up, got %d and %d", steps, warmup)
	}
	set := data.Synthetic(cfg.Seed, 4*cfg.Batch, 0).Train
	m, err := NewModel(cfg, set.Dim, 10, 1)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	opt, err := NewOptimizer(cfg.Optimizer, cfg.LR)
	if err != nil {
		return nil, err
	}
	batches := make([][]int, 4)
	for i := range batches {
		for j := range cfg.Batch {
			batches[i] = append(batches[i], i*cfg.Batch+j)
		}
	}
	out := make([]time.Duration, 0, steps)
	for i := range warmup + steps {
		t0 := time.Now()
		if _, _, err := m.Step(set, batches[i%len(batches)], opt); err != nil {
			return nil, fmt.Errorf("step %d: %w", i+1, err)
		}
		if i >= warmup {
			out = append(out, time.Since(t0))
		}
	}
	return out, nil
}
