package metrics

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

func TestL2(t *testing.T) {
	for _, tc := range []struct {
		name string
		t    tensor.Tensor
		want float64
	}{
		{"float64 3-4-5", tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{3, 4})), 5},
		{"float32 matrix", tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 1, 1, 1})), 2},
		{"zeros", tensor.New(tensor.WithShape(3), tensor.WithBacking([]float64{0, 0, 0})), 0},
		// Squares of 1e30 overflow float32 but not the float64 accumulator.
		{"float32 large", tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{3e30, 4e30})), 5e30},
	} {
		got, err := L2(tc.t)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-tc.want) > 1e-6*math.Max(1, tc.want) {
			t.Errorf("%s: L2 = %v, want %v", tc.name, got, tc.want)
		}
	}
	if _, err := L2(tensor.New(tensor.WithShape(2), tensor.WithBacking([]int{1, 2}))); err == nil {
		t.Error("L2 of an int tensor succeeded")
	}
}

func TestGradNorms(t *testing.T) {
	w := []tensor.Tensor{
		tensor.New(tensor.WithShape(1, 2), tensor.WithBacking([]float64{3, 4})),
		tensor.New(tensor.WithShape(1, 1), tensor.WithBacking([]float64{1e-3})),
	}
	b := []tensor.Tensor{
		tensor.New(tensor.WithShape(1, 2), tensor.WithBacking([]float64{0, 12})),
		tensor.New(tensor.WithShape(1, 1), tensor.WithBacking([]float64{0})),
	}
	named := func(w, b []tensor.Tensor) []Named {
		var out []Named
		for i := range w {
			out = append(out, Named{i, Weight, w[i]})
			if i < len(b) {
				out = append(out, Named{i, Bias, b[i]})
			}
		}
		return out
	}
	n, err := GradNorms(named(w, b))
	if err != nil {
		t.Fatal(err)
	}
	wantW, wantB, global := []float64{5, 1e-3}, []float64{12, 0}, math.Sqrt(25+144+1e-6)
	gotW, gotB := n.Of(Weight), n.Of(Bias)
	for i := range wantW {
		if math.Abs(gotW[i]-wantW[i]) > 1e-15 || math.Abs(gotB[i]-wantB[i]) > 1e-15 {
			t.Errorf("layer %d: got %v/%v, want %v/%v", i, gotW[i], gotB[i], wantW[i], wantB[i])
		}
	}
	if len(n.Params) != 4 || n.Params[1] != (Norm{0, Bias, 12}) {
		t.Errorf("norms not in parameter order: %+v", n.Params)
	}
	if math.Abs(n.Global-global) > 1e-12 || math.Abs(n.Ratio()-5000) > 1e-9 || !n.Finite() {
		t.Errorf("global %v ratio %v", n.Global, n.Ratio())
	}
	w[0].Data().([]float64)[0] = math.NaN()
	if n, _ := GradNorms(named(w, b)); n.Finite() {
		t.Error("norms with a NaN reported finite")
	}
	// A layer with a weight and no bias: kinds are per parameter.
	if n, _ := GradNorms(named(w, b[:1])); len(n.Of(Bias)) != 1 || len(n.Of(Weight)) != 2 {
		t.Errorf("a layer without bias: %+v", n.Params)
	}
	if _, err := GradNorms([]Named{{0, Weight, tensor.New(tensor.WithShape(1), tensor.WithBacking([]int{1}))}}); err == nil {
		t.Error("an int gradient accepted")
	}
}

