package graph

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"sort"
	"strings"

	G "gorgonia.org/gorgonia"
)

// Activation is an element-wise nonlinearity that can be placed in a graph.
type Activation struct {
	// Name is the activation's command-line name.
	Name string
	// Apply adds φ(x) to x's graph and returns the new node.
	Apply func(x *G.Node) (*G.Node, error)
	// Phi is φ on one float64: the closed form the graph of Apply
	// computes, for figures and the mean-field theory.
	Phi func(x float64) float64
	// Deriv is φ′ on one float64, in closed form. At a kink it is the
	// value Gorgonia's differentiation of Apply gives there (relu′(0) = 1,
	// as Rectify passes gradients where x ≥ 0).
	Deriv func(x float64) float64
	// Saturating is true for activations whose derivative tends to zero on
	// both sides (sigmoid, tanh); false for the rectifier family and the
	// smooth ones that grow linearly on the right (gelu, silu, elu, selu,
	// softplus, mish, gelu-tanh).
	Saturating bool
	// MaxSlope is the largest value of φ′ over the real line (its
	// supremum where it is not attained: softplus 1, selu λα at 0⁻).
	MaxSlope float64
	// SaturatesBeyond is the |x| beyond which φ′(x) is below
	// SaturationLevel·MaxSlope; 0 for activations that do not saturate.
	SaturatesBeyond float64
	// Style is how figures draw the activation.
	Style Style
}

// Style is the fixed look of an activation in every figure, so that a
// colour means the same activation across a report.
type Style struct {
	// Color is the line colour: the Okabe–Ito colour-blind-safe palette
	// for the first five activations, Paul Tol's muted palette for the
	// others.
	Color color.RGBA
	// Marker names the point marker, so that lines lying on top of each
	// other stay distinguishable: circle, box, triangle, cross, plus,
	// ring, square, pyramid, diamond, asterisk or down-triangle.
	Marker string
}

// SaturationLevel is the fraction of its maximum below which a saturating
// activation's derivative counts as saturated.
const SaturationLevel = 0.05

// DefaultLeakySlope is the negative-side slope of leakyrelu unless set.
const DefaultLeakySlope = 0.01

