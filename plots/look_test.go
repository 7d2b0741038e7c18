package plots

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models/rundir"
)

// TestLook renders the runs under $PLOTS_LOOK_RUNS (one subdirectory per
// activation) into $PLOTS_LOOK_OUT, for looking at the figures by eye. It
// is skipped unless PLOTS_LOOK_RUNS is set.
func TestLook(t *testing.T) {
	in := os.Getenv("PLOTS_LOOK_RUNS")
	if in == "" {
		t.Skip("PLOTS_LOOK_RUNS not set")
	}
	out := os.Getenv("PLOTS_LOOK_OUT")
	if out == "" {
		out = t.TempDir()
	}
	var runs []*rundir.Run
	var rows []metrics.Row
	for _, act := range []string{"sigmoid", "tanh", "relu", "leakyrelu", "gelu"} {
		r, err := rundir.Read(filepath.Join(in, act))
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
		rows = append(rows, r.Row())
	}
	figs, err := Figures(runs, out)
	if err != nil {
		t.Fatal(err)
	}
	xs, names, ys, dys := testCurves(201)
	cf, err := Curves(out, xs, names, ys, dys)
	if err != nil {
		t.Fatal(err)
	}
	if err := Report(out, "Gradient flow by activation", "depth 20, width 128\nbatch 128", rows, append(cf, figs...)); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d figures to %s", len(figs)+len(cf), out)
}
