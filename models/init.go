package models

import (
	"math"
	"math/rand/v2"

	"github.com/gradbench/gradbench/graph"
	"github.com/gradbench/gradbench/models/config"
	"gonum.org/v1/gonum/mat"
	"gorgonia.org/tensor"
)

// initScheme draws one layer's weights (fanIn × fanOut, row-major: the
// layer computes x·W) and biases (fanOut) from rng. v are the variances
// the gaussian and orthogonal schemes draw with; the others ignore them.
type initScheme func(rng *rand.Rand, fanIn, fanOut int, v Variances, w, b []float64)

// Variances are σ_w² and σ_b² of the mean-field schemes (gaussian and
// orthogonal): W ~ N(0, σ_w²/fan_in) or √σ_w² times an orthogonal matrix,
// and b ~ N(0, σ_b²).
type Variances struct {
	// Weight is σ_w².
	Weight float64
	// Bias is σ_b².
	Bias float64
}

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
	"xavier-uniform": func(rng *rand.Rand, in, out int, _ Variances, w, _ []float64) {
		uniform(rng, math.Sqrt(6/float64(in+out)), w)
	},
	"xavier-normal": func(rng *rand.Rand, in, out int, _ Variances, w, _ []float64) {
		normal(rng, math.Sqrt(2/float64(in+out)), w)
	},
	"he-normal": func(rng *rand.Rand, in, _ int, _ Variances, w, _ []float64) {
		normal(rng, math.Sqrt(2/float64(in)), w)
	},
	"he-uniform": func(rng *rand.Rand, in, _ int, _ Variances, w, _ []float64) {
		uniform(rng, math.Sqrt(6/float64(in)), w)
	},
	// lecun-normal is W ~ N(0, 1/fan_in), the initialisation SELU's
	// self-normalisation assumes.
	"lecun-normal": func(rng *rand.Rand, in, _ int, _ Variances, w, _ []float64) {
		normal(rng, math.Sqrt(1/float64(in)), w)
	},
	// torch-default is nn.Linear's default: W and b ~ U(±1/√fan_in).
	"torch-default": func(rng *rand.Rand, in, _ int, _ Variances, w, b []float64) {
		bound := 1 / math.Sqrt(float64(in))
		uniform(rng, bound, w)
		uniform(rng, bound, b)
	},
	// gaussian is the mean-field initialisation of Poole et al. (2016):
	// W ~ N(0, σ_w²/fan_in), b ~ N(0, σ_b²).
	"gaussian": func(rng *rand.Rand, in, _ int, v Variances, w, b []float64) {
		normal(rng, math.Sqrt(v.Weight/float64(in)), w)
		normal(rng, math.Sqrt(v.Bias), b)
	},
	// orthogonal is √σ_w² times a random orthogonal matrix (Saxe et al.
	// 2014; Pennington et al. 2017), semi-orthogonal when the layer is not
	// square, and b ~ N(0, σ_b²).
	"orthogonal": func(rng *rand.Rand, in, out int, v Variances, w, b []float64) {
		orthogonal(rng, in, out, math.Sqrt(v.Weight), w)
		normal(rng, math.Sqrt(v.Bias), b)
	},
}

// orthogonal fills w (rows × cols, row-major) with scale times a random
// matrix drawn from the Haar measure: the Q of the QR factorisation of a
// standard Gaussian matrix, each column's sign set by R's diagonal (without
// the correction Q is not uniformly distributed). The long side is the
// Gaussian's rows, so that W has orthonormal columns (WᵀW = scale²·I) when
// rows ≥ cols, and orthonormal rows (WWᵀ = scale²·I) otherwise.
func orthogonal(rng *rand.Rand, rows, cols int, scale float64, w []float64) {
	n, k := max(rows, cols), min(rows, cols)
	g := make([]float64, n*k)
	normal(rng, 1, g)
	var qr mat.QR
	qr.Factorize(mat.NewDense(n, k, g))
	var q, r mat.Dense
	qr.QTo(&q)
	qr.RTo(&r)
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			x := q.At(i, j) * scale
			if r.At(j, j) < 0 {
				x = -x
			}
			if rows >= cols {
				w[i*cols+j] = x
			} else {
				w[j*cols+i] = x
			}
		}
	}
}

// ResolveInit returns the scheme that name stands for with activation act:
// "auto" is Xavier uniform for saturating activations, LeCun normal for
// SELU and He normal for the rectifier family and the other smooth ones.
func ResolveInit(name string, act graph.Activation) string {
	if name != "auto" {
		return name
	}
	if act.Name == "selu" {
		return "lecun-normal"
	}
	if act.Saturating {
		return "xavier-uniform"
	}
	return "he-normal"
}

// InitParams draws the parameters of spec with the named scheme from a
// generator seeded by seed; v are σ_w² and σ_b² of the gaussian and
// orthogonal schemes. The same seed, scheme, variances and spec always
// give the same values. LayerNorm gains are 1 and their biases 0, drawn from
// nothing, so the linear layers' values do not depend on the normalisation
// or the residual connections.
func InitParams(spec graph.Spec, scheme string, v Variances, seed uint64) (graph.Params, error) {
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
		f(rng, in, out, v, w, b)
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
