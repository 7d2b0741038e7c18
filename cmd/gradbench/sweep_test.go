package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gradbench/gradbench/models/rundir"
	"github.com/gradbench/gradbench/models/sweep"
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

// smallGrid is 2 activations × 2 depths of small networks on the
// synthetic data: four runs of a fraction of a second.
const smallGrid = `# two activations, two depths
act = ["relu", "tanh"]
depth = [2, 3]
width = 16
batch = 64
dataset = "synthetic"
`

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

func runNames(spec *sweep.Spec) []string {
	var names []string
	for _, r := range spec.Runs {
		names = append(names, r.Name)
	}
	return names
}

func oneLineError(t *testing.T, stderr string, code int, want string) {
	t.Helper()
	if code != 2 {
		t.Errorf("exit code %d, want 2; stderr %q", code, stderr)
	}
	msg := strings.TrimSuffix(stderr, "\n")
	if strings.Contains(msg, "\n") || !strings.Contains(msg, want) || strings.Contains(msg, "panic") {
		t.Errorf("stderr %q: want one line containing %q", stderr, want)
	}
}

// TestSweepBadGrid checks that every bad grid and flag gets a one-line
// error and exit code 2 before anything is written.
func TestSweepBadGrid(t *testing.T) {
	base := "dataset = \"synthetic\"\nwidth = 8\n"
	for _, tc := range []struct {
		name, grid string
		flags      []string
		want       string
	}{
		{"unknown key", base + "colour = \"red\"", nil, `unknown key "colour"`},
		{"table", base + "[depth]\nx = 1", nil, "depth: want a whole number, got a table"},
		{"empty list", base + "depth = []", nil, "depth = []: give at least one value"},
		{"string for int", base + "depth = \"ten\"", nil, `depth: want a whole number, got "ten"`},
		{"float for int", base + "depth = [2, 2.5]", nil, "depth: want a whole number, got 2.5"},
		{"int for string", base + "act = 3", nil, "act: want a string"},
		{"bool", base + "lr = true", nil, "lr: want a number, got true"},
		{"nested list", base + "depth = [[2, 3]]", nil, "want a whole number, got a list"},
		{"negative seed", base + "seed = [-1]", nil, "seed: want 0 or more"},
		{"duplicate value", base + "depth = [2, 2]", nil, "depth lists 2 twice"},
		{"two spellings", base + "leaky_slope = 0.1\nleaky-slope = 0.2", nil, "given twice"},
		{"depth 0", base + "depth = [2, 0]", nil, "run depth=0: depth 0: must be between 1 and 1000"},
		{"unknown act", base + "act = [\"relu\", \"swish\"]", nil, `run act=swish: act swish: unknown activation`},
		{"unknown init", base + "init = \"kaiming\"", nil, `init kaiming: unknown init`},
		{"sigma-w2 0", base + "init = \"gaussian\"\nsigma-w2 = [1.76, 0]", nil, "run sigma-w2=0: sigma-w2 0: must be greater than 0"},
		{"lr 0", base + "lr = 0", nil, "lr 0: must be greater than 0"},
		{"unknown dataset", "dataset = \"cifar\"", nil, `unknown dataset "cifar"`},
		{"batch too large", base + "batch = 5000", nil, "larger than the 2048 training examples"},
		{"out key", base + "out = \"x\"", nil, `key "out" cannot be swept`},
		{"checkpoint-every key", base + "checkpoint-every = 5", nil, "give it to sweep as --checkpoint-every"},
		{"syntax", base + "depth = [2, 3", nil, "fix the TOML syntax"},
		{"no grid", "", []string{"--grid", ""}, "sweep needs --grid FILE"},
		{"missing grid", "", []string{"--grid", "/nonexistent/grid.toml"}, "cannot be read"},
		{"engine", base, []string{"--engine", "pbs"}, `unknown --engine "pbs"`},
		{"jobs", base, []string{"--jobs", "0"}, "--jobs must be at least 1"},
		{"checkpoint-every", base, []string{"--checkpoint-every", "-1"}, "--checkpoint-every must be 0 or more"},
		{"mem", base, []string{"--engine", "slurm", "--mem", "2 GB"}, "--mem"},
		{"time", base, []string{"--engine", "slurm", "--time", "soon"}, "--time"},
		{"cpus", base, []string{"--engine", "slurm", "--cpus-per-task", "0"}, "--cpus-per-task"},
		{"argument", base, []string{"extra"}, `unexpected argument "extra"`},
		{"flag value", base, []string{"--jobs", "many"}, "jobs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "sweep")
			args := []string{"sweep", "--grid", writeGrid(t, tc.grid), "--out", out, "--quiet"}
			_, stderr, code := run(t, append(args, tc.flags...)...)
			oneLineError(t, stderr, code, tc.want)
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%s was created: %v", out, err)
			}
		})
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"status of no sweep", []string{"sweep", "status", t.TempDir()}, "not a sweep directory"},
		{"status without dir", []string{"sweep", "status"}, "usage: gradbench sweep status DIR"},
		{"resubmit of no sweep", []string{"sweep", "resubmit", t.TempDir()}, "not a sweep directory"},
		{"run-task of no sweep", []string{"sweep", "run-task", t.TempDir(), "0"}, "not a sweep directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := run(t, tc.args...)
			oneLineError(t, stderr, code, tc.want)
		})
	}
}

