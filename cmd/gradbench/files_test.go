package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gradbench/gradbench/models"
	"github.com/gradbench/gradbench/models/rundir"
)

// snapshot returns the sha256 of every file in dir (the lock file aside),
// by name, links by their targets.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == rundir.LockFile {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if target, err := os.Readlink(p); err == nil {
			out[e.Name()] = "-> " + target
			continue
		}
		if e.IsDir() {
			out[e.Name()] = "dir"
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = fmt.Sprintf("%x", sha256.Sum256(b))
	}
	return out
}

// unchanged fails the test unless dir holds what before recorded.
func unchanged(t *testing.T, dir string, before map[string]string) {
	t.Helper()
	after := snapshot(t, dir)
	for name, h := range before {
		if after[name] != h {
			t.Errorf("%s changed", name)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			t.Errorf("%s appeared", name)
		}
	}
}

// killedRun returns a run directory of slow killed with SIGKILL part-way,
// a copy of it made fresh for each call.
func killedRun(t *testing.T) func() string {
	t.Helper()
	src := t.TempDir()
	startAndKill(t, filepath.Join(src, "metrics.csv"), 30, syscall.SIGKILL, append([]string{"train", "--out", src}, slow...)...)
	if _, err := os.Stat(filepath.Join(src, rundir.CheckpointFile)); err != nil {
		t.Fatal(err)
	}
	return func() string {
		dir := t.TempDir()
		if out, err := exec.Command("cp", "-a", src+"/.", dir).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v %s", err, out)
		}
		return dir
	}
}

// TestCheckpointTrusted (classes C, D, E) resumes a killed run from
// checkpoints that are CRC-valid but wrong: one from another
// configuration, and its own edited to miss a parameter, to sit mid-row
// and to hold counts out of range. Each is refused with exit 2 and one
// line before any file of the run changes.
func TestCheckpointTrusted(t *testing.T) {
	fresh := killedRun(t)
	// A finished run of another configuration, the same network shape.
	other := t.TempDir()
	if _, stderr, code := run(t, append(append([]string{"train", "--out", other}, slow...), "--act", "tanh", "--epochs", "1")...); code != 0 {
		t.Fatalf("other run: exit %d: %s", code, stderr)
	}
	edit := func(fn func(ck *models.Checkpoint)) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			path := filepath.Join(dir, rundir.CheckpointFile)
			ck, err := models.ReadCheckpoint(path)
			if err != nil {
				t.Fatal(err)
			}
			fn(ck)
			if err := models.WriteCheckpoint(path, ck); err != nil {
				t.Fatal(err)
			}
		}
	}
	copyIn := func(names ...string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			for _, n := range names {
				b, err := os.ReadFile(filepath.Join(other, n))
				if err == nil {
					err = os.WriteFile(filepath.Join(dir, n), b, 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, dir string)
		want string
	}{
		{"another configuration's checkpoint", copyIn(rundir.CheckpointFile), "it is of another run: its act is tanh"},
		{"another run's checkpoint and summary", copyIn(rundir.CheckpointFile, rundir.SummaryFile), "the file"},
		{"a parameter missing", edit(func(ck *models.Checkpoint) {
			ck.Params, ck.ParamNames = ck.Params[:len(ck.Params)-1], ck.ParamNames[:len(ck.ParamNames)-1]
		}), "parameters"},
		{"a parameter array short", edit(func(ck *models.Checkpoint) { ck.Params[0] = ck.Params[0][:10] }), "has 10 values"},
		{"an optimiser slot short", edit(func(ck *models.Checkpoint) {
			if len(ck.OptSlots) == 0 {
				t.Fatal("the run has no optimiser state")
			}
			ck.OptSlots[1] = ck.OptSlots[1][:3]
		}), "optimiser slot 1 has 3 values"},
		{"offset mid-row", edit(func(ck *models.Checkpoint) { ck.State.Offsets["metrics.csv"] -= 3 }), "not at the end of a row"},
		{"offset past the end", edit(func(ck *models.Checkpoint) { ck.State.Offsets["grad_norms.csv"] += 1 << 30 }), "cut short"},
		{"epoch out of range", edit(func(ck *models.Checkpoint) { ck.State.Epoch = 99 }), "epoch 99 is outside 1 to 4"},
		{"batch out of range", edit(func(ck *models.Checkpoint) { ck.State.Batch = -1 }), "batch -1"},
		{"optimiser step out of range", edit(func(ck *models.Checkpoint) { ck.OptStep = -5 }), "optimiser step -5"},
		{"step count out of range", edit(func(ck *models.Checkpoint) { ck.State.Summary.Steps += 1000 }), "steps done"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := fresh()
			tc.edit(t, dir)
			before := snapshot(t, dir)
			_, stderr, code := run(t, "train", "--resume", dir, "--quiet")
			oneLineError(t, stderr, code, tc.want)
			unchanged(t, dir, before)
		})
	}
	// The run itself still resumes to the end.
	dir := fresh()
	if _, stderr, code := run(t, "train", "--resume", dir, "--quiet"); code != 0 {
		t.Fatalf("resume of the run's own checkpoint: exit %d: %s", code, stderr)
	}
}

