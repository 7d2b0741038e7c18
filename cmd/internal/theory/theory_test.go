package theory

import (
	"slices"
	"testing"
)

func TestParseValues(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []float64
	}{
		{"1.76", []float64{1.76}},
		{"1, 1.76,3", []float64{1, 1.76, 3}},
		{"0.5:1:0.25", []float64{0.5, 0.75, 1}},
		{"0.5:0.8:0.05", []float64{0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8}},
		{"2:2:1", []float64{2}},
	} {
		got, err := ParseValues(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseValues(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "0", "-1", "x", "NaN", "Inf", "1,,2", "3:1:1", "1:2:0", "1:2:-1", "0:1:0.5", "0:1e6:1e-3"} {
		if got, err := ParseValues(in); err == nil {
			t.Errorf("ParseValues(%q) = %v, want an error", in, got)
		}
	}
}