// TestSweepDryRun checks that --dry-run lists every run with its train
// command line and writes nothing.
func TestSweepDryRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "sweep")
	stdout, stderr, code := run(t, "sweep", "--grid", writeGrid(t, smallGrid), "--out", out, "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "4 runs") {
		t.Fatalf("dry run printed:\n%s", stdout)
	}
	for i, name := range []string{"act=relu,depth=2", "act=relu,depth=3", "act=tanh,depth=2", "act=tanh,depth=3"} {
		f := strings.Fields(lines[i+1])
		act, depth, _ := strings.Cut(strings.TrimPrefix(name, "act="), ",depth=")
		cmd := strings.Join(f[1:], " ")
		if f[0] != name || !strings.HasPrefix(cmd, "gradbench train ") || !strings.Contains(cmd, "--act "+act+" ") ||
			!strings.Contains(cmd, "--depth "+depth+" ") || !strings.Contains(cmd, "--width 16 ") ||
			!strings.HasSuffix(cmd, "--out "+filepath.Join(out, "runs", name)) {
			t.Errorf("line %q", lines[i+1])
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("dry run created %s: %v", out, err)
	}
}

func readSpecT(t *testing.T, dir string) *sweep.Spec {
	t.Helper()
	spec, err := sweep.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// checkPNG checks that dir/name.png decodes to a non-empty image.
func checkPNG(t *testing.T, dir, name string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s.png: %v", name, err)
	}
	if sz := img.Bounds().Size(); sz.X < 100 || sz.Y < 100 {
		t.Errorf("%s.png is %v", name, sz)
	}
}

// checkSweepRuns checks that every run of the sweep in dir finished and
// wrote train's outputs.
func checkSweepRuns(t *testing.T, dir string, n int) *sweep.Spec {
	t.Helper()
	spec := readSpecT(t, dir)
	if len(spec.Runs) != n {
		t.Fatalf("%s lists %d runs, want %d", sweep.SpecFile, len(spec.Runs), n)
	}
	for _, r := range spec.Runs {
		rd := filepath.Join(dir, r.Dir)
		for _, f := range []string{"metrics.csv", "grad_norms.csv", "act_stats.csv", "epochs.csv", "summary.json", "checkpoint.bin"} {
			if st, err := os.Stat(filepath.Join(rd, f)); err != nil || st.Size() == 0 {
				t.Errorf("%s: %s missing or empty (%v)", r.Name, f, err)
			}
		}
		if ri, _ := rundir.ReadSummary(rd); !ri.Done() {
			t.Errorf("%s: summary %+v", r.Name, ri)
		}
	}
	return spec
}

// sameAsTrain checks that gradbench train, given the run's train flags,
// writes the run's outputs (wall-clock fields aside).
func sameAsTrain(t *testing.T, dir string, r sweep.Run) {
	t.Helper()
	ref := t.TempDir()
	args := append(append([]string{"train"}, r.TrainArgs...), "--quiet", "--out", ref)
	if _, stderr, code := run(t, args...); code != 0 {
		t.Fatalf("train %s: exit %d: %s", r.Name, code, stderr)
	}
	sameRun(t, ref, filepath.Join(dir, r.Dir))
}

