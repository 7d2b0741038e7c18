package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDiff trains one configuration twice and once with another seed:
// identical runs diff to zero and pass, the other seed fails with exit 1,
// and a gap planted in one run's grad_norms.csv is found where it was put.
func TestDiff(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")
	for _, r := range []struct {
		out  string
		seed string
	}{{a, "1"}, {b, "1"}, {c, "2"}} {
		if _, stderr, code := run(t, append([]string{"train", "--act", "tanh", "--log-every", "1", "--seed", r.seed, "--out", r.out}, small...)...); code != 0 {
			t.Fatalf("train %s: exit %d: %s", r.out, code, stderr)
		}
	}
	stdout, stderr, code := run(t, "diff", "--json", filepath.Join(dir, "d.json"), a, b)
	if code != 0 || !strings.Contains(stdout, "within --rtol") {
		t.Fatalf("diff of identical runs: exit %d\n%s%s", code, stdout, stderr)
	}
	var d struct {
		Steps int
		Loss  struct{ Rel float64 }
		Norm  struct{ Rel float64 }
	}
	raw, err := os.ReadFile(filepath.Join(dir, "d.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if d.Steps < 10 || d.Loss.Rel != 0 || d.Norm.Rel != 0 {
		t.Errorf("identical runs: %+v, want zero gaps over every step", d)
	}
	if _, stderr, code := run(t, "diff", a, c); code != 1 || !strings.Contains(stderr, "differ by more than --rtol") {
		t.Errorf("runs with other seeds: exit %d, stderr %q; want exit 1 and the tolerance named", code, stderr)
	}

	// Plant a 1% gap in step 2, layer 1's weight norm.
	p := filepath.Join(b, "grad_norms.csv")
	rows, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(rows), "\n")
	for i, l := range lines {
		if v, ok := strings.CutPrefix(l, "2,1,weight,"); ok {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			lines[i] = "2,1,weight," + strconv.FormatFloat(x*1.01, 'g', -1, 64)
		}
	}
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, _, code = run(t, "diff", "--rtol", "1e-3", a, b)
	if code != 1 || !strings.Contains(stdout, "step 2 layer 1 weight") || !strings.Contains(stdout, "0.0099") {
		t.Errorf("planted gap: exit %d\n%s", code, stdout)
	}
	if _, _, code := run(t, "diff", "--steps", "1", "--rtol", "1e-3", a, b); code != 0 {
		t.Errorf("planted gap at step 2 with --steps 1: exit %d, want 0", code)
	}
	for _, args := range [][]string{{"diff", a}, {"diff", a, filepath.Join(dir, "none")}, {"diff", "--rtol", "-1", a, b}} {
		if _, stderr, code := run(t, args...); code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line", args, code, stderr)
		}
	}
}

// TestBench checks bench's JSON line: the configuration asked for and one
// positive time per timed step.
func TestBench(t *testing.T) {
	stdout, stderr, code := run(t, "bench", "--act", "gelu", "--depth", "2", "--width", "8", "--batch", "16", "--steps", "3", "--warmup", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var line benchLine
	if err := json.Unmarshal([]byte(stdout), &line); err != nil {
		t.Fatalf("%v: %q", err, stdout)
	}
	if line.Act != "gelu" || line.Depth != 2 || line.Width != 8 || line.Batch != 16 || line.Steps != 3 || len(line.StepsMs) != 3 || line.Device != "cpu" {
		t.Errorf("line %+v does not describe the run asked for", line)
	}
	for _, ms := range line.StepsMs {
		if !(ms > 0) || ms < line.MinMs {
			t.Errorf("step times %v, min %v, median %v", line.StepsMs, line.MinMs, line.MedianMs)
		}
	}
	for _, args := range [][]string{{"bench", "--steps", "0"}, {"bench", "--cuda"}, {"bench", "--act", "swish"}} {
		if _, stderr, code := run(t, args...); code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line", args, code, stderr)
		}
	}
}

// TestInfo checks that info places every op of a GELU graph, erf
// included, and says which build it is.
func TestInfo(t *testing.T) {
	stdout, stderr, code := run(t, "info", "--depth", "2", "--width", "8", "--json", filepath.Join(t.TempDir(), "info.json"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"build   cpu", "GPU     none", "graph.erfOp erf", "linAlgBinOp A × B", "make gpu"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("info output lacks %q:\n%s", want, stdout)
		}
	}
	// Two hidden layers: erf appears once per layer.
	for _, l := range strings.Split(stdout, "\n") {
		if strings.Contains(l, "graph.erfOp") && !strings.HasPrefix(strings.Join(strings.Fields(l)[:2], " "), "cpu 2") {
			t.Errorf("erf row %q: want 2 nodes on the cpu", l)
		}
	}
}
