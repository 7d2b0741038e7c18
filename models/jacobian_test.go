package models

import (
	"math"
	"slices"
	"testing"

	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/graph"
	"github.com/gradbench/gradbench/metrics/jacobian"
	"github.com/gradbench/gradbench/models/config"
	"gonum.org/v1/gonum/mat"
)

// TestJacobianSpectrumFiniteDifferences checks the spectrum a model
// records against central differences of the network itself, through the
// training graph: perturbing layer 0's bias b_0[j] moves every example's
// pre-activation z_0[j] alone, so ∂h_last[k]/∂b_0[j] = J_k D_0,k e_j, and
// the singular values of that difference matrix, each column divided by
// φ′(z_0[k, j]), must be J_k's. Plain and residual tanh, float64.
func TestJacobianSpectrumFiniteDifferences(t *testing.T) {
	ds := data.Synthetic(7, 64, 16)
	for _, residual := range []bool{false, true} {
		cfg := config.Default()
		cfg.Act, cfg.Depth, cfg.Width, cfg.Batch, cfg.Dtype, cfg.Residual = "tanh", 5, 6, 4, "float64", residual
		m, idx := firstBatch(t, cfg, ds)
		sv, err := m.JacobianSpectrum(3)
		if err != nil {
			t.Fatal(err)
		}
		if len(sv) != 3 || len(sv[0]) != cfg.Width {
			t.Fatalf("spectrum of %d examples of %d values, want 3 of %d", len(sv), len(sv[0]), cfg.Width)
		}
		w := cfg.Width
		_, d0, err := graph.Evaluate(m.Spec.Act, toFloat64s(m.train.PreValues[0].Data()))
		if err != nil {
			t.Fatal(err)
		}
		b0 := m.Params.Find(0, graph.Bias).Data().([]float64)
		last := func() []float64 {
			if _, _, err := m.Backward(ds.Train, idx); err != nil {
				t.Fatal(err)
			}
			return slices.Clone(m.train.OutValues[cfg.Depth-1].Data().([]float64))
		}
		const eps = 1e-6
		fd := make([]*mat.Dense, 3)
		for k := range fd {
			fd[k] = mat.NewDense(w, w, nil)
		}
		for j := range w {
			b := b0[j]
			b0[j] = b + eps
			up := last()
			b0[j] = b - eps
			down := last()
			b0[j] = b
			for k := range fd {
				for i := range w {
					fd[k].Set(i, j, (up[k*w+i]-down[k*w+i])/(2*eps)/d0[k*w+j])
				}
			}
		}
		for k := range fd {
			want, err := jacobian.SingularValues(fd[k])
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if math.Abs(sv[k][i]-want[i]) > 1e-6*want[0] {
					t.Errorf("residual %v example %d: singular values %v, central differences give %v", residual, k, sv[k], want)
					break
				}
			}
		}
		m.Close()
	}
}

// TestJacobianSpectrumLayerNorm checks that a network with LayerNorm, or
// of one hidden layer, records no spectrum.
func TestJacobianSpectrumLayerNorm(t *testing.T) {
	ds := data.Synthetic(7, 64, 16)
	for _, c := range []struct {
		depth int
		norm  string
	}{{3, "layernorm"}, {1, "none"}} {
		cfg := config.Default()
		cfg.Depth, cfg.Width, cfg.Batch, cfg.Norm = c.depth, 6, 4, c.norm
		m, _ := firstBatch(t, cfg, ds)
		sv, err := m.JacobianSpectrum(3)
		m.Close()
		if err != nil || sv != nil {
			t.Errorf("depth %d norm %s: spectrum %v, %v; want none", c.depth, c.norm, sv, err)
		}
	}
}

// TestOrthogonalConcentrates checks dynamical isometry (Pennington,
// Schoenholz and Ganguli 2017) on a small tanh network at the critical
// point with a small σ_b²: with orthogonal weights the Jacobian's singular
// values stay within a narrow band around their RMS, with Gaussian
// weights of the same σ_w² they spread over decades, though the mean σ²
// (the mean-field χ^depth) is about the same.
func TestOrthogonalConcentrates(t *testing.T) {
	ds := data.Synthetic(8, 64, 16)
	spectrum := func(init string) jacobian.Summary {
		cfg := config.Default()
		cfg.Act, cfg.Depth, cfg.Width, cfg.Batch = "tanh", 16, 48, 16
		cfg.Init, cfg.SigmaW2, cfg.SigmaB2 = init, 1.05, 2e-5
		m, _ := firstBatch(t, cfg, ds)
		defer m.Close()
		sv, err := m.JacobianSpectrum(16)
		if err != nil {
			t.Fatal(err)
		}
		return jacobian.Summarise(sv, cfg.Depth-1)
	}
	g, o := spectrum("gaussian"), spectrum("orthogonal")
	t.Logf("gaussian   %+v", g)
	t.Logf("orthogonal %+v", o)
	if ratio := o.MeanSq / g.MeanSq; ratio < 0.33 || ratio > 3 {
		t.Errorf("mean σ² %.3g orthogonal, %.3g gaussian: not comparable", o.MeanSq, g.MeanSq)
	}
	if o.Log10Std > 0.5*g.Log10Std || o.Max/o.Median > 0.1*g.Max/g.Median || o.Unresolved > 0 {
		t.Errorf("orthogonal not more concentrated: log10 σ std %.3g vs %.3g, max/median %.3g vs %.3g, %d unresolved",
			o.Log10Std, g.Log10Std, o.Max/o.Median, g.Max/g.Median, o.Unresolved)
	}
}
