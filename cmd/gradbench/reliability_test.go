package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// treeFiles returns the contents of every file under dir, by path.
func treeFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		files[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// sameTree checks that dir holds exactly the files of before.
func sameTree(t *testing.T, dir string, before map[string]string) {
	t.Helper()
	after := treeFiles(t, dir)
	if len(after) != len(before) {
		t.Errorf("%s: %d files, want %d", dir, len(after), len(before))
	}
	for p, b := range before {
		if after[p] != b {
			t.Errorf("%s changed", p)
		}
	}
}

// refused checks that a run of the binary was a refusal: exit 2 and one
// line on stderr containing want, no stack trace.
func refused(t *testing.T, stderr string, code int, want string) {
	t.Helper()
	if code != exitUsage || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, want) || strings.Contains(stderr, "goroutine") {
		t.Errorf("exit %d, stderr %q; want exit 2 and one line containing %q", code, stderr, want)
	}
}

// finishedRun trains a small finished run and returns its directory.
func finishedRun(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	if _, stderr, code := run(t, append([]string{"train", "--out", dir, "--epochs", "1"}, small...)...); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	return dir
}

// TestNonFiniteInput (class A) checks that an infinite, NaN or
// out-of-range number is refused by every command that takes it, before
// anything is written: a finished run in the output directory keeps every
// byte, and a new directory is not made.
func TestNonFiniteInput(t *testing.T) {
	dir := finishedRun(t)
	before := treeFiles(t, dir)
	grid := func(text string) string {
		p := filepath.Join(t.TempDir(), "grid.toml")
		if err := os.WriteFile(p, []byte(text+"\ndataset = \"synthetic\"\ndepth = 2\nwidth = 8\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fresh := filepath.Join(t.TempDir(), "fresh")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"train lr +Inf", []string{"train", "--out", dir, "--lr", "Inf"}, "--lr: lr +Inf: must be a finite number"},
		{"train lr -Inf", []string{"train", "--out", dir, "--lr", "-Inf"}, "--lr"},
		{"train lr NaN", []string{"train", "--out", dir, "--lr", "NaN"}, "--lr"},
		{"train clip-norm Inf", []string{"train", "--out", dir, "--clip-norm", "Inf"}, "--clip-norm: clip-norm +Inf: must be a finite number"},
		{"train leaky-slope NaN", []string{"train", "--out", dir, "--leaky-slope", "NaN"}, "--leaky-slope: leaky-slope NaN"},
		{"train leaky-slope 2", []string{"train", "--out", dir, "--leaky-slope", "2"}, "must be between 0 and 1"},
		{"compare lr Inf", []string{"compare", "--out", dir, "--acts", "relu", "--lr", "Inf"}, "--lr"},
		{"compare leaky-slope NaN", []string{"compare", "--out", fresh, "--acts", "leakyrelu", "--leaky-slope", "NaN"}, "--leaky-slope"},
		{"sweep lr = inf", []string{"sweep", "--grid", grid("lr = inf"), "--out", fresh}, "lr +Inf: must be a finite number"},
		{"sweep leaky-slope = nan", []string{"sweep", "--grid", grid("leaky-slope = nan"), "--out", fresh}, "leaky-slope NaN"},
		{"sweep clip-norm list", []string{"sweep", "--grid", grid("clip-norm = [1.0, -inf]"), "--out", fresh}, "clip-norm -Inf"},
		{"curves leaky-slope NaN", []string{"curves", "--out", dir, "--leaky-slope", "NaN"}, "--leaky-slope: leaky-slope NaN"},
		{"curves leaky-slope Inf, new dir", []string{"curves", "--out", fresh, "--leaky-slope", "Inf"}, "--leaky-slope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.args[0] == "train" || tc.args[0] == "compare" {
				args = append(args, small...)
			}
			_, stderr, code := run(t, args...)
			refused(t, stderr, code, tc.want)
			sameTree(t, dir, before)
			if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s was made", fresh)
			}
		})
	}
}