// TestSweepLocal runs a small sweep on this machine: its runs are what
// train writes, a second sweep skips them, plot and status read them.
func TestSweepLocal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sweep")
	grid := writeGrid(t, smallGrid)
	stdout, stderr, code := run(t, "sweep", "--grid", grid, "--out", dir, "--jobs", "2", "--quiet")
	if code != 0 {
		t.Fatalf("sweep: exit %d: %s", code, stderr)
	}
	spec := checkSweepRuns(t, dir, 4)
	if !strings.Contains(stdout, "stops training") || !strings.Contains(stdout, "act=tanh,depth=3") {
		t.Errorf("sweep printed:\n%s", stdout)
	}
	sameAsTrain(t, dir, spec.Runs[1])
	for _, name := range []string{"sweep_accuracy", "sweep_grad_ratio"} {
		checkPNG(t, dir, name)
	}
	// One tidy grad_norms.csv of every run, a column per swept setting.
	tidy := strings.SplitN(readFile(t, filepath.Join(dir, "grad_norms.csv")), "\n", 3)
	if tidy[0] != "run,act,depth,step,layer,param,l2" || !strings.HasPrefix(tidy[1], `"`+spec.Runs[0].Name+`",relu,2,1,0,weight,`) {
		t.Errorf("tidy grad_norms.csv begins %q", tidy[:2])
	}
	if _, err := os.Stat(filepath.Join(dir, sweep.PIDFile)); !os.IsNotExist(err) {
		t.Errorf("%s left behind: %v", sweep.PIDFile, err)
	}

	// A second sweep trains nothing: every checkpoint is left as it was.
	type stamp struct {
		b []byte
		t time.Time
	}
	before := map[string]stamp{}
	for _, r := range spec.Runs {
		p := filepath.Join(dir, r.Dir, rundir.CheckpointFile)
		st, _ := os.Stat(p)
		before[p] = stamp{[]byte(readFile(t, p)), st.ModTime()}
	}
	stdout, stderr, code = run(t, "sweep", "--grid", grid, "--out", dir, "--quiet")
	if code != 0 {
		t.Fatalf("second sweep: exit %d: %s", code, stderr)
	}
	if n := strings.Count(stdout, "already finished after 32 steps, skipped"); n != 4 {
		t.Errorf("second sweep skipped %d runs:\n%s", n, stdout)
	}
	for p, s := range before {
		st, _ := os.Stat(p)
		if !bytes.Equal([]byte(readFile(t, p)), s.b) || !st.ModTime().Equal(s.t) {
			t.Errorf("%s changed", p)
		}
	}

	// Another grid into the same directory is refused.
	other := writeGrid(t, strings.Replace(smallGrid, "width = 16", "width = 32", 1))
	_, stderr, code = run(t, "sweep", "--grid", other, "--out", dir)
	oneLineError(t, stderr, code, "holds another sweep")

	stdout, stderr, code = run(t, "sweep", "status", dir)
	if code != 0 || strings.Count(stdout, " done ") != 4 || !strings.Contains(stdout, "4 runs: 4 done, 0 running, 0 failed, 0 pending") {
		t.Errorf("status: exit %d: %s%s", code, stdout, stderr)
	}

	figs := filepath.Join(t.TempDir(), "figs")
	stdout, stderr, code = run(t, "plot", dir, "--out", figs)
	if code != 0 {
		t.Fatalf("plot: exit %d: %s", code, stderr)
	}
	for _, name := range []string{"sweep_accuracy", "sweep_grad_ratio"} {
		checkPNG(t, figs, name)
	}
	md := readFile(t, filepath.Join(figs, "report.md"))
	for _, want := range []string{"## Where training stops", "| relu |", "stops training at depth", "sweep_accuracy.png", "act=relu,depth=3"} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	if !strings.Contains(readFile(t, filepath.Join(figs, "report.html")), "Where training stops") {
		t.Error("report.html lacks the stop table")
	}
	if !strings.Contains(stdout, "stops training") {
		t.Errorf("plot printed:\n%s", stdout)
	}
	_, stderr, code = run(t, "plot", dir, filepath.Join(dir, spec.Runs[0].Dir), "--out", figs)
	oneLineError(t, stderr, code, "plot it on its own")
}

// slowGrid has one run long enough to be killed part-way (as slow in
// resume_test.go) and one short run.
const slowGrid = `act = "gelu"
depth = 6
width = [96, 16]
batch = 32
epochs = 3
dataset = "synthetic"
`

// TestSweepKilledResumes kills a local sweep with SIGKILL part-way
// through a run: status reports the run stopped, and the sweep run again
// resumes it from its checkpoint to the outputs of an uninterrupted run.
func TestSweepKilledResumes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sweep")
	grid := writeGrid(t, slowGrid)
	metricsFile := filepath.Join(dir, "runs", "width=96", "metrics.csv")
	startAndKill(t, metricsFile, 40, syscall.SIGKILL, "sweep", "--grid", grid, "--out", dir, "--jobs", "1", "--checkpoint-every", "5", "--quiet")
	stdout, _, _ := run(t, "sweep", "status", dir)
	if !regexpMatch(`(?m)^ +0 +width=96 +failed +stopped \(running\), step \d+/192; run the sweep again`, stdout) ||
		!regexpMatch(`(?m)^ +1 +width=16 +pending +not started$`, stdout) {
		t.Errorf("status after the kill:\n%s", stdout)
	}
	stdout, stderr, code := run(t, "sweep", "--grid", grid, "--out", dir, "--jobs", "1", "--checkpoint-every", "5", "--quiet")
	if code != 0 {
		t.Fatalf("sweep again: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "training 2 of 2 runs") {
		t.Errorf("sweep again printed:\n%s", stdout)
	}
	spec := checkSweepRuns(t, dir, 2)
	sameAsTrain(t, dir, spec.Runs[0])
	var sum struct{ Steps int }
	json.Unmarshal([]byte(readFile(t, filepath.Join(dir, spec.Runs[0].Dir, "summary.json"))), &sum)
	if sum.Steps != 192 {
		t.Errorf("resumed run has %d steps", sum.Steps)
	}
}
