package meanfield

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

var (
	linear = Activation{Phi: func(x float64) float64 { return x }, DPhi: func(float64) float64 { return 1 }}
	tanh   = Activation{Phi: math.Tanh, DPhi: func(x float64) float64 { t := math.Tanh(x); return 1 - t*t }}
	relu   = Activation{ScaleInvariant: true}
	leaky  = Activation{ScaleInvariant: true, NegSlope: 0.2}
)

func near(got, want, tol float64) bool {
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

// simpson returns E[f(z)] for standard normal z by composite Simpson's rule
// on [−12, 12] with n intervals: an independent check of the quadrature.
func simpson(f func(float64) float64, n int) float64 {
	a, b := -12.0, 12.0
	h := (b - a) / float64(n)
	g := func(z float64) float64 { return f(z) * math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) }
	s := g(a) + g(b)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		s += w * g(a+float64(i)*h)
	}
	return s * h / 3
}

func TestClosedForms(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		act                  Activation
		sw2, sb2             float64
		q, c, chi1, chic, cr float64
		phase                Phase
	}{
		// Linear φ: q* = σ_b²/(1−σ_w²), χ₁ = χ_c = σ_w², c* = 1, σ_w²* = 1.
		{"linear", linear, 0.5, 0.1, 0.2, 1, 0.5, 0.5, 1, Ordered},
		{"linear", linear, 0.8, 0.3, 1.5, 1, 0.8, 0.8, 1, Ordered},
		// ReLU: χ₁ = σ_w²/2, q* = σ_b²/(1−χ₁), σ_w²* = 2.
		{"relu", relu, 1, 0.1, 0.2, 1, 0.5, 0.5, 2, Ordered},
		{"relu", relu, 2, 0, 1, 1, 1, 1, 2, Critical},
		{"relu", relu, 3, 0.1, math.Inf(1), 1, 1.5, 1, 2, Chaotic},
		{"relu", relu, 1, 0, 0, 1, 0.5, 1, 2, Ordered},
		// leakyrelu a = 0.2: χ₁ = σ_w²(1+a²)/2 = 0.52σ_w².
		{"leaky", leaky, 1, 0.1, 0.1 / 0.48, 1, 0.52, 0.52, 1 / 0.52, Ordered},
	} {
		r, err := Solve(tc.act, tc.sw2, tc.sb2)
		if err != nil {
			t.Fatalf("%s %v %v: %v", tc.name, tc.sw2, tc.sb2, err)
		}
		for _, v := range []struct {
			what      string
			got, want float64
		}{{"q*", r.QStar, tc.q}, {"c*", r.CStar, tc.c}, {"chi1", r.Chi1, tc.chi1}, {"chi_c", r.ChiC, tc.chic}, {"critical", r.CriticalSigmaW2, tc.cr}} {
			if !near(v.got, v.want, 1e-9) {
				t.Errorf("%s sw2 %v sb2 %v: %s = %v, want %v", tc.name, tc.sw2, tc.sb2, v.what, v.got, v.want)
			}
		}
		if r.Phase != tc.phase {
			t.Errorf("%s sw2 %v sb2 %v: phase %s, want %s", tc.name, tc.sw2, tc.sb2, r.Phase, tc.phase)
		}
		if r.Phase != Critical && r.ChiC < 1 && !near(r.MaxDepth, -6/math.Log(r.ChiC), 1e-12) {
			t.Errorf("%s: max depth %v, want 6·xi_c", tc.name, r.MaxDepth)
		}
		if r.ScaleInvariant != tc.act.ScaleInvariant {
			t.Errorf("%s: scale invariant %v", tc.name, r.ScaleInvariant)
		}
	}
}

// simpson2 returns E[f(z1, z2)] for independent standard normal z1, z2 by
// the 2-D composite Simpson rule on [−10, 10]² with n intervals a side.
func simpson2(f func(z1, z2 float64) float64, n int) float64 {
	a, b := -10.0, 10.0
	h := (b - a) / float64(n)
	w := func(i int) float64 {
		switch {
		case i == 0 || i == n:
			return 1
		case i%2 == 1:
			return 4
		}
		return 2
	}
	s := 0.0
	for i := 0; i <= n; i++ {
		z1 := a + float64(i)*h
		for j := 0; j <= n; j++ {
			z2 := a + float64(j)*h
			s += w(i) * w(j) * f(z1, z2) * math.Exp(-(z1*z1+z2*z2)/2)
		}
	}
	return s * h * h / 9 / (2 * math.Pi)
}

