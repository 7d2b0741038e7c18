package models

import (
	"github.com/gradbench/gradbench/graph"
	"github.com/gradbench/gradbench/metrics/meanfield"
)

// MeanField returns the activation called name (slope is leakyrelu's
// negative-side slope) as the mean-field theory reads it: its scalar φ and
// φ′ from the activation table, and the closed forms for the
// scale-invariant rectifiers relu and leakyrelu; elu and selu, whose φ′ is
// not smooth at 0, flagged KinkAtZero (split quadrature).
func MeanField(name string, slope float64) (meanfield.Activation, error) {
	a, err := graph.Lookup(name, slope)
	if err != nil {
		return meanfield.Activation{}, err
	}
	m := meanfield.Activation{Phi: a.Phi, DPhi: a.Deriv}
	switch a.Name {
	case "relu":
		m.ScaleInvariant = true
	case "leakyrelu":
		m.ScaleInvariant, m.NegSlope = true, slope
	case "elu", "selu":
		m.KinkAtZero = true
	}
	return m, nil
}
