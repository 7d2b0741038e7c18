package jacobian

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/gradbench/gradbench/metrics"
	"gonum.org/v1/gonum/mat"
)

// Layer is one layer of the map whose Jacobian is taken, for one input:
// z = Wᵀh + b and h′ = φ(z), plus h when Residual. W is fan-in × fan-out,
// as a graph stores it; Slope holds φ′(z) for each of its fan-out units.
type Layer struct {
	W        mat.Matrix
	Slope    []float64
	Residual bool
}

// Of returns the Jacobian of the composition of layers, first layer
// first, with respect to the first layer's input h_0:
// J = ∂h_L/∂h_0 = Π_{l=L…1} (R_l + D_l W_lᵀ), D_l = diag(Slope_l) and
// R_l the identity for a residual layer, else zero. J has as many rows as
// the last layer has units and as many columns as the first has inputs.
func Of(layers []Layer) (*mat.Dense, error) {
	if len(layers) == 0 {
		return nil, errors.New("jacobian: no layers")
	}
	var j *mat.Dense
	for l, ly := range layers {
		in, out := ly.W.Dims()
		if len(ly.Slope) != out {
			return nil, fmt.Errorf("jacobian: layer %d has %d units and %d slopes", l, out, len(ly.Slope))
		}
		if ly.Residual && in != out {
			return nil, fmt.Errorf("jacobian: layer %d is residual but %d × %d", l, in, out)
		}
		var next mat.Dense
		if j == nil {
			next.CloneFrom(ly.W.T())
		} else {
			if r, _ := j.Dims(); r != in {
				return nil, fmt.Errorf("jacobian: layer %d takes %d inputs, the layer before gives %d", l, in, r)
			}
			next.Mul(ly.W.T(), j)
		}
		r, _ := next.Dims()
		for i := range r {
			row := next.RawRowView(i)
			for k := range row {
				row[k] *= ly.Slope[i]
			}
		}
		if ly.Residual {
			if j == nil {
				for i := range r {
					next.Set(i, i, next.At(i, i)+1)
				}
			} else {
				next.Add(&next, j)
			}
		}
		j = &next
	}
	return j, nil
}

// SingularValues returns the singular values of j, largest first.
func SingularValues(j mat.Matrix) ([]float64, error) {
	var svd mat.SVD
	if !svd.Factorize(j, mat.SVDNone) {
		return nil, errors.New("jacobian: the singular value decomposition did not converge")
	}
	return svd.Values(nil), nil
}

// Resolution returns the size below which the singular values sv of one
// Jacobian (all of them, any order) are indistinguishable from zero in
// float64: n·ε·max σ, n their number and ε the machine epsilon, the
// accuracy of an SVD relative to the largest singular value.
func Resolution(sv []float64) float64 {
	return float64(len(sv)) * 0x1p-52 * slices.Max(append([]float64{0}, sv...))
}

// Summary describes singular values σ pooled over the inputs the
// Jacobian was taken at. Isometry is MeanSq near 1 with Max/Min and Std
// small: the more concentrated, the more a signal keeps its shape
// through the layers.
type Summary struct {
	// Examples is the number of inputs, Layers the number of layers the
	// Jacobian spans, Values the number of singular values pooled.
	Examples, Layers, Values int
	// Unresolved counts the singular values below their example's
	// resolution (Resolution): float64 arithmetic cannot tell them from
	// zero, and their size is not meaningful beyond being that small.
	Unresolved int
	// MeanSq is the mean of σ² (the normalised squared Frobenius norm,
	// which the mean-field χ predicts per layer), Max, Min and Median are
	// those of σ, Std is σ's standard deviation and Spread is Max / Min
	// (+Inf when Min is 0). All are NaN without values.
	MeanSq, Max, Min, Median, Std, Spread float64
	// Log10Std is the standard deviation of log10 σ over the resolved
	// values: 0 when all are equal (isometry up to scale), 1 when they
	// spread by a decade either way; NaN without resolved values.
	Log10Std float64
}

// Summarise returns the summary of the singular values sv, one slice per
// example, of Jacobians spanning layers layers.
func Summarise(sv [][]float64, layers int) Summary {
	var all, logs []float64
	for _, s := range sv {
		all = append(all, s...)
		floor := Resolution(s)
		for _, x := range s {
			if x >= floor && x > 0 {
				logs = append(logs, math.Log10(x))
			}
		}
	}
	s := Summary{Examples: len(sv), Layers: layers, Values: len(all), Unresolved: len(all) - len(logs), Log10Std: math.NaN()}
	if len(logs) > 0 {
		var m, v float64
		for _, x := range logs {
			m += x
		}
		m /= float64(len(logs))
		for _, x := range logs {
			v += (x - m) * (x - m)
		}
		s.Log10Std = math.Sqrt(v / float64(len(logs)))
	}
	if len(all) == 0 {
		nan := math.NaN()
		s.MeanSq, s.Max, s.Min, s.Median, s.Std, s.Spread = nan, nan, nan, nan, nan, nan
		return s
	}
	slices.Sort(all)
	var sum, sumSq float64
	for _, x := range all {
		sum += x
		sumSq += x * x
	}
	n := float64(len(all))
	mean := sum / n
	var dev float64
	for _, x := range all {
		dev += (x - mean) * (x - mean)
	}
	s.MeanSq = sumSq / n
	s.Min, s.Max = all[0], all[len(all)-1]
	s.Median = metrics.Median(all)
	s.Std = math.Sqrt(dev / n)
	s.Spread = s.Max / s.Min
	return s
}
