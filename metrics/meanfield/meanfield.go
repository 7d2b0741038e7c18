package meanfield

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/integrate/quad"
)

// Activation is an element-wise nonlinearity given by its scalar function
// and derivative.
type Activation struct {
	// Phi is φ.
	Phi func(float64) float64
	// DPhi is φ′.
	DPhi func(float64) float64
	// ScaleInvariant is true for the piecewise-linear rectifiers
	// φ(x) = x for x > 0 and NegSlope·x for x ≤ 0 (relu, leakyrelu), whose
	// quantities are computed in closed form; Phi and DPhi are then unused.
	ScaleInvariant bool
	// NegSlope is the slope of a scale-invariant activation for x < 0.
	NegSlope float64
	// KinkAtZero is true when φ′ jumps at 0 (elu, selu): expectations are
	// then Gauss–Legendre quadratures split at the kink, which converge
	// where Gauss–Hermite's would not.
	KinkAtZero bool
}

// Phase is the phase of a network at (σ_w², σ_b²).
type Phase string

// The phases.
const (
	Ordered  Phase = "ordered"
	Critical Phase = "critical"
	Chaotic  Phase = "chaotic"
)

// CriticalTol is how close χ₁ must be to 1 for the phase to be critical
// (c* = 1 and infinite depth scales): closer to 1 than this, the chaotic
// c* is too close to 1 to resolve.
const CriticalTol = 1e-6

// ErrNoConvergence is returned (wrapped) when a fixed-point iteration does
// not converge.
var ErrNoConvergence = errors.New("fixed-point iteration did not converge")

// ErrUnbounded is returned (wrapped) when the length map grows q without
// bound, so that q* does not exist.
var ErrUnbounded = errors.New("q grows without bound")

// qLimit is the q beyond which the length map counts as unbounded.
const qLimit = 1e100

// Result is the mean-field description of a network at (σ_w², σ_b²).
type Result struct {
	// SigmaW2 and SigmaB2 are the weight and bias variances.
	SigmaW2, SigmaB2 float64
	// QStar is the fixed point of the length map; +Inf when q grows
	// without bound and 0 when it collapses (scale-invariant activations).
	QStar float64
	// CStar is the stable fixed point of the correlation map.
	CStar float64
	// Chi1 is σ_w² E[φ′(√q* z)²].
	Chi1 float64
	// ChiC is σ_w² E[φ′(u1)φ′(u2)] at c*, the slope of the correlation map
	// there.
	ChiC float64
	// XiC is the correlation depth scale −1/ln χ_c (+Inf when χ_c ≥ 1).
	XiC float64
	// XiGrad is the gradient depth scale −1/ln χ₁ (+Inf when χ₁ = 1;
	// negative, the growth scale, when χ₁ > 1).
	XiGrad float64
	// MaxDepth is 6ξ_c, the deepest network expected to train.
	MaxDepth float64
	// CriticalSigmaW2 is the σ_w² at which χ₁ = 1 for this σ_b².
	CriticalSigmaW2 float64
	// Phase is ordered, critical or chaotic by χ₁.
	Phase Phase
	// ScaleInvariant reports that the closed forms of a scale-invariant
	// activation were used.
	ScaleInvariant bool
	// Note explains a degenerate case, empty otherwise.
	Note string
}

// Quadrature sizes: 1-D expectations and the 2-D product rule.
const (
	nodes1 = 200
	nodes2 = 64
	// maxIter bounds every fixed-point iteration.
	maxIter = 20000
	// tol is the relative tolerance of the fixed-point iterations.
	tol = 1e-12
)

type rule struct{ x, w []float64 }

var rules sync.Map // int -> rule

// hermite returns the nodes z_i and weights w_i with Σ w_i f(z_i) ≈ E[f(z)]
// for standard normal z.
func hermite(n int) rule {
	if r, ok := rules.Load(n); ok {
		return r.(rule)
	}
	x := make([]float64, n)
	w := make([]float64, n)
	quad.Hermite{}.FixedLocations(x, w, math.Inf(-1), math.Inf(1))
	for i := range x {
		// ∫ f(x) e^{−x²} dx = √π E[f(√2 z)].
		x[i] *= math.Sqrt2
		w[i] /= math.SqrtPi
	}
	r := rule{x, w}
	rules.Store(n, r)
	return r
}

