package models

import (
	"context"
	"encoding/csv"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/graph"
	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models/config"
	"github.com/gradbench/gradbench/models/rundir"
	"gorgonia.org/tensor"
)

// l2 is an independent float64 Frobenius norm of a gradient tensor.
func l2(t tensor.Tensor) float64 {
	var s float64
	switch d := t.Data().(type) {
	case []float32:
		for _, x := range d {
			s += float64(x) * float64(x)
		}
	case []float64:
		for _, x := range d {
			s += x * x
		}
	}
	return math.Sqrt(s)
}

func firstBatch(t *testing.T, cfg config.Config, ds *data.Dataset) (*Model, []int) {
	t.Helper()
	m, err := NewModel(cfg, ds.Train.Dim, ds.Classes, ds.Test.N)
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, cfg.Batch)
	for i := range idx {
		idx[i] = i
	}
	if _, _, err := m.Backward(ds.Train, idx); err != nil {
		t.Fatal(err)
	}
	return m, idx
}

// TestVanishingAtInit checks the textbook claim at step 0 for a depth-20
// network with auto initialisation: sigmoid's first-layer weight gradient
// is over a million times smaller than the last hidden layer's, while
// ReLU's stays within two orders of magnitude.
func TestVanishingAtInit(t *testing.T) {
	ds := data.Synthetic(1, 256, 64)
	for _, tc := range []struct {
		act      string
		min, max float64
	}{
		{"sigmoid", 0, 1e-6},
		{"relu", 0.01, 100},
	} {
		cfg := config.Default()
		cfg.Act = tc.act
		m, _ := firstBatch(t, cfg, ds)
		w := gradsOf(m, graph.Weight)
		ratio := l2(w[0]) / l2(w[cfg.Depth-1])
		t.Logf("%s: |dW first| / |dW last hidden| = %.3g", tc.act, ratio)
		if !(ratio >= tc.min && ratio <= tc.max) {
			t.Errorf("%s: ratio %.3g, want in [%g, %g]", tc.act, ratio, tc.min, tc.max)
		}
		m.Close()
	}
}

// TestLogitsMatchLoss checks that the logits read back from the training
// graph are the ones the loss was computed from.
func TestLogitsMatchLoss(t *testing.T) {
	ds := data.Synthetic(2, 256, 64)
	for _, dtype := range []string{"float32", "float64"} {
		cfg := config.Default()
		cfg.Depth, cfg.Width, cfg.Batch, cfg.Dtype = 4, 16, 32, dtype
		m, idx := firstBatch(t, cfg, ds)
		loss, _, err := m.Backward(ds.Train, idx)
		if err != nil {
			t.Fatal(err)
		}
		labels := make([]uint8, len(idx))
		for i, j := range idx {
			labels[i] = ds.Train.Labels[j]
		}
		_, sum, err := metrics.Scores(m.train.Logits.Value().(tensor.Tensor), labels)
		if err != nil {
			t.Fatal(err)
		}
		if got := sum / float64(len(idx)); math.Abs(got-loss) > 1e-5*loss {
			t.Errorf("%s: loss from logits %v, graph loss %v", dtype, got, loss)
		}
		m.Close()
	}
}

func readGradNorms(t *testing.T, path string) map[[3]string]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[0]; len(got) != 4 || got[0] != "step" || got[1] != "layer" || got[2] != "param" || got[3] != "l2" {
		t.Fatalf("header %v", got)
	}
	out := map[[3]string]float64{}
	for _, r := range rows[1:] {
		v, err := strconv.ParseFloat(r[3], 64)
		if err != nil {
			t.Fatal(err)
		}
		out[[3]string{r[0], r[1], r[2]}] = v
	}
	return out
}