func TestScores(t *testing.T) {
	logits := tensor.New(tensor.WithShape(3, 3), tensor.WithBacking([]float32{
		2, 1, 0,
		0, 0, 5,
		1, 1, 1, // padding row, not scored
	}))
	correct, loss, err := Scores(logits, []uint8{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	lse := func(xs ...float64) float64 {
		var s float64
		for _, x := range xs {
			s += math.Exp(x)
		}
		return math.Log(s)
	}
	want := (lse(2, 1, 0) - 2) + (lse(0, 0, 5) - 0)
	if correct != 1 || math.Abs(loss-want) > 1e-6 {
		t.Errorf("Scores = %d, %v; want 1, %v", correct, loss, want)
	}
	if _, _, err := Scores(logits, []uint8{0, 0, 0, 0}); err == nil {
		t.Error("more labels than rows accepted")
	}
}

func TestActStats(t *testing.T) {
	// 3 examples × 4 units; unit 1 is ≤ 0 for every example, unit 3 too.
	h := tensor.New(tensor.WithShape(3, 4), tensor.WithBacking([]float64{
		1, -1, 5, 0,
		-2, -3, 0.5, -1,
		3, 0, -6, -2,
	}))
	for _, tc := range []struct {
		name      string
		beyond    float64
		countDead bool
		sat, dead float64
	}{
		{"saturating", 2.5, false, 4.0 / 12, 0}, // 5, -3, 3, -6
		{"rectifier", 0, true, 0, 0.5},
	} {
		s, err := ActStats(h, tc.beyond, tc.countDead)
		if err != nil {
			t.Fatal(err)
		}
		mean := (1 - 1 + 5 + 0 - 2 - 3 + 0.5 - 1 + 3 + 0 - 6 - 2) / 12.0
		if math.Abs(s.Mean-mean) > 1e-12 || s.Saturated != tc.sat || s.Dead != tc.dead {
			t.Errorf("%s: got %+v, want mean %v saturated %v dead %v", tc.name, s, mean, tc.sat, tc.dead)
		}
	}
	if _, err := ActStats(tensor.New(tensor.WithShape(4), tensor.WithBacking([]float64{1, 2, 3, 4})), 0, true); err == nil {
		t.Error("vector accepted")
	}
}

func TestGainAndVerdict(t *testing.T) {
	geo := func(g float64, n int) []float64 {
		w := make([]float64, n)
		for i := range w {
			w[i] = math.Pow(g, float64(n-1-i)) // w[i]/w[i+1] = g
		}
		return w
	}
	for _, tc := range []struct {
		name string
		w    []float64
		gain float64
		want Verdict
	}{
		{"vanishing", geo(0.25, 22), 0.25, Vanishing},
		{"healthy", geo(1, 22), 1, Healthy},
		{"healthy shrinking", geo(0.9, 22), 0.9, Healthy},
		{"exploding", geo(2, 22), 2, Exploding},
		{"too shallow", []float64{1, 2, 3}, math.NaN(), Unknown},
		{"zero norm", append([]float64{1, 0}, geo(1, 5)...), math.NaN(), Unknown},
	} {
		g := Gain(tc.w)
		if !(math.IsNaN(g) && math.IsNaN(tc.gain)) && math.Abs(g-tc.gain) > 1e-9 {
			t.Errorf("%s: gain %v, want %v", tc.name, g, tc.gain)
		}
		if v := Judge(g); v != tc.want {
			t.Errorf("%s: verdict %s, want %s", tc.name, v, tc.want)
		}
	}
	// The output and first layers are left out: only hidden 1…n-2 count.
	w := geo(1, 10)
	w[0], w[9] = 1e-9, 1e9
	if g := Gain(w); math.Abs(g-1) > 1e-12 {
		t.Errorf("gain %v depends on the first or output layer", g)
	}
}

func TestRelDiff(t *testing.T) {
	for _, c := range []struct {
		a, b, want float64
	}{
		{1, 1, 0},
		{0, 0, 0},
		{1, 1.01, 0.01 / 1.01},
		{-2, 2, 2},
		{0, 1e-30, 1},
		{1e-12, 1.1e-12, 0.1 / 1.1},
	} {
		if got := RelDiff(c.a, c.b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("RelDiff(%g, %g) = %g, want %g", c.a, c.b, got, c.want)
		}
	}
	if !math.IsNaN(RelDiff(math.NaN(), 1)) || !math.IsNaN(RelDiff(math.Inf(1), 1)) {
		t.Error("RelDiff of a non-finite value is not NaN")
	}
}

func TestLogHist(t *testing.T) {
	g := tensor.New(tensor.WithShape(7), tensor.WithBacking([]float32{0, 0, 1, -1, 0.5, 1e-3, float32(math.NaN())}))
	bins, err := LogHist(g)
	if err != nil {
		t.Fatal(err)
	}
	// 0.5: log10 = -0.30103, bin -0.4 … -0.3; 1e-3 in float32 is just
	// below 1e-3 or at it: bin -3.1 … -3 or -3 … -2.9.
	var got []string
	for _, b := range bins {
		got = append(got, fmt.Sprintf("%v..%v:%d", b.Lo, b.Hi, b.Count))
	}
	want1 := "-Inf..-Inf:2 -3.1..-3:1 -0.4..-0.3:1 0..0.1:2"
	want2 := "-Inf..-Inf:2 -3..-2.9:1 -0.4..-0.3:1 0..0.1:2"
	if s := strings.Join(got, " "); s != want1 && s != want2 {
		t.Errorf("bins %s", s)
	}
	if !bins[0].Zero() || bins[1].Zero() {
		t.Error("Zero")
	}
}