// Gauss returns E[f(z)] for standard normal z by Gauss–Hermite quadrature.
func Gauss(f func(float64) float64) float64 {
	r := hermite(nodes1)
	s := 0.0
	for i, z := range r.x {
		s += r.w[i] * f(z)
	}
	return s
}

// Gauss2 returns E[f(z1, z2)] for independent standard normal z1 and z2 by
// the Gauss–Hermite product rule.
func Gauss2(f func(z1, z2 float64) float64) float64 {
	r := hermite(nodes2)
	s := 0.0
	for i, z1 := range r.x {
		for j, z2 := range r.x {
			s += r.w[i] * r.w[j] * f(z1, z2)
		}
	}
	return s
}

// Check returns an error naming σ_w² or σ_b² when σ_w² is not positive and
// finite or σ_b² not non-negative and finite.
func Check(sw2, sb2 float64) error { return check(sw2, sb2) }

// Split quadrature of kinked integrands: Gauss–Legendre with splitNodes
// nodes on each side of the kink, over [−splitRange, splitRange].
const (
	splitNodes = 96
	splitRange = 12
)

var legendre = sync.OnceValue(func() rule {
	x := make([]float64, splitNodes)
	w := make([]float64, splitNodes)
	quad.Legendre{}.FixedLocations(x, w, -1, 1)
	return rule{x, w}
})

// gaussSeg returns ∫ f(z)φ(z) dz over [a, b] for the standard normal
// density φ by Gauss–Legendre quadrature.
func gaussSeg(f func(float64) float64, a, b float64) float64 {
	if b <= a {
		return 0
	}
	r := legendre()
	h, m := (b-a)/2, (b+a)/2
	s := 0.0
	for i, x := range r.x {
		z := m + h*x
		s += r.w[i] * f(z) * math.Exp(-z*z/2)
	}
	return s * h / math.Sqrt(2*math.Pi)
}

// expect returns E[f(z)], split at 0 when kinked.
func expect(kinked bool, f func(float64) float64) float64 {
	if !kinked {
		return Gauss(f)
	}
	return gaussSeg(f, -splitRange, 0) + gaussSeg(f, 0, splitRange)
}

// expect2 returns E[f(z1, z2)]; when kinked, split at z1 = 0 and at the
// z2 where c z1 + √(1−c²) z2 = 0, the kinks of φ′(u1) and φ′(u2).
func expect2(kinked bool, c float64, f func(z1, z2 float64) float64) float64 {
	if !kinked {
		return Gauss2(f)
	}
	s := math.Sqrt(math.Max(0, 1-c*c))
	inner := func(z1 float64) float64 {
		g := func(z2 float64) float64 { return f(z1, z2) }
		if s == 0 {
			return gaussSeg(g, -splitRange, splitRange)
		}
		k := math.Max(-splitRange, math.Min(splitRange, -c*z1/s))
		return gaussSeg(g, -splitRange, k) + gaussSeg(g, k, splitRange)
	}
	return gaussSeg(inner, -splitRange, 0) + gaussSeg(inner, 0, splitRange)
}

func check(sw2, sb2 float64) error {
	switch {
	case !(sw2 > 0) || math.IsInf(sw2, 0):
		return fmt.Errorf("sigma_w2 %v: must be positive and finite", sw2)
	case !(sb2 >= 0) || math.IsInf(sb2, 0):
		return fmt.Errorf("sigma_b2 %v: must be non-negative and finite", sb2)
	}
	return nil
}

// halfSquare is E[φ(z)²] = E[φ′(z)²] = (1+a²)/2 of a scale-invariant
// activation with negative slope a.
func halfSquare(a float64) float64 { return (1 + a*a) / 2 }

// LengthMap returns σ_w² E[φ(√q z)²] + σ_b², one step of the length map.
func LengthMap(act Activation, sw2, sb2, q float64) float64 {
	if act.ScaleInvariant {
		return sw2*halfSquare(act.NegSlope)*q + sb2
	}
	s := math.Sqrt(q)
	return sw2*expect(act.KinkAtZero, func(z float64) float64 { v := act.Phi(s * z); return v * v }) + sb2
}