// maxRSS runs the binary and returns its exit code, stderr and peak
// resident memory in MiB.
func maxRSS(t *testing.T, args ...string) (int, string, int64) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var e bytes.Buffer
	cmd.Stderr = &e
	cmd.Run()
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return cmd.ProcessState.ExitCode(), e.String(), ru.Maxrss >> 10
}

// TestMemoryBeforeSize (classes F, G, H) gives the binary files that
// would make a reader that reads before it checks sizes hold gigabytes:
// an IDX gzip bomb, IDX files and a checkpoint linked to /dev/zero, a
// checkpoint extended to 2 GB, a grid that is /dev/zero, and a dry run
// over ten data directories (which reads only their IDX headers, and
// still refuses a directory without the dataset). Each must be refused
// (or, the dry run, listed) in under 150 MiB.
func TestMemoryBeforeSize(t *testing.T) {
	const limitMiB = 150
	base := t.TempDir()
	// An MNIST-format directory whose training images are a gzip bomb: a
	// header promising 60000x28x28 bytes, then 400 MB of zeros.
	bomb := mnistDir(t, func(f map[string][]byte) {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(idx([]int{60000, 28, 28}, nil))
		zero := make([]byte, 1<<20)
		for range 400 {
			zw.Write(zero)
		}
		zw.Close()
		f["train-images-idx3-ubyte.gz"] = buf.Bytes()
	})
	zeroData := filepath.Join(base, "zero")
	os.MkdirAll(filepath.Join(zeroData, "mnist"), 0o755)
	for _, n := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		if err := os.Symlink("/dev/zero", filepath.Join(zeroData, "mnist", n)); err != nil {
			t.Fatal(err)
		}
	}
	// Two finished runs: one with its checkpoint a link to /dev/zero, one
	// with it extended (sparse) to 2 GB.
	runs := map[string]string{}
	for _, k := range []string{"zero", "sparse"} {
		runs[k] = t.TempDir()
		if _, stderr, code := run(t, append([]string{"train", "--out", runs[k]}, small...)...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	ck := filepath.Join(runs["zero"], rundir.CheckpointFile)
	os.Remove(ck)
	if err := os.Symlink("/dev/zero", ck); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(runs["sparse"], rundir.CheckpointFile), 2<<30); err != nil {
		t.Fatal(err)
	}
	// Ten data directories, each the real MNIST under another name.
	mnist, err := filepath.Abs(filepath.Join("..", "..", "datasets", "mnist"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(mnist); err != nil {
		t.Fatalf("MNIST (make data): %v", err)
	}
	var dirs []string
	for i := range 10 {
		d := filepath.Join(base, fmt.Sprintf("data%d", i))
		os.MkdirAll(d, 0o755)
		if err := os.Symlink(mnist, filepath.Join(d, "mnist")); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, fmt.Sprintf("%q", d))
	}
	grid := writeGrid(t, "depth = 2\nwidth = 8\nepochs = 1\ndata-dir = ["+strings.Join(dirs, ", ")+"]\n")
	noData := writeGrid(t, fmt.Sprintf("depth = 2\nwidth = 8\ndata-dir = %q\n", t.TempDir()))
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"IDX gzip bomb", []string{"train", "--data-dir", bomb, "--quiet", "--out", filepath.Join(base, "a")}, 2, "trailing bytes"},
		{"IDX linked to /dev/zero", []string{"train", "--data-dir", zeroData, "--quiet", "--out", filepath.Join(base, "b")}, 2, "not a regular file"},
		{"checkpoint linked to /dev/zero", []string{"train", "--resume", runs["zero"], "--quiet"}, 2, "not a regular file"},
		{"checkpoint extended to 2 GB", []string{"train", "--resume", runs["sparse"], "--quiet"}, 2, "extended"},
		{"grid /dev/zero", []string{"sweep", "--grid", "/dev/zero", "--dry-run", "--out", filepath.Join(base, "s")}, 2, "not a regular file"},
		{"dry run over ten data directories", []string{"sweep", "--grid", grid, "--dry-run", "--out", filepath.Join(base, "s2")}, 0, ""},
		{"dry run, a data directory without the dataset", []string{"sweep", "--grid", noData, "--dry-run", "--out", filepath.Join(base, "s3")}, 2, "dataset mnist not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stderr, rss := maxRSS(t, tc.args...)
			if tc.code == 2 {
				oneLineError(t, stderr, code, tc.want)
			} else if code != tc.code {
				t.Errorf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			if rss > limitMiB {
				t.Errorf("peak memory %d MiB, want at most %d", rss, limitMiB)
			}
			t.Logf("peak memory %d MiB", rss)
		})
	}
}

