package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gradbench/gradbench/models"
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

func runNames(spec *sweepSpec) []string {
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
			spec, err := buildSweep(writeGrid(t, tc.grid), 200)
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

	spec, err := buildSweep(writeGrid(t, "act = [\"relu\", \"gelu\"]\ndepth = [2, 4, 8]\nseed = [1, 2]\nwidth = 16\ndataset = \"synthetic\""), 200)
	if err != nil {
		t.Fatal(err)
	}
	c := spec.Runs[7].Config // gelu, depth 2, seed 2
	want := models.Default()
	want.Act, want.Depth, want.Seed, want.Width, want.Dataset, want.DataDir = "gelu", 2, 2, 16, "synthetic", c.DataDir
	if c != want {
		t.Errorf("run %s: config %+v, want %+v", spec.Runs[7].Name, c, want)
	}
	if got := spec.Swept; !slices.Equal(got, []string{"act", "depth", "seed"}) {
		t.Errorf("swept %q", got)
	}
	// A preset, then the grid's values over it, as train applies them.
	spec, err = buildSweep(writeGrid(t, "preset = \"seed\"\nepochs = 1\ndataset = \"synthetic\""), 200)
	if err != nil {
		t.Fatal(err)
	}
	if c := spec.Runs[0].Config; c.Preset != "seed" || c.Depth != 21 || c.Init != "torch-default" || c.Epochs != 1 {
		t.Errorf("preset run: %+v", c)
	}
}

// TestIndexList checks the --array lists written and read back.
func TestIndexList(t *testing.T) {
	for _, tc := range []struct {
		idx  []int
		want string
	}{
		{[]int{0}, "0"},
		{[]int{0, 1, 2, 3}, "0-3"},
		{[]int{3, 7}, "3,7"},
		{[]int{1, 2, 3, 7, 9, 10}, "1-3,7,9-10"},
	} {
		if got := indexList(tc.idx); got != tc.want {
			t.Errorf("indexList(%v) = %q, want %q", tc.idx, got, tc.want)
		}
		if back, err := parseIndexList(tc.want + "%2"); err != nil || !slices.Equal(back, tc.idx) {
			t.Errorf("parseIndexList(%q) = %v, %v", tc.want, back, err)
		}
	}
	for _, bad := range []string{"", "N/A", "3-1", "a-b"} {
		if _, err := parseIndexList(bad); err == nil {
			t.Errorf("parseIndexList(%q): no error", bad)
		}
	}
}

// oneLineError checks a bad-input exit: code 2, one line naming want.
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
		{"depth 0", base + "depth = [2, 0]", nil, "run depth=0: --depth must be at least 1, got 0"},
		{"unknown act", base + "act = [\"relu\", \"swish\"]", nil, `run act=swish: unknown activation "swish"`},
		{"unknown init", base + "init = \"orthogonal\"", nil, `unknown init "orthogonal"`},
		{"lr 0", base + "lr = 0", nil, "--lr must be greater than 0"},
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

func readSpecT(t *testing.T, dir string) *sweepSpec {
	t.Helper()
	spec, err := readSpec(dir)
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
func checkSweepRuns(t *testing.T, dir string, n int) *sweepSpec {
	t.Helper()
	spec := readSpecT(t, dir)
	if len(spec.Runs) != n {
		t.Fatalf("%s lists %d runs, want %d", sweepFile, len(spec.Runs), n)
	}
	for _, r := range spec.Runs {
		rd := filepath.Join(dir, r.Dir)
		for _, f := range []string{"metrics.csv", "grad_norms.csv", "act_stats.csv", "epochs.csv", "summary.json", "checkpoint.bin"} {
			if st, err := os.Stat(filepath.Join(rd, f)); err != nil || st.Size() == 0 {
				t.Errorf("%s: %s missing or empty (%v)", r.Name, f, err)
			}
		}
		if ri := readRunInfo(rd); !ri.done() {
			t.Errorf("%s: summary %+v", r.Name, ri)
		}
	}
	return spec
}

// sameAsTrain checks that gradbench train, given the run's train flags,
// writes the run's outputs (wall-clock fields aside).
func sameAsTrain(t *testing.T, dir string, r sweepRun) {
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
	if _, err := os.Stat(filepath.Join(dir, sweepPIDFile)); !os.IsNotExist(err) {
		t.Errorf("%s left behind: %v", sweepPIDFile, err)
	}

	// A second sweep trains nothing: every checkpoint is left as it was.
	type stamp struct {
		b []byte
		t time.Time
	}
	before := map[string]stamp{}
	for _, r := range spec.Runs {
		p := filepath.Join(dir, r.Dir, models.CheckpointFile)
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

// TestSweepLocalConcurrent runs the local engine's worker pool in this
// process, two runs at once, so that -race sees it (CI runs the
// Concurrent tests under -race), and checks each run is the one train
// writes.
func TestSweepLocalConcurrent(t *testing.T) {
	spec, err := buildSweep(writeGrid(t, smallGrid), 200)
	if err != nil {
		t.Fatal(err)
	}
	sets, err := sweepData(spec)
	if err != nil {
		t.Fatal(err)
	}
	f := sweepFlags{out: t.TempDir(), jobs: 2, every: 10}
	var out bytes.Buffer
	if err := sweepLocal(&out, spec, f, sets, make([]*models.Checkpoint, len(spec.Runs)), false); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), ": 32 steps, final loss"); n != 4 {
		t.Errorf("sweep printed:\n%s", out.String())
	}
	sameAsTrain(t, f.out, spec.Runs[3])
}

// TestSweepProgressConcurrent calls the sweep's progress line from
// several goroutines, as the local engine's jobs do.
func TestSweepProgressConcurrent(t *testing.T) {
	file, err := os.CreateTemp(t.TempDir(), "progress")
	if err != nil {
		t.Fatal(err)
	}
	p := &runsProgress{line: &progressLine{f: file}, total: 3, active: map[string]models.Progress{}}
	done := make(chan bool)
	for _, name := range []string{"act=relu", "act=tanh", "act=gelu"} {
		update := p.update(name)
		go func() {
			for s := 1; s <= 200; s++ {
				update(models.Progress{Step: s, Steps: 200, Loss: 1})
			}
			p.finish(name)
			done <- true
		}()
	}
	for range 3 {
		<-done
	}
	file.Close()
	if b, _ := os.ReadFile(file.Name()); !strings.Contains(string(b), "runs done") {
		t.Errorf("progress line never drawn: %q", b)
	}
	if p.done != 3 || len(p.active) != 0 {
		t.Errorf("done %d, active %v", p.done, p.active)
	}
	var off *runsProgress
	if off.update("x") != nil {
		t.Error("progress without a terminal should be off")
	}
	off.finish("x")
	off.clear()
}
