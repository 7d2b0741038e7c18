package graph

import (
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestMLPSignalReads checks the copies a training machine takes of each
// hidden layer's output h_l and error δ_l = ∂L/∂Pre[l], for every
// activation and structure, on the second of two runs with different
// inputs (when the copies reuse their buffers): h_l = φ(Pre[l]) (+ h_{l−1}
// for a residual layer); δ_l summed over the batch is the gradient of the
// parameter added last to Pre[l] (the bias, or LayerNorm's bias); and
// without LayerNorm ∇W_l = h_{l−1}ᵀ δ_l (x for layer 0).
func TestMLPSignalReads(t *testing.T) {
	for _, name := range Names() {
		for _, v := range variants {
			t.Run(name+"/"+v.name, func(t *testing.T) {
				act, err := Lookup(name, 0.1)
				if err != nil {
					t.Fatal(err)
				}
				r := rand.New(rand.NewPCG(3, 9))
				spec := Spec{In: 5, Depth: 4, Width: 4, Classes: 3, Batch: 3, Act: act, Dtype: tensor.Float64, Residual: v.residual, LayerNorm: v.layerNorm}
				p := randParams(r, spec)
				m, err := Build(spec, p, true)
				if err != nil {
					t.Fatal(err)
				}
				vm, err := m.Machine()
				if err != nil {
					t.Fatal(err)
				}
				defer vm.Close()
				y := tensor.New(tensor.WithShape(3, 3), tensor.WithBacking([]float64{1, 0, 0, 0, 0, 1, 0, 1, 0}))
				if err := G.Let(m.Y, y); err != nil {
					t.Fatal(err)
				}
				var x *tensor.Dense
				var first []*float64
				for run := range 2 {
					x = randDense(r, 3, 5, 1)
					if err := G.Let(m.X, x); err != nil {
						t.Fatal(err)
					}
					Rerun(vm)
					if err := vm.RunAll(); err != nil {
						t.Fatal(err)
					}
					// The second run copies into the first run's buffers.
					for i, v := range append(slices.Clone(m.OutValues), m.DeltaValues...) {
						p := &v.Data().([]float64)[0]
						if run == 0 {
							first = append(first, p)
						} else if p != first[i] {
							t.Errorf("copy %d: the second run allocated a new buffer", i)
						}
					}
				}
				const tol = 1e-12
				prev := x.Data().([]float64)
				for l := range spec.Depth {
					h := m.OutValues[l].Data().([]float64)
					pre := m.PreValues[l].Data().([]float64)
					want, _, err := Evaluate(act, pre)
					if err != nil {
						t.Fatal(err)
					}
					if spec.IsResidual(l) {
						for i := range want {
							want[i] += prev[i]
						}
					}
					if e := relErr(h, want); e > tol {
						t.Errorf("layer %d output: relative error %.3g\nread %v\nwant %v", l, e, h, want)
					}
					delta := m.DeltaValues[l].Data().([]float64)
					kind := Bias
					if spec.LayerNorm {
						kind = LNBias
					}
					if e := relErr(colSums(delta, spec.Width), gradOf(m, p, l, kind)); e > tol {
						t.Errorf("layer %d error: its batch sum is not the %s gradient (relative error %.3g)", l, kind, e)
					}
					if !spec.LayerNorm {
						in := spec.Width
						if l == 0 {
							in = spec.In
						}
						if e := relErr(matTMul(prev, delta, spec.Batch, in, spec.Width), gradOf(m, p, l, Weight)); e > tol {
							t.Errorf("layer %d: h_{l-1}ᵀ δ_l is not the weight gradient (relative error %.3g)", l, e)
						}
					}
					prev = h
				}
			})
		}
	}
}

// gradOf returns the gradient values of the parameter of layer and kind.
func gradOf(m *MLP, p Params, layer int, kind string) []float64 {
	for i, q := range p {
		if q.Layer == layer && q.Kind == kind {
			return m.Grads[i].Value().Data().([]float64)
		}
	}
	return nil
}

// colSums returns the column sums of a row-major matrix with cols columns.
func colSums(a []float64, cols int) []float64 {
	out := make([]float64, cols)
	for i, x := range a {
		out[i%cols] += x
	}
	return out
}

// matTMul returns aᵀb for a (rows × m) and b (rows × n), row-major.
func matTMul(a, b []float64, rows, m, n int) []float64 {
	out := make([]float64, m*n)
	for r := range rows {
		for i := range m {
			for j := range n {
				out[i*n+j] += a[r*m+i] * b[r*n+j]
			}
		}
	}
	return out
}
