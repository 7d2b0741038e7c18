package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// slow are flags for a synthetic run long enough to be killed part-way:
// 3 epochs of 64 steps, a checkpoint every 5 steps.
var slow = []string{"--dataset", "synthetic", "--depth", "6", "--width", "96", "--batch", "32", "--epochs", "3",
	"--act", "gelu", "--checkpoint-every", "5", "--quiet"}

// lines counts the lines of a file, 0 if it does not exist.
func lines(path string) int {
	b, _ := os.ReadFile(path)
	return bytes.Count(b, []byte("\n"))
}

// startAndKill starts the binary with args and sends sig once file has at
// least n lines (or the process ends). It returns the exit code.
func startAndKill(t *testing.T, file string, n int, sig syscall.Signal, args ...string) int {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case <-done:
			t.Logf("process ended before the kill point (%d lines): %s", lines(file), stderr.String())
			return cmd.ProcessState.ExitCode()
		case <-deadline:
			cmd.Process.Kill()
			t.Fatal("timed out waiting for the kill point")
		case <-time.After(time.Millisecond):
		}
		if lines(file) >= n {
			cmd.Process.Signal(sig)
			<-done
			return cmd.ProcessState.ExitCode()
		}
	}
}

// withoutWallClock drops summary.json's wall-clock fields.
func withoutWallClock(t *testing.T, path string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(readFile(t, path)), &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "ms_per_step")
	delete(m, "wall_clock")
	b, _ := json.MarshalIndent(m, "", " ")
	return string(b)
}

// sameRun checks that dir holds the same outputs as ref, wall-clock fields
// aside.
func sameRun(t *testing.T, ref, dir string) {
	t.Helper()
	for _, f := range []string{"grad_norms.csv", "act_stats.csv", "epochs.csv", "grad_hist.csv"} {
		if readFile(t, filepath.Join(ref, f)) != readFile(t, filepath.Join(dir, f)) {
			t.Errorf("%s differs from the uninterrupted run", f)
		}
	}
	if dropColumn(readFile(t, filepath.Join(ref, "metrics.csv"))) != dropColumn(readFile(t, filepath.Join(dir, "metrics.csv"))) {
		t.Error("metrics.csv differs from the uninterrupted run (elapsed_s aside)")
	}
	if a, b := withoutWallClock(t, filepath.Join(ref, "summary.json")), withoutWallClock(t, filepath.Join(dir, "summary.json")); a != b {
		t.Errorf("summary.json differs from the uninterrupted run:\n%s\nvs\n%s", a, b)
	}
}

// TestKillAndResume kills real training processes at several points, with
// SIGKILL (no chance to clean up) and SIGINT, resumes each, and checks the
// outputs are those of a run that was never stopped.
func TestKillAndResume(t *testing.T) {
	ref := t.TempDir()
	if _, stderr, code := run(t, append([]string{"train", "--out", ref}, slow...)...); code != 0 {
		t.Fatalf("reference run: exit %d: %s", code, stderr)
	}
	if n := lines(filepath.Join(ref, "metrics.csv")); n != 1+3*64 {
		t.Fatalf("reference run has %d metrics lines", n)
	}
	for _, tc := range []struct {
		name   string
		kills  []int // metrics.csv lines at which to kill, one process each
		signal syscall.Signal
	}{
		{"sigkill early", []int{3}, syscall.SIGKILL},
		{"sigkill at an epoch boundary", []int{65}, syscall.SIGKILL},
		{"sigkill twice", []int{40, 150}, syscall.SIGKILL},
		{"sigint", []int{100}, syscall.SIGINT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			metricsFile := filepath.Join(dir, "metrics.csv")
			code := startAndKill(t, metricsFile, tc.kills[0], tc.signal, append([]string{"train", "--out", dir}, slow...)...)
			for _, n := range tc.kills[1:] {
				code = startAndKill(t, metricsFile, n, tc.signal, "train", "--resume", dir, "--quiet")
			}
			want := -1 // killed by SIGKILL
			if tc.signal == syscall.SIGINT {
				want = 130
			}
			if code != want && code != 0 {
				t.Errorf("exit code %d, want %d", code, want)
			}
			if tc.signal == syscall.SIGINT {
				var s struct{ Status string }
				json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "summary.json"))), &s)
				if s.Status != "interrupted" {
					t.Errorf("summary status %q after SIGINT, want interrupted", s.Status)
				}
			}
			if _, stderr, code := run(t, "train", "--resume", dir, "--quiet"); code != 0 {
				t.Fatalf("resume: exit %d: %s", code, stderr)
			}
			sameRun(t, ref, dir)
			// A finished run resumes to nothing.
			stdout, _, code := run(t, "train", "--resume", dir)
			if code != 0 || !strings.Contains(stdout, "nothing to do") {
				t.Errorf("resuming a finished run: exit %d, %q", code, stdout)
			}
		})
	}
}

