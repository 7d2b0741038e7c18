package main

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/graph"
)

// TestCompareJobsAndPlot trains two activations with one job and with two:
// the recorded numbers must not depend on the job count, and plot must
// rebuild the same table from the saved runs.
func TestCompareJobsAndPlot(t *testing.T) {
	one, two, replot := t.TempDir(), t.TempDir(), t.TempDir()
	var tables []string
	for _, tc := range []struct{ dir, jobs string }{{one, "1"}, {two, "2"}} {
		args := append([]string{"compare"}, small...)
		args = append(args, "--acts", "relu,tanh", "--jobs", tc.jobs, "--out", tc.dir)
		stdout, stderr, code := run(t, args...)
		if code != 0 {
			t.Fatalf("compare --jobs %s: exit %d: %s", tc.jobs, code, stderr)
		}
		tables = append(tables, stdout)
	}
	for _, act := range []string{"relu", "tanh"} {
		for _, f := range []string{"grad_norms.csv", "act_stats.csv", "epochs.csv"} {
			a := readFile(t, filepath.Join(one, act, f))
			if b := readFile(t, filepath.Join(two, act, f)); a != b {
				t.Errorf("%s/%s differs between --jobs 1 and --jobs 2", act, f)
			}
		}
	}
	for _, f := range []string{"report.html", "report.md", "grad_profile_start.png", "grad_profile_relative.png", "heatmap_relu.svg",
		"grad_hist_relu.png", "grad_hist_tanh.svg", "global_norm.png", "grad_norms.csv"} {
		if st, err := os.Stat(filepath.Join(one, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	for _, act := range []string{"relu", "tanh"} {
		if !strings.Contains(tables[0], act) {
			t.Errorf("table lacks %s:\n%s", act, tables[0])
		}
	}
	stdout, stderr, code := run(t, "plot", one, "--out", replot)
	if code != 0 {
		t.Fatalf("plot: exit %d: %s", code, stderr)
	}
	// The tables agree except for the report path and ms/step (wall clock).
	if a, b := tableBody(tables[0]), tableBody(stdout); a != b {
		t.Errorf("plot table differs from compare's:\n%s\nvs\n%s", a, b)
	}
}

// tableBody drops the report line and the wall-clock ms/step column.
func tableBody(s string) string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if strings.HasPrefix(l, "report:") {
			continue
		}
		f := strings.Fields(l)
		out = append(out, strings.Join(f[:len(f)-1], " "))
	}
	return strings.Join(out, "\n")
}

func TestCompareBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"compare", "--acts", "relu,swish"}, "unknown activation"},
		{[]string{"compare", "--acts", ","}, "--acts is empty"},
		{[]string{"compare", "--jobs", "0"}, "--jobs"},
		{[]string{"compare", "--act", "relu"}, "--acts"},
		{[]string{"plot", "--out", filepath.Join(t.TempDir(), "out")}, "at least one run directory"},
		{[]string{"plot", "/nonexistent/run", "--out", filepath.Join(t.TempDir(), "out")}, "not a run directory"},
		{[]string{"plot", t.TempDir(), "--out", filepath.Join(t.TempDir(), "out")}, "holds no run"},
	} {
		_, stderr, code := run(t, append(tc.args, "--dataset", "synthetic")...)
		if tc.args[0] == "plot" {
			_, stderr, code = run(t, tc.args...)
		}
		if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", tc.args, code, stderr, tc.want)
		}
	}
}

// TestCurves checks the CSV that curves writes: a column pair for every
// activation of the table, the derivatives' peaks those of the analytic
// formulas.
func TestCurves(t *testing.T) {
	out := t.TempDir()
	if _, stderr, code := run(t, "curves", "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f, err := os.Open(filepath.Join(out, "curves.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1002 {
		t.Fatalf("%d rows, want 1002", len(rows))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	peak := map[string]float64{}
	for _, r := range rows[1:] {
		for _, a := range graph.Canonical {
			v, err := strconv.ParseFloat(r[col["d_"+a]], 64)
			if err != nil {
				t.Fatal(err)
			}
			peak[a] = math.Max(peak[a], v)
		}
	}
	// Peaks on the grid of step 0.01 over [-5, 5]: selu's at x = -0.01
	// (λα·e^−0.01), softplus's at 5 (σ(5)).
	want := map[string]float64{"sigmoid": 0.25, "tanh": 1, "relu": 1, "leakyrelu": 1, "gelu": 1.1289,
		"silu": 1.0998, "elu": 1, "selu": 1.0507009873554805 * 1.6732632423543772 * math.Exp(-0.01), "softplus": 1 / (1 + math.Exp(-5)),
		"mish": 1.0885, "gelu-tanh": 1.1290}
	if len(want) != len(graph.Canonical) {
		t.Fatalf("peaks for %d activations, the table has %d", len(want), len(graph.Canonical))
	}
	for a, want := range want {
		if math.Abs(peak[a]-want) > 1e-3 {
			t.Errorf("%s′ peaks at %v, want %v", a, peak[a], want)
		}
	}
	for _, name := range []string{"curves.png", "curves.svg", "derivatives.png", "derivatives.svg"} {
		if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestReportOfSessions plots two sigmoid runs trained apart (as by two
// sessions): distinct labels in the table, the figures and the tidy
// grad_norms.csv, which holds exactly each run's own rows.
func TestReportOfSessions(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "monday", "sigmoid"), filepath.Join(root, "tuesday", "sigmoid")
	for i, dir := range []string{a, b} {
		args := append(append([]string{"train"}, small...), "--act", "sigmoid", "--seed", []string{"1", "1"}[i], "--out", dir)
		if _, stderr, code := run(t, args...); code != 0 {
			t.Fatalf("train: exit %d: %s", code, stderr)
		}
	}
	out := filepath.Join(root, "report")
	stdout, stderr, code := run(t, "plot", a, b, "--out", out)
	if code != 0 {
		t.Fatalf("plot: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"sigmoid (monday/sigmoid)", "sigmoid (tuesday/sigmoid)"} {
		if !strings.Contains(stdout, want) || !strings.Contains(readFile(t, filepath.Join(out, "grad_profile_start.svg")), want) {
			t.Errorf("label %q missing from the table or the legend:\n%s", want, stdout)
		}
	}
	for _, f := range []string{"heatmap_sigmoid__monday_sigmoid_", "heatmap_sigmoid__tuesday_sigmoid_", "grad_hist_sigmoid__monday_sigmoid_"} {
		checkPNG(t, out, f)
	}
	md := readFile(t, filepath.Join(out, "report.md"))
	if n := strings.Count(md, "every run: act sigmoid"); n != 1 {
		t.Errorf("the configuration is shown %d times:\n%s", n, md)
	}
	tidy := csvRows(t, filepath.Join(out, "grad_norms.csv"))
	if h := strings.SplitN(readFile(t, filepath.Join(out, "grad_norms.csv")), "\n", 2)[0]; h != "run,act,step,layer,param,l2" {
		t.Errorf("tidy header %q", h)
	}
	var fromTidy []string
	for _, r := range tidy {
		if r[0] == "sigmoid (tuesday/sigmoid)" {
			fromTidy = append(fromTidy, strings.Join(r[2:], ","))
		}
	}
	own := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(b, "grad_norms.csv"))), "\n")[1:]
	if strings.Join(fromTidy, "\n") != strings.Join(own, "\n") || len(tidy) != 2*len(own) {
		t.Errorf("the tidy file's rows of one run (%d) are not its grad_norms.csv (%d); %d in all", len(fromTidy), len(own), len(tidy))
	}
}
