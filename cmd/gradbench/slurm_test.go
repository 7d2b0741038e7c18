package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gradbench/gradbench/models/rundir"
)

// fakeSlurm puts sbatch, squeue and sacct stand-ins first on PATH and
// returns their directory: sbatch appends its arguments to sbatch.log
// and answers job ids 100, 101, …; squeue prints squeue.out (or fails
// when squeue.fail exists); sacct prints sacct.out, or fails as it does
// without accounting when there is none.
func fakeSlurm(t *testing.T) string {
	dir := t.TempDir()
	scripts := map[string]string{
		"sbatch": `echo "$@" >> "$FAKE_SLURM/sbatch.log"
echo "$((99 + $(wc -l < "$FAKE_SLURM/sbatch.log")));cluster"`,
		"squeue": `[ -f "$FAKE_SLURM/squeue.fail" ] && { echo "squeue: error: Unable to contact slurm controller (connect failure)" >&2; exit 1; }
echo "$@" > "$FAKE_SLURM/squeue.args"
cat "$FAKE_SLURM/squeue.out" 2>/dev/null; exit 0`,
		"sacct": `[ -f "$FAKE_SLURM/sacct.out" ] || { echo "Slurm accounting storage is disabled" >&2; exit 1; }
cat "$FAKE_SLURM/sacct.out"`,
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("FAKE_SLURM", dir)
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dir
}

func writeT(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// statusLines runs sweep status and returns its output with each run's
// line by index.
func statusLines(t *testing.T, dir string) (string, map[int]string) {
	t.Helper()
	stdout, stderr, code := run(t, "sweep", "status", dir)
	if code != 0 {
		t.Fatalf("sweep status: exit %d: %s", code, stderr)
	}
	lines := map[int]string{}
	for _, l := range strings.Split(stdout, "\n") {
		var i int
		if _, err := fmt.Sscan(l, &i); err == nil {
			lines[i] = l
		}
	}
	return stdout + stderr, lines
}

// wantStates checks each run's state word in sweep status's output and
// that its detail matches the pattern.
func wantStates(t *testing.T, dir string, want map[int][2]string) {
	t.Helper()
	out, lines := statusLines(t, dir)
	for i, w := range want {
		f := strings.Fields(lines[i])
		if len(f) < 3 || f[2] != w[0] || !regexp.MustCompile(w[1]).MatchString(lines[i]) {
			t.Errorf("run %d: want %s matching %q; status:\n%s", i, w[0], w[1], out)
		}
	}
}

// TestSlurmFake drives the Slurm engine against stand-ins of sbatch,
// squeue and sacct: the job-array script, the submission, the states
// sweep status reads from squeue, sacct and the run directories, which
// runs resubmit submits, and run-task.
func TestSlurmFake(t *testing.T) {
	fake := fakeSlurm(t)
	dir := filepath.Join(t.TempDir(), "sweep")
	grid := writeGrid(t, smallGrid)
	stdout, stderr, code := run(t, "sweep", "--grid", grid, "--out", dir, "--engine", "slurm",
		"--partition", "debug", "--mem", "1G", "--time", "10:00", "--cpus-per-task", "2")
	if code != 0 {
		t.Fatalf("sweep --engine slurm: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "submitted job 100: 4 of 4 runs (--array=0-3)") {
		t.Errorf("sweep printed:\n%s", stdout)
	}
	bin, _ := filepath.EvalSymlinks(binary)
	script := filepath.Join(dir, "sweep.sbatch")
	if got, want := readFile(t, filepath.Join(fake, "sbatch.log")), "--parsable --array=0-3 "+script+"\n"; got != want {
		t.Errorf("sbatch called with %q, want %q", got, want)
	}
	text := readFile(t, script)
	for _, want := range []string{"#!/bin/bash\n", "#SBATCH --array=0-3\n", "#SBATCH --output=" + filepath.Join(dir, "logs") + "/%A_%a.out\n",
		"#SBATCH --chdir=" + dir + "\n", "#SBATCH --partition=debug\n", "#SBATCH --mem=1G\n", "#SBATCH --time=10:00\n",
		"#SBATCH --cpus-per-task=2\n", "\nexec " + bin + " sweep run-task " + dir + " \"$SLURM_ARRAY_TASK_ID\"\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("sweep.sbatch lacks %q:\n%s", want, text)
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "logs")); err != nil || !st.IsDir() {
		t.Errorf("no logs directory: %v", err)
	}
	spec := readSpecT(t, dir)
	if j := spec.Slurm.Jobs; len(j) != 1 || j[0].ID != "100" || !slices.Equal(j[0].Indices, []int{0, 1, 2, 3}) {
		t.Errorf("recorded jobs %+v", j)
	}

	writeT(t, filepath.Join(fake, "squeue.out"), "100|0|PENDING\n100|1|PENDING\n100|2|PENDING\n100|3|PENDING\n")
	wantStates(t, dir, map[int][2]string{0: {"pending", "slurm task 100_0 PENDING"}, 3: {"pending", "100_3 PENDING"}})
	if args := readFile(t, filepath.Join(fake, "squeue.args")); !strings.Contains(args, "--me") || !strings.Contains(args, "--states=all") {
		t.Errorf("squeue called with %q", args)
	}

	// Task 0 ran (here, as Slurm would run it), 1 runs, 2 was
	// cancelled, 3 timed out and squeue forgot it.
	stdout, stderr, code = run(t, "sweep", "run-task", dir, "0")
	if code != 0 || !strings.Contains(stdout, "act=relu,depth=2: run 0 of 4") {
		t.Fatalf("run-task 0: exit %d: %s%s", code, stdout, stderr)
	}
	sameAsTrain(t, dir, spec.Runs[0])
	writeT(t, filepath.Join(fake, "squeue.out"), "100|0|COMPLETED\n100|1|RUNNING\n100|2|CANCELLED\n")
	writeT(t, filepath.Join(fake, "sacct.out"), "100_3|TIMEOUT\n100_2|CANCELLED by 0\n")
	wantStates(t, dir, map[int][2]string{
		0: {"done", "finished, 32 steps, test accuracy"},
		1: {"running", "slurm task 100_1 RUNNING"},
		2: {"failed", "slurm task 100_2 ended CANCELLED without a finished run"},
		3: {"failed", "slurm task 100_3 ended TIMEOUT without a finished run"},
	})
	os.Remove(filepath.Join(fake, "sacct.out"))
	wantStates(t, dir, map[int][2]string{3: {"failed", "ended without a finished run \\(squeue no longer lists it\\)"}})
	out, _ := statusLines(t, dir)
	if !strings.Contains(out, "4 runs: 1 done, 1 running, 2 failed, 0 pending") || !strings.Contains(out, "gradbench sweep resubmit "+dir) {
		t.Errorf("status:\n%s", out)
	}

	// The local engine does not train runs Slurm is training.
	_, stderr, code = run(t, "sweep", "--grid", grid, "--out", dir)
	oneLineError(t, stderr, code, "still queued or running (100_1)")

	stdout, stderr, code = run(t, "sweep", "resubmit", dir)
	if code != 0 || !strings.Contains(stdout, "submitted job 101: 2 of 4 runs (--array=2-3)") {
		t.Fatalf("resubmit: exit %d: %s%s", code, stdout, stderr)
	}
	if log := readFile(t, filepath.Join(fake, "sbatch.log")); !strings.HasSuffix(log, "--parsable --array=2-3 "+script+"\n") {
		t.Errorf("sbatch.log:\n%s", log)
	}
	if j := readSpecT(t, dir).Slurm.Jobs; len(j) != 2 || j[1].ID != "101" || !slices.Equal(j[1].Indices, []int{2, 3}) {
		t.Errorf("recorded jobs %+v", j)
	}
	writeT(t, filepath.Join(fake, "squeue.out"), "100|1|RUNNING\n100|2|CANCELLED\n101|2|PENDING\n101|3|RUNNING\n")
	wantStates(t, dir, map[int][2]string{2: {"pending", "slurm task 101_2 PENDING"}, 3: {"running", "101_3 RUNNING"}})
	// Nothing is idle: resubmit and sweep --engine slurm submit nothing.
	for _, args := range [][]string{{"sweep", "resubmit", dir}, {"sweep", "--grid", grid, "--out", dir, "--engine", "slurm"}} {
		stdout, stderr, code = run(t, args...)
		if code != 0 || !strings.Contains(stdout, "nothing to submit") {
			t.Errorf("%q: exit %d: %s%s", args, code, stdout, stderr)
		}
	}
	if n := strings.Count(readFile(t, filepath.Join(fake, "sbatch.log")), "\n"); n != 2 {
		t.Errorf("sbatch called %d times, want 2", n)
	}

	// Without squeue the states of submitted runs are unknown; resubmit
	// refuses to guess.
	writeT(t, filepath.Join(fake, "squeue.fail"), "")
	out, _ = statusLines(t, dir)
	if !strings.Contains(out, "1 done, 0 running, 0 failed, 0 pending, 3 unknown") || !strings.Contains(out, "Unable to contact slurm controller") {
		t.Errorf("status without squeue:\n%s", out)
	}
	_, stderr, code = run(t, "sweep", "resubmit", dir)
	if code != 1 || !strings.Contains(stderr, "cannot tell which runs ended") {
		t.Errorf("resubmit without squeue: exit %d: %s", code, stderr)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sweep", "run-task", dir, "4"}, "has runs 0 to 3"},
		{[]string{"sweep", "run-task", dir, "x"}, "has runs 0 to 3"},
		{[]string{"sweep", "run-task", dir}, "usage: gradbench sweep run-task DIR INDEX"},
	} {
		_, stderr, code := run(t, tc.args...)
		oneLineError(t, stderr, code, tc.want)
	}
	stdout, _, code = run(t, "sweep", "run-task", dir, "0")
	if code != 0 || !strings.Contains(stdout, "already finished after 32 steps; nothing to do") {
		t.Errorf("run-task of a finished run: exit %d: %s", code, stdout)
	}

	// A sweep never submitted cannot be resubmitted.
	local := filepath.Join(t.TempDir(), "local")
	if _, stderr, code := run(t, "sweep", "--grid", writeGrid(t, "dataset = \"synthetic\"\nwidth = 8\ndepth = 2"), "--out", local, "--quiet"); code != 0 {
		t.Fatalf("local sweep: %s", stderr)
	}
	_, stderr, code = run(t, "sweep", "resubmit", local)
	oneLineError(t, stderr, code, "never submitted to Slurm")
}

// cluster is the single-node Slurm cluster of scripts/slurm-test-cluster.sh.
type cluster struct {
	script, dir string
}

// logs returns the last lines of the daemons' logs and of the task logs
// in the sweep directories dirs.
func (c *cluster) logs(dirs ...string) string {
	var b strings.Builder
	files := []string{filepath.Join(c.dir, "slurmctld.log"), filepath.Join(c.dir, "slurmd.log")}
	for _, d := range dirs {
		logs, _ := filepath.Glob(filepath.Join(d, "logs", "*.out"))
		files = append(files, logs...)
	}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(&b, "--- %s: %v\n", f, err)
			continue
		}
		lines := strings.Split(strings.TrimRight(string(text), "\n"), "\n")
		fmt.Fprintf(&b, "--- last lines of %s:\n%s\n", f, strings.Join(lines[max(0, len(lines)-20):], "\n"))
	}
	if out, err := exec.Command("squeue", "--states=all", "--array").CombinedOutput(); err == nil || len(out) > 0 {
		fmt.Fprintf(&b, "--- squeue --states=all --array:\n%s", out)
	}
	return b.String()
}

