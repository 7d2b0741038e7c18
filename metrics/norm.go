// Package metrics computes the measurements of a training run (gradient
// norms, accuracy, loss) and records them to CSV and JSON files.
package metrics

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"
)

// SumSquares returns Σ x² over t's elements, accumulated in float64.
func SumSquares(t tensor.Tensor) (float64, error) {
	var s float64
	switch d := t.Data().(type) {
	case []float32:
		for _, x := range d {
			s += float64(x) * float64(x)
		}
	case []float64:
		for _, x := range d {
			s += x * x
		}
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

// Norms are the L2 norms of one step's gradients, layer 0 nearest the input.
type Norms struct {
	Weight, Bias []float64
	// Global is the norm of all gradients together.
	Global float64
}

// GradNorms returns the per-layer weight and bias gradient norms and the
// global norm of w and b, layer by layer.
func GradNorms(w, b []tensor.Tensor) (Norms, error) {
	if len(w) != len(b) {
		return Norms{}, fmt.Errorf("grad norms: %d weight and %d bias gradients", len(w), len(b))
	}
	n := Norms{Weight: make([]float64, len(w)), Bias: make([]float64, len(b))}
	var total float64
	for i := range w {
		sw, err := SumSquares(w[i])
		if err != nil {
			return Norms{}, fmt.Errorf("layer %d weight: %w", i, err)
		}
		sb, err := SumSquares(b[i])
		if err != nil {
			return Norms{}, fmt.Errorf("layer %d bias: %w", i, err)
		}
		n.Weight[i], n.Bias[i] = math.Sqrt(sw), math.Sqrt(sb)
		total += sw + sb
	}
	n.Global = math.Sqrt(total)
	return n, nil
}

// Ratio returns the first-layer weight-gradient norm over the last layer's.
func (n Norms) Ratio() float64 {
	if len(n.Weight) == 0 {
		return math.NaN()
	}
	return n.Weight[0] / n.Weight[len(n.Weight)-1]
}

// Finite reports whether every norm is a finite number.
func (n Norms) Finite() bool {
	if math.IsNaN(n.Global) || math.IsInf(n.Global, 0) {
		return false
	}
	return true
}
