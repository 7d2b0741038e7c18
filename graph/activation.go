package graph

import (
	"fmt"
	"math"
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
}

// SaturationLevel is the fraction of its maximum below which a saturating
// activation's derivative counts as saturated.
const SaturationLevel = 0.05

// DefaultLeakySlope is the negative-side slope of leakyrelu unless set.
const DefaultLeakySlope = 0.01

// activations is the one place an activation is defined. Each entry builds
// the activation for a given leaky slope (ignored by all but leakyrelu).
var activations = map[string]func(slope float64) Activation{
	"sigmoid": func(float64) Activation {
		// σ′ = s(1−s) = 0.05·0.25 where s = (1+√0.95)/2.
		s := (1 + math.Sqrt(1-4*SaturationLevel*0.25)) / 2
		return Activation{Name: "sigmoid", Apply: G.Sigmoid, Saturating: true, MaxSlope: 0.25,
			SaturatesBeyond: math.Log(s / (1 - s))}
	},
	"tanh": func(float64) Activation {
		// tanh′ = 1−t² = 0.05 where t = √0.95.
		return Activation{Name: "tanh", Apply: G.Tanh, Saturating: true, MaxSlope: 1,
			SaturatesBeyond: math.Atanh(math.Sqrt(1 - SaturationLevel))}
	},
	"relu": func(float64) Activation {
		return Activation{Name: "relu", Apply: G.Rectify, MaxSlope: 1}
	},
	"leakyrelu": func(slope float64) Activation {
		return Activation{
			Name:     "leakyrelu",
			Apply:    func(x *G.Node) (*G.Node, error) { return G.LeakyRelu(x, slope) },
			MaxSlope: math.Max(1, slope),
		}
	},
	"gelu": func(float64) Activation {
		// GELU's derivative peaks at x ≈ 0.7518 with value ≈ 1.1289.
		return Activation{Name: "gelu", Apply: GELU, MaxSlope: 1.1289}
	},
}

// Names returns the names of all activations in sorted order.
func Names() []string {
	names := make([]string, 0, len(activations))
	for n := range activations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Canonical is the order in which reports list activations.
var Canonical = []string{"sigmoid", "tanh", "relu", "leakyrelu", "gelu"}

// Lookup returns the activation called name. slope is the negative-side
// slope of leakyrelu and is ignored by the others.
func Lookup(name string, slope float64) (Activation, error) {
	mk, ok := activations[strings.ToLower(name)]
	if !ok {
		return Activation{}, fmt.Errorf("unknown activation %q: use one of %s", name, strings.Join(Names(), ", "))
	}
	return mk(slope), nil
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
