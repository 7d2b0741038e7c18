package models

import (
	"math"
	"math/rand/v2"

	"github.com/gradbench/gradbench/graph"
	"github.com/gradbench/gradbench/models/config"
	"gorgonia.org/tensor"
)

// initScheme draws one layer's weights (fanIn × fanOut) and biases
// (fanOut) from rng.
type initScheme func(rng *rand.Rand, fanIn, fanOut int, w, b []float64)

func uniform(rng *rand.Rand, bound float64, xs []float64) {
	for i := range xs {
		xs[i] = (2*rng.Float64() - 1) * bound
	}
}

func normal(rng *rand.Rand, std float64, xs []float64) {
	for i := range xs {
		xs[i] = rng.NormFloat64() * std
	}
}

// inits holds the initialisation schemes of config.Inits by name. Biases
// are zero except where a scheme says otherwise.
var inits = map[string]initScheme{
	"auto": nil, // resolved per activation by resolveInit
	"xavier-uniform": func(rng *rand.Rand, in, out int, w, _ []float64) {
		uniform(rng, math.Sqrt(6/float64(in+out)), w)
	},
	"xavier-normal": func(rng *rand.Rand, in, out int, w, _ []float64) {
		normal(rng, math.Sqrt(2/float64(in+out)), w)
	},
	"he-normal": func(rng *rand.Rand, in, _ int, w, _ []float64) {
		normal(rng, math.Sqrt(2/float64(in)), w)
	},
	"he-uniform": func(rng *rand.Rand, in, _ int, w, _ []float64) {
		uniform(rng, math.Sqrt(6/float64(in)), w)
	},
	// torch-default is nn.Linear's default: W and b ~ U(±1/√fan_in).
	"torch-default": func(rng *rand.Rand, in, _ int, w, b []float64) {
		bound := 1 / math.Sqrt(float64(in))
		uniform(rng, bound, w)
		uniform(rng, bound, b)
	},
}

// ResolveInit returns the scheme that name stands for with activation act:
// "auto" is Xavier uniform for saturating activations and He normal for the
// rectifier family and GELU.
func ResolveInit(name string, act graph.Activation) string {
	if name != "auto" {
		return name
	}
	if act.Saturating {
		return "xavier-uniform"
	}
	return "he-normal"
}

// InitParams draws the parameters of spec with the named scheme from a
// generator seeded by seed. The same seed, scheme and spec always give the
// same values. LayerNorm gains are 1 and their biases 0, drawn from
// nothing, so the linear layers' values do not depend on the normalisation
// or the residual connections.
func InitParams(spec graph.Spec, scheme string, seed uint64) (graph.Params, error) {
	f, ok := inits[ResolveInit(scheme, spec.Act)]
	if !ok || f == nil {
		return nil, &config.FieldError{Field: "init", Value: scheme, Reason: "unknown initialisation scheme"}
	}
	rng := rand.New(rand.NewPCG(seed, streamInit))
	var p graph.Params
	for i := 0; i < spec.Layers(); i++ {
		in, out := spec.LayerShape(i)
		w := make([]float64, in*out)
		b := make([]float64, out)
		f(rng, in, out, w, b)
		p = append(p, graph.Param{Layer: i, Kind: graph.Weight, Value: denseOf(spec.Dtype, w, in, out)},
			graph.Param{Layer: i, Kind: graph.Bias, Value: denseOf(spec.Dtype, b, 1, out)})
		if spec.LayerNorm && i < spec.Depth {
			ones := make([]float64, out)
			for j := range ones {
				ones[j] = 1
			}
			p = append(p, graph.Param{Layer: i, Kind: graph.LNGain, Value: denseOf(spec.Dtype, ones, 1, out)},
				graph.Param{Layer: i, Kind: graph.LNBias, Value: denseOf(spec.Dtype, make([]float64, out), 1, out)})
		}
	}
	return p, nil
}

// Generator streams: one per purpose, so that changing one never shifts
// the numbers another draws.
const (
	streamInit    = 1
	streamShuffle = 2
)

// denseOf returns a rows×cols tensor of dtype dt holding xs.
func denseOf(dt tensor.Dtype, xs []float64, rows, cols int) *tensor.Dense {
	if dt == tensor.Float32 {
		f := make([]float32, len(xs))
		for i, x := range xs {
			f[i] = float32(x)
		}
		return tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(xs))
}
