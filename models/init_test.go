package models

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gradbench/gradbench/graph"
	"gorgonia.org/tensor"
)

// initSpec is a float64 network with a wide first layer (784 → 96), square
// hidden layers (96 → 96) and a narrow last one (96 → 10).
func initSpec(t *testing.T) graph.Spec {
	act, err := graph.Lookup("tanh", 0)
	if err != nil {
		t.Fatal(err)
	}
	return graph.Spec{In: 784, Depth: 3, Width: 96, Classes: 10, Batch: 1, Act: act, Dtype: tensor.Float64}
}

// TestInitReproducible checks that every scheme gives the same values for
// the same seed and variances, and other values for another seed.
func TestInitReproducible(t *testing.T) {
	spec := initSpec(t)
	v := Variances{Weight: 1.76, Bias: 0.05}
	for _, scheme := range []string{"gaussian", "orthogonal", "lecun-normal", "he-normal", "torch-default"} {
		a, err := InitParams(spec, scheme, v, 7)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := InitParams(spec, scheme, v, 7)
		c, _ := InitParams(spec, scheme, v, 8)
		for i := range a {
			x, y, z := a[i].Value.Data().([]float64), b[i].Value.Data().([]float64), c[i].Value.Data().([]float64)
			if !slices.Equal(x, y) {
				t.Errorf("%s %s: the same seed gave other values", scheme, a[i].String())
			}
			if a[i].Kind == graph.Weight && slices.Equal(x, z) {
				t.Errorf("%s %s: another seed gave the same values", scheme, a[i].String())
			}
		}
	}
}

// meanVar returns the mean and variance of xs.
func meanVar(xs []float64) (mean, variance float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(xs))
}

// TestInitVariance checks the empirical variances of the Gaussian schemes'
// weights and biases against σ_w²/fan_in and σ_b², to five standard errors
// of a variance estimate (√(2/n) relative).
func TestInitVariance(t *testing.T) {
	const in, out, nb = 400, 300, 20000
	for _, tc := range []struct {
		scheme       string
		v            Variances
		wantW, wantB float64
	}{
		{"gaussian", Variances{Weight: 1.76, Bias: 0.05}, 1.76 / in, 0.05},
		{"gaussian", Variances{Weight: 4, Bias: 0}, 4.0 / in, 0},
		{"orthogonal", Variances{Weight: 2, Bias: 0.3}, 2.0 / in, 0.3},
		{"lecun-normal", Variances{Weight: 9, Bias: 9}, 1.0 / in, 0},
		{"he-normal", Variances{Weight: 9, Bias: 9}, 2.0 / in, 0},
	} {
		rng := rand.New(rand.NewPCG(3, streamInit))
		w, b := make([]float64, in*out), make([]float64, nb)
		inits[tc.scheme](rng, in, out, tc.v, w, b)
		m, vw := meanVar(w)
		if tol := 5 * math.Sqrt(2.0/float64(len(w))) * tc.wantW; math.Abs(vw-tc.wantW) > tol || math.Abs(m) > 5*math.Sqrt(tc.wantW/float64(len(w))) {
			t.Errorf("%s %+v: weight mean %g variance %g, want 0 and %g ± %g", tc.scheme, tc.v, m, vw, tc.wantW, tol)
		}
		m, vb := meanVar(b)
		if tol := 5 * math.Sqrt(2.0/nb) * tc.wantB; math.Abs(vb-tc.wantB) > tol || math.Abs(m) > 5*math.Sqrt(tc.wantB/nb) {
			t.Errorf("%s %+v: bias mean %g variance %g, want 0 and %g ± %g", tc.scheme, tc.v, m, vb, tc.wantB, tol)
		}
	}
}

// TestOrthogonal checks that the orthogonal scheme's weights (fanIn ×
// fanOut, as the layer computes x·W) satisfy WᵀW = σ_w²·I when fanIn ≥
// fanOut and WWᵀ = σ_w²·I when fanIn < fanOut, for square and rectangular
// layers, through InitParams for a whole network too.
func TestOrthogonal(t *testing.T) {
	check := func(name string, w []float64, rows, cols int, s2 float64) {
		t.Helper()
		k := min(rows, cols)
		var worst float64
		for a := 0; a < k; a++ {
			for b := 0; b < k; b++ {
				var dot float64
				if rows >= cols { // columns a and b
					for i := 0; i < rows; i++ {
						dot += w[i*cols+a] * w[i*cols+b]
					}
				} else { // rows a and b
					for j := 0; j < cols; j++ {
						dot += w[a*cols+j] * w[b*cols+j]
					}
				}
				want := 0.0
				if a == b {
					want = s2
				}
				worst = max(worst, math.Abs(dot-want))
			}
		}
		if worst > 1e-12*s2*float64(max(rows, cols)) {
			t.Errorf("%s (%d×%d, σ_w² %g): largest error of the Gram matrix %g", name, rows, cols, s2, worst)
		}
	}
	for _, tc := range []struct {
		rows, cols int
		s2         float64
	}{{64, 64, 1}, {100, 30, 1.76}, {30, 100, 2.5}, {1, 50, 1}, {50, 1, 0.5}, {784, 128, 1}} {
		rng := rand.New(rand.NewPCG(1, streamInit))
		w := make([]float64, tc.rows*tc.cols)
		orthogonal(rng, tc.rows, tc.cols, math.Sqrt(tc.s2), w)
		check("orthogonal", w, tc.rows, tc.cols, tc.s2)
	}
	spec := initSpec(t)
	p, err := InitParams(spec, "orthogonal", Variances{Weight: 1.76, Bias: 0.05}, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range p {
		if q.Kind == graph.Weight {
			in, out := spec.LayerShape(q.Layer)
			check(q.String(), q.Value.Data().([]float64), in, out, 1.76)
		}
	}
}

// TestResolveInit checks auto's choice per activation.
func TestResolveInit(t *testing.T) {
	for _, tc := range []struct{ act, want string }{
		{"sigmoid", "xavier-uniform"}, {"tanh", "xavier-uniform"}, {"relu", "he-normal"}, {"gelu", "he-normal"},
	} {
		act, err := graph.Lookup(tc.act, graph.DefaultLeakySlope)
		if err != nil {
			t.Fatal(err)
		}
		if got := ResolveInit("auto", act); got != tc.want {
			t.Errorf("auto for %s: %s, want %s", tc.act, got, tc.want)
		}
	}
	if got := ResolveInit("auto", graph.Activation{Name: "selu"}); got != "lecun-normal" {
		t.Errorf("auto for selu: %s, want lecun-normal", got)
	}
	if got := ResolveInit("orthogonal", graph.Activation{Name: "selu"}); got != "orthogonal" {
		t.Errorf("orthogonal for selu resolved to %s", got)
	}
}
