package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/graph"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gradbench-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "gradbench")
	// The binary under test is built like this test: with the same BLAS.
	args := []string{"build", "-o", binary}
	if graph.BLAS == "openblas" {
		args = append(args, "-tags", "openblas")
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run runs the binary and returns its stdout, stderr and exit code.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// small are flags for a fast run on the synthetic dataset.
var small = []string{"--dataset", "synthetic", "--depth", "3", "--width", "16", "--batch", "64", "--quiet"}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// idx returns an IDX file of unsigned bytes with the given dims.
func idx(dims []int, data []byte) []byte {
	b := []byte{0, 0, 8, byte(len(dims))}
	for _, d := range dims {
		b = append(b, byte(d>>24), byte(d>>16), byte(d>>8), byte(d))
	}
	return append(b, data...)
}

// mnistDir writes a tiny MNIST-format dataset, letting edit replace files.
func mnistDir(t *testing.T, edit func(files map[string][]byte)) string {
	dir := t.TempDir()
	files := map[string][]byte{
		"train-images-idx3-ubyte.gz": gz(idx([]int{4, 2, 2}, make([]byte, 16))),
		"train-labels-idx1-ubyte.gz": gz(idx([]int{4}, []byte{1, 2, 3, 4})),
		"t10k-images-idx3-ubyte.gz":  gz(idx([]int{2, 2, 2}, make([]byte, 8))),
		"t10k-labels-idx1-ubyte.gz":  gz(idx([]int{2}, []byte{5, 6})),
	}
	if edit != nil {
		edit(files)
	}
	if err := os.MkdirAll(filepath.Join(dir, "mnist"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, "mnist", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestBadInput checks that each bad input gets a one-line error naming the
// problem, exit code 2, and that an existing run directory is untouched.
func TestBadInput(t *testing.T) {
	out := t.TempDir()
	sentinel := filepath.Join(out, "metrics.csv")
	if err := os.WriteFile(sentinel, []byte("keep me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "plainfile")
	os.WriteFile(file, nil, 0o644)
	missing := t.TempDir()
	badMagic := mnistDir(t, func(f map[string][]byte) { f["train-images-idx3-ubyte.gz"] = gz([]byte{1, 2, 3, 4, 0, 0, 0, 1}) })
	truncated := mnistDir(t, func(f map[string][]byte) { f["train-images-idx3-ubyte.gz"] = gz(idx([]int{4, 2, 2}, make([]byte, 10))) })
	mismatch := mnistDir(t, func(f map[string][]byte) { f["t10k-labels-idx1-ubyte.gz"] = gz(idx([]int{3}, []byte{1, 2, 3})) })
	notGzip := mnistDir(t, func(f map[string][]byte) { f["t10k-labels-idx1-ubyte.gz"] = []byte{0x1f, 0x8b, 0, 0} })

	for _, tc := range []struct {
		name string
		args []string
		want string // in the message
	}{
		{"activation", []string{"--act", "swish"}, "unknown activation"},
		{"preset", []string{"--preset", "notebook"}, "unknown preset"},
		{"init", []string{"--init", "kaiming"}, "unknown init"},
		{"sigma-w2 zero", []string{"--init", "gaussian", "--sigma-w2", "0"}, "--sigma-w2"},
		{"sigma-w2 nan", []string{"--sigma-w2", "NaN"}, "--sigma-w2"},
		{"sigma-w2 too large", []string{"--init", "orthogonal", "--sigma-w2", "1e3"}, "at most 100"},
		{"sigma-b2 negative", []string{"--sigma-b2", "-0.1"}, "--sigma-b2"},
		{"sigma-b2 inf", []string{"--sigma-b2", "Inf"}, "--sigma-b2"},
		{"optimizer", []string{"--optimizer", "rmsprop"}, "unknown optimizer"},
		{"dtype", []string{"--dtype", "float16"}, "unknown dtype"},
		{"depth", []string{"--depth", "0"}, "--depth"},
		{"width", []string{"--width", "-3"}, "--width"},
		{"batch", []string{"--batch", "0"}, "--batch"},
		{"epochs", []string{"--epochs", "0"}, "--epochs"},
		{"lr zero", []string{"--lr", "0"}, "--lr"},
		{"lr negative", []string{"--lr", "-1"}, "--lr"},
		{"not a number", []string{"--depth", "ten"}, "depth"},
		{"unknown flag", []string{"--colour", "red"}, "colour"},
		{"batch too large", []string{"--batch", "5000"}, "larger than the 2048 training examples"},
		{"cuda", []string{"--cuda"}, "make gpu"},
		{"dataset", []string{"--dataset", "cifar"}, "unknown dataset"},
		{"unwritable out", []string{"--out", filepath.Join(file, "run")}, "cannot be written"},
		{"missing data", []string{"--dataset", "mnist", "--data-dir", missing}, "make data"},
		{"bad magic", []string{"--dataset", "mnist", "--data-dir", badMagic, "--batch", "2"}, "train-images-idx3-ubyte.gz"},
		{"truncated", []string{"--dataset", "mnist", "--data-dir", truncated, "--batch", "2"}, "truncated"},
		{"count mismatch", []string{"--dataset", "mnist", "--data-dir", mismatch, "--batch", "2"}, "3 labels"},
		{"corrupt gzip", []string{"--dataset", "mnist", "--data-dir", notGzip, "--batch", "2"}, "t10k-labels-idx1-ubyte.gz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"train"}, small...)
			args = append(args, "--out", out)
			args = append(args, tc.args...)
			_, stderr, code := run(t, args...)
			if code != 2 {
				t.Errorf("exit code %d, want 2; stderr %q", code, stderr)
			}
			msg := strings.TrimSuffix(stderr, "\n")
			if strings.Contains(msg, "\n") || !strings.Contains(msg, tc.want) || strings.Contains(msg, "panic") {
				t.Errorf("stderr %q: want one line containing %q", stderr, tc.want)
			}
			if b, _ := os.ReadFile(sentinel); string(b) != "keep me\n" {
				t.Errorf("existing output overwritten: %q", b)
			}
		})
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dropColumn removes the last CSV column (the wall-clock elapsed_s).
func dropColumn(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if j := strings.LastIndexByte(l, ','); j >= 0 {
			lines[i] = l[:j]
		}
	}
	return strings.Join(lines, "\n")
}

type summary struct {
	Config struct {
		Depth, Epochs int
		Init          string
	}
	Steps          int
	FinalLoss      *float64 `json:"final_loss"`
	TestAccuracy   *float64 `json:"test_accuracy"`
	DivergedAtStep *int     `json:"diverged_at_step"`
	MsPerStep      float64  `json:"ms_per_step"`
}

func readSummary(t *testing.T, dir string) summary {
	t.Helper()
	var s summary
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "summary.json"))), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSameSeedSameNumbers trains twice with one seed and once with another.
func TestSameSeedSameNumbers(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	for i, d := range dirs {
		seed := []string{"1", "1", "2"}[i]
		stdout, stderr, code := run(t, append(append([]string{"train"}, small...), "--act", "tanh", "--seed", seed, "--out", d)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stdout, "test accuracy") {
			t.Errorf("stdout %q", stdout)
		}
	}
	for _, f := range []string{"grad_norms.csv", "epochs.csv"} {
		a, b, c := readFile(t, filepath.Join(dirs[0], f)), readFile(t, filepath.Join(dirs[1], f)), readFile(t, filepath.Join(dirs[2], f))
		if a != b {
			t.Errorf("%s differs between runs with the same seed", f)
		}
		if a == c {
			t.Errorf("%s is the same for seeds 1 and 2", f)
		}
	}
	a, b := readFile(t, filepath.Join(dirs[0], "metrics.csv")), readFile(t, filepath.Join(dirs[1], "metrics.csv"))
	if dropColumn(a) != dropColumn(b) {
		t.Error("metrics.csv differs between runs with the same seed")
	}
	s := readSummary(t, dirs[0])
	if s.Steps != 32 || s.FinalLoss == nil || s.TestAccuracy == nil || s.DivergedAtStep != nil || s.MsPerStep <= 0 {
		t.Errorf("summary %+v", s)
	}
	// 32 steps × 4 linear layers × (weight, bias) + header.
	if n := strings.Count(readFile(t, filepath.Join(dirs[0], "grad_norms.csv")), "\n"); n != 1+32*4*2 {
		t.Errorf("grad_norms.csv has %d lines", n)
	}
}

// TestDiverged checks the documented divergence recipe: exit code 3,
// outputs up to the step kept, the step named in summary.json.
func TestDiverged(t *testing.T) {
	out := t.TempDir()
	_, stderr, code := run(t, append(append([]string{"train"}, small...), "--act", "relu", "--optimizer", "sgd", "--lr", "100", "--out", out)...)
	if code != 3 {
		t.Fatalf("exit %d, want 3; %s", code, stderr)
	}
	s := readSummary(t, out)
	if s.DivergedAtStep == nil || *s.DivergedAtStep != s.Steps || s.FinalLoss != nil {
		t.Fatalf("summary %+v", s)
	}
	metrics := readFile(t, filepath.Join(out, "metrics.csv"))
	if n := strings.Count(metrics, "\n"); n != 1+s.Steps || !strings.Contains(metrics, "NaN") {
		t.Errorf("metrics.csv:\n%s", metrics)
	}
}

// TestPresetOverride checks that flags given with a preset override it.
func TestPresetOverride(t *testing.T) {
	out := t.TempDir()
	_, stderr, code := run(t, "train", "--preset", "seed", "--dataset", "synthetic", "--epochs", "1", "--width", "8", "--log-every", "50", "--quiet", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	s := readSummary(t, out)
	if s.Config.Depth != 21 || s.Config.Epochs != 1 || s.Config.Init != "torch-default" {
		t.Errorf("config %+v", s.Config)
	}
	// Steps 1 and 16 (the last) are logged; log-every 50 skips the rest.
	if n := strings.Count(readFile(t, filepath.Join(out, "metrics.csv")), "\n"); n != 3 {
		t.Errorf("metrics.csv has %d lines, want 3", n)
	}
}
