package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestTheory runs gradbench theory: the JSON of tanh at σ_b² = 0.05 on
// both sides of its critical point, the closed forms of relu, the table
// and figures of a range, and bad input refused with exit code 2.
func TestTheory(t *testing.T) {
	type row struct {
		Act             string
		QStar           *float64 `json:"q_star"`
		CStar           *float64 `json:"c_star"`
		Chi1            *float64 `json:"chi1"`
		XiC             *float64 `json:"xi_c"`
		XiGrad          *float64 `json:"xi_grad"`
		MaxDepth        *float64 `json:"max_depth"`
		CriticalSigmaW2 *float64 `json:"critical_sigma_w2"`
		Phase           string
		ScaleInvariant  bool `json:"scale_invariant"`
	}
	one := func(args ...string) row {
		t.Helper()
		stdout, stderr, code := run(t, append([]string{"theory", "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("theory %v: exit %d: %s", args, code, stderr)
		}
		var r row
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatalf("theory %v: %v: %s", args, err, stdout)
		}
		return r
	}
	near := func(p *float64, want, tol float64) bool {
		return p != nil && math.Abs(*p-want) <= tol*math.Max(1, math.Abs(want))
	}
	ord := one("--act", "tanh", "--sigma-w2", "1", "--sigma-b2", "0.05")
	cha := one("--act", "tanh", "--sigma-w2", "3", "--sigma-b2", "0.05")
	if ord.Phase != "ordered" || !near(ord.CStar, 1, 0) || !(*ord.Chi1 < 1) || !near(ord.MaxDepth, 6**ord.XiC, 1e-12) || !near(ord.XiGrad, -1/math.Log(*ord.Chi1), 1e-9) {
		t.Errorf("tanh sigma_w2 1: %+v", ord)
	}
	if cha.Phase != "chaotic" || !(*cha.CStar < 1) || !(*cha.Chi1 > 1) || cha.XiC == nil || !(*cha.XiGrad < 0) {
		t.Errorf("tanh sigma_w2 3: %+v", cha)
	}
	if !near(ord.CriticalSigmaW2, 1.7609546, 1e-6) || !near(cha.CriticalSigmaW2, 1.7609546, 1e-6) {
		t.Errorf("tanh critical sigma_w2 %v, %v: want 1.76095", *ord.CriticalSigmaW2, *cha.CriticalSigmaW2)
	}
	relu := one("--act", "relu", "--sigma-w2", "1.5", "--sigma-b2", "0.05")
	// χ₁ = σ_w²/2, q* = σ_b²/(1 − χ₁) exactly.
	if !relu.ScaleInvariant || !near(relu.Chi1, 0.75, 1e-12) || !near(relu.QStar, 0.2, 1e-12) || !near(relu.CriticalSigmaW2, 2, 1e-12) {
		t.Errorf("relu sigma_w2 1.5: %+v", relu)
	}
	if r := one("--act", "relu", "--sigma-w2", "3", "--sigma-b2", "0.05"); r.QStar != nil || r.Phase != "chaotic" {
		t.Errorf("relu sigma_w2 3: q* %v phase %s, want null (diverges) and chaotic", r.QStar, r.Phase)
	}

	dir := t.TempDir()
	fig := filepath.Join(dir, "chi.png")
	stdout, stderr, code := run(t, "theory", "--act", "tanh,relu,selu", "--sigma-w2", "0.5:4:0.25", "--sigma-b2", "0.05", "--out", fig)
	if code != 0 {
		t.Fatalf("theory range: exit %d: %s", code, stderr)
	}
	if n := strings.Count(stdout, "\n  tanh "); n != 15 {
		t.Errorf("theory range: %d tanh rows, want 15:\n%s", n, stdout)
	}
	if !strings.Contains(stdout, "tanh: critical sigma_w2 at sigma_b2 0.05: 1.76095") || !strings.Contains(stdout, "scale-invariant") {
		t.Errorf("theory range output:\n%s", stdout)
	}
	for _, f := range []string{"chi.png", "chi.svg", "chi_xi.png", "chi_xi.svg"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("theory --out: %s: %v", f, err)
		}
	}
	stdout, _, _ = run(t, "theory", "--act", "tanh,relu", "--sigma-w2", "1,3", "--sigma-b2", "0.05", "--json")
	var rows []row
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil || len(rows) != 4 {
		t.Errorf("theory --json of 2 x 2: %v, %d rows", err, len(rows))
	}

	for _, args := range [][]string{
		{"--sigma-w2", "0"}, {"--sigma-w2", "-1"}, {"--sigma-w2", "NaN"}, {"--sigma-w2", "4:1:0.5"}, {"--sigma-w2", "1:2:0"},
		{"--sigma-b2", "-0.1"}, {"--sigma-b2", "Inf"}, {"--act", "nope"}, {"--out", filepath.Join(dir, "x.jpg")},
	} {
		stdout, stderr, code := run(t, append([]string{"theory"}, args...)...)
		if code != 2 || stdout != "" || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, args[0]) {
			t.Errorf("theory %v: exit %d, stdout %q, stderr %q: want one line naming %s, exit 2", args, code, stdout, stderr, args[0])
		}
	}
}

