package models

import (
	"math"
	"testing"

	"github.com/gradbench/gradbench/graph"
)

func TestMeanField(t *testing.T) {
	for _, name := range graph.Names() {
		a, err := MeanField(name, 0.2)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		g, _ := graph.Lookup(name, 0.2)
		if a.Phi == nil || a.DPhi == nil || a.Phi(0.7) != g.Phi(0.7) || a.DPhi(-0.3) != g.Deriv(-0.3) {
			t.Errorf("%s: φ, φ′ not graph's", name)
		}
		scale := name == "relu" || name == "leakyrelu"
		if a.ScaleInvariant != scale || a.KinkAtZero != (name == "elu" || name == "selu") {
			t.Errorf("%s: scale invariant %v, kinked %v", name, a.ScaleInvariant, a.KinkAtZero)
		}
		if want := map[bool]float64{true: 0.2, false: 0}[name == "leakyrelu"]; a.NegSlope != want {
			t.Errorf("%s: negative slope %v, want %v", name, a.NegSlope, want)
		}
	}
	if a, _ := MeanField("tanh", 0); math.Abs(a.Phi(0.5)-math.Tanh(0.5)) > 0 {
		t.Errorf("tanh φ(0.5) = %v", a.Phi(0.5))
	}
	if _, err := MeanField("nope", 0); err == nil {
		t.Error("unknown activation: no error")
	}
}