// TestResumeBadCheckpoint checks the refusals: another configuration, a
// corrupt, truncated or foreign file. Nothing in the run may change.
func TestResumeBadCheckpoint(t *testing.T) {
	dir := t.TempDir()
	code := startAndKill(t, filepath.Join(dir, "metrics.csv"), 20, syscall.SIGKILL, append([]string{"train", "--out", dir}, slow...)...)
	if code == 0 {
		t.Skip("run finished before the kill")
	}
	ckPath := filepath.Join(dir, "checkpoint.bin")
	good := readFile(t, ckPath)
	snapshot := func() string {
		return readFile(t, filepath.Join(dir, "metrics.csv")) + readFile(t, filepath.Join(dir, "grad_norms.csv")) + readFile(t, ckPath)
	}
	for _, tc := range []struct {
		name  string
		ck    string
		flags []string
		want  string
	}{
		{"other lr", good, []string{"--lr", "0.01"}, "--lr 0.01 differs from the run's 0.001"},
		{"other activation", good, []string{"--act", "relu"}, "--act relu differs"},
		{"preset", good, []string{"--preset", "seed"}, "drop --preset"},
		{"truncated", good[:len(good)/2], nil, "truncated"},
		{"corrupt", good[:100] + "X" + good[101:], nil, "corrupt"},
		{"foreign", "step,epoch\n", nil, "bad magic"},
		{"other version", good[:8] + "\x07" + good[9:], nil, "format version 7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(ckPath, []byte(tc.ck), 0o644); err != nil {
				t.Fatal(err)
			}
			before := snapshot()
			_, stderr, code := run(t, append([]string{"train", "--resume", dir, "--quiet"}, tc.flags...)...)
			if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want 2 and one line with %q", code, stderr, tc.want)
			}
			if snapshot() != before {
				t.Error("a refused resume changed the run's files")
			}
		})
	}
	os.Remove(ckPath)
	if _, stderr, code := run(t, "train", "--resume", dir); code != 2 || !strings.Contains(stderr, "no checkpoint") {
		t.Errorf("missing checkpoint: exit %d, %q", code, stderr)
	}
}

// TestCompareResume kills a compare after its first activation finished
// and checks that --resume trains only what is left and gives the same
// outputs as an uninterrupted compare.
func TestCompareResume(t *testing.T) {
	args := []string{"compare", "--acts", "relu,tanh", "--jobs", "1"}
	args = append(args, slow[:len(slow)-5]...) // the slow flags, less --act gelu and the checkpoint interval
	args = append(args, "--checkpoint-every", "5", "--quiet")
	ref, dir := t.TempDir(), t.TempDir()
	if _, stderr, code := run(t, append(args, "--out", ref)...); code != 0 {
		t.Fatalf("reference compare: exit %d: %s", code, stderr)
	}
	// tanh runs first (canonical order); kill once relu has logged 30 steps.
	startAndKill(t, filepath.Join(dir, "relu", "metrics.csv"), 30, syscall.SIGKILL, append(args, "--out", dir)...)
	tanhCk := readFile(t, filepath.Join(dir, "tanh", "checkpoint.bin"))
	if _, stderr, code := run(t, append(args, "--out", dir, "--resume")...); code != 0 {
		t.Fatalf("compare --resume: exit %d: %s", code, stderr)
	}
	if readFile(t, filepath.Join(dir, "tanh", "checkpoint.bin")) != tanhCk {
		t.Error("the finished tanh run was trained again")
	}
	for _, act := range []string{"relu", "tanh"} {
		sameRun(t, filepath.Join(ref, act), filepath.Join(dir, act))
	}
	if _, stderr, code := run(t, append(args, "--out", dir, "--resume", "--lr", "0.5")...); code != 2 || !strings.Contains(stderr, "configured differently") {
		t.Errorf("compare --resume with another lr: exit %d, %q", code, stderr)
	}
}

