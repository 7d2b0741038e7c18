package main

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

// TestMeanFieldInit trains a few steps on MNIST with the orthogonal and
// gaussian initialisations and checks that σ_w² and σ_b² reach the run:
// recorded in summary.json, the same numbers for the same flags, other
// numbers for another σ_w².
func TestMeanFieldInit(t *testing.T) {
	mnist := []string{"--dataset", "mnist", "--data-dir", filepath.Join("..", "..", "datasets"), "--train-size", "512", "--test-size", "256",
		"--batch", "128", "--depth", "3", "--width", "32", "--act", "tanh", "--quiet"}
	train := func(args ...string) string {
		t.Helper()
		out := t.TempDir()
		_, stderr, code := run(t, append(append(append([]string{"train"}, mnist...), args...), "--out", out)...)
		if code != 0 {
			t.Fatalf("train %v: exit %d: %s", args, code, stderr)
		}
		return out
	}
	orth := []string{"--init", "orthogonal", "--sigma-w2", "1.76", "--sigma-b2", "0.05"}
	a, b := train(orth...), train(orth...)
	c := train("--init", "orthogonal", "--sigma-w2", "1", "--sigma-b2", "0.05")
	g := train("--init", "gaussian", "--sigma-w2", "1.76", "--sigma-b2", "0.05")
	var s struct {
		Config struct {
			Init    string
			SigmaW2 float64 `json:"sigma_w2"`
			SigmaB2 float64 `json:"sigma_b2"`
		}
		InitUsed string `json:"init_used"`
		Steps    int
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(a, "summary.json"))), &s); err != nil {
		t.Fatal(err)
	}
	if s.Config.Init != "orthogonal" || s.InitUsed != "orthogonal" || s.Config.SigmaW2 != 1.76 || s.Config.SigmaB2 != 0.05 || s.Steps != 4 {
		t.Errorf("summary %+v", s)
	}
	norms := func(dir string) string { return readFile(t, filepath.Join(dir, "grad_norms.csv")) }
	if norms(a) != norms(b) {
		t.Error("grad_norms.csv differs between runs with the same flags")
	}
	if norms(a) == norms(c) {
		t.Error("grad_norms.csv is the same for sigma-w2 1.76 and 1")
	}
	if norms(a) == norms(g) {
		t.Error("grad_norms.csv is the same for orthogonal and gaussian")
	}
}
