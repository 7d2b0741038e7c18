package models

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models/config"
)

// Benchmarks of one training step on the default network (784 → 20 hidden
// × width → 10, batch 128, float32, Adam 1e-3), the same work a step of
// Train does when it logs (forward, backward, norm read, update), without
// the recorder's file writes and the activation statistics.
//
//	go test -run '^$' -bench . -benchmem ./models/
//
// Not run by `go test ./...` (benchmarks only run with -bench).

// benchData is the synthetic training set the benchmarks draw batches
// from, generated on first use so plain `go test` does not pay for it.
// 1024 examples are 8 distinct batches of 128.
var benchData = sync.OnceValue(func() *data.Set { return data.Synthetic(1, 1024, 0).Train })

// benchModel returns the default network with activation act and the given
// width, compiled for batch 128, with a fresh Adam optimiser.
func benchModel(b *testing.B, act string, width int) (*Model, Optimizer) {
	b.Helper()
	cfg := config.Default()
	cfg.Act, cfg.Width, cfg.Dataset = act, width, "synthetic"
	m, err := NewModel(cfg, benchData().Dim, 10, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	opt, err := NewOptimizer(cfg.Optimizer, cfg.LR)
	if err != nil {
		b.Fatal(err)
	}
	return m, opt
}

// benchBatches returns the index slices of the distinct batches of benchData.
func benchBatches(batch int) [][]int {
	var out [][]int
	for start := 0; start+batch <= benchData().N; start += batch {
		idx := make([]int, batch)
		for i := range idx {
			idx[i] = start + i
		}
		out = append(out, idx)
	}
	return out
}

// benchStep is one full training step: Model.Step.
func benchStep(m *Model, opt Optimizer, idx []int) error {
	_, _, err := m.Step(benchData(), idx, opt)
	return err
}

func BenchmarkStep(b *testing.B) {
	for _, act := range []string{"relu", "gelu"} {
		for _, width := range []int{128, 512, 1024} {
			b.Run(fmt.Sprintf("%s/width=%d", act, width), func(b *testing.B) {
				m, opt := benchModel(b, act, width)
				batches := benchBatches(m.Spec.Batch)
				// One untimed step first: it allocates Adam's moments
				// (2 × 8 bytes per parameter, 336 MB at width 1024), which
				// would dominate a benchmark that runs only b.N = 1.
				if err := benchStep(m, opt, batches[len(batches)-1]); err != nil {
					b.Fatal(err)
				}
				times := make([]float64, 0, b.N)
				cpus := make([]float64, 0, b.N)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					t0, c0 := time.Now(), cpuTime()
					if err := benchStep(m, opt, batches[i%len(batches)]); err != nil {
						b.Fatal(err)
					}
					times = append(times, float64(time.Since(t0).Nanoseconds())/1e6)
					cpus = append(cpus, float64((cpuTime()-c0).Nanoseconds())/1e6)
				}
				b.StopTimer()
				// ns/op is the mean; the median is what summary.json's
				// ms_per_step and scripts/torch_reference.py report, and
				// what scripts/bench-vs-pytorch.sh compares, beside the
				// median CPU time of a step (the process's, GC included),
				// which a loaded machine disturbs less.
				b.ReportMetric(metrics.Median(times), "median-ms/step")
				b.ReportMetric(metrics.Median(cpus), "median-cpu-ms/step")
			})
		}
	}
}

// BenchmarkNormRead is the per-layer gradient-norm read alone (Grads and
// metrics.GradNorms) after one Backward.
func BenchmarkNormRead(b *testing.B) {
	b.Run("width=128", func(b *testing.B) {
		m, _ := benchModel(b, "relu", 128)
		if _, _, err := m.Backward(benchData(), benchBatches(m.Spec.Batch)[0]); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := metrics.GradNorms(m.Grads()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