// TestClipNorm checks that --clip-norm rescales every step whose global
// norm exceeds it and records the norm before and after.
func TestClipNorm(t *testing.T) {
	dir, free := t.TempDir(), t.TempDir()
	for _, d := range []struct {
		dir  string
		clip string
	}{{dir, "0.05"}, {free, "0"}} {
		if _, stderr, code := run(t, append(append([]string{"train"}, small...), "--act", "relu", "--clip-norm", d.clip, "--out", d.dir)...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	rows := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(dir, "metrics.csv"))), "\n")
	if rows[0] != "step,epoch,loss,batch_acc,grad_norm,grad_norm_clipped,elapsed_s" {
		t.Fatalf("header %q", rows[0])
	}
	clipped := 0
	for _, r := range rows[1:] {
		f := strings.Split(r, ",")
		var norm, after float64
		json.Unmarshal([]byte(f[4]), &norm)
		json.Unmarshal([]byte(f[5]), &after)
		want := norm
		if norm > 0.05 {
			want = 0.05
			clipped++
		}
		if diff := after - want; diff > 1e-12 || diff < -1e-12 {
			t.Errorf("row %s: clipped norm %v, want %v", r, after, want)
		}
	}
	var s struct {
		ClippedSteps int `json:"clipped_steps"`
	}
	json.Unmarshal([]byte(readFile(t, filepath.Join(dir, "summary.json"))), &s)
	if clipped == 0 || s.ClippedSteps != clipped {
		t.Errorf("%d rows clipped, summary says %d", clipped, s.ClippedSteps)
	}
	// Clipping changes the training: the norms part ways after step 1.
	if readFile(t, filepath.Join(dir, "grad_norms.csv")) == readFile(t, filepath.Join(free, "grad_norms.csv")) {
		t.Error("clipping changed nothing")
	}
}

// TestCompareGoesOnAfterDivergence: one activation diverges, the other
// trains; the table reports both and compare succeeds.
func TestCompareGoesOnAfterDivergence(t *testing.T) {
	out := t.TempDir()
	stdout, stderr, code := run(t, append(append([]string{"compare"}, small...), "--acts", "sigmoid,relu", "--optimizer", "sgd", "--lr", "100", "--out", out)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var relu, sigmoid string
	for _, l := range strings.Split(stdout, "\n") {
		switch {
		case strings.HasPrefix(l, "relu"):
			relu = l
		case strings.HasPrefix(l, "sigmoid"):
			sigmoid = l
		}
	}
	if !strings.Contains(relu, "diverged at step") || sigmoid == "" || strings.Contains(sigmoid, "diverged") {
		t.Errorf("table:\n%s", stdout)
	}
	var s struct {
		DivergedAtStep *int   `json:"diverged_at_step"`
		DivergedWhere  string `json:"diverged_where"`
		Status         string
	}
	json.Unmarshal([]byte(readFile(t, filepath.Join(out, "relu", "summary.json"))), &s)
	if s.DivergedAtStep == nil || s.DivergedWhere == "" || s.Status != "diverged" {
		t.Errorf("relu summary: %+v", s)
	}
}
