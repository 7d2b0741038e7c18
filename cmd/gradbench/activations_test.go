package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/graph"
)

// TestCompareAll trains every activation of the table for a few steps on
// MNIST with compare --acts all and checks that each run finished with a
// finite loss, that the table lists them in the table's order, that auto
// chose LeCun normal for selu, and that the report draws each.
func TestCompareAll(t *testing.T) {
	out := t.TempDir()
	stdout, stderr, code := run(t, "compare", "--acts", "all", "--dataset", "mnist", "--data-dir", filepath.Join("..", "..", "datasets"),
		"--train-size", "256", "--test-size", "128", "--batch", "64", "--depth", "4", "--width", "16", "--quiet", "--out", out)
	if code != 0 {
		t.Fatalf("compare --acts all: exit %d: %s", code, stderr)
	}
	last := -1
	for _, act := range graph.Canonical {
		var s struct {
			Steps     int
			FinalLoss *float64 `json:"final_loss"`
			InitUsed  string   `json:"init_used"`
		}
		if err := json.Unmarshal([]byte(readFile(t, filepath.Join(out, act, "summary.json"))), &s); err != nil {
			t.Fatalf("%s: %v", act, err)
		}
		if s.Steps != 4 || s.FinalLoss == nil {
			t.Errorf("%s: %d steps, final loss %v", act, s.Steps, s.FinalLoss)
		}
		want := map[string]string{"sigmoid": "xavier-uniform", "tanh": "xavier-uniform", "selu": "lecun-normal"}[act]
		if want == "" {
			want = "he-normal"
		}
		if s.InitUsed != want {
			t.Errorf("%s: auto chose %s, want %s", act, s.InitUsed, want)
		}
		i := strings.Index(stdout, "\n"+act+" ")
		if i < 0 || i < last {
			t.Errorf("table lacks %s or lists it out of order:\n%s", act, stdout)
		}
		last = i
		for _, f := range []string{"heatmap_" + act + ".svg", "grad_hist_" + act + ".png"} {
			if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
				t.Errorf("%s not written: %v", f, err)
			}
		}
	}
}

// TestCompareDefaultActs checks that compare without --acts trains the
// five classic activations only.
func TestCompareDefaultActs(t *testing.T) {
	out := t.TempDir()
	if _, stderr, code := run(t, append(append([]string{"compare"}, small...), "--epochs", "1", "--out", out)...); code != 0 {
		t.Fatalf("compare: exit %d: %s", code, stderr)
	}
	for _, act := range graph.Canonical {
		_, err := os.Stat(filepath.Join(out, act, "summary.json"))
		if classic := strings.Contains(","+strings.Join(graph.Classic, ",")+",", ","+act+","); classic != (err == nil) {
			t.Errorf("%s: classic %v, run %v", act, classic, err)
		}
	}
}