// TestRunLock (class K) starts a run and, while it trains, a second
// train, a resume, a compare and a sweep into its directory: each is refused with
// exit 2 naming the first process, and the first run's rows are its
// alone. A run killed with SIGKILL leaves no lock behind.
func TestRunLock(t *testing.T) {
	parent := t.TempDir()
	// The run is both a sweep's run "run" and, through a link, a compare's
	// gelu run.
	dir := filepath.Join(parent, "runs", "run")
	os.MkdirAll(dir, 0o755)
	if err := os.Symlink(dir, filepath.Join(parent, "gelu")); err != nil {
		t.Fatal(err)
	}
	grid := writeGrid(t, "act = [\"gelu\"]\ndataset = \"synthetic\"\ndepth = 6\nwidth = 96\nbatch = 32\nepochs = 3\n")
	cmd := exec.Command(binary, append([]string{"train", "--out", dir}, slow...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); lines(filepath.Join(dir, "metrics.csv")) < 5; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the first run did not start")
		}
	}
	want := fmt.Sprintf("is in use by gradbench pid %d; wait for it or choose another --out", cmd.Process.Pid)
	for _, args := range [][]string{
		append([]string{"train", "--out", dir}, slow...),
		{"train", "--resume", dir, "--quiet"},
		{"compare", "--acts", "gelu", "--out", parent, "--dataset", "synthetic", "--depth", "6", "--width", "96", "--batch", "32", "--epochs", "3", "--quiet"},
		{"sweep", "--grid", grid, "--out", parent, "--quiet"},
	} {
		_, errText, code := run(t, args...)
		oneLineError(t, errText, code, want)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the first run: %v: %s", err, stderr.String())
	}
	// Its rows: each step once, in order.
	b, _ := os.ReadFile(filepath.Join(dir, "metrics.csv"))
	rows := strings.Split(strings.TrimSpace(string(b)), "\n")[1:]
	for i, r := range rows {
		if step, _, _ := strings.Cut(r, ","); step != fmt.Sprint(i+1) {
			t.Fatalf("metrics.csv row %d is of step %s", i+1, step)
		}
	}
	// A killed run's lock goes with it.
	killed := t.TempDir()
	startAndKill(t, filepath.Join(killed, "metrics.csv"), 10, syscall.SIGKILL, append([]string{"train", "--out", killed}, slow...)...)
	if _, errText, code := run(t, "train", "--resume", killed, "--quiet"); code != 0 {
		t.Fatalf("resume after SIGKILL: exit %d: %s", code, errText)
	}
}