// activations is the one place an activation is defined, in the order
// reports list them. Each entry builds the activation for a given leaky
// slope (ignored by all but leakyrelu). Adding an activation is adding an
// entry here.
var activations = []struct {
	name string
	make func(slope float64) Activation
}{
	{"sigmoid", func(float64) Activation {
		// σ′ = s(1−s) = 0.05·0.25 where s = (1+√0.95)/2.
		s := (1 + math.Sqrt(1-4*SaturationLevel*0.25)) / 2
		return Activation{Apply: G.Sigmoid, Phi: sigmoid, Deriv: func(x float64) float64 { s := sigmoid(x); return s * (1 - s) },
			Saturating: true, MaxSlope: 0.25,
			SaturatesBeyond: math.Log(s / (1 - s)), Style: Style{rgb(0x00, 0x72, 0xB2), "circle"}} // blue
	}},
	{"tanh", func(float64) Activation {
		// tanh′ = 1−t² = 0.05 where t = √0.95.
		return Activation{Apply: G.Tanh, Phi: math.Tanh, Deriv: func(x float64) float64 { t := math.Tanh(x); return 1 - t*t },
			Saturating: true, MaxSlope: 1,
			SaturatesBeyond: math.Atanh(math.Sqrt(1 - SaturationLevel)), Style: Style{rgb(0xE6, 0x9F, 0x00), "box"}} // orange
	}},
	{"relu", func(float64) Activation {
		return Activation{Apply: G.Rectify, Phi: func(x float64) float64 { return math.Max(0, x) }, Deriv: step(0),
			MaxSlope: 1, Style: Style{rgb(0x00, 0x9E, 0x73), "triangle"}} // bluish green
	}},
	{"leakyrelu", func(slope float64) Activation {
		return Activation{
			Apply: func(x *G.Node) (*G.Node, error) { return G.LeakyRelu(x, slope) },
			Phi: func(x float64) float64 {
				if x > 0 {
					return x
				}
				return slope * x
			},
			Deriv:    step(slope),
			MaxSlope: math.Max(1, slope),
			Style:    Style{rgb(0xD5, 0x5E, 0x00), "cross"}, // vermillion
		}
	}},
	{"gelu", func(float64) Activation {
		// GELU's derivative Φ(x) + xφ(x) peaks where φ(x)(2−x²) = 0, at
		// x = √2, with value ≈ 1.128904.
		return Activation{Apply: GELU, Phi: func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) },
			Deriv: func(x float64) float64 {
				return 0.5*(1+math.Erf(x/math.Sqrt2)) + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
			},
			MaxSlope: 1.128904, Style: Style{rgb(0xCC, 0x79, 0xA7), "plus"}} // reddish purple
	}},
	{"silu", func(float64) Activation {
		// SiLU's derivative σ(x)(1 + x(1−σ(x))) peaks at x ≈ 2.3994 with
		// value ≈ 1.099839.
		return Activation{Apply: SiLU, Phi: func(x float64) float64 { return x * sigmoid(x) },
			Deriv:    func(x float64) float64 { s := sigmoid(x); return s * (1 + x*(1-s)) },
			MaxSlope: 1.099839, Style: Style{rgb(0x33, 0x22, 0x88), "ring"}} // indigo
	}},
	{"elu", func(float64) Activation {
		return Activation{Apply: func(x *G.Node) (*G.Node, error) { return ELU(x, 1, 1) },
			Phi: func(x float64) float64 { return elu(x, 1, 1) }, Deriv: func(x float64) float64 { return eluDeriv(x, 1, 1) },
			MaxSlope: 1, Style: Style{rgb(0x11, 0x77, 0x33), "square"}} // green
	}},
	{"selu", func(float64) Activation {
		// φ′ is λ on the right and λα·eˣ on the left, whose supremum λα is
		// approached at 0⁻.
		return Activation{Apply: func(x *G.Node) (*G.Node, error) { return ELU(x, SELUAlpha, SELULambda) },
			Phi:      func(x float64) float64 { return elu(x, SELUAlpha, SELULambda) },
			Deriv:    func(x float64) float64 { return eluDeriv(x, SELUAlpha, SELULambda) },
			MaxSlope: SELULambda * SELUAlpha, Style: Style{rgb(0x99, 0x99, 0x33), "pyramid"}} // olive
	}},
	{"softplus", func(float64) Activation {
		// φ′ = σ(x), whose supremum 1 is approached as x → ∞.
		return Activation{Apply: G.Softplus, Phi: softplus, Deriv: sigmoid,
			MaxSlope: 1, Style: Style{rgb(0xCC, 0x66, 0x77), "diamond"}} // rose
	}},
	{"mish", func(float64) Activation {
		// Mish's derivative peaks at x ≈ 1.4906 with value ≈ 1.088498.
		return Activation{Apply: Mish, Phi: func(x float64) float64 { return x * math.Tanh(softplus(x)) },
			Deriv: func(x float64) float64 {
				t := math.Tanh(softplus(x))
				return t + x*(1-t*t)*sigmoid(x)
			},
			MaxSlope: mishMaxSlope, Style: Style{rgb(0x44, 0xAA, 0x99), "asterisk"}} // teal
	}},
	{"gelu-tanh", func(float64) Activation {
		// Like GELU's, its derivative peaks near x = √2: at x ≈ 1.4185.
		return Activation{Apply: GELUTanh, Phi: func(x float64) float64 { return 0.5 * x * (1 + math.Tanh(geluTanhArg(x))) },
			Deriv: func(x float64) float64 {
				t := math.Tanh(geluTanhArg(x))
				return 0.5*(1+t) + 0.5*x*(1-t*t)*geluTanhScale*(1+3*geluTanhCubic*x*x)
			},
			MaxSlope: geluTanhMaxSlope, Style: Style{rgb(0xAA, 0x44, 0x99), "down-triangle"}} // purple
	}},
}

func rgb(r, g, b uint8) color.RGBA { return color.RGBA{R: r, G: g, B: b, A: 0xff} }

// Names returns the names of all activations in sorted order.
func Names() []string {
	names := slices.Clone(Canonical)
	sort.Strings(names)
	return names
}

// Canonical is the order in which reports list activations: the order of
// the table.
var Canonical = func() []string {
	var out []string
	for _, a := range activations {
		out = append(out, a.name)
	}
	return out
}()

// Classic are the five activations of the original study (sigmoid, tanh,
// relu, leakyrelu, gelu), in Canonical order: compare's default, which
// keeps make run's time; compare --acts all trains every activation.
var Classic = Canonical[:5:5]

// Rank returns name's position in Canonical, and false for a name that is
// no activation.
func Rank(name string) (int, bool) {
	i := slices.Index(Canonical, strings.ToLower(name))
	return i, i >= 0
}

// Lookup returns the activation called name. slope is the negative-side
// slope of leakyrelu and is ignored by the others.
func Lookup(name string, slope float64) (Activation, error) {
	i, ok := Rank(name)
	if !ok {
		return Activation{}, fmt.Errorf("unknown activation %q: use one of %s", name, strings.Join(Names(), ", "))
	}
	a := activations[i].make(slope)
	a.Name = activations[i].name
	return a, nil
}

