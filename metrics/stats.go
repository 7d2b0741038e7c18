package metrics

import (
	"fmt"
	"math"
	"slices"

	"github.com/gradbench/gradbench/graph/values"
	"gorgonia.org/tensor"
)

// ActStats returns the statistics of one hidden layer's pre-activations h,
// a (batch × units) matrix. A pre-activation counts as saturated when
// saturatesBeyond > 0 and |h| > saturatesBeyond; when countDead is true, a
// unit counts as dead when its h ≤ 0 for every row of the batch.
func ActStats(h tensor.Tensor, saturatesBeyond float64, countDead bool) (Stats, error) {
	s := h.Shape()
	if len(s) != 2 || s[0] == 0 || s[1] == 0 {
		return Stats{}, fmt.Errorf("activation stats: shape %v, want a non-empty matrix", s)
	}
	if d, ok := values.Float32s(h); ok {
		return actStats(d, s[0], s[1], saturatesBeyond, countDead), nil
	}
	if d, ok := values.Float64s(h); ok {
		return actStats(d, s[0], s[1], saturatesBeyond, countDead), nil
	}
	return Stats{}, fmt.Errorf("activation stats: unsupported dtype %v", h.Dtype())
}

// actStats computes ActStats over a rows × cols matrix in its own element
// type, accumulating in float64, without copying it.
func actStats[T float32 | float64](xs []T, rows, cols int, saturatesBeyond float64, countDead bool) Stats {
	var sum, sumSq float64
	var saturated int
	for _, x := range xs {
		v := float64(x)
		sum += v
		if saturatesBeyond > 0 && math.Abs(v) > saturatesBeyond {
			saturated++
		}
	}
	n := float64(len(xs))
	mean := sum / n
	for _, x := range xs {
		v := float64(x)
		sumSq += (v - mean) * (v - mean)
	}
	st := Stats{Mean: mean, Std: math.Sqrt(sumSq / n), Saturated: float64(saturated) / n}
	if countDead {
		dead := 0
		for j := 0; j < cols; j++ {
			alive := false
			for i := 0; i < rows && !alive; i++ {
				alive = xs[i*cols+j] > 0
			}
			if !alive {
				dead++
			}
		}
		st.Dead = float64(dead) / float64(cols)
	}
	return st
}

// RMS returns the root mean square of the elements of t, accumulated in
// float64 without copying t.
func RMS(t tensor.Tensor) (float64, error) {
	if d, ok := values.Float32s(t); ok {
		return rms(d), nil
	}
	if d, ok := values.Float64s(t); ok {
		return rms(d), nil
	}
	return 0, fmt.Errorf("rms: unsupported dtype %v", t.Dtype())
}

func rms[T float32 | float64](xs []T) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var sum float64
	for _, x := range xs {
		sum += float64(x) * float64(x)
	}
	return math.Sqrt(sum / float64(len(xs)))
}

// Median returns the median of xs (which it sorts), 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}
