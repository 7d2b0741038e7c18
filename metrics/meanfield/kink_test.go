package meanfield

import (
	"math"
	"testing"
)

// selu is SELU's φ and φ′ (λ = 1.0507…, α = 1.6733…), whose φ′ jumps at 0.
var selu = func() Activation {
	const l, al = 1.0507009873554805, 1.6732632423543772
	return Activation{KinkAtZero: true, Phi: func(x float64) float64 {
		if x > 0 {
			return l * x
		}
		return l * al * (math.Exp(x) - 1)
	}, DPhi: func(x float64) float64 {
		if x > 0 {
			return l
		}
		return l * al * math.Exp(x)
	}}
}()

// TestKinked checks the split quadrature of an activation whose φ′ jumps
// at 0 against Monte-Carlo with a fixed seed (4,000,000 pairs, antithetic
// in z2; standard errors about 5e-4), computed in the test: the
// correlation map and χ_c at c = 0.4 and q = 2, and that relu computed
// as kinked (no closed forms) matches its closed forms.
func TestKinked(t *testing.T) {
	const q, sw2, sb2, c = 2.0, 1.2, 0.05, 0.4
	rng := newLCG(1)
	var e, d float64
	const n = 2_000_000
	for range n {
		z1, z2 := rng.normal(), rng.normal()
		for _, s := range []float64{1, -1} {
			u1, u2 := pair(q, c, z1, s*z2)
			e += selu.Phi(u1) * selu.Phi(u2)
			d += selu.DPhi(u1) * selu.DPhi(u2)
		}
	}
	e, d = e/(2*n), d/(2*n)
	if got, want := CorrMap(selu, sw2, sb2, q, c), (sw2*e+sb2)/q; math.Abs(got-want) > 3e-3 {
		t.Errorf("selu corr map: split quadrature %v, Monte Carlo %v", got, want)
	}
	if got, want := ChiC(selu, sw2, q, c), sw2*d; math.Abs(got-want) > 3e-3 {
		t.Errorf("selu chi_c: split quadrature %v, Monte Carlo %v", got, want)
	}
	kinkedRelu := Activation{KinkAtZero: true, Phi: func(x float64) float64 { return math.Max(x, 0) }, DPhi: func(x float64) float64 {
		if x > 0 {
			return 1
		}
		return 0
	}}
	for _, c := range []float64{-0.7, 0, 0.5, 0.9} {
		if got, want := CorrMap(kinkedRelu, sw2, sb2, q, c), CorrMap(relu, sw2, sb2, q, c); math.Abs(got-want) > 1e-9 {
			t.Errorf("relu corr map at c %v: split quadrature %v, closed form %v", c, got, want)
		}
		if got, want := ChiC(kinkedRelu, sw2, q, c), ChiC(relu, sw2, q, c); math.Abs(got-want) > 1e-9 {
			t.Errorf("relu chi_c at c %v: split quadrature %v, closed form %v", c, got, want)
		}
	}
	if got := Chi1(kinkedRelu, 1.7, 3); math.Abs(got-0.85) > 1e-12 {
		t.Errorf("relu chi1 by split quadrature: %v, want 0.85", got)
	}
}

// lcg is a fixed-seed 64-bit linear congruential generator with
// Box–Muller normals, so that the reference does not depend on math/rand.
type lcg struct{ s uint64 }

func newLCG(seed uint64) *lcg { return &lcg{seed} }

func (g *lcg) uniform() float64 {
	g.s = g.s*6364136223846793005 + 1442695040888963407
	return (float64(g.s>>11) + 0.5) / (1 << 53)
}

func (g *lcg) normal() float64 {
	return math.Sqrt(-2*math.Log(g.uniform())) * math.Cos(2*math.Pi*g.uniform())
}
