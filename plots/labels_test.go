package plots

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gradbench/gradbench/models/config"
	"github.com/gradbench/gradbench/models/rundir"
)

func configRun(dir, act string, edit func(*config.Config)) *rundir.Run {
	r := fakeRun(act, 3, 4, 1, 1)
	r.Dir = dir
	r.Summary.Config = config.Default()
	r.Summary.Config.Act, r.Summary.Config.Depth = act, 3
	r.Summary.InitUsed, r.Summary.Steps = "he-normal", 4
	if edit != nil {
		edit(&r.Summary.Config)
	}
	return r
}

func TestLabels(t *testing.T) {
	seed2 := func(c *config.Config) { c.Seed = 2 }
	otherData := func(c *config.Config) { c.DataDir = "/elsewhere" }
	for _, tc := range []struct {
		name string
		runs []*rundir.Run
		want []string
	}{
		{"a compare", []*rundir.Run{configRun("c/relu", "relu", nil), configRun("c/tanh", "tanh", nil)}, []string{"relu", "tanh"}},
		{"two seeds", []*rundir.Run{configRun("a/sigmoid", "sigmoid", nil), configRun("b/sigmoid", "sigmoid", seed2)},
			[]string{"sigmoid seed=1", "sigmoid seed=2"}},
		{"two sessions of one configuration", []*rundir.Run{configRun("runs/monday/sigmoid", "sigmoid", nil), configRun("runs/tuesday/sigmoid", "sigmoid", otherData)},
			[]string{"sigmoid (monday/sigmoid)", "sigmoid (tuesday/sigmoid)"}},
		{"same directory name", []*rundir.Run{configRun("x", "relu", nil), configRun("x", "relu", nil)}, []string{"relu (1)", "relu (2)"}},
	} {
		if got := Labels(tc.runs); !slices.Equal(got, tc.want) {
			t.Errorf("%s: labels %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestDescribeAndTidy(t *testing.T) {
	runs := []*rundir.Run{configRun("a/sigmoid", "sigmoid", nil), configRun("b/sigmoid", "sigmoid", func(c *config.Config) { c.Seed, c.LR = 2, 0.01 })}
	labels := Labels(runs)
	d := describe(runs, labels)
	lines := strings.Split(strings.TrimSpace(d), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "every run: act sigmoid, leaky-slope 0.01, depth 3") || strings.Contains(lines[0], "seed") ||
		!strings.HasPrefix(lines[2], "sigmoid lr=0.01 seed=2: lr 0.01, seed 2, init used he-normal, 4 steps, b/sigmoid") {
		t.Errorf("describe:\n%s", d)
	}
	path := filepath.Join(t.TempDir(), TidyFile)
	if err := WriteTidy(path, runs, labels); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], []string{"run", "act", "lr", "seed", "step", "layer", "param", "l2"}) {
		t.Errorf("header %v", recs[0])
	}
	// 2 runs × 4 steps × 4 layers × (weight, bias).
	if len(recs) != 1+2*4*4*2 || !slices.Equal(recs[len(recs)-1][:7], []string{"sigmoid lr=0.01 seed=2", "sigmoid", "0.01", "2", "4", "3", "bias"}) {
		t.Errorf("%d rows, last %v", len(recs), recs[len(recs)-1])
	}
}