// runFor runs the binary for at most limit and returns its stderr, exit
// code and how long it ran.
func runFor(t *testing.T, limit time.Duration, args ...string) (string, int, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	var e bytes.Buffer
	cmd.Stderr = &e
	start := time.Now()
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return e.String(), cmd.ProcessState.ExitCode(), time.Since(start)
}

// TestSizesBounded (class I/J) checks that sizes past what a graph can be
// built from or the machine can hold are refused at once, in one line, by
// the bounds of the settings and the memory estimate: no panic, no
// out-of-memory crash, no estimate overflowing past the free-space check.
func TestSizesBounded(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"width 2^62", []string{"train", "--width", "4611686018427387904"}, "--width: width 4611686018427387904: must be between 1 and 65536"},
		{"depth max int64", []string{"train", "--depth", "9223372036854775807"}, "--depth: depth 9223372036854775807: must be between 1 and 1000"},
		{"epochs max int64", []string{"train", "--epochs", "9223372036854775807"}, "--epochs: epochs 9223372036854775807: must be between 1 and 1000000"},
		{"depth 10^6 width 1", []string{"train", "--depth", "1000000", "--width", "1"}, "must be between 1 and 1000"},
		{"width past memory", []string{"train", "--width", "60000"}, "but this machine has"},
		{"compare width past memory", []string{"compare", "--acts", "relu", "--width", "60000"}, "but this machine has"},
		{"sweep width past memory", []string{"sweep", "--grid", "", "--out", out}, "but this machine has"},
		{"info depth 10^8", []string{"info", "--depth", "100000000"}, "--depth: depth 100000000"},
		{"info past memory", []string{"info", "--depth", "1000", "--width", "65536"}, "but this machine has"},
		{"bench past memory", []string{"bench", "--depth", "1000", "--width", "65536"}, "but this machine has"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			switch args[0] {
			case "train", "compare":
				args = append(args, "--out", out, "--dataset", "synthetic", "--quiet")
			case "sweep":
				grid := filepath.Join(t.TempDir(), "grid.toml")
				os.WriteFile(grid, []byte("dataset = \"synthetic\"\nwidth = 60000\n"), 0o644)
				args[2] = grid
			}
			stderr, code, took := runFor(t, 60*time.Second, args...)
			refused(t, stderr, code, tc.want)
			if took > 10*time.Second {
				t.Errorf("refused after %v, want at once", took)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s was made", out)
			}
		})
	}
}

// TestSignalsStop (class I/J) checks that a signal stops every phase with
// exit 130: a graph build that takes seconds (info's without a handler of
// its own, train's inside the training context), and training on SIGQUIT,
// which Go's default turned into exit 2.
func TestSignalsStop(t *testing.T) {
	for _, tc := range []struct {
		sig  syscall.Signal
		args []string
	}{
		{syscall.SIGTERM, []string{"info", "--depth", "1000", "--width", "1"}},
		// train's graphs (LayerNorm: more nodes a layer) went on building
		// for more than 30 s after the signal.
		{syscall.SIGINT, []string{"train", "--depth", "1000", "--width", "1", "--norm", "layernorm", "--dataset", "synthetic", "--quiet", "--out", t.TempDir()}},
	} {
		sig := tc.sig
		t.Run(tc.args[0]+" graph build "+sig.String(), func(t *testing.T) {
			cmd := exec.Command(binary, tc.args...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Second)
			cmd.Process.Signal(sig)
			start := time.Now()
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Fatal("still building 30 s after the signal")
			}
			if code := cmd.ProcessState.ExitCode(); code != exitInterrupted || time.Since(start) > 8*time.Second {
				t.Errorf("exit %d %v after %v, want %d within 8 s", code, cmd.ProcessState, time.Since(start), exitInterrupted)
			}
		})
	}
	t.Run("train SIGQUIT", func(t *testing.T) {
		dir := t.TempDir()
		code := startAndKill(t, filepath.Join(dir, "metrics.csv"), 20, syscall.SIGQUIT,
			append([]string{"train", "--out", dir, "--epochs", "50"}, small...)...)
		if code != exitInterrupted {
			t.Errorf("exit %d, want %d", code, exitInterrupted)
		}
		if _, stderr, code := run(t, "train", "--resume", dir, "--quiet"); code != 0 {
			t.Errorf("resume after SIGQUIT: exit %d: %s", code, stderr)
		}
	})
}

