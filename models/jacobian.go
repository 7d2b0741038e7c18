package models

import (
	"fmt"

	"github.com/gradbench/gradbench/graph"
	"github.com/gradbench/gradbench/metrics/jacobian"
	"gonum.org/v1/gonum/mat"
)

// JacobianExamples is the number of training examples, the first rows of
// the first batch, whose Jacobian spectrum a run records.
const JacobianExamples = 32

// JacobianSpectrum returns, for each of the first n examples of the batch
// of the last Backward (all of them if the batch is smaller), the
// singular values of the Jacobian of the last hidden layer's output with
// respect to the first hidden layer's output, J = ∂h_{depth−1}/∂h_0 =
// Π_{l=depth−1…1} D_l W_lᵀ (plus the identity for a residual layer),
// with D_l = diag φ′(z_l) at the pre-activations the training graph
// computed and φ′ from Gorgonia's derivative of the activation
// (graph.Evaluate). J spans the depth−1 hidden width × width layers; the
// first layer (inputs → width) and the output layer are left out. It is
// computed in float64 with gonum. It returns nil for a network of one
// hidden layer or with LayerNorm, whose Jacobian has another form.
func (m *Model) JacobianSpectrum(n int) ([][]float64, error) {
	spec := m.Spec
	if spec.Depth < 2 || spec.LayerNorm {
		return nil, nil
	}
	n = min(n, spec.Batch)
	w := spec.Width
	slopes := make([][]float64, spec.Depth)
	ws := make([]*mat.Dense, spec.Depth)
	for l := 1; l < spec.Depth; l++ {
		pre := toFloat64s(m.train.PreValues[l].Data())
		if len(pre) < n*w {
			return nil, fmt.Errorf("jacobian: layer %d has %d pre-activations, want %d", l, len(pre), n*w)
		}
		_, d, err := graph.Evaluate(spec.Act, pre[:n*w])
		if err != nil {
			return nil, fmt.Errorf("jacobian: layer %d: %w", l, err)
		}
		slopes[l] = d
		ws[l] = mat.NewDense(w, w, toFloat64s(m.Params.Find(l, graph.Weight).Data()))
	}
	out := make([][]float64, n)
	layers := make([]jacobian.Layer, spec.Depth-1)
	for k := range n {
		for l := 1; l < spec.Depth; l++ {
			layers[l-1] = jacobian.Layer{W: ws[l], Slope: slopes[l][k*w : (k+1)*w], Residual: spec.IsResidual(l)}
		}
		j, err := jacobian.Of(layers)
		if err != nil {
			return nil, err
		}
		if out[k], err = jacobian.SingularValues(j); err != nil {
			return nil, fmt.Errorf("example %d: %w", k, err)
		}
	}
	return out, nil
}