// TestSweepPhaseDiagram runs a small sweep over sigma-w2 and depth with the
// gaussian init on the synthetic data and checks that its report has
// phase_diagram.png and phase_diagram.csv: a cell per (σ_w², depth) and the
// 6ξ_c curve of gradbench theory.
func TestSweepPhaseDiagram(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sweep")
	grid := writeGrid(t, `act = "tanh"
init = "gaussian"
sigma-w2 = [1.0, 3.0]
sigma-b2 = 0.05
depth = [2, 4]
width = 16
batch = 64
dataset = "synthetic"
`)
	if _, stderr, code := run(t, "sweep", "--grid", grid, "--out", dir, "--jobs", "2", "--quiet"); code != 0 {
		t.Fatalf("sweep: exit %d: %s", code, stderr)
	}
	checkPNG(t, dir, "phase_diagram")
	lines := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(dir, "phase_diagram.csv"))), "\n")
	if lines[0] != "kind,sigma_w2,depth,value" {
		t.Fatalf("phase_diagram.csv header %q", lines[0])
	}
	cells, curve := 0, map[string]string{}
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		switch f[0] {
		case "accuracy":
			cells++
			if v, err := strconv.ParseFloat(f[3], 64); err != nil || v < 0 || v > 1 {
				t.Errorf("phase_diagram.csv cell %q", l)
			}
		case "max_depth":
			curve[f[1]] = f[3]
		}
	}
	if cells != 4 || len(curve) != 200 {
		t.Errorf("phase_diagram.csv: %d cells and %d curve points, want 4 and 200", cells, len(curve))
	}
	// The curve's ends are gradbench theory's 6ξ_c at σ_w² 1 and 3.
	for _, sw2 := range []string{"1", "3"} {
		stdout, _, _ := run(t, "theory", "--act", "tanh", "--sigma-w2", sw2, "--sigma-b2", "0.05", "--json")
		var r struct {
			MaxDepth float64 `json:"max_depth"`
		}
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatal(err)
		}
		got, err := strconv.ParseFloat(curve[sw2], 64)
		if err != nil || math.Abs(got-r.MaxDepth) > 1e-9*r.MaxDepth {
			t.Errorf("phase_diagram.csv 6 xi_c at sigma_w2 %s: %q, theory %v", sw2, curve[sw2], r.MaxDepth)
		}
	}
	if !strings.Contains(readFile(t, filepath.Join(dir, "report.md")), "phase_diagram") {
		t.Error("report.md does not show phase_diagram")
	}
	// gradbench plot of the sweep draws the same bytes.
	replot := t.TempDir()
	if _, stderr, code := run(t, "plot", dir, "--out", replot); code != 0 {
		t.Fatalf("plot: exit %d: %s", code, stderr)
	}
	for _, f := range []string{"phase_diagram.csv", "phase_diagram.png"} {
		if readFile(t, filepath.Join(dir, f)) != readFile(t, filepath.Join(replot, f)) {
			t.Errorf("plot of the sweep: %s differs", f)
		}
	}

	// Sweeping sigma-b2 as well: one diagram per σ_b².
	dir = filepath.Join(t.TempDir(), "sweep")
	grid = writeGrid(t, `act = "tanh"
init = "orthogonal"
sigma-w2 = [1.0, 3.0]
sigma-b2 = [0.0, 0.05]
depth = [2, 3]
width = 8
batch = 64
dataset = "synthetic"
`)
	if _, stderr, code := run(t, "sweep", "--grid", grid, "--out", dir, "--jobs", "2", "--quiet"); code != 0 {
		t.Fatalf("sweep: exit %d: %s", code, stderr)
	}
	for _, name := range []string{"phase_diagram_tanh_sigma-b2=0", "phase_diagram_tanh_sigma-b2=0.05"} {
		checkPNG(t, dir, name)
		if n := strings.Count(readFile(t, filepath.Join(dir, name+".csv")), "\naccuracy,"); n != 4 {
			t.Errorf("%s.csv: %d cells, want 4", name, n)
		}
	}
}

// TestCriticalityGrid checks that the shipped criticality grid stays a
// valid sweep of the paper's setting: 45 tanh runs at sigma_b2 0.05 with
// SGD, crossing the critical sigma_w2, up to depth 100.
func TestCriticalityGrid(t *testing.T) {
	grid, err := os.ReadFile("../../scripts/criticality.toml")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := filepath.Abs("../../datasets")
	path := filepath.Join(t.TempDir(), "criticality.toml")
	os.WriteFile(path, append(grid, []byte("\ndata-dir = "+strconv.Quote(data)+"\n")...), 0o644)
	stdout, stderr, code := run(t, "sweep", "--grid", path, "--out", filepath.Join(t.TempDir(), "c"), "--dry-run")
	if code != 0 {
		t.Fatalf("dry run: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"45 runs", "--act tanh", "--optimizer sgd", "--init gaussian", "--sigma-b2 0.05", "--sigma-w2 1 ", "--sigma-w2 4 ", "--depth 100 "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry run of scripts/criticality.toml lacks %q", want)
		}
	}
}