// TestSmallRefusals (class O/P) checks the smaller refusals: each is exit
// 2 before anything is printed or made.
func TestSmallRefusals(t *testing.T) {
	dir := finishedRun(t)
	before := treeFiles(t, dir)
	fresh := filepath.Join(t.TempDir(), "fresh")
	jsonDir := t.TempDir()
	badSweep := t.TempDir()
	os.WriteFile(filepath.Join(badSweep, "sweep.json"), []byte(`{"version":1,"grid_file":"g.toml","runs":[{"name":"run","dir":"runs/run",`+
		`"config":{"dataset":"synthetic","depth":0},"train_args":[]}]}`), 0o644)
	shape := mnistDir(t, func(f map[string][]byte) { f["t10k-images-idx3-ubyte.gz"] = gz(idx([]int{2, 1, 4}, make([]byte, 8))) })
	shapeGrid := filepath.Join(t.TempDir(), "grid.toml")
	os.WriteFile(shapeGrid, []byte("dataset = \"mnist\"\nbatch = 2\ndata-dir = \""+shape+"\"\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"diff steps -1", []string{"diff", dir, dir, "--steps", "-1"}, "steps -1"},
		{"diff json dir", []string{"diff", dir, dir, "--json", jsonDir}, "is a directory"},
		{"info json dir", []string{"info", "--depth", "2", "--json", jsonDir}, "is a directory"},
		{"info json no parent", []string{"info", "--depth", "2", "--json", filepath.Join(fresh, "x.json")}, "not an existing directory"},
		{"curves argument", []string{"curves", "foo", "--out", fresh}, `unexpected argument "foo"`},
		{"compare refusal makes no dir", append([]string{"compare", "--acts", "relu", "--out", fresh, "--checkpoint-every", "-1"}, small...), "--checkpoint-every"},
		{"sweep run-task of a bad run", []string{"sweep", "run-task", badSweep, "0"}, "depth 0"},
		{"test images of another shape", []string{"train", "--dataset", "mnist", "--data-dir", shape, "--batch", "2", "--out", fresh}, "train images are 2×2 but test images are 1×4"},
		{"test images of another shape, dry run", []string{"sweep", "--dry-run", "--grid", shapeGrid, "--out", fresh}, "train images are 2×2 but test images are 1×4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := run(t, tc.args...)
			refused(t, stderr, code, tc.want)
			if stdout != "" {
				t.Errorf("printed %q before refusing", stdout)
			}
			sameTree(t, dir, before)
			if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s was made", fresh)
			}
			if _, err := os.Stat(filepath.Join(badSweep, "runs")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the bad sweep's run was started")
			}
		})
	}
}

