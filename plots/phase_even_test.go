package plots

import "testing"

func TestEvenly(t *testing.T) {
	for _, tc := range []struct {
		vs   []float64
		want bool
	}{
		{[]float64{1}, true},
		{[]float64{1, 3}, true},
		{[]float64{0.5, 1, 1.5, 2}, true},
		{[]float64{1, 1.25, 1.5, 1.75, 2, 2.5}, false},
		{[]float64{10, 25, 50, 100}, false},
	} {
		if got := evenly(tc.vs); got != tc.want {
			t.Errorf("evenly(%v) = %v, want %v", tc.vs, got, tc.want)
		}
	}
}
