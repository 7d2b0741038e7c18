package metrics

import (
	"math"
)

// Gap is the largest disagreement of one quantity between two runs.
type Gap struct {
	// Rel is the largest relative difference |a−b| / max(|a|, |b|), 0 where
	// both are 0.
	Rel float64 `json:"rel"`
	// Where names the value it was found at, e.g. "step 3 layer 0 weight".
	Where string `json:"where"`
	// A and B are the two values there.
	A float64 `json:"a"`
	B float64 `json:"b"`
}

// Add keeps a and b, found at where(), if their gap is the largest so far.
func (g *Gap) Add(a, b float64, where func() string) {
	r := RelDiff(a, b)
	if g.Where == "" || r > g.Rel || (math.IsNaN(r) && !math.IsNaN(g.Rel)) {
		*g = Gap{Rel: r, Where: where(), A: a, B: b}
	}
}

// RelDiff is |a−b| / max(|a|, |b|), 0 when a == b, and NaN when either is
// not finite and they differ.
func RelDiff(a, b float64) float64 {
	if a == b {
		return 0
	}
	if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return math.NaN()
	}
	return math.Abs(a-b) / math.Max(math.Abs(a), math.Abs(b))
}

// Diff compares two runs of the same configuration step by step: the
// training loss and every layer's weight and bias gradient norm.
type Diff struct {
	// Steps is the number of logged steps compared.
	Steps int `json:"steps"`
	// FirstLoss and FirstNorm are the gaps at the first logged step, where
	// both runs start from the same weights: they measure the arithmetic
	// alone, before any difference can feed back through the updates.
	FirstLoss Gap `json:"first_loss"`
	FirstNorm Gap `json:"first_norm"`
	// Loss and Norm are the gaps over every compared step.
	Loss Gap `json:"loss"`
	Norm Gap `json:"norm"`
}

// Within reports whether every gap of d is at most rtol.
func (d Diff) Within(rtol float64) bool {
	for _, g := range []Gap{d.FirstLoss, d.FirstNorm, d.Loss, d.Norm} {
		if !(g.Rel <= rtol) {
			return false
		}
	}
	return true
}
