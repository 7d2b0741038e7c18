package metrics

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"gorgonia.org/tensor"
)

// Grads are the gradients of one logged step, by parameter, before
// clipping. The tensors are the graph's own: they are valid only during
// the call they are passed to.
type Grads struct {
	Step int
	// First and Last mark the run's first and last step.
	First, Last bool
	Params      []Named
}

// BinsPerDecade is the resolution of LogHist: a bin is a tenth of a
// decade of |g|.
const BinsPerDecade = 10

// HistBin is one bin of the distribution of log10 |g| over one
// parameter's gradient at one step: Count values with Lo ≤ log10 |g| < Hi.
// The values that are exactly zero have a bin of their own, with Lo and Hi
// −Inf. Values that are not finite are left out.
type HistBin struct {
	Step, Layer int
	Kind        string
	Lo, Hi      float64
	Count       int64
}

// Zero reports whether b counts the values that are exactly zero.
func (b HistBin) Zero() bool { return math.IsInf(b.Lo, -1) }

// LogHist returns the non-empty bins of log10 |x| over t's elements, at
// BinsPerDecade bins per decade (bin k holds k/10 ≤ log10 |x| < (k+1)/10),
// zeros first, then by increasing |x|. The bins hold no step, layer or
// kind.
func LogHist(t tensor.Tensor) ([]HistBin, error) {
	var zeros int64
	counts := map[int]int64{}
	add := func(x float64) {
		switch {
		case x == 0:
			zeros++
		case !math.IsNaN(x) && !math.IsInf(x, 0):
			counts[int(math.Floor(math.Log10(math.Abs(x))*BinsPerDecade))]++
		}
	}
	switch d := t.Data().(type) {
	case []float32:
		for _, x := range d {
			add(float64(x))
		}
	case []float64:
		for _, x := range d {
			add(x)
		}
	default:
		return nil, fmt.Errorf("histogram: unsupported dtype %v", t.Dtype())
	}
	var out []HistBin
	if zeros > 0 {
		out = append(out, HistBin{Lo: math.Inf(-1), Hi: math.Inf(-1), Count: zeros})
	}
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		out = append(out, HistBin{Lo: float64(k) / BinsPerDecade, Hi: float64(k+1) / BinsPerDecade, Count: counts[k]})
	}
	return out, nil
}