// waitFor polls cond every half second until it holds, failing the test
// after timeout with what and the logs.
func (c *cluster) waitFor(t *testing.T, timeout time.Duration, what string, dirs []string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s; last state:\n%s\n%s", timeout, what, state, c.logs(dirs...))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// waitDone waits until sweep status reports every run of dir done.
func (c *cluster) waitDone(t *testing.T, dir string, n int, timeout time.Duration) {
	t.Helper()
	want := fmt.Sprintf("%d runs: %d done,", n, n)
	c.waitFor(t, timeout, "every run of "+dir+" done", []string{dir}, func() (bool, string) {
		out, _ := statusLines(t, dir)
		if strings.Contains(out, " failed  ") {
			t.Fatalf("a run failed:\n%s\n%s", out, c.logs(dir))
		}
		return strings.Contains(out, want), out
	})
}

// TestSlurmCluster starts a real single-node Slurm cluster (slurmctld,
// slurmd and munged from Debian's packages, scripts/slurm-test-cluster.sh),
// runs a sweep of 2 activations × 2 depths as a job array, checks the
// runs, the merged figures and that the local engine writes the same
// numbers; then cancels a running task of a second sweep, checks that
// sweep status reports it failed and that resubmitting resumes it to the
// outputs of an uninterrupted run. It stops the daemons it started.
//
// It needs root and apt-get (or slurm-wlm and munge installed), and runs
// only with GRADBENCH_SLURM_TEST=1.
func TestSlurmCluster(t *testing.T) {
	if os.Getenv("GRADBENCH_SLURM_TEST") != "1" {
		t.Skip("starts a real Slurm cluster on this machine (root, apt-get install slurm-wlm munge): set GRADBENCH_SLURM_TEST=1 to run it")
	}
	if os.Geteuid() != 0 {
		t.Fatal("GRADBENCH_SLURM_TEST=1, but the test cluster's daemons need root: run the test as root")
	}
	c := &cluster{dir: os.Getenv("GRADBENCH_SLURM_DIR")}
	if c.dir == "" {
		c.dir = "/tmp/gradbench-slurm"
	}
	var err error
	if c.script, err = filepath.Abs(filepath.Join("..", "..", "scripts", "slurm-test-cluster.sh")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GRADBENCH_SLURM_DIR", c.dir)
	t.Setenv("SLURM_CONF", filepath.Join(c.dir, "slurm.conf"))
	began := time.Now()
	if exec.Command(c.script, "status").Run() != nil {
		out, err := exec.Command(c.script, "start").CombinedOutput()
		if err != nil {
			t.Fatalf("%s start: %v\n%s", c.script, err, out)
		}
		t.Cleanup(func() {
			if out, err := exec.Command(c.script, "stop").CombinedOutput(); err != nil {
				t.Errorf("%s stop: %v\n%s", c.script, err, out)
			}
		})
		t.Logf("cluster started in %v", time.Since(began).Round(time.Millisecond))
	} else {
		t.Log("using the test cluster that is already up")
	}

	// A sweep as a job array: every run, the merged figures, and the same
	// numbers as the local engine.
	grid := writeGrid(t, smallGrid)
	sdir := filepath.Join(t.TempDir(), "slurm")
	began = time.Now()
	stdout, stderr, code := run(t, "sweep", "--grid", grid, "--out", sdir, "--engine", "slurm", "--time", "10")
	if code != 0 {
		t.Fatalf("sweep --engine slurm: exit %d: %s\n%s", code, stderr, c.logs())
	}
	t.Log(strings.TrimSpace(stdout))
	c.waitDone(t, sdir, 4, 5*time.Minute)
	t.Logf("4 tasks done in %v", time.Since(began).Round(time.Millisecond))
	spec := checkSweepRuns(t, sdir, 4)
	job := spec.Slurm.Jobs[0].ID
	for i, r := range spec.Runs {
		if log := readFile(t, filepath.Join(sdir, "logs", fmt.Sprintf("%s_%d.out", job, i))); !strings.Contains(log, r.Name+": 32 steps") {
			t.Errorf("task %d log:\n%s", i, log)
		}
	}
	if _, stderr, code := run(t, "plot", sdir, "--out", sdir); code != 0 {
		t.Fatalf("plot: exit %d: %s", code, stderr)
	}
	for _, name := range []string{"sweep_accuracy", "sweep_grad_ratio"} {
		checkPNG(t, sdir, name)
	}
	if !strings.Contains(readFile(t, filepath.Join(sdir, "report.md")), "## Where training stops") {
		t.Error("report.md has no stop table")
	}
	ldir := filepath.Join(t.TempDir(), "local")
	if _, stderr, code := run(t, "sweep", "--grid", grid, "--out", ldir, "--jobs", "2", "--quiet"); code != 0 {
		t.Fatalf("local sweep: exit %d: %s", code, stderr)
	}
	for _, r := range spec.Runs {
		t.Run("same as local "+r.Name, func(t *testing.T) { sameRun(t, filepath.Join(ldir, r.Dir), filepath.Join(sdir, r.Dir)) })
	}

	// A task cancelled while it trains is failed; resubmitted, it
	// resumes from its checkpoint.
	grid2 := writeGrid(t, "act = [\"relu\", \"tanh\"]\ndepth = 4\nwidth = 128\nbatch = 64\nepochs = 60\nlog-every = 10\ndataset = \"synthetic\"\n")
	s2 := filepath.Join(t.TempDir(), "cancel")
	if _, stderr, code := run(t, "sweep", "--grid", grid2, "--out", s2, "--engine", "slurm", "--checkpoint-every", "50"); code != 0 {
		t.Fatalf("second sweep: exit %d: %s\n%s", code, stderr, c.logs())
	}
	spec2 := readSpecT(t, s2)
	job2 := spec2.Slurm.Jobs[0].ID
	k := -1
	c.waitFor(t, 3*time.Minute, "a task past its second checkpoint", []string{s2}, func() (bool, string) {
		var state []string
		for i, r := range spec2.Runs {
			ri, _ := rundir.ReadSummary(filepath.Join(s2, r.Dir))
			if ri != nil && ri.Status == "running" && ri.Steps >= 100 {
				k = i
				return true, ""
			}
			state = append(state, fmt.Sprintf("%s: %+v", r.Name, ri))
		}
		return false, strings.Join(state, "\n")
	})
	task := fmt.Sprintf("%s_%d", job2, k)
	if out, err := exec.Command("scancel", task).CombinedOutput(); err != nil {
		t.Fatalf("scancel %s: %v: %s", task, err, out)
	}
	t.Logf("cancelled task %s (run %s)", task, spec2.Runs[k].Name)
	c.waitFor(t, 2*time.Minute, "sweep status to report "+task+" failed", []string{s2}, func() (bool, string) {
		out, lines := statusLines(t, s2)
		return regexp.MustCompile(`^ +\d+ +\S+ +failed +slurm task ` + task + ` ended (CANCELLED|FAILED)`).MatchString(lines[k]), out
	})
	stdout, stderr, code = run(t, "sweep", "resubmit", s2)
	if code != 0 || !strings.Contains(stdout, fmt.Sprintf("(--array=%d)", k)) {
		t.Fatalf("resubmit: exit %d: %s%s", code, stdout, stderr)
	}
	c.waitDone(t, s2, 2, 5*time.Minute)
	spec2 = readSpecT(t, s2)
	if j := spec2.Slurm.Jobs; len(j) != 2 || !slices.Equal(j[1].Indices, []int{k}) {
		t.Fatalf("jobs %+v", j)
	}
	log := readFile(t, filepath.Join(s2, "logs", fmt.Sprintf("%s_%d.out", spec2.Slurm.Jobs[1].ID, k)))
	if !strings.Contains(log, "resuming after step") || !strings.Contains(log, "1920 steps") {
		t.Errorf("resubmitted task's log:\n%s", log)
	}
	sameAsTrain(t, s2, spec2.Runs[k])
	t.Logf("whole test: %v", time.Since(began).Round(time.Millisecond))
}
