package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTheory runs gradbench theory through the binary: values, the JSON
// keys, infinities as null, the range table and figure, and bad input.
func TestTheory(t *testing.T) {
	stdout, stderr, code := run(t, "theory", "--act", "tanh", "--sigma-w2", "3", "--sigma-b2", "0.05", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("theory --json: %v\n%s", err, stdout)
	}
	for _, k := range []string{"q_star", "c_star", "chi1", "xi_c", "xi_grad", "max_depth", "critical_sigma_w2", "scale_invariant", "phase"} {
		if _, ok := got[k]; !ok {
			t.Errorf("theory --json lacks %q: %s", k, stdout)
		}
	}
	// Reference values of metrics/meanfield's tests (Simpson-checked q*, χ₁
	// and the critical σ_w²).
	for k, want := range map[string]float64{"q_star": 1.42801, "chi1": 1.20893, "critical_sigma_w2": 1.760955, "c_star": 0.299318} {
		if v, ok := got[k].(float64); !ok || math.Abs(v-want) > 1e-5 {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}
	if got["phase"] != "chaotic" {
		t.Errorf("phase %v, want chaotic", got["phase"])
	}

	// relu in its chaotic phase: q* and ξ_c infinite, null in JSON.
	stdout, _, code = run(t, "theory", "--act", "relu", "--sigma-w2", "3", "--json")
	if code != 0 {
		t.Fatalf("relu: exit %d", code)
	}
	got = nil
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("relu --json: %v\n%s", err, stdout)
	}
	if got["q_star"] != nil || got["xi_c"] != nil || got["chi1"] != 1.5 || got["scale_invariant"] != true {
		t.Errorf("relu at 3: %s", stdout)
	}
	if inf, _ := got["infinite"].([]any); len(inf) != 3 {
		t.Errorf("relu at 3: infinite %v, want q_star, xi_c, max_depth", got["infinite"])
	}

	// Text of the ordered phase.
	stdout, _, code = run(t, "theory", "--sigma-w2", "1")
	for _, want := range []string{"tanh at σ_w² = 1, σ_b² = 0.05", "χ₁              0.759032", "phase           ordered", "critical σ_w²   1.76095"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("theory text lacks %q:\n%s", want, stdout)
		}
	}

	// The range: a table row per activation and σ_w², and the figure.
	fig := filepath.Join(t.TempDir(), "fig", "theory.png")
	stdout, stderr, code = run(t, "theory", "--act", "tanh,relu", "--sigma-w2", "1:3:0.5", "--out", fig)
	if code != 0 {
		t.Fatalf("range: exit %d: %s", code, stderr)
	}
	if n := strings.Count(stdout, "\n"); n != 1+2*5 {
		t.Errorf("range table has %d lines, want 11:\n%s", n, stdout)
	}
	for _, want := range []string{"relu     2", "critical", "tanh   2.5"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("range table lacks %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{fig, strings.TrimSuffix(fig, ".png") + ".svg"} {
		if st, err := os.Stat(f); err != nil || st.Size() < 1000 {
			t.Errorf("figure %s: %v", f, err)
		}
	}
	stdout, _, _ = run(t, "theory", "--act", "all", "--sigma-w2", "1:2:1", "--json")
	var all []map[string]any
	if err := json.Unmarshal([]byte(stdout), &all); err != nil || len(all) != 2*11 {
		t.Errorf("--act all --json: %v, %d points", err, len(all))
	}

	for _, args := range [][]string{
		{"--sigma-w2", "0"},
		{"--sigma-w2", "x"},
		{"--sigma-w2", "3:1:0.5"},
		{"--sigma-w2", "1:3:0"},
		{"--sigma-b2", "-1"},
		{"--act", "nope"},
		{"--act", "tanh,relu"},
		{"--out", "a.png"},
		{"--sigma-w2", "1:2:0.5", "--out", "a.jpg"},
		{"extra"},
	} {
		stdout, stderr, code := run(t, append([]string{"theory"}, args...)...)
		if code != 2 || stdout != "" || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.HasPrefix(stderr, "gradbench: ") {
			t.Errorf("theory %v: exit %d, stdout %q, stderr %q; want exit 2 and one line", args, code, stdout, stderr)
		}
	}
}
