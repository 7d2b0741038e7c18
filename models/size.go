package models

import (
	"fmt"
	"math"

	"github.com/gradbench/gradbench/models/config"
)

// The size estimates below count in float64, which holds any product of
// the settings' bounds without overflow, and saturate when they convert
// to int64: an absurd configuration is estimated as huge, never as
// negative.

// params returns the number of parameters of cfg's network on in inputs
// and the given number of classes.
func params(cfg config.Config, in, classes int) float64 {
	n := 0.0
	for i := 0; i <= cfg.Depth; i++ {
		fanIn, fanOut := float64(cfg.Width), float64(cfg.Width)
		if i == 0 {
			fanIn = float64(in)
		}
		if i == cfg.Depth {
			fanOut = float64(classes)
		}
		n += fanIn*fanOut + fanOut
		if cfg.Norm == "layernorm" && i < cfg.Depth {
			n += 2 * fanOut
		}
	}
	return n
}

// optimizerSlots is the number of values per parameter an optimiser keeps.
func optimizerSlots(name string) float64 {
	return map[string]float64{"adam": 2, "momentum": 1}[name]
}

func saturate(x float64) int64 {
	if !(x < math.MaxInt64) {
		return math.MaxInt64
	}
	return int64(x)
}

// OutputBytes estimates the most disk space a run of cfg on trainN
// examples of in values with the given number of classes writes at once:
// its CSV files, summary and checkpoint, with room for the checkpoint's
// temporary copy while it is replaced.
func OutputBytes(cfg config.Config, trainN, in, classes int) int64 {
	checkpoint := 8*params(cfg, in, classes)*(1+optimizerSlots(cfg.Optimizer)) + 64<<10
	steps := math.Floor(float64(trainN)/float64(max(cfg.Batch, 1))) * float64(cfg.Epochs)
	logged := math.Floor(steps/float64(max(cfg.LogEvery, 1))) + 2
	depth := float64(cfg.Depth)
	// Rows: metrics ~120 B; grad_norms ~40 B per layer and parameter;
	// act_stats ~150 B per hidden layer.
	perLog := 120 + 2*40*(depth+1) + 150*depth
	if cfg.Norm == "layernorm" {
		perLog += 2 * 40 * depth
	}
	// The event file: ~40 B per scalar, the step's ~2 per parameter and
	// 3 more; about tfevents.DefaultHistograms+2 histograms of each layer,
	// ~700 B each. grad_hist.csv: two steps of up to ~150 bins of ~30 B
	// per layer.
	layers := depth + 1
	events := logged*40*(2*layers+3) + 52*700*layers
	hist := 2 * 150 * 30 * layers
	// jacobian_spectrum.csv: ~30 B per singular value.
	spectrum := float64(JacobianExamples) * float64(cfg.Width) * 30
	return saturate(2*checkpoint + logged*perLog + events + hist + spectrum + 64<<10)
}

// graphBytesPerLayer is about what the training and evaluation graphs of
// one layer hold besides tensors (nodes, their types and the compiled
// programs): measured as 70 KB for the training graph of a 1,000-layer
// network of width 1.
const graphBytesPerLayer = 100 << 10

// MemoryBytes estimates the memory a Model of cfg on in inputs with the
// given number of classes needs: its parameters, gradients and optimiser
// state, the values of a training and an evaluation batch, and its graphs.
func MemoryBytes(cfg config.Config, in, classes int) int64 {
	size := 4.0
	if cfg.Dtype == "float64" {
		size = 8
	}
	layers := float64(cfg.Depth + 1)
	// Values, gradients, the optimiser's slots and the checkpoint's copy.
	p := params(cfg, in, classes) * size * (3 + optimizerSlots(cfg.Optimizer))
	// About a dozen intermediate values per layer and row, forward and
	// backward, in the training graph; four in the evaluation one.
	width := float64(max(cfg.Width, in, classes))
	acts := (12*float64(cfg.Batch) + 4*evalBatch) * width * layers * size
	return saturate(p + acts + graphBytesPerLayer*layers)
}

// CheckMemory refuses a configuration whose network would not fit in this
// machine's memory (MemoryBytes against MachineBytes), naming both.
func CheckMemory(cfg config.Config, in, classes int) error {
	need, have := MemoryBytes(cfg, in, classes), MachineBytes()
	if have <= 0 || need <= have {
		return nil
	}
	return fmt.Errorf("depth %d, width %d, batch %d (%s): the network needs about %s of memory (parameters, gradients, optimiser state, batch values, graph) but this machine has %s: lower --width, --depth or --batch",
		cfg.Depth, cfg.Width, cfg.Batch, cfg.Dtype, gib(need), gib(have))
}

func gib(n int64) string {
	if n == math.MaxInt64 {
		return "more than 8 EiB"
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}
