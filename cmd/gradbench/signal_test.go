package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSignalThroughTheCLI trains GELU and ReLU at He init through the
// binary and reads what the forward and backward signal readings give:
// GELU's weight gradients look healthy while its activations shrink
// about 1/√2 per layer (GELU(z) ≈ z/2 for small z, σ_w² = 2) and its
// error with them; the report's verdict says so, and every run records
// its Jacobian spectrum, drawn in the report.
func TestSignalThroughTheCLI(t *testing.T) {
	root := t.TempDir()
	var dirs []string
	for _, act := range []string{"gelu", "relu"} {
		dir := filepath.Join(root, act)
		args := []string{"train", "--dataset", "synthetic", "--depth", "12", "--width", "64", "--batch", "32", "--epochs", "1",
			"--log-every", "10", "--quiet", "--tensorboard=false", "--act", act, "--out", dir}
		if _, stderr, code := run(t, args...); code != 0 {
			t.Fatalf("%s: exit %d: %s", act, code, stderr)
		}
		dirs = append(dirs, dir)
	}
	var s struct {
		ForwardGain   *float64 `json:"forward_gain"`
		ErrorGain     *float64 `json:"delta_gain"`
		LastHiddenRMS *float64 `json:"last_hidden_rms"`
		Spectrum      *struct {
			Examples, Layers, Values int
			MeanSq                   *float64 `json:"mean_sq"`
		} `json:"jacobian_spectrum"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dirs[0], "summary.json"))), &s); err != nil {
		t.Fatal(err)
	}
	if s.ForwardGain == nil || *s.ForwardGain < 0.62 || *s.ForwardGain > 0.8 || s.ErrorGain == nil || *s.ErrorGain > 0.85 || s.LastHiddenRMS == nil {
		t.Errorf("gelu: forward gain %v, error gain %v, last hidden RMS %v; want about 0.71, below 0.85", deref(s.ForwardGain), deref(s.ErrorGain), deref(s.LastHiddenRMS))
	}
	if sp := s.Spectrum; sp == nil || sp.Examples != 32 || sp.Layers != 11 || sp.Values != 32*64 || sp.MeanSq == nil {
		t.Errorf("gelu: jacobian_spectrum %+v", sp)
	}
	header, _, _ := strings.Cut(readFile(t, filepath.Join(dirs[0], "act_stats.csv")), "\n")
	if header != "step,layer,pre_mean,pre_std,saturated,dead,out_rms,delta_rms" {
		t.Errorf("act_stats.csv header %q", header)
	}
	if n := strings.Count(readFile(t, filepath.Join(dirs[0], "jacobian_spectrum.csv")), "\n"); n != 1+32*64 {
		t.Errorf("jacobian_spectrum.csv has %d lines, want %d", n, 1+32*64)
	}
	out := filepath.Join(root, "report")
	if _, stderr, code := run(t, append([]string{"plot", "--out", out}, dirs...)...); code != 0 {
		t.Fatalf("plot: exit %d: %s", code, stderr)
	}
	report := readFile(t, filepath.Join(out, "report.md"))
	for _, want := range []string{"| gelu |", "healthy gradients, vanishing forward signal |", "| forward gain | δ gain |", "jacobian_spectrum.png", "signal_forward.png", "signal_delta.png"} {
		if !strings.Contains(report, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	for _, line := range strings.Split(report, "\n") {
		// The verdict is the cell before ms/step.
		if cells := strings.Split(line, "|"); strings.HasPrefix(line, "| relu |") && strings.TrimSpace(cells[len(cells)-3]) != "healthy" {
			t.Errorf("relu's verdict is not healthy: %s", line)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "jacobian_spectrum.png")); err != nil {
		t.Error(err)
	}
}

func deref(x *float64) any {
	if x == nil {
		return nil
	}
	return *x
}
