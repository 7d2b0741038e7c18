package plots

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/metrics"
)

func ptr(x float64) *float64 { return &x }

// sweepPoints returns a sweep of sigmoid, tanh and relu over depths 2, 4,
// 8 and 16 with two seeds each: sigmoid falls below StopBelow from depth
// 8, tanh only at depth 16 and only on average (one seed above), relu
// never; sigmoid's gradient ratio vanishes with depth.
func sweepPoints() []SweepPoint {
	acc := map[string][]float64{
		"sigmoid": {0.9, 0.88, 0.5, 0.45, 0.11, 0.1, 0.1, 0.098},
		"tanh":    {0.95, 0.94, 0.93, 0.9, 0.6, 0.5, 0.3, 0.05},
		"relu":    {0.97, 0.96, 0.96, 0.95, 0.95, 0.94, 0.9, 0.8},
	}
	var pts []SweepPoint
	for _, act := range []string{"sigmoid", "tanh", "relu"} {
		for i, d := range []int{2, 4, 8, 16} {
			for s := range 2 {
				ratio := math.Pow(0.25, float64(d)) * float64(s+1)
				if act != "sigmoid" {
					ratio = 1 + 0.1*float64(s)
				}
				pts = append(pts, SweepPoint{Act: act, Depth: d, TestAccuracy: ptr(acc[act][2*i+s]), GradRatioFirst: ptr(ratio)})
			}
		}
	}
	return pts
}

func TestStopDepths(t *testing.T) {
	rows := StopDepths(sweepPoints())
	want := map[string]int{"sigmoid": 8, "tanh": 16, "relu": 0}
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	for i, r := range rows {
		if act := []string{"sigmoid", "tanh", "relu"}[i]; r.Act != act {
			t.Errorf("row %d is %s, want %s", i, r.Act, act)
		}
		if r.StopDepth != want[r.Act] {
			t.Errorf("%s stops at %d, want %d", r.Act, r.StopDepth, want[r.Act])
		}
		if !slices.Equal(r.Depths, []int{2, 4, 8, 16}) || !slices.Equal(r.Runs, []int{2, 2, 2, 2}) {
			t.Errorf("%s: depths %v runs %v", r.Act, r.Depths, r.Runs)
		}
	}
	if m := rows[0].MeanAcc[1]; math.Abs(m-0.475) > 1e-12 {
		t.Errorf("sigmoid mean at depth 4: %g", m)
	}
	text := StopText(rows)
	for _, want := range []string{"stops training at depth", "sigmoid", "> 16", "0.475 (2)"} {
		if !strings.Contains(text, want) {
			t.Errorf("text table lacks %q:\n%s", want, text)
		}
	}
	md := StopMarkdown(rows)
	if !strings.Contains(md, "| sigmoid | 8 |") || !strings.Contains(md, "| relu | > 16 |") {
		t.Errorf("markdown table:\n%s", md)
	}

	for _, tc := range []struct {
		name string
		pts  []SweepPoint
		want int
	}{
		// A run without an accuracy (diverged) counts as 0.
		{"diverged", []SweepPoint{{Act: "relu", Depth: 3, TestAccuracy: ptr(0.3)}, {Act: "relu", Depth: 3}}, 3},
		{"threshold is strict", []SweepPoint{{Act: "relu", Depth: 3, TestAccuracy: ptr(StopBelow)}}, 0},
		{"NaN counts as 0", []SweepPoint{{Act: "relu", Depth: 5, TestAccuracy: ptr(math.NaN())}}, 5},
		{"smallest depth, not the deepest", []SweepPoint{{Act: "relu", Depth: 2, TestAccuracy: ptr(0.1)}, {Act: "relu", Depth: 4, TestAccuracy: ptr(0.9)}}, 2},
	} {
		if got := StopDepths(tc.pts)[0].StopDepth; got != tc.want {
			t.Errorf("%s: stop depth %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestSweepFigures(t *testing.T) {
	dir := testDir(t, "sweep")
	figs, err := SweepFigures(sweepPoints(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := figureNames(figs); !slices.Equal(got, []string{"sweep_accuracy", "sweep_grad_ratio"}) {
		t.Fatalf("figures %q", got)
	}
	for _, f := range figs {
		svg := checkFiles(t, dir, f)
		for _, act := range []string{"sigmoid", "tanh", "relu"} {
			if !strings.Contains(svg, act) {
				t.Errorf("%s.svg has no %s", f.Name, act)
			}
		}
		if !slices.Equal(f.Series, []string{"sigmoid", "tanh", "relu"}) {
			t.Errorf("%s series %q", f.Name, f.Series)
		}
	}
	rows := []metrics.Row{{Act: "act=relu,depth=2", GainStart: math.NaN(), GainEnd: math.NaN(), Predicted: math.NaN()}}
	stop := StopDepths(sweepPoints())
	if err := SweepReport(dir, "sweep", "grid g.toml\n## Results\n", stop, rows, figs); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	i, j := strings.Index(string(md), "## Where training stops"), strings.LastIndex(string(md), "## Results")
	if i < 0 || j < i || !strings.Contains(string(md), "| sigmoid | 8 |") {
		t.Errorf("report.md:\n%s", md)
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	if !strings.Contains(string(html), "<h2>Where training stops</h2>\n<table>") {
		t.Error("report.html has no stop table")
	}
}

// TestSweepFiguresGroups checks one pair of figures per group of other
// swept settings, and figures of awkward data: one depth, one seed, no
// finite ratio, a diverged run.
func TestSweepFiguresGroups(t *testing.T) {
	dir := testDir(t, "sweep-groups")
	pts := []SweepPoint{
		{Act: "relu", Group: "width=16", Depth: 3, TestAccuracy: ptr(0.9), GradRatioFirst: ptr(2)},
		{Act: "gelu", Group: "width=16", Depth: 3, TestAccuracy: nil, GradRatioFirst: nil},
		{Act: "relu", Group: "width=64", Depth: 3, TestAccuracy: ptr(0.95), GradRatioFirst: ptr(math.Inf(1))},
		{Act: "relu", Group: "width=64", Depth: 6, TestAccuracy: ptr(0.1), GradRatioFirst: ptr(0)},
	}
	figs, err := SweepFigures(pts, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"sweep_accuracy_width_16", "sweep_grad_ratio_width_16", "sweep_accuracy_width_64", "sweep_grad_ratio_width_64"}
	if got := figureNames(figs); !slices.Equal(got, want) {
		t.Fatalf("figures %q, want %q", got, want)
	}
	for _, f := range figs {
		checkFiles(t, dir, f)
	}
	if !strings.Contains(figs[3].Title, "no finite data") || !strings.Contains(figs[0].Title, "(width=16)") {
		t.Errorf("titles %q, %q", figs[0].Title, figs[3].Title)
	}
	rows := StopDepths(pts)
	if len(rows) != 3 || rows[1].Act != "gelu" || rows[1].StopDepth != 3 || rows[2].Group != "width=64" || rows[2].StopDepth != 6 {
		t.Errorf("rows %+v", rows)
	}
	if text := StopText(rows); !strings.Contains(text, "group") || !strings.Contains(text, "width=64") {
		t.Errorf("text table:\n%s", text)
	}
	if _, err := SweepFigures(nil, dir); err == nil {
		t.Error("no error for no points")
	}
}