// TestRecordedNormsReplay trains a few steps, then replays them step by step
// on a fresh model and checks that each recorded norm equals the norm of
// the gradient at the weights before that step's update.
func TestRecordedNormsReplay(t *testing.T) {
	ds := data.Synthetic(3, 256, 64)
	cfg := config.Default()
	cfg.Depth, cfg.Width, cfg.Batch, cfg.Dtype, cfg.Epochs = 5, 16, 64, "float64", 1
	dir := t.TempDir()
	rec, err := rundir.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Train(context.Background(), cfg, ds, rec, nil, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	rec.Close()
	recorded := readGradNorms(t, filepath.Join(dir, rundir.GradNormsFile))
	if want := s.Steps * cfg.Layers() * 2; len(recorded) != want {
		t.Fatalf("%d recorded norms, want %d", len(recorded), want)
	}

	m, err := NewModel(cfg, ds.Train.Dim, ds.Classes, ds.Test.N)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	opt, _ := NewOptimizer(cfg.Optimizer, cfg.LR)
	order := make([]int, ds.Train.N)
	shuffle(rand.New(rand.NewPCG(cfg.Seed, streamShuffle)), order)
	for step := 1; step <= s.Steps; step++ {
		if _, _, err := m.Backward(ds.Train, order[(step-1)*cfg.Batch:step*cfg.Batch]); err != nil {
			t.Fatal(err)
		}
		w, b := gradsOf(m, graph.Weight), gradsOf(m, graph.Bias)
		for i := range w {
			for param, g := range map[string]tensor.Tensor{"weight": w[i], "bias": b[i]} {
				key := [3]string{strconv.Itoa(step), strconv.Itoa(i), param}
				want := l2(g)
				if got := recorded[key]; math.Abs(got-want) > 1e-12*want {
					t.Errorf("step %d layer %d %s: recorded %v, recomputed %v", step, i, param, got, want)
				}
			}
		}
		if err := m.Update(opt); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTrainLearnsMNIST trains a depth-20 network briefly on a real MNIST
// subset: the loss must fall and test accuracy must beat chance.
func TestTrainLearnsMNIST(t *testing.T) {
	ds := loadMNIST(t)
	for _, act := range []string{"relu", "gelu"} {
		cfg := config.Default()
		cfg.Act, cfg.Batch, cfg.TrainSize, cfg.TestSize = act, 64, 3200, 1000
		rec, err := rundir.Create(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		s, err := Train(context.Background(), cfg, ds, rec, nil, Hooks{})
		rec.Close()
		if err != nil {
			t.Fatal(err)
		}
		first := s.Epochs[0].TrainLoss // mean over the epoch
		t.Logf("%s: %d steps, epoch loss %.3f, final loss %.3f, test accuracy %.3f", act, s.Steps, first, *s.FinalLoss, *s.TestAccuracy)
		if *s.FinalLoss >= math.Log(10) || *s.FinalLoss >= first {
			t.Errorf("%s: final loss %.3f, want below ln 10 and below the epoch mean %.3f", act, *s.FinalLoss, first)
		}
		if *s.TestAccuracy < 0.3 {
			t.Errorf("%s: test accuracy %.3f, want at least 3× chance (0.1)", act, *s.TestAccuracy)
		}
	}
}

// loadMNIST returns the real MNIST from the repository's datasets folder.
// It fails under CI (which runs make data first) and skips elsewhere.
func loadMNIST(t *testing.T) *data.Dataset {
	t.Helper()
	ds, err := data.Load("mnist", filepath.Join("..", "datasets"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return ds
}

func TestPresetSeed(t *testing.T) {
	cfg := config.Default()
	if err := cfg.ApplyPreset("seed"); err != nil {
		t.Fatal(err)
	}
	if cfg.Depth != 21 || cfg.Width != 128 || cfg.Init != "torch-default" || cfg.Epochs != 3 || cfg.Batch != 128 || cfg.LR != 1e-3 || cfg.Optimizer != "adam" {
		t.Errorf("preset seed gave %+v", cfg)
	}
	// 22 linear layers: 784→128, 20 × 128→128, 128→10.
	if cfg.Layers() != 22 {
		t.Errorf("preset seed has %d linear layers, want 22", cfg.Layers())
	}
	if err := cfg.ApplyPreset("nope"); err == nil {
		t.Error("unknown preset accepted")
	}
}

// TestPreValues checks the recorded pre-activations against a forward
// pass computed here from the same weights.
func TestPreValues(t *testing.T) {
	ds := data.Synthetic(4, 128, 16)
	cfg := config.Default()
	cfg.Act, cfg.Depth, cfg.Width, cfg.Batch, cfg.Dtype = "tanh", 4, 8, 16, "float64"
	m, idx := firstBatch(t, cfg, ds)
	defer m.Close()
	h := make([][]float64, len(idx))
	for i, j := range idx {
		img := make([]float32, ds.Train.Dim)
		ds.Train.Scale(img, j)
		for _, v := range img {
			h[i] = append(h[i], float64(v))
		}
	}
	for l := 0; l < cfg.Depth; l++ {
		w := m.Params.Find(l, graph.Weight).Data().([]float64)
		b := m.Params.Find(l, graph.Bias).Data().([]float64)
		in, out := m.Spec.LayerShape(l)
		got := m.train.PreValues[l].Data().([]float64)
		for i := range h {
			z := make([]float64, out)
			for k := 0; k < out; k++ {
				z[k] = b[k]
				for j := 0; j < in; j++ {
					z[k] += h[i][j] * w[j*out+k]
				}
				if d := math.Abs(got[i*out+k] - z[k]); d > 1e-9 {
					t.Fatalf("layer %d row %d unit %d: pre-activation %v, want %v", l, i, k, got[i*out+k], z[k])
				}
				z[k] = math.Tanh(z[k])
			}
			h[i] = z
		}
	}
}

// TestPredictedGain checks the mean-field prediction on the textbook
// cases: ReLU with He init keeps χ = 2·½ = 1; sigmoid with Xavier init is
// at most 0.25 per layer.
func TestPredictedGain(t *testing.T) {
	ds := data.Synthetic(5, 256, 16)
	for _, tc := range []struct {
		act      string
		min, max float64
	}{{"relu", 0.9, 1.1}, {"sigmoid", 0.2, 0.25}} {
		cfg := config.Default()
		cfg.Act, cfg.Depth = tc.act, 8
		m, _ := firstBatch(t, cfg, ds)
		g, err := m.PredictedGain()
		m.Close()
		if err != nil {
			t.Fatal(err)
		}
		if g < tc.min || g > tc.max {
			t.Errorf("%s: predicted gain %.3f, want in [%g, %g]", tc.act, g, tc.min, tc.max)
		}
	}
}

// TestStructureParams checks the parameters of a network with LayerNorm
// and residual connections: the linear layers' values are those of the
// plain network of the same seed, each hidden layer's LayerNorm gain is 1
// and bias 0, and the mean-field prediction, which covers the plain
// network only, is NaN.
func TestStructureParams(t *testing.T) {
	ds := data.Synthetic(5, 256, 16)
	cfg := config.Default()
	cfg.Act, cfg.Depth, cfg.Width = "tanh", 5, 16
	plain, _ := firstBatch(t, cfg, ds)
	defer plain.Close()
	cfg.Residual, cfg.Norm = true, "layernorm"
	m, _ := firstBatch(t, cfg, ds)
	defer m.Close()
	if len(m.Params) != len(plain.Params)+2*cfg.Depth {
		t.Fatalf("%d parameters, want %d", len(m.Params), len(plain.Params)+2*cfg.Depth)
	}
	for _, p := range m.Params {
		v := toFloat64s(p.Value.Data())
		switch p.Kind {
		case graph.Weight, graph.Bias:
			if !slices.Equal(v, toFloat64s(plain.Params.Find(p.Layer, p.Kind).Data())) {
				t.Errorf("%v differs from the plain network's", p)
			}
		case graph.LNGain, graph.LNBias:
			want := map[string]float64{graph.LNGain: 1, graph.LNBias: 0}[p.Kind]
			if p.Layer >= cfg.Depth || slices.ContainsFunc(v, func(x float64) bool { return x != want }) {
				t.Errorf("%v = %v, want all %g on a hidden layer", p, v[:3], want)
			}
		default:
			t.Errorf("unexpected parameter %v", p)
		}
	}
	if g, err := m.PredictedGain(); err != nil || !math.IsNaN(g) {
		t.Errorf("predicted gain %v (%v), want NaN", g, err)
	}
	if g, _ := plain.PredictedGain(); math.IsNaN(g) {
		t.Error("plain network's predicted gain is NaN")
	}
}

// TestConcurrentTraining trains two activations at once in one process,
// as compare does, and checks each gives the numbers it gives alone. Run
// it under -race (CI does).
func TestConcurrentTraining(t *testing.T) {
	ds := data.Synthetic(6, 256, 64)
	acts := []string{"gelu", "tanh", "relu"}
	train := func(act string) string {
		cfg := config.Default()
		cfg.Act, cfg.Depth, cfg.Width, cfg.Batch = act, 4, 16, 32
		dir := t.TempDir()
		rec, err := rundir.Create(dir)
		if err != nil {
			t.Error(err)
			return ""
		}
		if _, err := Train(context.Background(), cfg, ds, rec, nil, Hooks{}); err != nil {
			t.Error(err)
		}
		rec.Close()
		b, _ := os.ReadFile(filepath.Join(dir, rundir.GradNormsFile))
		return string(b)
	}
	alone := map[string]string{}
	for _, a := range acts {
		alone[a] = train(a)
	}
	together := make([]string, len(acts))
	var wg sync.WaitGroup
	for i, a := range acts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			together[i] = train(a)
		}()
	}
	wg.Wait()
	for i, a := range acts {
		if together[i] != alone[a] {
			t.Errorf("%s: concurrent training gave other gradient norms", a)
		}
	}
}

// gradsOf returns the gradients of kind of the last Backward, by layer.
func gradsOf(m *Model, kind string) []tensor.Tensor {
	var out []tensor.Tensor
	for _, g := range m.Grads() {
		if g.Kind == kind {
			out = append(out, g.Grad)
		}
	}
	return out
}

// TestNamesImplemented checks that every optimiser and initialisation
// scheme a configuration may name is implemented here, and nothing else.
func TestNamesImplemented(t *testing.T) {
	for _, tc := range []struct {
		what  string
		names []string
		impl  []string
	}{
		{"optimizer", config.Optimizers, slices.Sorted(maps.Keys(optimizers))},
		{"init", config.Inits, slices.Sorted(maps.Keys(inits))},
	} {
		if !slices.Equal(slices.Sorted(slices.Values(tc.names)), tc.impl) {
			t.Errorf("%s: config names %v, models implements %v", tc.what, tc.names, tc.impl)
		}
	}
}
