package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// structured are small's flags with residual connections and LayerNorm.
var structured = append(append([]string(nil), small...), "--residual", "--norm", "layernorm")

// TestStructureTrain trains a network with residual connections and
// LayerNorm through the CLI: the same flags give the same files byte for
// byte, the flags change the numbers, grad_norms.csv names the LayerNorm
// parameters of every hidden layer, and summary.json records the settings
// and says why it has no predicted gain.
func TestStructureTrain(t *testing.T) {
	a, b, plain := t.TempDir(), t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		if _, stderr, code := run(t, append(append([]string{"train"}, structured...), "--act", "sigmoid", "--out", d)...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	if _, stderr, code := run(t, append(append([]string{"train"}, small...), "--act", "sigmoid", "--out", plain)...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	sameRun(t, a, b)
	norms := readFile(t, filepath.Join(a, "grad_norms.csv"))
	if norms == readFile(t, filepath.Join(plain, "grad_norms.csv")) {
		t.Error("--residual --norm layernorm changed no gradient norm")
	}
	// 32 steps × (4 layers × weight, bias + 3 hidden layers × ln_gain, ln_bias) + header.
	if n := strings.Count(norms, "\n"); n != 1+32*(4*2+3*2) {
		t.Errorf("grad_norms.csv has %d lines, want %d", n, 1+32*(4*2+3*2))
	}
	for _, row := range []string{"\n1,0,ln_gain,", "\n1,2,ln_bias,", "\n32,3,weight,"} {
		if !strings.Contains(norms, row) {
			t.Errorf("grad_norms.csv has no row %q", row[1:])
		}
	}
	if strings.Contains(norms, ",3,ln_gain,") {
		t.Error("the output layer has a LayerNorm gain")
	}
	var s struct {
		Config struct {
			Residual bool
			Norm     string
		}
		PredictedGain     *float64 `json:"predicted_gain"`
		PredictedGainNote string   `json:"predicted_gain_note"`
	}
	for _, tc := range []struct {
		dir      string
		residual bool
		norm     string
		gain     bool
	}{{a, true, "layernorm", false}, {plain, false, "none", true}} {
		s.PredictedGain, s.PredictedGainNote = nil, ""
		if err := json.Unmarshal([]byte(readFile(t, filepath.Join(tc.dir, "summary.json"))), &s); err != nil {
			t.Fatal(err)
		}
		if s.Config.Residual != tc.residual || s.Config.Norm != tc.norm {
			t.Errorf("summary config %+v, want residual %v norm %s", s.Config, tc.residual, tc.norm)
		}
		if (s.PredictedGain != nil) != tc.gain || (s.PredictedGainNote == "") != tc.gain {
			t.Errorf("residual %v: predicted gain %v, note %q", tc.residual, s.PredictedGain, s.PredictedGainNote)
		}
	}
	for _, tc := range []struct{ args []string }{{[]string{"--norm", "batchnorm"}}, {[]string{"--residual=maybe"}}} {
		_, stderr, code := run(t, append(append([]string{"train"}, small...), append(tc.args, "--out", t.TempDir())...)...)
		oneLineError(t, stderr, code, strings.TrimPrefix(strings.SplitN(tc.args[0], "=", 2)[0], "--"))
	}
}

// TestStructureResume kills a run with residual connections and LayerNorm
// part-way and resumes it: the outputs are those of a run never stopped
// (the LayerNorm parameters and their optimiser state come back from the
// checkpoint); a flag that would change the structure is refused.
func TestStructureResume(t *testing.T) {
	flags := append(append([]string(nil), slow...), "--residual", "--norm", "layernorm")
	ref, dir := t.TempDir(), t.TempDir()
	if _, stderr, code := run(t, append([]string{"train", "--out", ref}, flags...)...); code != 0 {
		t.Fatalf("reference run: exit %d: %s", code, stderr)
	}
	startAndKill(t, filepath.Join(dir, "metrics.csv"), 70, syscall.SIGKILL, append([]string{"train", "--out", dir}, flags...)...)
	for _, bad := range [][]string{{"--residual=false"}, {"--norm", "none"}} {
		_, stderr, code := run(t, append([]string{"train", "--resume", dir, "--quiet"}, bad...)...)
		oneLineError(t, stderr, code, "--"+strings.SplitN(strings.TrimPrefix(bad[0], "--"), "=", 2)[0])
	}
	if _, stderr, code := run(t, "train", "--resume", dir, "--quiet"); code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	sameRun(t, ref, dir)
}

// TestStructureCompare compares two activations with residual connections
// and LayerNorm, plots them together with a plain compare, and diffs two
// runs: the table names each run by activation and structure, says the
// predicted gain covers plain networks only, and the LayerNorm gradient
// profiles are drawn.
func TestStructureCompare(t *testing.T) {
	out, plainOut, replot := t.TempDir(), t.TempDir(), t.TempDir()
	stdout, stderr, code := run(t, append(append([]string{"compare"}, structured...), "--acts", "relu,tanh", "--jobs", "2", "--out", out)...)
	if code != 0 {
		t.Fatalf("compare: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"tanh+residual+layernorm", "relu+residual+layernorm", "plain nets only"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("compare table lacks %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{"grad_profile_ln_gain_start.png", "grad_profile_ln_bias_end.png", "heatmap_relu_residual_layernorm.png"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	if _, stderr, code := run(t, append(append([]string{"compare"}, small...), "--acts", "tanh", "--out", plainOut)...); code != 0 {
		t.Fatalf("plain compare: exit %d: %s", code, stderr)
	}
	stdout, stderr, code = run(t, "plot", out, plainOut, "--out", replot)
	if code != 0 {
		t.Fatalf("plot: exit %d: %s", code, stderr)
	}
	rows := strings.Split(stdout, "\n")
	if len(rows) < 4 || !strings.HasPrefix(rows[3], "tanh ") || strings.Contains(rows[3], "plain nets only") {
		t.Errorf("plot table:\n%s", stdout)
	}
	md := readFile(t, filepath.Join(replot, "report.md"))
	if !strings.Contains(md, "residual true, norm layernorm") || !strings.Contains(md, "plain stack of layers only") {
		t.Errorf("report.md does not describe the structures")
	}
	if _, stderr, code := run(t, "diff", filepath.Join(out, "tanh"), filepath.Join(out, "tanh")); code != 0 {
		t.Errorf("diff of a run with itself: exit %d: %s", code, stderr)
	}
	_, stderr, code = run(t, "diff", filepath.Join(out, "tanh"), filepath.Join(plainOut, "tanh"))
	oneLineError(t, stderr, code, "compare runs of one configuration")
}

// TestStructureSweep sweeps residual and norm as grid keys: four runs
// named by their values, each what train writes with the run's flags; a
// value of the wrong kind is refused.
func TestStructureSweep(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sweep")
	grid := writeGrid(t, "act = \"tanh\"\ndepth = 3\nwidth = 16\nbatch = 64\ndataset = \"synthetic\"\nresidual = [true, false]\nnorm = [\"none\", \"layernorm\"]\n")
	if _, stderr, code := run(t, "sweep", "--grid", grid, "--out", dir, "--jobs", "2", "--quiet"); code != 0 {
		t.Fatalf("sweep: exit %d: %s", code, stderr)
	}
	spec := checkSweepRuns(t, dir, 4)
	want := []string{"residual=true,norm=none", "residual=true,norm=layernorm", "residual=false,norm=none", "residual=false,norm=layernorm"}
	if got := runNames(spec); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("runs %v, want %v", got, want)
	}
	sameAsTrain(t, dir, spec.Runs[1])
	sameAsTrain(t, dir, spec.Runs[2])
	for _, tc := range []struct{ grid, want string }{
		{"residual = \"yes\"", `residual: want true or false (no quotes), got "yes"`},
		{"residual = [true, true]", "residual lists true twice"},
		{"norm = [\"layernorm\", \"batchnorm\"]", "run norm=batchnorm: norm batchnorm: unknown norm"},
		{"norm = true", "norm: want a string"},
	} {
		out := filepath.Join(t.TempDir(), "sweep")
		_, stderr, code := run(t, "sweep", "--grid", writeGrid(t, "dataset = \"synthetic\"\nwidth = 8\n"+tc.grid), "--out", out, "--quiet")
		oneLineError(t, stderr, code, tc.want)
	}
}