// GELU returns the exact Gaussian error linear unit 0.5·x·(1+erf(x/√2)),
// built from an erf node.
func GELU(x *G.Node) (*G.Node, error) {
	dt := x.Dtype()
	u, err := G.Mul(x, scalar(dt, 1/math.Sqrt2))
	if err != nil {
		return nil, err
	}
	e, err := Erf(u)
	if err != nil {
		return nil, err
	}
	onePlus, err := G.Add(e, scalar(dt, 1))
	if err != nil {
		return nil, err
	}
	half, err := G.Mul(onePlus, scalar(dt, 0.5))
	if err != nil {
		return nil, err
	}
	return G.HadamardProd(x, half)
}

// The constants of SELU (Klambauer et al. 2017), that make N(0, 1) its
// fixed point under LeCun-normal weights.
const (
	SELULambda = 1.0507009873554804934193349852946
	SELUAlpha  = 1.6732632423543772848170429916717
)

// The tanh approximation of GELU: 0.5x(1+tanh(√(2/π)(x+0.044715x³))).
const (
	geluTanhCubic = 0.044715
	geluTanhScale = 0.79788456080286535587989211986876 // √(2/π)
)

// Peaks of φ′ found numerically (TestMaxSlope checks them).
const (
	mishMaxSlope     = 1.088498 // at x ≈ 1.4906
	geluTanhMaxSlope = 1.128993 // at x ≈ 1.4185
)

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softplus is log(1+eˣ) without overflow: max(x, 0) + log(1+e^−|x|).
func softplus(x float64) float64 { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) }

// step returns the derivative of a rectifier whose negative-side slope is
// slope: 1 where x ≥ 0 (Gorgonia's convention at the kink) and slope
// below.
func step(slope float64) func(float64) float64 {
	return func(x float64) float64 {
		if x >= 0 {
			return 1
		}
		return slope
	}
}

// elu is λ·x for x > 0 and λα(eˣ−1) otherwise.
func elu(x, alpha, lambda float64) float64 {
	if x > 0 {
		return lambda * x
	}
	return lambda * alpha * math.Expm1(x)
}

// eluDeriv is elu's derivative: λ for x ≥ 0 (the graph's value at the
// kink) and λα·eˣ below.
func eluDeriv(x, alpha, lambda float64) float64 {
	if x >= 0 {
		return lambda
	}
	return lambda * alpha * math.Exp(x)
}

func geluTanhArg(x float64) float64 { return geluTanhScale * (x + geluTanhCubic*x*x*x) }

// SiLU returns x·σ(x) (also called swish).
func SiLU(x *G.Node) (*G.Node, error) {
	s, err := G.Sigmoid(x)
	if err != nil {
		return nil, err
	}
	return G.HadamardProd(x, s)
}

// ELU returns λ·(max(x, 0) + α(e^min(x, 0) − 1)), ELU for α = λ = 1 and
// SELU for their SELU values. min(x, 0) is built as x − max(x, 0), so that
// at x = 0 the two terms' gradients sum to λ whichever side Rectify takes.
func ELU(x *G.Node, alpha, lambda float64) (*G.Node, error) {
	dt := x.Dtype()
	pos, err := G.Rectify(x)
	if err != nil {
		return nil, err
	}
	neg, err := G.Sub(x, pos)
	if err != nil {
		return nil, err
	}
	e, err := G.Expm1(neg)
	if err != nil {
		return nil, err
	}
	if alpha != 1 {
		if e, err = G.Mul(e, scalar(dt, alpha)); err != nil {
			return nil, err
		}
	}
	sum, err := G.Add(pos, e)
	if err != nil || lambda == 1 {
		return sum, err
	}
	return G.Mul(sum, scalar(dt, lambda))
}

// Mish returns x·tanh(softplus(x)) (Misra 2019).
func Mish(x *G.Node) (*G.Node, error) {
	sp, err := G.Softplus(x)
	if err != nil {
		return nil, err
	}
	t, err := G.Tanh(sp)
	if err != nil {
		return nil, err
	}
	return G.HadamardProd(x, t)
}

// GELUTanh returns the tanh approximation of GELU,
// 0.5·x·(1+tanh(√(2/π)(x+0.044715x³))).
func GELUTanh(x *G.Node) (*G.Node, error) {
	dt := x.Dtype()
	x2, err := G.HadamardProd(x, x)
	if err != nil {
		return nil, err
	}
	c, err := G.Mul(x2, scalar(dt, geluTanhCubic))
	if err != nil {
		return nil, err
	}
	onePlus, err := G.Add(c, scalar(dt, 1))
	if err != nil {
		return nil, err
	}
	inner, err := G.HadamardProd(x, onePlus)
	if err != nil {
		return nil, err
	}
	u, err := G.Mul(inner, scalar(dt, geluTanhScale))
	if err != nil {
		return nil, err
	}
	t, err := G.Tanh(u)
	if err != nil {
		return nil, err
	}
	t1, err := G.Add(t, scalar(dt, 1))
	if err != nil {
		return nil, err
	}
	half, err := G.Mul(t1, scalar(dt, 0.5))
	if err != nil {
		return nil, err
	}
	return G.HadamardProd(x, half)
}
