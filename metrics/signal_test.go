package metrics

import (
	"math"
	"testing"

	"gorgonia.org/tensor"
)

// TestJudgeSignal checks the verdict on both signals: the gradient's
// reading alone while the forward signal is healthy or unmeasured, both
// when it is not, coloured by the worse of the two.
func TestJudgeSignal(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		gain, forward float64
		want          string
		class         Verdict
	}{
		{1, 1, "healthy", Healthy},
		{1, nan, "healthy", Healthy},
		{1.02, 0.71, "healthy gradients, vanishing forward signal", Vanishing},
		{0.99, 1.7, "healthy gradients, exploding forward signal", Exploding},
		{0.23, 1, "vanishing", Vanishing},
		{0.23, nan, "vanishing", Vanishing},
		{0.23, 1.7, "vanishing gradients, exploding forward signal", Vanishing},
		{2, 0.5, "exploding gradients, vanishing forward signal", Exploding},
		{nan, 0.5, "vanishing forward signal", Vanishing},
		{nan, nan, "n/a", Unknown},
		{VanishingBelow, ExplodingAbove, "healthy", Healthy}, // the bounds are healthy
	} {
		s := JudgeSignal(tc.gain, tc.forward)
		if s.String() != tc.want || s.Class() != tc.class {
			t.Errorf("JudgeSignal(%v, %v) = %q class %q, want %q class %q", tc.gain, tc.forward, s, s.Class(), tc.want, tc.class)
		}
	}
}

// TestSignalGains checks the forward and error gains: geometric means of
// the adjacent ratios over every hidden layer, the forward one read
// toward the output and the error one toward the input.
func TestSignalGains(t *testing.T) {
	geo := func(g float64, n int) []float64 { // x[l+1]/x[l] = g
		x := make([]float64, n)
		for i := range x {
			x[i] = 3 * math.Pow(g, float64(i))
		}
		return x
	}
	for _, tc := range []struct {
		name           string
		x              []float64
		forward, error float64
	}{
		{"shrinking toward the output", geo(1/1.4, 20), 1 / 1.4, 1.4},
		{"flat", geo(1, 5), 1, 1},
		{"growing", geo(1.7, 50), 1.7, 1 / 1.7},
		{"two layers", []float64{2, 1}, 0.5, 2},
		{"one layer", []float64{2}, math.NaN(), math.NaN()},
		{"zero", []float64{1, 2, 0}, math.NaN(), math.NaN()},
		{"infinite", []float64{math.Inf(1), 1}, math.NaN(), math.NaN()},
		{"NaN end", []float64{1, math.NaN()}, math.NaN(), math.NaN()},
	} {
		f, e := ForwardGain(tc.x), ErrorGain(tc.x)
		same := func(a, b float64) bool { return math.IsNaN(a) && math.IsNaN(b) || math.Abs(a-b) < 1e-12*math.Abs(b) }
		if !same(f, tc.forward) || !same(e, tc.error) {
			t.Errorf("%s: forward gain %v, error gain %v; want %v, %v", tc.name, f, e, tc.forward, tc.error)
		}
	}
}

func TestRMS(t *testing.T) {
	for _, tc := range []struct {
		t    tensor.Tensor
		want float64
	}{
		{tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{3, -4, 0, 0})), 2.5},
		{tensor.New(tensor.WithShape(1, 3), tensor.WithBacking([]float64{1e30, -1e30, 1e30})), 1e30},
		{tensor.New(tensor.WithShape(1, 2), tensor.WithBacking([]float64{-2, 2})), 2},
	} {
		got, err := RMS(tc.t)
		if err != nil || math.Abs(got-tc.want) > 1e-12*tc.want {
			t.Errorf("RMS(%v) = %v, %v; want %v", tc.t.Data(), got, err, tc.want)
		}
	}
	if _, err := RMS(tensor.New(tensor.WithShape(2), tensor.WithBacking([]int{1, 2}))); err == nil {
		t.Error("an int tensor gave no error")
	}
}
