package models

import (
	"github.com/gradbench/gradbench/graph"
	"github.com/gradbench/gradbench/metrics/meanfield"
)

// MeanField returns the activation name (with leakyrelu's negative slope)
// as metrics/meanfield takes it: its scalar φ and φ′ from the graph
// package's table, and relu and leakyrelu flagged scale-invariant so that
// their quantities are exact, and elu and selu (whose φ′ jumps at 0)
// flagged KinkAtZero.
func MeanField(name string, slope float64) (meanfield.Activation, error) {
	a, err := graph.Lookup(name, slope)
	if err != nil {
		return meanfield.Activation{}, err
	}
	mf := meanfield.Activation{Phi: a.Phi, DPhi: a.Deriv}
	switch name {
	case "relu":
		mf.ScaleInvariant = true
	case "leakyrelu":
		mf.ScaleInvariant, mf.NegSlope = true, slope
	case "elu", "selu":
		mf.KinkAtZero = true
	}
	return mf, nil
}
