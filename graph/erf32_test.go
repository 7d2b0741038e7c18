package graph

import (
	"math"
	"testing"
)

// TestErf32 checks the float32 erf against math.Erf rounded to float32 on
// a dense grid and at edge values: never more than one float32 ulp apart,
// and equal almost everywhere.
func TestErf32(t *testing.T) {
	var xs []float32
	for x := -5.0; x <= 5; x += 1.0 / 4096 {
		xs = append(xs, float32(x))
	}
	xs = append(xs, 0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 3.9, 3.92, 3.99, 4, 100, -100,
		float32(math.Inf(1)), float32(math.Inf(-1)), math.SmallestNonzeroFloat32, math.MaxFloat32)
	got := make([]float32, len(xs))
	erf32(got, xs)
	differ := 0
	for i, x := range xs {
		want := float32(math.Erf(float64(x)))
		if got[i] == want && math.Signbit(float64(got[i])) == math.Signbit(float64(want)) {
			continue
		}
		differ++
		if ulps := math.Abs(float64(int64(math.Float32bits(got[i])) - int64(math.Float32bits(want)))); ulps > 1 {
			t.Errorf("erf32(%g) = %g, math.Erf rounds to %g: %v ulps apart", x, got[i], want, ulps)
		}
	}
	if frac := float64(differ) / float64(len(xs)); frac > 0.01 {
		t.Errorf("%d of %d values (%.2g) differ from math.Erf rounded by one ulp", differ, len(xs), frac)
	} else {
		t.Logf("%d of %d values differ from math.Erf rounded, each by one ulp", differ, len(xs))
	}
	nan := []float32{float32(math.NaN())}
	erf32(nan, nan)
	if !math.IsNaN(float64(nan[0])) {
		t.Errorf("erf32(NaN) = %v", nan[0])
	}
}

// TestErfGrad32 checks the float32 erf′ against 2/√π·exp(−x²) in float64
// rounded to float32: within one ulp (or 1e-45 absolute near underflow).
func TestErfGrad32(t *testing.T) {
	var xs []float32
	for x := -12.0; x <= 12; x += 1.0 / 1024 {
		xs = append(xs, float32(x))
	}
	got := make([]float32, len(xs))
	erfGrad32(got, xs)
	for i, x := range xs {
		a := float64(x)
		want := float32(2 / math.Sqrt(math.Pi) * math.Exp(-a*a))
		if d := int64(math.Float32bits(got[i])) - int64(math.Float32bits(want)); d > 1 || d < -1 {
			t.Errorf("erf′(%g) = %g, want %g", x, got[i], want)
		}
	}
}
