package metrics

import (
	"fmt"
	"math"

	"github.com/gradbench/gradbench/graph/values"
	"gorgonia.org/tensor"
)

// SumSquares returns Σ x² over t's elements, accumulated in float64.
func SumSquares(t tensor.Tensor) (float64, error) {
	var s float64
	if d, ok := values.Float32s(t); ok {
		for _, x := range d {
			s += float64(x) * float64(x)
		}
		return s, nil
	}
	if d, ok := values.Float64s(t); ok {
		for _, x := range d {
			s += x * x
		}
		return s, nil
	}
	switch d := t.Data().(type) {
	case float32:
		s = float64(d) * float64(d)
	case float64:
		s = d * d
	default:
		return 0, fmt.Errorf("sum of squares: unsupported dtype %v", t.Dtype())
	}
	return s, nil
}

// L2 returns the Euclidean (Frobenius) norm of t's elements.
func L2(t tensor.Tensor) (float64, error) {
	s, err := SumSquares(t)
	return math.Sqrt(s), err
}

// Parameter kinds that reports single out. Norms hold any kind a graph
// declares; these two are the linear layers'.
const (
	Weight = "weight"
	Bias   = "bias"
)

// Named is one parameter's gradient, named by its layer and kind.
type Named struct {
	Layer int
	Kind  string
	Grad  tensor.Tensor
}

// Norm is the L2 norm of one parameter's gradient.
type Norm struct {
	Layer int
	Kind  string
	L2    float64
}

// Norms are the L2 norms of one step's gradients, in the network's
// parameter order (layer 0 nearest the input).
type Norms struct {
	Params []Norm
	// Global is the norm of all gradients together.
	Global float64
}

// GradNorms returns the norm of every gradient in grads and their global
// norm, with squares summed in float64: each layer's (a run of grads of
// one layer) first, then the layers', so that the global norm does not
// depend on how a layer's parameters are split.
func GradNorms(grads []Named) (Norms, error) {
	n := Norms{Params: make([]Norm, len(grads))}
	var total, layer float64
	for i, g := range grads {
		s, err := SumSquares(g.Grad)
		if err != nil {
			return Norms{}, fmt.Errorf("layer %d %s: %w", g.Layer, g.Kind, err)
		}
		n.Params[i] = Norm{Layer: g.Layer, Kind: g.Kind, L2: math.Sqrt(s)}
		layer += s
		if i+1 == len(grads) || grads[i+1].Layer != g.Layer {
			total += layer
			layer = 0
		}
	}
	n.Global = math.Sqrt(total)
	return n, nil
}

// Of returns the norms of the parameters of kind, indexed by layer from 0
// to the last layer that has one (NaN where a layer has none).
func (n Norms) Of(kind string) []float64 {
	var out []float64
	for _, p := range n.Params {
		if p.Kind != kind {
			continue
		}
		for len(out) <= p.Layer {
			out = append(out, math.NaN())
		}
		out[p.Layer] = p.L2
	}
	return out
}

// Ratio returns the first-layer weight-gradient norm over the last layer's.
func (n Norms) Ratio() float64 {
	w := n.Of(Weight)
	if len(w) == 0 {
		return math.NaN()
	}
	return w[0] / w[len(w)-1]
}

// Finite reports whether every norm is a finite number.
func (n Norms) Finite() bool {
	if math.IsNaN(n.Global) || math.IsInf(n.Global, 0) {
		return false
	}
	return true
}