// QStar returns the fixed point of the length map, iterated from q = 1.
// For a scale-invariant activation it is σ_b²/(1−χ₁) when χ₁ < 1 (0 when
// σ_b² = 0 too), +Inf when χ₁ > 1 or χ₁ = 1 with σ_b² > 0, and, when
// χ₁ = 1 and σ_b² = 0, any q is fixed and it returns 1.
func QStar(act Activation, sw2, sb2 float64) (float64, error) {
	if err := check(sw2, sb2); err != nil {
		return 0, err
	}
	if act.ScaleInvariant {
		chi := sw2 * halfSquare(act.NegSlope)
		switch {
		case math.Abs(chi-1) <= CriticalTol && sb2 == 0:
			return 1, nil
		case chi < 1:
			return sb2 / (1 - chi), nil
		}
		return math.Inf(1), nil
	}
	if collapses(act, sw2, sb2) {
		return 0, nil
	}
	q, err := iterateQ(act, sw2, sb2)
	if err != nil {
		return 0, err
	}
	return q, nil
}

// collapses reports whether the length map iterated from q = 1 decreases
// to the fixed point q* = 0: σ_b² = 0 and φ(0) = 0 make 0 fixed, the map's
// slope there, σ_w²φ′(0)², is at most 1, and the map lies below the
// identity on (0, 1] (checked at q = 2^-k down to 2^-40). At slope 1
// (tanh at σ_w² = 1) q decays only algebraically, far too slowly for the
// iteration to meet its tolerance, so it is decided here instead.
func collapses(act Activation, sw2, sb2 float64) bool {
	d := act.DPhi(0)
	if sb2 != 0 || act.Phi(0) != 0 || sw2*d*d > 1+CriticalTol {
		return false
	}
	for q := 1.0; q > 0x1p-40; q /= 2 {
		if LengthMap(act, sw2, sb2, q) >= q {
			return false
		}
	}
	return true
}

// iterateQ iterates the length map from q = 1; on an error it also returns
// the last finite iterate.
func iterateQ(act Activation, sw2, sb2 float64) (float64, error) {
	q := 1.0
	for range maxIter {
		next := LengthMap(act, sw2, sb2, q)
		if math.IsNaN(next) {
			return q, fmt.Errorf("q* at sigma_w2 %v, sigma_b2 %v: length map gave NaN", sw2, sb2)
		}
		if next > qLimit {
			return q, fmt.Errorf("q* at sigma_w2 %v, sigma_b2 %v: %w", sw2, sb2, ErrUnbounded)
		}
		if math.Abs(next-q) <= tol*math.Max(next, 1e-3) {
			return next, nil
		}
		q = next
	}
	return q, fmt.Errorf("q* at sigma_w2 %v, sigma_b2 %v: %w after %d steps (q = %g)", sw2, sb2, ErrNoConvergence, maxIter, q)
}

// Chi1 returns χ₁ = σ_w² E[φ′(√q z)²] at variance q.
func Chi1(act Activation, sw2, q float64) float64 {
	if act.ScaleInvariant {
		return sw2 * halfSquare(act.NegSlope)
	}
	s := math.Sqrt(q)
	return sw2 * expect(act.KinkAtZero, func(z float64) float64 { d := act.DPhi(s * z); return d * d })
}

// reluKernel returns E[φ(z1)φ(z2)] for unit-variance z1, z2 of correlation
// c and the scale-invariant φ of negative slope a: with φ(x) =
// (1−a)relu(x) + a x and the arc-cosine kernel of relu,
// (1−a)²(√(1−c²) + (π − arccos c)c)/(2π) + a(1−a)c + a²c.
func reluKernel(a, c float64) float64 {
	c = math.Max(-1, math.Min(1, c))
	k := (math.Sqrt(1-c*c) + (math.Pi-math.Acos(c))*c) / (2 * math.Pi)
	return (1-a)*(1-a)*k + a*(1-a)*c + a*a*c
}

// reluSlopeKernel returns E[φ′(z1)φ′(z2)] for the same: the probability
// that both are positive is (π − arccos c)/(2π), that both are negative the
// same, and each of the mixed cases arccos(c)/(2π).
func reluSlopeKernel(a, c float64) float64 {
	c = math.Max(-1, math.Min(1, c))
	same := (math.Pi - math.Acos(c)) / (2 * math.Pi)
	mixed := math.Acos(c) / (2 * math.Pi)
	return same*(1+a*a) + 2*mixed*a
}

