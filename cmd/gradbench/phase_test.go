package main

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/metrics/meanfield"
	"github.com/gradbench/gradbench/models"
	"github.com/gradbench/gradbench/models/rundir"
	"github.com/gradbench/gradbench/models/sweep"
)

// TestSweepPhaseDiagram runs a tiny sweep over sigma-w2 and depth on the
// synthetic data and checks phase_diagram.png and its data: one cell per
// (σ_w², depth) with the runs' mean accuracy, and the predicted 6ξ_c at
// each σ_w² equal to metrics/meanfield's.
func TestSweepPhaseDiagram(t *testing.T) {
	grid := writeGrid(t, `act = "tanh"
init = "gaussian"
sigma-b2 = 0.05
sigma-w2 = [1.0, 3.0]
depth = [2, 4]
width = 16
batch = 64
dataset = "synthetic"
`)
	out := filepath.Join(t.TempDir(), "sweep")
	if _, stderr, code := run(t, "sweep", "--grid", grid, "--out", out, "--quiet"); code != 0 {
		t.Fatalf("sweep: exit %d: %s", code, stderr)
	}
	for _, f := range []string{"phase_diagram.png", "phase_diagram.svg"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() < 1000 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(out, "report.html")); err != nil || !strings.Contains(string(b), "phase_diagram") {
		t.Errorf("report.html does not show the phase diagram: %v", err)
	}
	f, err := os.Open(filepath.Join(out, "phase_diagram.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0], ","); got != "kind,act,group,sigma_w2,sigma_b2,depth,test_accuracy,runs,max_depth" {
		t.Fatalf("header %q", got)
	}
	act, err := models.MeanField("tanh", 0)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := sweep.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	cells, predicted := 0, 0
	for _, r := range rows[1:] {
		sw2, _ := strconv.ParseFloat(r[3], 64)
		md, _ := strconv.ParseFloat(r[8], 64)
		want, err := meanfield.Solve(act, sw2, 0.05)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(md-want.MaxDepth) > 1e-6*want.MaxDepth {
			t.Errorf("row %v: max_depth %v, meanfield %v", r, md, want.MaxDepth)
		}
		switch r[0] {
		case "cell":
			cells++
			acc, err := strconv.ParseFloat(r[6], 64)
			if err != nil || acc < 0 || acc > 1 || r[7] != "1" {
				t.Errorf("cell %v: accuracy %v, runs %s", r, err, r[7])
			}
			// The cell's accuracy is its run's, from summary.json.
			depth, _ := strconv.Atoi(r[5])
			found := false
			for _, run := range spec.Runs {
				if run.Config.SigmaW2 != sw2 || run.Config.Depth != depth {
					continue
				}
				s, err := rundir.ReadSummary(filepath.Join(out, run.Dir))
				if err != nil || s.TestAccuracy == nil || math.Abs(*s.TestAccuracy-acc) > 1e-12 {
					t.Errorf("cell %v: run %s summary %v, %v", r, run.Name, s.TestAccuracy, err)
				}
				found = true
			}
			if !found {
				t.Errorf("cell %v: no run", r)
			}
		case "predicted":
			predicted++
		}
	}
	if cells != 4 || predicted != 200 {
		t.Errorf("%d cells and %d predicted points, want 4 and 200", cells, predicted)
	}
	// Cells in σ_w² then depth order.
	if rows[1][3] != "1" || rows[1][5] != "2" || rows[3][3] != "3" || rows[4][5] != "4" {
		t.Errorf("cells not in σ_w² order: %v", rows[1:5])
	}
}
