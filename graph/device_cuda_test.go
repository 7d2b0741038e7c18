//go:build cuda

package graph

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// These tests run only in the CUDA build, on a machine with a GPU
// (scripts/gpu-check.sh). The rest of the package's tests run there too,
// on the GPU: TestMLPGradients is the finite-difference check of every
// activation's gradients, GELU's erf node included, in float64.

func TestKernelsRegistered(t *testing.T) {
	for _, k := range []string{"gradbench.erf_f32", "gradbench.erf_f64", "elemunaryop.exp_f32", "elembinop.add_vv_f32"} {
		if !kernels[k] {
			t.Errorf("kernel %s is not registered; registered: %d", k, len(kernels))
		}
	}
}

// TestErfOnGPU runs erf and its gradient on the GPU in float64: the op is
// placed on the device with its own kernel, its values match math.Erf, and
// its gradient matches central differences of the same GPU machine.
func TestErfOnGPU(t *testing.T) {
	xs := []float64{-4, -1.5, -0.3, 0, 0.2, 0.7, 2.5, 6}
	g := G.NewGraph()
	v := tensor.New(tensor.WithShape(len(xs)), tensor.WithBacking(append([]float64(nil), xs...)))
	x := G.NewVector(g, tensor.Float64, G.WithShape(len(xs)), G.WithName("x"), G.WithValue(v))
	e := G.Must(Erf(x))
	s := G.Must(G.Sum(e))
	grads, err := G.Grad(s, x)
	if err != nil {
		t.Fatal(err)
	}
	vm, err := NewTapeMachine(g)
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close()
	var placed bool
	for _, p := range Placement(g, vm, tensor.Float64) {
		if p.Op == "graph.erfOp erf" {
			placed = p.Where == "gpu" && p.Detail == "gradbench.erf_f64"
			t.Logf("erf: %s (%s)", p.Where, p.Detail)
		}
	}
	if !placed {
		t.Errorf("erf is not placed on the GPU with gradbench.erf_f64: %+v", Placement(g, vm, tensor.Float64))
	}
	run := func() float64 {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		return s.Value().Data().(float64)
	}
	run()
	got := append([]float64(nil), e.Value().Data().([]float64)...)
	dgot := append([]float64(nil), grads[0].Value().Data().([]float64)...)
	for i, xi := range xs {
		if d := math.Abs(got[i] - math.Erf(xi)); d > 1e-15 {
			t.Errorf("erf(%v) = %v on the GPU, want %v", xi, got[i], math.Erf(xi))
		}
	}
	num := numGrad(t, v.Data().([]float64), run)
	if e := relErr(dgot, num); e > 1e-8 {
		t.Errorf("GPU gradient of erf: relative error %.3g against central differences\nanalytic %v\nnumeric  %v", e, dgot, num)
	}
}
