package rundir

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models/config"
	"gorgonia.org/tensor"
)

// norms are weight and bias norms per layer, in parameter order.
func norms(global float64, wb ...float64) metrics.Norms {
	n := metrics.Norms{Global: global}
	for i := 0; i+1 < len(wb); i += 2 {
		n.Params = append(n.Params, metrics.Norm{Layer: i / 2, Kind: metrics.Weight, L2: wb[i]}, metrics.Norm{Layer: i / 2, Kind: metrics.Bias, L2: wb[i+1]})
	}
	return n
}

func TestRecorder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	r, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := norms(0.75, 0.5, 0.25, 1e-9, 0)
	if err := r.Step(metrics.Step{Step: 1, Epoch: 1, Loss: 2.302585092994046, BatchAcc: 0.125, Norms: n, Clipped: 0.5, Elapsed: 0.5}); err != nil {
		t.Fatal(err)
	}
	if err := r.Epoch(metrics.Epoch{Epoch: 1, Step: 1, TrainLoss: 2.3, TestLoss: 2.2, TestAccuracy: 0.5}); err != nil {
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
	r.Step(metrics.Step{Step: 2, Epoch: 1, Norms: n})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopen cuts the step-2 rows and appends after step 1.
	r, err = Reopen(dir, offsets)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Step(metrics.Step{Step: 3, Epoch: 1, Norms: n}); err != nil {
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

func TestDiff(t *testing.T) {
	mk := func(dir string, losses []float64, w0 []float64) *Run {
		r := &Run{Dir: dir}
		r.Summary.Config.Depth = 1
		for i, l := range losses {
			r.Steps = append(r.Steps, metrics.Step{Step: i + 1, Loss: l, Norms: norms(0, w0[i], 1, 1, 1)})
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
			d, err := Diff(a, c.b, c.steps)
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
	deeper.Summary.Config.Depth = 2
	if _, err := Diff(a, deeper, 0); err == nil {
		t.Error("runs of different depths compared without error")
	}
	shifted := mk("e", []float64{2.3, 2.0}, []float64{0.5, 0.4})
	shifted.Steps[1].Step = 5
	if _, err := Diff(a, shifted, 0); err == nil || !strings.Contains(err.Error(), "log-every") {
		t.Errorf("runs logging different steps: err %v", err)
	}
	nan := mk("f", []float64{2.3, math.NaN(), 1.5}, []float64{0.5, 0.4, 0.3})
	if d, _ := Diff(a, nan, 0); d.Within(1) {
		t.Error("a NaN loss is within tolerance")
	}
}

// TestGradHist writes grad_hist.csv at the first and last step only and
// reads it back.
func TestGradHist(t *testing.T) {
	dir := t.TempDir()
	r, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	w := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float64{0, 0.5, -0.5, 10}))
	b := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{1, 1}))
	params := []metrics.Named{{Layer: 0, Kind: metrics.Weight, Grad: w}, {Layer: 0, Kind: metrics.Bias, Grad: b}}
	for _, g := range []metrics.Grads{{Step: 1, First: true, Params: params}, {Step: 2, Params: params}, {Step: 3, Last: true, Params: params}} {
		if err := r.Grads(g); err != nil {
			t.Fatal(err)
		}
		n := norms(1, 1, 1)
		r.Step(metrics.Step{Step: g.Step, Epoch: 1, Norms: n})
	}
	r.Close()
	want := "step,layer,param,log10_lo,log10_hi,count\n1,0,weight,-Inf,-Inf,1\n1,0,weight,-0.4,-0.3,2\n1,0,weight,1,1.1,1\n" +
		"3,0,weight,-Inf,-Inf,1\n3,0,weight,-0.4,-0.3,2\n3,0,weight,1,1.1,1\n"
	if got, _ := os.ReadFile(filepath.Join(dir, GradHistFile)); string(got) != want {
		t.Errorf("grad_hist.csv:\n%s\nwant\n%s", got, want)
	}
	WriteJSON(filepath.Join(dir, SummaryFile), &Summary{Config: config.Default()})
	run, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if h := run.HistAt(3, metrics.Weight); len(h) != 3 || !h[0].Zero() || h[2].Lo != 1 || h[2].Count != 1 {
		t.Errorf("HistAt(3) = %+v", h)
	}
}