func pair(q, c, z1, z2 float64) (u1, u2 float64) {
	s := math.Sqrt(q)
	return s * z1, s * (c*z1 + math.Sqrt(math.Max(0, 1-c*c))*z2)
}

// CorrMap returns (σ_w² E[φ(u1)φ(u2)] + σ_b²)/q, one step of the
// correlation map at variance q. For a scale-invariant activation whose q
// is infinite or degenerate it is the normalised map
// E[φ(z1)φ(z2)]/E[φ(z)²], which σ_w² and σ_b² no longer affect.
func CorrMap(act Activation, sw2, sb2, q, c float64) float64 {
	if act.ScaleInvariant {
		a := act.NegSlope
		if math.IsInf(q, 1) || q == 0 {
			return reluKernel(a, c) / halfSquare(a)
		}
		return (sw2*q*reluKernel(a, c) + sb2) / q
	}
	e := expect2(act.KinkAtZero, c, func(z1, z2 float64) float64 {
		u1, u2 := pair(q, c, z1, z2)
		return act.Phi(u1) * act.Phi(u2)
	})
	return (sw2*e + sb2) / q
}

// ChiC returns σ_w² E[φ′(u1)φ′(u2)] at variance q and correlation c, the
// slope of the correlation map at c. For a scale-invariant activation whose
// q is infinite or degenerate it is the slope of the normalised map.
func ChiC(act Activation, sw2, q, c float64) float64 {
	if act.ScaleInvariant {
		a := act.NegSlope
		if math.IsInf(q, 1) || q == 0 {
			return reluSlopeKernel(a, c) / halfSquare(a)
		}
		return sw2 * reluSlopeKernel(a, c)
	}
	if c >= 1 {
		return Chi1(act, sw2, q)
	}
	return sw2 * expect2(act.KinkAtZero, c, func(z1, z2 float64) float64 {
		u1, u2 := pair(q, c, z1, z2)
		return act.DPhi(u1) * act.DPhi(u2)
	})
}

// CStar returns the stable fixed point of the correlation map at q = q*.
// c = 1 is always a fixed point; it is the stable one when χ₁ ≤ 1 (the
// ordered phase and its edge). Otherwise the map is iterated from c = 0,
// with Aitken acceleration.
func CStar(act Activation, sw2, sb2, q float64) (float64, error) {
	if err := check(sw2, sb2); err != nil {
		return 0, err
	}
	if act.ScaleInvariant && (math.IsInf(q, 1) || q == 0) {
		// The normalised map's slope at c = 1 is 1 and it lies above the
		// diagonal below 1: c tends to 1, polynomially.
		return 1, nil
	}
	if Chi1(act, sw2, q) <= 1+CriticalTol {
		return 1, nil
	}
	g := func(c float64) float64 { return math.Max(-1, math.Min(1, CorrMap(act, sw2, sb2, q, c))) }
	// Near the critical point the map contracts slowly (at rate χ_c → 1),
	// so each step is accelerated by Aitken's Δ² (Steffensen's method),
	// keeping the plain two steps when the extrapolation leaves [−1, 1).
	c := 0.0
	for range maxIter {
		c1 := g(c)
		if math.Abs(c1-c) <= 1e-10 {
			return c1, nil
		}
		c2 := g(c1)
		next := c2
		if d := c2 - 2*c1 + c; d != 0 {
			if acc := c - (c1-c)*(c1-c)/d; acc >= -1 && acc < 1 {
				next = acc
			}
		}
		c = next
	}
	return 0, fmt.Errorf("c* at sigma_w2 %v, sigma_b2 %v: %w after %d steps (c = %g)", sw2, sb2, ErrNoConvergence, maxIter, c)
}

// Xi returns the depth scale −1/ln χ: +Inf when χ = 1 and 0 when χ = 0.
// It is negative when χ > 1 (a growth scale).
func Xi(chi float64) float64 {
	if chi == 1 {
		return math.Inf(1)
	}
	return -1 / math.Log(chi)
}

// PhaseOf returns the phase χ₁ implies.
func PhaseOf(chi1 float64) Phase {
	switch {
	case math.Abs(chi1-1) <= CriticalTol:
		return Critical
	case chi1 < 1:
		return Ordered
	}
	return Chaotic
}