// TestRunFilesAreNotOutputs checks what an outside attack found after the
// first round: --json naming a file of a finished run is refused before
// the command runs (it used to replace summary.json or grad_norms.csv),
// a named pipe where a run, checkpoint, CSV or grid file should be is
// refused at once (opening one used to block for ever), and an output
// directory that cannot be made, or a lock file that cannot be opened, is
// a refusal naming the fix.
func TestRunFilesAreNotOutputs(t *testing.T) {
	other := finishedRun(t)
	tmp := t.TempDir()
	fifo := func(dir, name string) string {
		p := filepath.Join(dir, name)
		os.Remove(p)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		return p
	}
	copyRun := func(name string) string {
		dst := filepath.Join(tmp, name)
		if err := os.CopyFS(dst, os.DirFS(other)); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	mkdirFile := filepath.Join(tmp, "cf")
	os.MkdirAll(mkdirFile, 0o755)
	os.WriteFile(filepath.Join(mkdirFile, "tanh"), []byte("x"), 0o644)
	lockLink := filepath.Join(tmp, "ll")
	os.MkdirAll(lockLink, 0o755)
	os.Symlink(filepath.Join(tmp, "nowhere"), filepath.Join(lockLink, ".gradbench.lock"))

	pipeSummary, pipeCkpt, pipeCSV := copyRun("ps"), copyRun("pc"), copyRun("pm")
	fifo(pipeSummary, "summary.json")
	fifo(pipeCkpt, "checkpoint.bin")
	fifo(pipeCSV, "metrics.csv")
	grid := fifo(tmp, "grid.toml")
	data := filepath.Join(tmp, "data")
	os.CopyFS(filepath.Join(data, "mnist"), os.DirFS("../../datasets/mnist"))
	fifo(filepath.Join(data, "mnist"), "train-labels-idx1-ubyte.gz")

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"diff --json a run's summary", []string{"diff", other, other, "--json", filepath.Join(other, "summary.json")}, "holds a run"},
		{"info --json a run's CSV", []string{"info", "--depth", "3", "--width", "16", "--json", filepath.Join(other, "grad_norms.csv")}, "holds a run"},
		{"a pipe as summary.json", append([]string{"train", "--out", pipeSummary, "--epochs", "1"}, small...), "not a regular file"},
		{"a pipe as checkpoint.bin", []string{"train", "--resume", pipeCkpt, "--quiet"}, "not a regular file"},
		{"a pipe as metrics.csv", []string{"diff", other, pipeCSV}, "not a regular file"},
		{"a pipe as the grid", []string{"sweep", "--grid", grid, "--out", filepath.Join(tmp, "s"), "--dry-run"}, "not a regular file"},
		{"a pipe as an IDX file", []string{"train", "--data-dir", data, "--train-size", "256", "--test-size", "128", "--depth", "2", "--width", "8", "--quiet", "--out", filepath.Join(tmp, "o")}, "not a regular file"},
		{"a file where compare's run goes", append([]string{"compare", "--acts", "tanh", "--out", mkdirFile}, small...), "cannot be made"},
		{"a link as the lock file", append([]string{"train", "--out", lockLink}, small...), "remove it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := treeFiles(t, other)
			stderr, code, took := runFor(t, 30*time.Second, tc.args...)
			refused(t, stderr, code, tc.want)
			if took > 20*time.Second {
				t.Errorf("took %v: a refusal must not wait", took)
			}
			sameTree(t, other, before)
		})
	}
}

// TestReadRunInUse checks that plot and diff refuse a run another process
// is writing, naming it, instead of reading its half-written files.
func TestReadRunInUse(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "busy")
	cmd := exec.Command(binary, append([]string{"train", "--out", dir, "--epochs", "50"}, small...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, "metrics.csv")); err == nil {
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatal("the run did not start")
		}
	}
	for _, args := range [][]string{{"plot", dir, "--out", filepath.Join(t.TempDir(), "p")}, {"diff", dir, dir}} {
		stderr, code, _ := runFor(t, 30*time.Second, args...)
		refused(t, stderr, code, "in use by gradbench pid")
	}
}

// TestCompareRefusesFirst checks that compare checks every activation's
// directory before it trains any: a DIR/relu of another configuration is
// refused while DIR/sigmoid is not even made.
func TestCompareRefusesFirst(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cmp")
	if _, stderr, code := run(t, append([]string{"train", "--act", "relu", "--lr", "0.01", "--out", filepath.Join(out, "relu")}, small...)...); code != 0 {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	before := treeFiles(t, out)
	_, stderr, code := run(t, append([]string{"compare", "--acts", "sigmoid,relu", "--out", out}, small...)...)
	refused(t, stderr, code, "--force")
	sameTree(t, out, before)
	if _, err := os.Stat(filepath.Join(out, "sigmoid")); err == nil {
		t.Error("compare trained sigmoid before refusing relu")
	}
}