// TestReluKernels checks the closed forms of the scale-invariant path
// (relu and leakyrelu) against a 2-D Simpson integration of the same
// expectations (1,000 intervals a side).
func TestReluKernels(t *testing.T) {
	const q, sw2, sb2 = 1.7, 1.5, 0.2
	for _, act := range []Activation{relu, leaky} {
		a := act.NegSlope
		phi := func(x float64) float64 { return math.Max(x, 0) + a*math.Min(x, 0) }
		dphi := func(x float64) float64 {
			if x > 0 {
				return 1
			}
			return a
		}
		for _, c := range []float64{-0.9, -0.3, 0, 0.4, 0.8} {
			e := simpson2(func(z1, z2 float64) float64 { u1, u2 := pair(q, c, z1, z2); return phi(u1) * phi(u2) }, 1000)
			if got, want := CorrMap(act, sw2, sb2, q, c), (sw2*e+sb2)/q; !near(got, want, 1e-3) {
				t.Errorf("slope %v: corr map at c %v: closed form %v, Simpson %v", a, c, got, want)
			}
			d := simpson2(func(z1, z2 float64) float64 { u1, u2 := pair(q, c, z1, z2); return dphi(u1) * dphi(u2) }, 1000)
			if got, want := ChiC(act, sw2, q, c), sw2*d; !near(got, want, 5e-3) {
				t.Errorf("slope %v: chi_c at c %v: closed form %v, Simpson %v", a, c, got, want)
			}
		}
	}
}

