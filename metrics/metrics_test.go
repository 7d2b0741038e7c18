package metrics

import (
	"math"
	"os"
	"path/filepath"
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
	n, err := GradNorms(w, b)
	if err != nil {
		t.Fatal(err)
	}
	want := Norms{Weight: []float64{5, 1e-3}, Bias: []float64{12, 0}, Global: math.Sqrt(25 + 144 + 1e-6)}
	for i := range want.Weight {
		if math.Abs(n.Weight[i]-want.Weight[i]) > 1e-15 || math.Abs(n.Bias[i]-want.Bias[i]) > 1e-15 {
			t.Errorf("layer %d: got %v/%v, want %v/%v", i, n.Weight[i], n.Bias[i], want.Weight[i], want.Bias[i])
		}
	}
	if math.Abs(n.Global-want.Global) > 1e-12 || math.Abs(n.Ratio()-5000) > 1e-9 || !n.Finite() {
		t.Errorf("global %v ratio %v", n.Global, n.Ratio())
	}
	w[0].Data().([]float64)[0] = math.NaN()
	if n, _ := GradNorms(w, b); n.Finite() {
		t.Error("norms with a NaN reported finite")
	}
	if _, err := GradNorms(w, b[:1]); err == nil {
		t.Error("mismatched layers accepted")
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

func TestRecorder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	r, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := Norms{Weight: []float64{0.5, 1e-9}, Bias: []float64{0.25, 0}, Global: 0.75}
	if err := r.Step(Step{Step: 1, Epoch: 1, Loss: 2.302585092994046, BatchAcc: 0.125, Norms: n, Clipped: 0.5, Elapsed: 0.5}); err != nil {
		t.Fatal(err)
	}
	if err := r.Epoch(Epoch{Epoch: 1, Step: 1, TrainLoss: 2.3, TestLoss: 2.2, TestAccuracy: 0.5}); err != nil {
		t.Fatal(err)
	}
	// Files are complete before Close.
	for name, want := range map[string]string{
		MetricsFile:   "step,epoch,loss,batch_acc,grad_norm,grad_norm_clipped,elapsed_s\n1,1,2.302585092994046,0.125,0.75,0.5,0.500\n",
		GradNormsFile: "step,layer,param,l2\n1,0,weight,0.5\n1,0,bias,0.25\n1,1,weight,1e-09\n1,1,bias,0\n",
		EpochsFile:    "epoch,step,train_loss,test_loss,test_accuracy\n1,1,2.3,2.2,0.5\n",
	} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want {
			t.Errorf("%s:\n%s\nwant\n%s", name, b, want)
		}
	}
	offsets, err := r.Offsets()
	if err != nil {
		t.Fatal(err)
	}
	r.Step(Step{Step: 2, Epoch: 1, Norms: n})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopen cuts the step-2 rows and appends after step 1.
	r, err = Reopen(dir, offsets)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Step(Step{Step: 3, Epoch: 1, Norms: n}); err != nil {
		t.Fatal(err)
	}
	r.Close()
	b, _ := os.ReadFile(filepath.Join(dir, GradNormsFile))
	if strings.Contains(string(b), "\n2,") || !strings.Contains(string(b), "\n1,0,weight") || !strings.Contains(string(b), "\n3,0,weight") {
		t.Errorf("after Reopen:\n%s", b)
	}
	// A file shorter than its offset is refused, and nothing is cut.
	offsets[MetricsFile] = 1 << 20
	if _, err := Reopen(dir, offsets); err == nil {
		t.Error("Reopen accepted a file shorter than its offset")
	}
	if b2, _ := os.ReadFile(filepath.Join(dir, GradNormsFile)); string(b2) != string(b) {
		t.Error("failed Reopen changed a file")
	}
}

func TestWriteJSONAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "summary.json")
	if err := WriteJSON(path, map[string]int{"steps": 3}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), `"steps": 3`) {
		t.Errorf("got %s", b)
	}
	// A value that cannot be encoded leaves the old file in place.
	if err := WriteJSON(path, math.NaN()); err == nil {
		t.Error("NaN encoded")
	}
	if b2, _ := os.ReadFile(path); string(b2) != string(b) {
		t.Error("failed write changed the file")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
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

func TestDiffRuns(t *testing.T) {
	mk := func(dir string, losses []float64, w0 []float64) *Run {
		r := &Run{Dir: dir}
		r.Info.Config.Depth = 1
		for i, l := range losses {
			r.Steps = append(r.Steps, Step{Step: i + 1, Loss: l, Norms: Norms{Weight: []float64{w0[i], 1}, Bias: []float64{1, 1}}})
		}
		return r
	}
	a := mk("a", []float64{2.3, 2.0, 1.5}, []float64{0.5, 0.4, 0.3})
	same := mk("b", []float64{2.3, 2.0, 1.5}, []float64{0.5, 0.4, 0.3})
	later := mk("c", []float64{2.3, 2.0, 1.6}, []float64{0.5, 0.4, 0.33})
	for _, c := range []struct {
		name            string
		b               *Run
		steps           int
		firstLoss, loss float64
		norm            float64
		where           string
		within          bool
	}{
		{"identical", same, 0, 0, 0, 0, "step 1 loss", true},
		{"gap at step 3", later, 0, 0, 0.1 / 1.6, 0.03 / 0.33, "step 3 layer 0 weight", false},
		{"gap beyond --steps", later, 2, 0, 0, 0, "step 1 loss", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := DiffRuns(a, c.b, c.steps)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(d.FirstLoss.Rel-c.firstLoss) > 1e-12 || math.Abs(d.Loss.Rel-c.loss) > 1e-12 || math.Abs(d.Norm.Rel-c.norm) > 1e-12 {
				t.Errorf("gaps %+v", d)
			}
			if c.norm > 0 && d.Norm.Where != c.where {
				t.Errorf("norm gap at %q, want %q", d.Norm.Where, c.where)
			}
			if d.Within(1e-3) != c.within {
				t.Errorf("Within(1e-3) = %v", d.Within(1e-3))
			}
		})
	}
	deeper := mk("d", []float64{2.3}, []float64{0.5})
	deeper.Info.Config.Depth = 2
	if _, err := DiffRuns(a, deeper, 0); err == nil {
		t.Error("runs of different depths compared without error")
	}
	shifted := mk("e", []float64{2.3, 2.0}, []float64{0.5, 0.4})
	shifted.Steps[1].Step = 5
	if _, err := DiffRuns(a, shifted, 0); err == nil || !strings.Contains(err.Error(), "--log-every") {
		t.Errorf("runs logging different steps: err %v", err)
	}
	nan := mk("f", []float64{2.3, math.NaN(), 1.5}, []float64{0.5, 0.4, 0.3})
	if d, _ := DiffRuns(a, nan, 0); d.Within(1) {
		t.Error("a NaN loss is within tolerance")
	}
}
