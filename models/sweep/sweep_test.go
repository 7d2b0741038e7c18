package sweep

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/models"
	"github.com/gradbench/gradbench/models/config"
	"github.com/gradbench/gradbench/models/rundir"
	"github.com/gradbench/gradbench/models/sweep/slurm"
)

// writeGrid writes a grid file into a new temporary directory.
func writeGrid(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "grid.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runNames(spec *Spec) []string {
	var names []string
	for _, r := range spec.Runs {
		names = append(names, r.Name)
	}
	return names
}

// TestGridExpand checks the expansion of grids: the cartesian product in
// a stable order with stable names, whatever the order of the keys in
// the file, and the configuration of each run.
func TestGridExpand(t *testing.T) {
	for _, tc := range []struct {
		name, grid string
		want       []string
	}{
		{"one run", `dataset = "synthetic"`, []string{"run"}},
		{"scalars only", "depth = 4\nwidth = 8\ndataset = \"synthetic\"", []string{"run"}},
		{"one-element lists", "depth = [4]\nact = [\"gelu\"]\ndataset = \"synthetic\"", []string{"run"}},
		{"product", "act = [\"relu\", \"gelu\"]\ndepth = [2, 4, 8]\nseed = [1, 2]\ndataset = \"synthetic\"", []string{
			"act=relu,depth=2,seed=1", "act=relu,depth=2,seed=2", "act=relu,depth=4,seed=1", "act=relu,depth=4,seed=2",
			"act=relu,depth=8,seed=1", "act=relu,depth=8,seed=2", "act=gelu,depth=2,seed=1", "act=gelu,depth=2,seed=2",
			"act=gelu,depth=4,seed=1", "act=gelu,depth=4,seed=2", "act=gelu,depth=8,seed=1", "act=gelu,depth=8,seed=2"}},
		// The keys in another order: the same runs in the same order.
		{"keys reordered", "dataset = \"synthetic\"\nseed = [1, 2]\ndepth = [2, 4, 8]\nact = [\"relu\", \"gelu\"]", []string{
			"act=relu,depth=2,seed=1", "act=relu,depth=2,seed=2", "act=relu,depth=4,seed=1", "act=relu,depth=4,seed=2",
			"act=relu,depth=8,seed=1", "act=relu,depth=8,seed=2", "act=gelu,depth=2,seed=1", "act=gelu,depth=2,seed=2",
			"act=gelu,depth=4,seed=1", "act=gelu,depth=4,seed=2", "act=gelu,depth=8,seed=1", "act=gelu,depth=8,seed=2"}},
		{"floats and strings", "lr = [1e-3, 0.01]\ninit = [\"he-normal\", \"xavier-uniform\"]\ndataset = \"synthetic\"", []string{
			"lr=0.001,init=he-normal", "lr=0.001,init=xavier-uniform", "lr=0.01,init=he-normal", "lr=0.01,init=xavier-uniform"}},
		{"integer for a float", "lr = [1, 2]\ndataset = \"synthetic\"", []string{"lr=1", "lr=2"}},
		{"snake-case key", "leaky_slope = [0.01, 0.1]\nact = \"leakyrelu\"\ndataset = \"synthetic\"", []string{"leaky-slope=0.01", "leaky-slope=0.1"}},
		{"preset", "preset = \"seed\"\nepochs = [1, 2]\ndataset = \"synthetic\"", []string{"epochs=1", "epochs=2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := Build(writeGrid(t, tc.grid), 200)
			if err != nil {
				t.Fatal(err)
			}
			if got := runNames(spec); !slices.Equal(got, tc.want) {
				t.Errorf("runs %q, want %q", got, tc.want)
			}
			for _, r := range spec.Runs {
				if err := r.Config.Validate(); err != nil {
					t.Errorf("%s: %v", r.Name, err)
				}
				if r.Dir != filepath.Join("runs", r.Name) || !filepath.IsAbs(r.Config.DataDir) {
					t.Errorf("%s: dir %q, data dir %q", r.Name, r.Dir, r.Config.DataDir)
				}
			}
		})
	}

	spec, err := Build(writeGrid(t, "act = [\"relu\", \"gelu\"]\ndepth = [2, 4, 8]\nseed = [1, 2]\nwidth = 16\ndataset = \"synthetic\""), 200)
	if err != nil {
		t.Fatal(err)
	}
	c := spec.Runs[7].Config // gelu, depth 2, seed 2
	want := config.Default()
	want.Act, want.Depth, want.Seed, want.Width, want.Dataset, want.DataDir = "gelu", 2, 2, 16, "synthetic", c.DataDir
	if c != want {
		t.Errorf("run %s: config %+v, want %+v", spec.Runs[7].Name, c, want)
	}
	if got := spec.Swept; !slices.Equal(got, []string{"act", "depth", "seed"}) {
		t.Errorf("swept %q", got)
	}
	// A preset, then the grid's values over it, as train applies them.
	spec, err = Build(writeGrid(t, "preset = \"seed\"\nepochs = 1\ndataset = \"synthetic\""), 200)
	if err != nil {
		t.Fatal(err)
	}
	if c := spec.Runs[0].Config; c.Preset != "seed" || c.Depth != 21 || c.Init != "torch-default" || c.Epochs != 1 {
		t.Errorf("preset run: %+v", c)
	}
}