// CriticalSigmaW2 returns the σ_w² at which χ₁ = 1 for σ_b², by bisection
// on σ_w² with q* recomputed at each step. Where the length map has no
// fixed point (q grows without bound or converges too slowly, as for a
// linear φ near σ_w² = 1) χ₁ is taken at its last iterate. For a
// scale-invariant activation it is 2/(1+a²) exactly.
func CriticalSigmaW2(act Activation, sb2 float64) (float64, error) {
	if err := check(1, sb2); err != nil {
		return 0, err
	}
	if act.ScaleInvariant {
		return 1 / halfSquare(act.NegSlope), nil
	}
	// Without biases and with φ(0) = 0, q* = 0 up to σ_w² = 1/φ′(0)², where
	// χ₁ = σ_w²φ′(0)² reaches 1 (tanh: 1); bisecting there would meet the
	// length map's algebraic creep to 0.
	if d := act.DPhi(0); d != 0 && collapses(act, 1/(d*d), sb2) {
		return 1 / (d * d), nil
	}
	chi := func(sw2 float64) (float64, error) {
		q, err := iterateQ(act, sw2, sb2)
		if err != nil && !errors.Is(err, ErrNoConvergence) && !errors.Is(err, ErrUnbounded) {
			return 0, err
		}
		return Chi1(act, sw2, q), nil
	}
	lo, hi := 1e-3, 1.3
	for {
		c, err := chi(hi)
		if err != nil {
			return 0, fmt.Errorf("critical sigma_w2 for sigma_b2 %v: %w", sb2, err)
		}
		if c > 1 {
			break
		}
		lo = hi
		hi *= 2
		if hi > 1e6 {
			return 0, fmt.Errorf("critical sigma_w2 for sigma_b2 %v: chi1 stays below 1 up to sigma_w2 %g", sb2, hi/2)
		}
	}
	for hi-lo > 1e-12*hi {
		mid := (lo + hi) / 2
		c, err := chi(mid)
		if err != nil {
			return 0, fmt.Errorf("critical sigma_w2 for sigma_b2 %v: %w", sb2, err)
		}
		if c > 1 {
			hi = mid
		} else {
			lo = mid
		}
	}
	return (lo + hi) / 2, nil
}

// Solve returns the mean-field description of act at (σ_w², σ_b²).
func Solve(act Activation, sw2, sb2 float64) (Result, error) {
	r := Result{SigmaW2: sw2, SigmaB2: sb2, ScaleInvariant: act.ScaleInvariant}
	q, err := QStar(act, sw2, sb2)
	if err != nil {
		return r, err
	}
	r.QStar = q
	r.Chi1 = Chi1(act, sw2, q)
	r.Phase = PhaseOf(r.Chi1)
	if r.CStar, err = CStar(act, sw2, sb2, q); err != nil {
		return r, err
	}
	r.ChiC = ChiC(act, sw2, q, r.CStar)
	if !act.ScaleInvariant && q == 0 {
		r.Note = "q decays to its fixed point 0 (sigma_b2 = 0, phi(0) = 0), algebraically where chi1 = 1"
	}
	if act.ScaleInvariant {
		switch {
		case math.IsInf(q, 1):
			r.Note = "q grows without bound (chi1 >= 1 with sigma_b2 > 0, or chi1 > 1); c tends to 1 polynomially, so xi_c is infinite"
		case q == 0:
			r.Note = "q collapses to 0 geometrically (chi1 < 1, sigma_b2 = 0); c tends to 1 polynomially, so xi_c is infinite"
		case r.Phase == Critical && sb2 == 0:
			r.Note = "every q is a fixed point (chi1 = 1, sigma_b2 = 0); q* is given as 1"
		}
	}
	if r.Phase == Critical || r.ChiC >= 1-CriticalTol {
		r.XiC = math.Inf(1)
	} else {
		r.XiC = Xi(r.ChiC)
	}
	if r.Phase == Critical {
		r.XiGrad = math.Inf(1)
	} else {
		r.XiGrad = Xi(r.Chi1)
	}
	r.MaxDepth = 6 * r.XiC
	if r.CriticalSigmaW2, err = CriticalSigmaW2(act, sb2); err != nil {
		return r, err
	}
	return r, nil
}