// TestRunFiles (classes L, M, N): a run never writes through a symbolic
// link, refuses before emptying any file when one of its files cannot be
// written, and removes the temporaries of atomic writes killed half-way.
func TestRunFiles(t *testing.T) {
	args := append([]string{"train"}, small...)
	finished := func(t *testing.T) string {
		dir := t.TempDir()
		if _, stderr, code := run(t, append(args, "--out", dir)...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		return dir
	}
	t.Run("metrics.csv a link", func(t *testing.T) {
		dir := finished(t)
		target := filepath.Join(t.TempDir(), "precious")
		os.WriteFile(target, []byte("precious\n"), 0o644)
		os.Remove(filepath.Join(dir, "metrics.csv"))
		os.Symlink(target, filepath.Join(dir, "metrics.csv"))
		before := snapshot(t, dir)
		_, stderr, code := run(t, append(args, "--out", dir)...)
		oneLineError(t, stderr, code, "metrics.csv is a symbolic link")
		unchanged(t, dir, before)
		if b, _ := os.ReadFile(target); string(b) != "precious\n" {
			t.Errorf("the link's target was written: %q", b)
		}
	})
	t.Run("resume with grad_norms.csv a link", func(t *testing.T) {
		dir := t.TempDir()
		startAndKill(t, filepath.Join(dir, "metrics.csv"), 10, syscall.SIGKILL, append([]string{"train", "--out", dir}, slow...)...)
		p := filepath.Join(dir, "grad_norms.csv")
		target := filepath.Join(t.TempDir(), "grad_norms.csv")
		os.Rename(p, target)
		os.Symlink(target, p)
		orig, _ := os.ReadFile(target)
		before := snapshot(t, dir)
		_, stderr, code := run(t, "train", "--resume", dir, "--quiet")
		oneLineError(t, stderr, code, "grad_norms.csv is a symbolic link")
		unchanged(t, dir, before)
		if b, _ := os.ReadFile(target); !bytes.Equal(b, orig) {
			t.Errorf("the link's target changed")
		}
	})
	t.Run("a directory in place of act_stats.csv", func(t *testing.T) {
		dir := finished(t)
		p := filepath.Join(dir, "act_stats.csv")
		os.Remove(p)
		os.Mkdir(p, 0o755)
		before := snapshot(t, dir)
		_, stderr, code := run(t, append(args, "--out", dir)...)
		oneLineError(t, stderr, code, "act_stats.csv is not a regular file")
		unchanged(t, dir, before)
	})
	t.Run("an immutable epochs.csv", func(t *testing.T) {
		dir := finished(t)
		p := filepath.Join(dir, "epochs.csv")
		if out, err := exec.Command("chattr", "+i", p).CombinedOutput(); err != nil {
			t.Skipf("chattr +i: %v %s (the directory case covers an unwritable file)", err, out)
		}
		t.Cleanup(func() { exec.Command("chattr", "-i", p).Run() })
		before := snapshot(t, dir)
		_, stderr, code := run(t, append(args, "--out", dir)...)
		oneLineError(t, stderr, code, "epochs.csv cannot be written")
		unchanged(t, dir, before)
	})
	t.Run("stale temporaries", func(t *testing.T) {
		dir := finished(t)
		stale := []string{".summary.json.tmp123456", ".checkpoint.bin.tmp98765"}
		for _, n := range stale {
			os.WriteFile(filepath.Join(dir, n), []byte("half"), 0o644)
		}
		if _, stderr, code := run(t, append(args, "--out", dir)...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, n := range stale {
			if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
				t.Errorf("%s left behind", n)
			}
		}
	})
}

// TestOverwriteRun: train and compare refuse to replace a run of another
// configuration without --force, and compute a run of the same
// configuration again.
func TestOverwriteRun(t *testing.T) {
	dir := t.TempDir()
	args := append([]string{"train"}, small...)
	if _, stderr, code := run(t, append(args, "--act", "relu", "--out", dir)...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	before := snapshot(t, dir)
	_, stderr, code := run(t, append(args, "--act", "tanh", "--out", dir)...)
	oneLineError(t, stderr, code, "holds a finished run of another configuration (its act is relu, not tanh): choose another --out, or pass --force to replace it")
	unchanged(t, dir, before)
	if _, stderr, code := run(t, append(args, "--act", "relu", "--out", dir)...); code != 0 {
		t.Errorf("the same configuration again: exit %d: %s", code, stderr)
	}
	if _, stderr, code := run(t, append(args, "--act", "tanh", "--force", "--out", dir)...); code != 0 {
		t.Errorf("--force: exit %d: %s", code, stderr)
	}
	if s, err := rundir.ReadSummary(dir); err != nil || s.Config.Act != "tanh" {
		t.Errorf("after --force: %v %v", s, err)
	}

	out := t.TempDir()
	cargs := append([]string{"compare", "--acts", "relu,tanh"}, small...)
	if _, stderr, code := run(t, append(cargs, "--out", out)...); code != 0 {
		t.Fatalf("compare: exit %d: %s", code, stderr)
	}
	before = snapshot(t, filepath.Join(out, "relu"))
	_, stderr, code = run(t, append(cargs, "--lr", "0.5", "--out", out)...)
	oneLineError(t, stderr, code, "pass --force")
	unchanged(t, filepath.Join(out, "relu"), before)
	if _, stderr, code := run(t, append(cargs, "--lr", "0.5", "--force", "--out", out)...); code != 0 {
		t.Errorf("compare --force: exit %d: %s", code, stderr)
	}
}