// smallGrid is 2 activations × 2 depths of small networks on the
// synthetic data: four runs of a fraction of a second.
const smallGrid = `act = ["relu", "tanh"]
depth = [2, 3]
width = 16
batch = 64
dataset = "synthetic"
`

// TestLocalConcurrent runs the local engine's worker pool, two runs at
// once, so that -race sees it (CI runs the Concurrent tests under -race),
// and checks a run against the same configuration trained alone.
func TestLocalConcurrent(t *testing.T) {
	spec, err := Build(writeGrid(t, smallGrid), 10)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sw, err := Prepare(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := (Local{Jobs: 2, Log: &out}).Launch(context.Background(), sw); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), ": 32 steps, final loss"); n != 4 {
		t.Errorf("sweep printed:\n%s", out.String())
	}
	r := spec.Runs[3]
	alone := t.TempDir()
	if _, err := models.TrainInto(context.Background(), r.Config, sw.Sets[r.Key()], alone, nil, models.Output{CheckpointEvery: 10, TensorBoard: true}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{rundir.GradNormsFile, rundir.StatsFile, rundir.EpochsFile} {
		a, _ := os.ReadFile(filepath.Join(dir, r.Dir, f))
		b, _ := os.ReadFile(filepath.Join(alone, f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s of run %s differs from the run trained alone", f, r.Name)
		}
	}
	// Every run is done now: a second launch trains nothing.
	sw, _ = Prepare(dir, spec)
	out.Reset()
	if err := (Local{Jobs: 2, Log: &out}).Launch(context.Background(), sw); err != nil || strings.Count(out.String(), "skipped") != 4 {
		t.Errorf("second launch: %v\n%s", err, out.String())
	}
}

// TestDecide checks the state decision of sweep status on its own.
func TestDecide(t *testing.T) {
	acc := 0.91
	at := 17
	finished := &rundir.Summary{Status: rundir.StatusFinished, Steps: 64, StepsPerEpoch: 64, TestAccuracy: &acc}
	finished.Config.Epochs = 1
	diverged := &rundir.Summary{Status: rundir.StatusDiverged, DivergedAtStep: &at}
	running := &rundir.Summary{Status: rundir.StatusRunning, Steps: 10, StepsPerEpoch: 64}
	running.Config.Epochs = 2
	stopped := &rundir.Summary{Status: rundir.StatusInterrupted, Steps: 10, StepsPerEpoch: 64}
	task := &slurm.Task{Job: "100", Index: 3}
	for _, tc := range []struct {
		name  string
		f     Facts
		state string
		idle  bool
		in    string
	}{
		{"finished", Facts{Summary: finished, Task: task, TaskState: "RUNNING"}, Done, false, "test accuracy 0.9100"},
		{"diverged", Facts{Summary: diverged}, Done, false, "diverged at step 17"},
		{"queued in slurm", Facts{Task: task, TaskState: "PENDING"}, Pending, false, "slurm task 100_3 PENDING"},
		{"running in slurm", Facts{Summary: running, Task: task, TaskState: "RUNNING"}, Running, false, "step 10/128"},
		{"slurm task failed", Facts{Summary: running, Task: task, TaskState: "TIMEOUT"}, Failed, true, "ended TIMEOUT"},
		{"squeue failed", Facts{Task: task, QueueErr: os.ErrDeadlineExceeded}, Unknown, false, "squeue failed"},
		{"forgotten by slurm", Facts{Task: task}, Failed, true, "no longer lists it"},
		{"local sweep training it", Facts{Summary: running, LocalPID: 42}, Running, false, "process 42"},
		{"local sweep queues it", Facts{LocalPID: 42}, Pending, false, "queued in the local sweep"},
		{"stopped", Facts{Summary: stopped}, Failed, true, "run the sweep again"},
		{"not started", Facts{}, Pending, true, "not started"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Decide(tc.f)
			if s.State != tc.state || s.Idle != tc.idle || !strings.Contains(s.Detail, tc.in) {
				t.Errorf("Decide = %+v, want %s (idle %v) with %q", s, tc.state, tc.idle, tc.in)
			}
		})
	}
}

// TestPrepareRefusesOtherCheckpoint checks that a run directory holding
// a checkpoint of another configuration is refused before training.
func TestPrepareRefusesOtherCheckpoint(t *testing.T) {
	spec, err := Build(writeGrid(t, smallGrid), 10)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	other := spec.Runs[1].Config
	if _, err := models.TrainInto(context.Background(), other, data.Synthetic(other.Seed, 2048, 512), filepath.Join(dir, spec.Runs[0].Dir), nil, models.Output{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Prepare(dir, spec); err == nil || !strings.Contains(err.Error(), "configured differently") {
		t.Errorf("Prepare: %v", err)
	}
}
