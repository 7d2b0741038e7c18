package models

import (
	"github.com/gradbench/gradbench/graph"
	"github.com/gradbench/gradbench/metrics/meanfield"
)

// MeanField returns the activation called name (slope is leakyrelu's
// negative-side slope) as the mean-field theory reads it: its scalar φ and
// φ′ from the activation table, and the closed forms for the
// scale-invariant rectifiers relu and leakyrelu.
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
	}
	return m, nil
}
