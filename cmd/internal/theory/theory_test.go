package theory

import (
	"math"
	"slices"
	"testing"
)

func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		in     string
		want   []float64
		ranged bool
		bad    bool
	}{
		{in: "1.76", want: []float64{1.76}},
		{in: "0.5:1.5:0.25", want: []float64{0.5, 0.75, 1, 1.25, 1.5}, ranged: true},
		// TO is reached within rounding (0.1 steps do not add up exactly).
		{in: "1:1.3:0.1", want: []float64{1, 1.1, 1.2, 1.3}, ranged: true},
		{in: "2:2:1", want: []float64{2}, ranged: true},
		{in: "0", bad: true},
		{in: "-1", bad: true},
		{in: "x", bad: true},
		{in: "1:2", bad: true},
		{in: "2:1:0.5", bad: true},
		{in: "1:2:0", bad: true},
		{in: "0:2:0.5", bad: true},
		{in: "1:1000:0.01", bad: true},
		{in: "1:NaN:0.5", bad: true},
	} {
		got, ranged, err := ParseRange(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: no error", tc.in)
			}
			continue
		}
		if err != nil || ranged != tc.ranged || !slices.EqualFunc(got, tc.want, func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }) {
			t.Errorf("%q: %v %v %v, want %v %v", tc.in, got, ranged, err, tc.want, tc.ranged)
		}
	}
}