// TestTanhReference checks tanh against values computed another way: the
// length map's expectation and χ₁ by composite Simpson (4,000 intervals on
// [−12, 12]), q* by iterating that, and the critical σ_w² for σ_b² = 0.05
// by bisection on the Simpson χ₁.
func TestTanhReference(t *testing.T) {
	sq := func(f func(float64) float64) func(float64) float64 {
		return func(x float64) float64 { v := f(x); return v * v }
	}
	qRef := func(sw2, sb2 float64) float64 {
		q := 1.0
		for range 5000 {
			s := math.Sqrt(q)
			next := sw2*simpson(func(z float64) float64 { return sq(math.Tanh)(s * z) }, 4000) + sb2
			if math.Abs(next-q) < 1e-14 {
				return next
			}
			q = next
		}
		return q
	}
	chiRef := func(sw2, q float64) float64 {
		s := math.Sqrt(q)
		return sw2 * simpson(func(z float64) float64 { return sq(tanh.DPhi)(s * z) }, 4000)
	}
	for _, tc := range []struct{ sw2, sb2 float64 }{{1, 0.05}, {1.76, 0.05}, {3, 0.05}, {2.5, 0.3}} {
		q, err := QStar(tanh, tc.sw2, tc.sb2)
		if err != nil {
			t.Fatal(err)
		}
		if want := qRef(tc.sw2, tc.sb2); !near(q, want, 1e-8) {
			t.Errorf("tanh sw2 %v sb2 %v: q* = %v, Simpson %v", tc.sw2, tc.sb2, q, want)
		}
		if got, want := Chi1(tanh, tc.sw2, q), chiRef(tc.sw2, q); !near(got, want, 1e-8) {
			t.Errorf("tanh sw2 %v sb2 %v: chi1 = %v, Simpson %v", tc.sw2, tc.sb2, got, want)
		}
	}
	cr, err := CriticalSigmaW2(tanh, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := 1.0, 3.0
	for range 40 {
		mid := (lo + hi) / 2
		if chiRef(mid, qRef(mid, 0.05)) > 1 {
			hi = mid
		} else {
			lo = mid
		}
	}
	if !near(cr, (lo+hi)/2, 1e-7) {
		t.Errorf("tanh critical sigma_w2 at sigma_b2 0.05: %v, Simpson bisection %v", cr, (lo+hi)/2)
	}
	if math.Abs(cr-1.76) > 0.01 {
		t.Errorf("tanh critical sigma_w2 at sigma_b2 0.05: %v, the paper has about 1.76", cr)
	}
	t.Logf("tanh critical sigma_w2 at sigma_b2 0.05: %.6f", cr)
}

// TestTanhPhases checks the phases around the critical point: ordered
// with c* = 1 below it, chaotic with c* < 1 and a finite ξ_c above it, and
// ξ_c growing towards it from both sides.
func TestTanhPhases(t *testing.T) {
	var prev float64
	for i, sw2 := range []float64{1, 1.5, 1.7} {
		r, err := Solve(tanh, sw2, 0.05)
		if err != nil {
			t.Fatal(err)
		}
		if r.Phase != Ordered || r.CStar != 1 || r.Chi1 >= 1 {
			t.Errorf("tanh sw2 %v: %+v, want ordered with c* = 1", sw2, r)
		}
		if i > 0 && r.XiC <= prev {
			t.Errorf("tanh sw2 %v: xi_c %v not above %v", sw2, r.XiC, prev)
		}
		prev = r.XiC
	}
	prev = math.Inf(1)
	for _, sw2 := range []float64{1.9, 2.5, 4} {
		r, err := Solve(tanh, sw2, 0.05)
		if err != nil {
			t.Fatal(err)
		}
		if r.Phase != Chaotic || !(r.CStar < 1) || !(r.ChiC < 1) || r.Chi1 <= 1 {
			t.Errorf("tanh sw2 %v: %+v, want chaotic with c* < 1", sw2, r)
		}
		if r.XiC >= prev {
			t.Errorf("tanh sw2 %v: xi_c %v not below %v", sw2, r.XiC, prev)
		}
		prev = r.XiC
		// c* is a fixed point of the correlation map.
		if got := CorrMap(tanh, sw2, 0.05, r.QStar, r.CStar); !near(got, r.CStar, 1e-9) {
			t.Errorf("tanh sw2 %v: map(c*) = %v, c* = %v", sw2, got, r.CStar)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ sw2, sb2 float64 }{{0, 0.1}, {-1, 0.1}, {1, -0.1}, {math.NaN(), 0}, {math.Inf(1), 0}} {
		if _, err := Solve(tanh, tc.sw2, tc.sb2); err == nil {
			t.Errorf("sw2 %v sb2 %v: no error", tc.sw2, tc.sb2)
		}
	}
	// A length map that never settles: φ(x) = x + 1 at σ_w² = 1 grows q by
	// one each step.
	shift := Activation{Phi: func(x float64) float64 { return x + 1 }, DPhi: func(float64) float64 { return 1 }}
	if _, err := QStar(shift, 1, 0); !errors.Is(err, ErrNoConvergence) {
		t.Errorf("growing q: err %v, want ErrNoConvergence", err)
	}
}

// TestNearCritical checks the points just past tanh's critical σ_w²,
// where the correlation map contracts at a rate near 1: the critical value
// itself (as printed to 7 digits) is critical, and just above it c* < 1 is
// found (Aitken-accelerated) with a long but finite ξ_c.
func TestNearCritical(t *testing.T) {
	cr, err := CriticalSigmaW2(tanh, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	for _, sw2 := range []float64{cr, 1.760955, cr + 1e-4, cr + 1e-3, cr + 1e-2} {
		r, err := Solve(tanh, sw2, 0.05)
		if err != nil {
			t.Fatalf("sw2 %v (critical %v): %v", sw2, cr, err)
		}
		switch {
		case sw2-cr < 1e-5:
			if r.Phase != Critical || r.CStar != 1 || !math.IsInf(r.XiC, 1) {
				t.Errorf("sw2 %v: %+v, want critical", sw2, r)
			}
		default:
			if r.Phase != Chaotic || !(r.CStar < 1) || !(r.XiC > 50) || math.IsInf(r.XiC, 0) {
				t.Errorf("sw2 %v: %+v, want chaotic with c* < 1 and a long finite xi_c", sw2, r)
			}
			if got := CorrMap(tanh, sw2, 0.05, r.QStar, r.CStar); math.Abs(got-r.CStar) > 1e-9 {
				t.Errorf("sw2 %v: map(c*) = %v, c* = %v", sw2, got, r.CStar)
			}
		}
	}
}

// TestCollapse checks tanh without biases: q* = 0 is the fixed point, at
// σ_w² = 1 reached only algebraically (the length map's slope at 0 is 1),
// which must read as critical, not as an iteration that failed.
func TestCollapse(t *testing.T) {
	for _, tc := range []struct {
		sw2, chi1 float64
		phase     Phase
	}{
		{1, 1, Critical},
		{0.5, 0.5, Ordered},
	} {
		r, err := Solve(tanh, tc.sw2, 0)
		if err != nil {
			t.Fatalf("sigma_w2 %v: %v", tc.sw2, err)
		}
		if r.CriticalSigmaW2 != 1 {
			t.Errorf("critical sigma_w2 at sigma_b2 0: %v, want 1", r.CriticalSigmaW2)
		}
		if r.QStar > 1e-9 || r.CStar != 1 || !scalar.EqualWithinAbsOrRel(r.Chi1, tc.chi1, 1e-9, 1e-9) || r.Phase != tc.phase {
			t.Errorf("sigma_w2 %v: q* %v, c* %v, chi1 %v, phase %v; want 0, 1, %v, %v", tc.sw2, r.QStar, r.CStar, r.Chi1, r.Phase, tc.chi1, tc.phase)
		}
	}
}
