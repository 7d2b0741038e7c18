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
	// Saturating is true for activations whose derivative tends to zero on
	// both sides (sigmoid, tanh); false for the rectifier family.
	Saturating bool
	// MaxSlope is the largest value of φ′ over the real line.
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
	// Color is the line colour (the Okabe–Ito colour-blind-safe palette).
	Color color.RGBA
	// Marker names the point marker, so that lines lying on top of each
	// other stay distinguishable: circle, box, triangle, cross or plus.
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
		return Activation{Apply: G.Sigmoid, Saturating: true, MaxSlope: 0.25,
			SaturatesBeyond: math.Log(s / (1 - s)), Style: Style{rgb(0x00, 0x72, 0xB2), "circle"}} // blue
	}},
	{"tanh", func(float64) Activation {
		// tanh′ = 1−t² = 0.05 where t = √0.95.
		return Activation{Apply: G.Tanh, Saturating: true, MaxSlope: 1,
			SaturatesBeyond: math.Atanh(math.Sqrt(1 - SaturationLevel)), Style: Style{rgb(0xE6, 0x9F, 0x00), "box"}} // orange
	}},
	{"relu", func(float64) Activation {
		return Activation{Apply: G.Rectify, MaxSlope: 1, Style: Style{rgb(0x00, 0x9E, 0x73), "triangle"}} // bluish green
	}},
	{"leakyrelu", func(slope float64) Activation {
		return Activation{
			Apply:    func(x *G.Node) (*G.Node, error) { return G.LeakyRelu(x, slope) },
			MaxSlope: math.Max(1, slope),
			Style:    Style{rgb(0xD5, 0x5E, 0x00), "cross"}, // vermillion
		}
	}},
	{"gelu", func(float64) Activation {
		// GELU's derivative peaks at x ≈ 0.7518 with value ≈ 1.1289.
		return Activation{Apply: GELU, MaxSlope: 1.1289, Style: Style{rgb(0xCC, 0x79, 0xA7), "plus"}} // reddish purple
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
