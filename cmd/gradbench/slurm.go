package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gradbench/gradbench/models"
	"github.com/urfave/cli/v2"
)

// slurmOptions are the resources each array task asks for.
type slurmOptions struct {
	Partition string `json:"partition,omitempty"`
	CPUs      int    `json:"cpus_per_task"`
	Mem       string `json:"mem,omitempty"`
	Time      string `json:"time,omitempty"`
}

// slurmState is what sweep.json records of a sweep's Slurm submissions.
type slurmState struct {
	// Binary is the gradbench that the tasks run.
	Binary  string       `json:"binary"`
	Options slurmOptions `json:"options"`
	// Jobs are the submissions, oldest first; a run belongs to the last
	// one that lists its index.
	Jobs []slurmJob `json:"jobs"`
}

// slurmJob is one submission of the sweep's job array.
type slurmJob struct {
	ID        string    `json:"job_id"`
	Indices   []int     `json:"indices"`
	Submitted time.Time `json:"submitted"`
}

var (
	partitionRE = regexp.MustCompile(`^[A-Za-z0-9_.,-]*$`)
	memRE       = regexp.MustCompile(`^([0-9]+[KMGTkmgt]?)?$`)
	timeRE      = regexp.MustCompile(`^([0-9]+([:-][0-9]+)*)?$`)
	jobIDRE     = regexp.MustCompile(`^[0-9]+$`)
)

// slurmOptionsFrom checks the Slurm flags of the sweep command.
func slurmOptionsFrom(c *cli.Context) (slurmOptions, error) {
	o := slurmOptions{Partition: c.String("partition"), CPUs: c.Int("cpus-per-task"), Mem: c.String("mem"), Time: c.String("time")}
	switch {
	case !partitionRE.MatchString(o.Partition):
		return o, usagef("--partition %q: give a partition name (letters, digits, _ . , -)", o.Partition)
	case o.CPUs < 1:
		return o, usagef("--cpus-per-task must be at least 1, got %d", o.CPUs)
	case !memRE.MatchString(o.Mem):
		return o, usagef("--mem %q: give a size as sbatch --mem takes it, like 2G or 500M", o.Mem)
	case !timeRE.MatchString(o.Time):
		return o, usagef("--time %q: give a time limit as sbatch --time takes it, like 30, 1:00:00 or 1-0", o.Time)
	}
	return o, nil
}

// sbatchScript returns the job-array script of a sweep of n runs in the
// absolute directory dir: task i runs "bin sweep run-task dir i".
func sbatchScript(dir, bin string, n int, o slurmOptions) string {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	b.WriteString("# Written by gradbench sweep --engine slurm: array task i trains run i of " + sweepFile + ".\n")
	b.WriteString("# Status: gradbench sweep status DIR; failed tasks again: gradbench sweep resubmit DIR.\n")
	b.WriteString("#SBATCH --job-name=gradbench-sweep\n")
	fmt.Fprintf(&b, "#SBATCH --array=0-%d\n", n-1)
	fmt.Fprintf(&b, "#SBATCH --output=%s/%%A_%%a.out\n", filepath.Join(dir, sweepLogs))
	fmt.Fprintf(&b, "#SBATCH --chdir=%s\n", dir)
	fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", o.CPUs)
	if o.Partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", o.Partition)
	}
	if o.Mem != "" {
		fmt.Fprintf(&b, "#SBATCH --mem=%s\n", o.Mem)
	}
	if o.Time != "" {
		fmt.Fprintf(&b, "#SBATCH --time=%s\n", o.Time)
	}
	b.WriteString("export GOMAXPROCS=\"${SLURM_CPUS_PER_TASK:-1}\"\n")
	fmt.Fprintf(&b, "exec %s sweep run-task %s \"$SLURM_ARRAY_TASK_ID\"\n", shellJoin([]string{bin}), shellJoin([]string{dir}))
	return b.String()
}

