package slurm

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Options are the resources each array task asks for.
type Options struct {
	Partition string `json:"partition,omitempty"`
	CPUs      int    `json:"cpus_per_task"`
	Mem       string `json:"mem,omitempty"`
	Time      string `json:"time,omitempty"`
}

// OptionError is an option whose value sbatch would not take.
type OptionError struct {
	Option, Value, Want string
}

func (e *OptionError) Error() string { return fmt.Sprintf("%s %q: %s", e.Option, e.Value, e.Want) }

var (
	partitionRE = regexp.MustCompile(`^[A-Za-z0-9_.,-]*$`)
	memRE       = regexp.MustCompile(`^([0-9]+[KMGTkmgt]?)?$`)
	timeRE      = regexp.MustCompile(`^([0-9]+([:-][0-9]+)*)?$`)
	jobIDRE     = regexp.MustCompile(`^[0-9]+$`)
)

// Check returns an *OptionError for the first option sbatch would not
// take, or that would break the script's #SBATCH lines.
func (o Options) Check() error {
	switch {
	case !partitionRE.MatchString(o.Partition):
		return &OptionError{"partition", o.Partition, "give a partition name (letters, digits, _ . , -)"}
	case o.CPUs < 1:
		return &OptionError{"cpus-per-task", strconv.Itoa(o.CPUs), "give at least 1"}
	case !memRE.MatchString(o.Mem):
		return &OptionError{"mem", o.Mem, "give a size as sbatch --mem takes it, like 2G or 500M"}
	case !timeRE.MatchString(o.Time):
		return &OptionError{"time", o.Time, "give a time limit as sbatch --time takes it, like 30, 1:00:00 or 1-0"}
	}
	return nil
}

// CheckPath reports a path that #SBATCH lines cannot name.
func CheckPath(path string) error {
	if strings.ContainsAny(path, " \t\n\r%'\"\\$`") {
		return fmt.Errorf("the path %q holds a space, quote, $ or %%, which #SBATCH lines cannot take", path)
	}
	return nil
}

// Script returns a job-array script of n tasks named name: task i runs
// cmd with i as its last argument, in the folder chdir, its output in
// logDir/JOB_i.out.
func Script(name string, cmd []string, n int, chdir, logDir string, o Options) string {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	b.WriteString("# Written by gradbench: array task i runs the command below with i as its last argument.\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=%s\n", name)
	fmt.Fprintf(&b, "#SBATCH --array=0-%d\n", n-1)
	fmt.Fprintf(&b, "#SBATCH --output=%s/%%A_%%a.out\n", logDir)
	fmt.Fprintf(&b, "#SBATCH --chdir=%s\n", chdir)
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
	fmt.Fprintf(&b, "exec %s \"$SLURM_ARRAY_TASK_ID\"\n", ShellJoin(cmd))
	return b.String()
}

// ShellJoin quotes args for a POSIX shell.
func ShellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		safe := a != ""
		for _, r := range a {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=,:+@%", r)) {
				safe = false
			}
		}
		if safe {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

// IndexList writes sorted indices as sbatch --array takes them: "0-3,7".
func IndexList(idx []int) string {
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

// ParseIndexList reads an array index list as Slurm prints it: "0-3,7",
// with an optional "%N" throttle.
func ParseIndexList(s string) ([]int, error) {
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

// Available reports whether sbatch can be run here.
func Available() error {
	if _, err := exec.LookPath("sbatch"); err != nil {
		return fmt.Errorf("sbatch is not on PATH")
	}
	return nil
}

// Submit submits script as a job array of the tasks idx and returns the
// job's id.
func Submit(script string, idx []int) (string, error) {
	out, err := command("sbatch", "--parsable", "--array="+IndexList(idx), script)
	if err != nil {
		return "", err
	}
	id, _, _ := strings.Cut(strings.TrimSpace(out), ";")
	if !jobIDRE.MatchString(id) {
		return "", fmt.Errorf("sbatch --parsable printed %q, not a job id", strings.TrimSpace(out))
	}
	return id, nil
}

// command runs a Slurm command and returns its standard output; the
// error carries its standard error.
func command(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		if msg := strings.Join(strings.Fields(e.String()), " "); msg != "" {
			return "", fmt.Errorf("%s: %s", name, msg)
		}
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return o.String(), nil
}

// Task names an array task: the job id and the index.
type Task struct {
	Job   string
	Index int
}

func (t Task) String() string { return fmt.Sprintf("%s_%d", t.Job, t.Index) }

// squeueFormat is the squeue output ParseSqueue reads.
var squeueArgs = []string{"--me", "--noheader", "--array", "--states=all", "--format=%F|%K|%T"}

// ParseSqueue reads the output of squeue with squeueArgs: the state of
// each array task it lists (queued, running and recently ended ones).
func ParseSqueue(out string) map[Task]string {
	states := map[Task]string{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(strings.TrimSpace(line), "|")
		if len(f) != 3 {
			continue
		}
		idx, err := ParseIndexList(f[1])
		if err != nil {
			continue // not an array job
		}
		for _, i := range idx {
			states[Task{f[0], i}] = f[2]
		}
	}
	return states
}

// ParseSacct reads the output of sacct --parsable2 --format=JobID,State:
// the state accounting records for each array task.
func ParseSacct(out string) map[Task]string {
	states := map[Task]string{}
	for _, line := range strings.Split(out, "\n") {
		id, state, ok := strings.Cut(strings.TrimSpace(line), "|")
		job, idx, arr := strings.Cut(id, "_")
		if !ok || !arr {
			continue
		}
		list, err := ParseIndexList(strings.Trim(idx, "[]"))
		if err != nil {
			continue
		}
		for _, i := range list {
			states[Task{job, i}] = strings.Fields(state + " ?")[0] // "CANCELLED by 0"
		}
	}
	return states
}

// States returns the states of tasks: from squeue, and from sacct (where
// accounting works) for the tasks squeue has forgotten. It fails when
// squeue fails.
func States(tasks []Task) (map[Task]string, error) {
	out, err := command("squeue", squeueArgs...)
	if err != nil {
		return nil, err
	}
	states := ParseSqueue(out)
	var missing []string
	for _, t := range tasks {
		if _, ok := states[t]; !ok && !slices.Contains(missing, t.Job) {
			missing = append(missing, t.Job)
		}
	}
	if len(missing) == 0 {
		return states, nil
	}
	slices.Sort(missing)
	acct, err := command("sacct", "--noheader", "--parsable2", "--allocations", "--jobs="+strings.Join(missing, ","), "--format=JobID,State")
	if err != nil {
		return states, nil // accounting is off: squeue is all there is
	}
	for k, s := range ParseSacct(acct) {
		if _, ok := states[k]; !ok {
			states[k] = s
		}
	}
	return states, nil
}

// Phase is what a task's state means for the work it does.
type Phase int

// Phases of a task.
const (
	Unknown Phase = iota // no state known
	Pending              // queued, not started
	Running              // started, not ended
	Ended                // ended, however it ended
)

// Slurm job states (squeue --format=%T, sacct State) by phase.
var (
	pending = []string{"PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "CONFIGURING", "RESIZING", "RESV_DEL_HOLD", "POWER_UP_NODE"}
	running = []string{"RUNNING", "COMPLETING", "SUSPENDED", "STOPPED", "SIGNALING", "STAGE_OUT"}
)

// PhaseOf returns the phase of a task in state ("" when none is known).
func PhaseOf(state string) Phase {
	switch {
	case state == "":
		return Unknown
	case slices.Contains(pending, state):
		return Pending
	case slices.Contains(running, state):
		return Running
	}
	return Ended
}