// indexList writes sorted indices as sbatch --array takes them: "0-3,7".
func indexList(idx []int) string {
	var parts []string
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if j > i {
			parts = append(parts, fmt.Sprintf("%d-%d", idx[i], idx[j]))
		} else {
			parts = append(parts, strconv.Itoa(idx[i]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// parseIndexList reads an array index list as Slurm prints it: "0-3,7",
// with an optional "%N" throttle.
func parseIndexList(s string) ([]int, error) {
	if i := strings.IndexByte(s, '%'); i >= 0 {
		s = s[:i]
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, rng := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("bad index list %q", s)
		}
		b := a
		if rng {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("bad index list %q", s)
			}
		}
		for k := a; k <= b; k++ {
			out = append(out, k)
		}
	}
	return out, nil
}

// slurmCmd runs a Slurm command and returns its standard output; the
// error carries its standard error.
func slurmCmd(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		if msg := oneLine(e.String()); msg != "" {
			return "", fmt.Errorf("%s: %s", name, msg)
		}
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return o.String(), nil
}

// taskKey names an array task: the job id and the index.
type taskKey struct {
	job   string
	index int
}

// squeueStates returns the state of this user's array tasks that squeue
// knows (queued, running and recently ended ones).
func squeueStates() (map[taskKey]string, error) {
	out, err := slurmCmd("squeue", "--me", "--noheader", "--array", "--states=all", "--format=%F|%K|%T")
	if err != nil {
		return nil, err
	}
	states := map[taskKey]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(strings.TrimSpace(line), "|")
		if len(f) != 3 {
			continue
		}
		idx, err := parseIndexList(f[1])
		if err != nil {
			continue // not an array job
		}
		for _, i := range idx {
			states[taskKey{f[0], i}] = f[2]
		}
	}
	return states, nil
}

// sacctStates returns the states that accounting records for the array
// tasks of jobs. It fails where accounting is off.
func sacctStates(jobs []string) (map[taskKey]string, error) {
	out, err := slurmCmd("sacct", "--noheader", "--parsable2", "--allocations", "--jobs="+strings.Join(jobs, ","), "--format=JobID,State")
	if err != nil {
		return nil, err
	}
	states := map[taskKey]string{}
	for _, line := range strings.Split(out, "\n") {
		id, state, ok := strings.Cut(strings.TrimSpace(line), "|")
		job, idx, arr := strings.Cut(id, "_")
		if !ok || !arr {
			continue
		}
		list, err := parseIndexList(strings.Trim(idx, "[]"))
		if err != nil {
			continue
		}
		for _, i := range list {
			states[taskKey{job, i}] = strings.Fields(state + " ?")[0] // "CANCELLED by 0"
		}
	}
	return states, nil
}

// Slurm job states (squeue --format=%T, sacct State) by what they mean
// for a task.
var (
	slurmPending = []string{"PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "CONFIGURING", "RESIZING", "RESV_DEL_HOLD", "POWER_UP_NODE"}
	slurmRunning = []string{"RUNNING", "COMPLETING", "SUSPENDED", "STOPPED", "SIGNALING", "STAGE_OUT"}
)

// Run states that sweep status prints.
const (
	stateDone    = "done"
	stateRunning = "running"
	stateFailed  = "failed"
	statePending = "pending"
	stateUnknown = "unknown"
)

// runState is a run's state in sweep status.
type runState struct {
	State, Detail string
	// Idle is true when the run is unfinished and nothing is training it
	// or has it queued: resubmit submits it again.
	Idle bool
}

// sweepStatuses returns the state of every run of spec in dir: from the
// run directories' summary.json, the local engine's process and, for runs
// submitted to Slurm, squeue (and sacct where accounting works, for
// tasks squeue has forgotten). When squeue fails, the states of
// unfinished submitted runs are unknown and the error is returned.
func sweepStatuses(dir string, spec *sweepSpec) ([]runState, error) {
	infos := make([]*runInfo, len(spec.Runs))
	for i, r := range spec.Runs {
		infos[i] = readRunInfo(filepath.Join(dir, r.Dir))
	}
	jobOf := map[int]string{}
	if spec.Slurm != nil {
		for _, j := range spec.Slurm.Jobs {
			for _, i := range j.Indices {
				jobOf[i] = j.ID
			}
		}
	}
	var states map[taskKey]string
	var qerr error
	var missing []string
	for i, job := range jobOf {
		if infos[i].done() {
			continue
		}
		if states == nil && qerr == nil {
			if states, qerr = squeueStates(); qerr != nil {
				break
			}
		}
		if _, ok := states[taskKey{job, i}]; !ok && !slices.Contains(missing, job) {
			missing = append(missing, job)
		}
	}
	if len(missing) > 0 && qerr == nil {
		slices.Sort(missing)
		if acct, err := sacctStates(missing); err == nil {
			for k, s := range acct {
				if _, ok := states[k]; !ok {
					states[k] = s
				}
			}
		}
	}
	pid := localSweepPID(dir)
	out := make([]runState, len(spec.Runs))
	for i := range spec.Runs {
		ri := infos[i]
		job, submitted := jobOf[i]
		task := fmt.Sprintf("slurm task %s_%d", job, i)
		st, known := states[taskKey{job, i}]
		where := ""
		if ri != nil {
			where = ", " + ri.progress()
		}
		switch {
		case ri.done() && ri.Status == models.StatusDiverged:
			out[i] = runState{State: stateDone, Detail: fmt.Sprintf("diverged at step %s", fmtIntPtr(ri.DivergedAtStep))}
		case ri.done():
			out[i] = runState{State: stateDone, Detail: fmt.Sprintf("finished, %d steps, test accuracy %s", ri.Steps, fmtPtr(ri.TestAccuracy, "%.4f"))}
		case submitted && known && slices.Contains(slurmPending, st):
			out[i] = runState{State: statePending, Detail: task + " " + st + where}
		case submitted && known && slices.Contains(slurmRunning, st):
			out[i] = runState{State: stateRunning, Detail: task + " " + st + where}
		case submitted && known:
			out[i] = runState{State: stateFailed, Detail: task + " ended " + st + " without a finished run" + where, Idle: true}
		case submitted && qerr != nil:
			out[i] = runState{State: stateUnknown, Detail: task + ": squeue failed" + where}
		case submitted:
			out[i] = runState{State: stateFailed, Detail: task + " ended without a finished run (squeue no longer lists it)" + where, Idle: true}
		case pid > 0 && ri != nil && ri.Status == models.StatusRunning:
			out[i] = runState{State: stateRunning, Detail: fmt.Sprintf("local sweep (process %d)%s", pid, where)}
		case pid > 0:
			out[i] = runState{State: statePending, Detail: fmt.Sprintf("queued in the local sweep (process %d)", pid)}
		case ri != nil:
			out[i] = runState{State: stateFailed, Detail: fmt.Sprintf("stopped (%s)%s; run the sweep again to resume it", ri.Status, where), Idle: true}
		default:
			out[i] = runState{State: statePending, Detail: "not started", Idle: true}
		}
	}
	return out, qerr
}

func fmtIntPtr(p *int) string {
	if p == nil {
		return "?"
	}
	return strconv.Itoa(*p)
}

// slurmActive lists the tasks of spec's Slurm jobs that squeue shows
// queued or running, as "JOB_INDEX".
func slurmActive(spec *sweepSpec) ([]string, error) {
	if spec.Slurm == nil || len(spec.Slurm.Jobs) == 0 {
		return nil, nil
	}
	states, err := squeueStates()
	if err != nil {
		return nil, err
	}
	var active []string
	for _, j := range spec.Slurm.Jobs {
		for _, i := range j.Indices {
			if st := states[taskKey{j.ID, i}]; slices.Contains(slurmPending, st) || slices.Contains(slurmRunning, st) {
				active = append(active, fmt.Sprintf("%s_%d", j.ID, i))
			}
		}
	}
	return active, nil
}

// checkSlurmDir checks that dir can be named in #SBATCH lines.
func checkSlurmDir(dir string) error {
	if strings.ContainsAny(dir, " \t\n\r%'\"\\$`") {
		return usagef("--engine slurm: the sweep directory %q holds a space, quote, $ or %%, which #SBATCH lines cannot take: choose another --out", dir)
	}
	return nil
}

// sweepSlurm writes the job-array script of spec into out and submits
// the runs that are neither done nor queued or running.
func sweepSlurm(w io.Writer, spec *sweepSpec, out string, o slurmOptions) error {
	if _, err := exec.LookPath("sbatch"); err != nil {
		return usagef("--engine slurm: sbatch is not on PATH: run on a Slurm submit host, or use --engine local")
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	if err := checkSlurmDir(abs); err != nil {
		return err
	}
	states, err := sweepStatuses(out, spec)
	if err != nil {
		return fmt.Errorf("cannot tell which runs are queued: %w", err)
	}
	var jobs []slurmJob
	if spec.Slurm != nil {
		jobs = spec.Slurm.Jobs
	}
	spec.Slurm = &slurmState{Options: o, Jobs: jobs}
	return submitIdle(w, abs, spec, states)
}

// submitIdle submits the idle runs of states as one job array, after
// (re)writing the script and sweep.json, and records the job.
func submitIdle(w io.Writer, dir string, spec *sweepSpec, states []runState) error {
	var idx []int
	for i, s := range states {
		if s.Idle {
			idx = append(idx, i)
		}
	}
	bin, err := os.Executable()
	if err == nil {
		bin, err = filepath.EvalSymlinks(bin)
	}
	if err != nil {
		return fmt.Errorf("sweep: the path of this gradbench: %w", err)
	}
	if err := checkSlurmDir(bin); err != nil {
		return err
	}
	spec.Slurm.Binary = bin
	if err := os.MkdirAll(filepath.Join(dir, sweepLogs), 0o755); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	script := filepath.Join(dir, sweepScript)
	if err := os.WriteFile(script, []byte(sbatchScript(dir, bin, len(spec.Runs), spec.Slurm.Options)), 0o755); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if err := writeSpec(dir, spec); err != nil {
		return err
	}
	if len(idx) == 0 {
		fmt.Fprintf(w, "nothing to submit: every run of %s is done, queued or running (gradbench sweep status %s)\n", dir, dir)
		return nil
	}
	out, err := slurmCmd("sbatch", "--parsable", "--array="+indexList(idx), script)
	if err != nil {
		return err
	}
	id, _, _ := strings.Cut(strings.TrimSpace(out), ";")
	if !jobIDRE.MatchString(id) {
		return fmt.Errorf("sbatch --parsable printed %q, not a job id", strings.TrimSpace(out))
	}
	spec.Slurm.Jobs = append(spec.Slurm.Jobs, slurmJob{ID: id, Indices: idx, Submitted: time.Now().UTC().Truncate(time.Second)})
	if err := writeSpec(dir, spec); err != nil {
		return fmt.Errorf("submitted job %s but could not record it: %w", id, err)
	}
	fmt.Fprintf(w, "submitted job %s: %d of %d runs (--array=%s); logs in %s\n", id, len(idx), len(spec.Runs), indexList(idx), filepath.Join(dir, sweepLogs))
	fmt.Fprintf(w, "follow it with: gradbench sweep status %s\nwhen it is done: gradbench plot %s --out %s\n", dir, dir, dir)
	return nil
}

// dirArgs returns the arguments of a sweep subcommand, which takes n.
func dirArgs(c *cli.Context, n int, usage string) ([]string, error) {
	if c.NArg() != n {
		return nil, usagef("usage: %s", usage)
	}
	return c.Args().Slice(), nil
}

func sweepStatusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "print each run of a sweep: done, running, failed or pending",
		UsageText: "gradbench sweep status DIR",
		Action:    sweepStatus,
	}
}

func sweepStatus(c *cli.Context) error {
	args, err := dirArgs(c, 1, "gradbench sweep status DIR")
	if err != nil {
		return err
	}
	dir := args[0]
	spec, err := readSpec(dir)
	if err != nil {
		return err
	}
	states, qerr := sweepStatuses(dir, spec)
	printStatus(os.Stdout, dir, spec, states)
	if qerr != nil {
		fmt.Fprintf(os.Stderr, "gradbench: %v: the states of submitted runs are unknown\n", qerr)
	}
	return nil
}

// printStatus prints the table of states and a count.
func printStatus(w io.Writer, dir string, spec *sweepSpec, states []runState) {
	width := len("run")
	for _, r := range spec.Runs {
		width = max(width, len(r.Name))
	}
	fmt.Fprintf(w, "%5s  %-*s  %-7s  %s\n", "index", width, "run", "state", "detail")
	count := map[string]int{}
	for i, s := range states {
		count[s.State]++
		fmt.Fprintf(w, "%5d  %-*s  %-7s  %s\n", i, width, spec.Runs[i].Name, s.State, s.Detail)
	}
	fmt.Fprintf(w, "%d runs: %d done, %d running, %d failed, %d pending", len(states), count[stateDone], count[stateRunning], count[stateFailed], count[statePending])
	if count[stateUnknown] > 0 {
		fmt.Fprintf(w, ", %d unknown", count[stateUnknown])
	}
	fmt.Fprintln(w)
	if spec.Slurm != nil && len(spec.Slurm.Jobs) > 0 {
		var jobs []string
		for _, j := range spec.Slurm.Jobs {
			jobs = append(jobs, fmt.Sprintf("%s (--array=%s)", j.ID, indexList(j.Indices)))
		}
		fmt.Fprintf(w, "slurm jobs: %s\n", strings.Join(jobs, ", "))
		if count[stateFailed] > 0 {
			fmt.Fprintf(w, "submit the failed runs again with: gradbench sweep resubmit %s\n", dir)
		}
	} else if count[stateFailed] > 0 {
		fmt.Fprintf(w, "resume the stopped runs with: gradbench sweep --grid %s --out %s\n", spec.GridFile, dir)
	}
}

func sweepResubmitCommand() *cli.Command {
	return &cli.Command{
		Name:      "resubmit",
		Usage:     "submit the failed and unfinished runs of a Slurm sweep again (each resumes from its checkpoint)",
		UsageText: "gradbench sweep resubmit DIR",
		Action:    sweepResubmit,
	}
}

func sweepResubmit(c *cli.Context) error {
	args, err := dirArgs(c, 1, "gradbench sweep resubmit DIR")
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(args[0])
	if err != nil {
		return err
	}
	spec, err := readSpec(dir)
	if err != nil {
		return err
	}
	if spec.Slurm == nil {
		return usagef("the sweep in %s was never submitted to Slurm: submit it with gradbench sweep --engine slurm --grid %s --out %s", args[0], spec.GridFile, args[0])
	}
	if _, err := exec.LookPath("sbatch"); err != nil {
		return usagef("resubmit: sbatch is not on PATH: run on a Slurm submit host")
	}
	if pid := localSweepPID(dir); pid > 0 {
		return usagef("a local sweep (process %d) is training in %s: wait for it to end or stop it", pid, args[0])
	}
	if err := checkSlurmDir(dir); err != nil {
		return err
	}
	states, err := sweepStatuses(dir, spec)
	if err != nil {
		return fmt.Errorf("cannot tell which runs ended: %w", err)
	}
	return submitIdle(os.Stdout, dir, spec, states)
}

func sweepRunTaskCommand() *cli.Command {
	return &cli.Command{
		Name:      "run-task",
		Usage:     "train run INDEX of the sweep in DIR (what each Slurm array task runs)",
		UsageText: "gradbench sweep run-task DIR INDEX",
		Hidden:    true,
		Action:    sweepRunTask,
	}
}

// sweepRunTask trains one run of a sweep into its directory, resuming
// from its checkpoint if it has one. A run that diverges is done: the
// task exits 0.
func sweepRunTask(c *cli.Context) error {
	args, err := dirArgs(c, 2, "gradbench sweep run-task DIR INDEX")
	if err != nil {
		return err
	}
	dir := args[0]
	spec, err := readSpec(dir)
	if err != nil {
		return err
	}
	i, err := strconv.Atoi(args[1])
	if err != nil || i < 0 || i >= len(spec.Runs) {
		return usagef("run-task: index %q: the sweep in %s has runs 0 to %d", args[1], dir, len(spec.Runs)-1)
	}
	r := spec.Runs[i]
	rd := filepath.Join(dir, r.Dir)
	ck, err := runCheckpoint(rd, r)
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	cfg := r.Config
	switch {
	case ck != nil && finished(ck):
		fmt.Printf("%s: already %s after %d steps; nothing to do\n", r.Name, ck.State.Summary.Status, ck.State.Summary.Steps)
		return nil
	case ck != nil:
		cfg = ck.Config // equal but for the data directory
		fmt.Printf("%s: run %d of %d, resuming after step %d on %s\n", r.Name, i, len(spec.Runs), ck.State.Summary.Steps, host)
	default:
		fmt.Printf("%s: run %d of %d on %s\n", r.Name, i, len(spec.Runs), host)
	}
	ds, err := prepare(r.Config, rd, 1)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := trainInto(ctx, cfg, ds, rd, ck, spec.CheckpointEvery, nil)
	switch {
	case errors.Is(err, context.Canceled):
		return exitError{fmt.Errorf("%s: interrupted after step %d; the checkpoint is in %s", r.Name, s.Steps, rd), exitInterrupted}
	case err != nil && !errors.Is(err, models.ErrDiverged):
		return fmt.Errorf("%s: %w", r.Name, err)
	}
	fmt.Println(runResult(r.Name, s, err))
	return nil
}
