package sweep

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/models/rundir"
	"github.com/gradbench/gradbench/models/sweep/slurm"
)

// Run states that sweep status prints.
const (
	Done    = "done"
	Running = "running"
	Failed  = "failed"
	Pending = "pending"
	Unknown = "unknown"
)

// State is a run's state in sweep status.
type State struct {
	State, Detail string
	// Idle is true when the run is unfinished and nothing is training it
	// or has it queued: resubmit submits it again.
	Idle bool
}

// Facts are what is known of one run: the input of Decide.
type Facts struct {
	// Summary is the run directory's summary.json, nil if it has none.
	Summary *rundir.Summary
	// Task is the run's Slurm array task, if it was submitted; TaskState
	// is its state ("" if Slurm knows none) and QueueErr why squeue
	// could not be asked.
	Task      *slurm.Task
	TaskState string
	QueueErr  error
	// LocalPID is the process of a local sweep training in the sweep
	// directory, 0 if none.
	LocalPID int
}

// Decide returns a run's state from what is known of it.
func Decide(f Facts) State {
	s := f.Summary
	where := ""
	if s != nil {
		where = fmt.Sprintf(", step %d/%d", s.Steps, s.TotalSteps())
	}
	task := ""
	if f.Task != nil {
		task = "slurm task " + f.Task.String()
	}
	switch phase := slurm.PhaseOf(f.TaskState); {
	case s.Done() && s.Status == rundir.StatusDiverged:
		return State{State: Done, Detail: fmt.Sprintf("diverged at step %s", fmtIntPtr(s.DivergedAtStep))}
	case s.Done():
		return State{State: Done, Detail: fmt.Sprintf("finished, %d steps, test accuracy %s", s.Steps, fmtPtr(s.TestAccuracy, "%.4f"))}
	case f.Task != nil && phase == slurm.Pending:
		return State{State: Pending, Detail: task + " " + f.TaskState + where}
	case f.Task != nil && phase == slurm.Running:
		return State{State: Running, Detail: task + " " + f.TaskState + where}
	case f.Task != nil && phase == slurm.Ended:
		return State{State: Failed, Detail: task + " ended " + f.TaskState + " without a finished run" + where, Idle: true}
	case f.Task != nil && f.QueueErr != nil:
		return State{State: Unknown, Detail: task + ": squeue failed" + where}
	case f.Task != nil:
		return State{State: Failed, Detail: task + " ended without a finished run (squeue no longer lists it)" + where, Idle: true}
	case f.LocalPID > 0 && s != nil && s.Status == rundir.StatusRunning:
		return State{State: Running, Detail: fmt.Sprintf("local sweep (process %d)%s", f.LocalPID, where)}
	case f.LocalPID > 0:
		return State{State: Pending, Detail: fmt.Sprintf("queued in the local sweep (process %d)", f.LocalPID)}
	case s != nil:
		return State{State: Failed, Detail: fmt.Sprintf("stopped (%s)%s; run the sweep again to resume it", s.Status, where), Idle: true}
	}
	return State{State: Pending, Detail: "not started", Idle: true}
}

// Tasks returns the Slurm task of each run of s that was submitted, by
// run index.
func (s *Spec) Tasks() map[int]slurm.Task {
	out := map[int]slurm.Task{}
	if s.Slurm != nil {
		for _, j := range s.Slurm.Jobs {
			for _, i := range j.Indices {
				out[i] = slurm.Task{Job: j.ID, Index: i}
			}
		}
	}
	return out
}

// Statuses returns the state of every run of the sweep s in dir: from
// the run directories' summary.json, the local engine's process and, for
// runs submitted to Slurm, slurm.States. When squeue fails, the states of
// unfinished submitted runs are unknown and the error is returned.
func Statuses(dir string, s *Spec) ([]State, error) {
	facts := make([]Facts, len(s.Runs))
	tasks := s.Tasks()
	var ask []slurm.Task
	for i, r := range s.Runs {
		facts[i].Summary, _ = rundir.ReadSummary(filepath.Join(dir, r.Dir))
		if t, ok := tasks[i]; ok {
			facts[i].Task = &t
			if !facts[i].Summary.Done() {
				ask = append(ask, t)
			}
		}
	}
	var states map[slurm.Task]string
	var qerr error
	if len(ask) > 0 {
		states, qerr = slurm.States(ask)
	}
	pid := LocalPID(dir)
	out := make([]State, len(s.Runs))
	for i := range facts {
		f := &facts[i]
		f.LocalPID, f.QueueErr = pid, qerr
		if f.Task != nil {
			f.TaskState = states[*f.Task]
		}
		out[i] = Decide(*f)
	}
	return out, qerr
}

// Active lists the tasks of s's Slurm jobs that are queued or running.
func (s *Spec) Active() ([]string, error) {
	var tasks []slurm.Task
	for _, t := range s.Tasks() {
		tasks = append(tasks, t)
	}
	if len(tasks) == 0 {
		return nil, nil
	}
	states, err := slurm.States(tasks)
	if err != nil {
		return nil, err
	}
	var active []string
	for i := range s.Runs {
		if t, ok := s.Tasks()[i]; ok {
			if p := slurm.PhaseOf(states[t]); p == slurm.Pending || p == slurm.Running {
				active = append(active, t.String())
			}
		}
	}
	return active, nil
}

// LocalPID returns the process id of a local sweep training in dir on this
// host, 0 if there is none.
func LocalPID(dir string) int {
	b, err := data.ReadFile(filepath.Join(dir, PIDFile), 4096)
	if err != nil {
		return 0
	}
	var pid int
	var host string
	if n, _ := fmt.Sscan(string(b), &pid, &host); n != 2 || pid <= 0 || pid == os.Getpid() {
		return 0
	}
	if h, _ := os.Hostname(); h != host {
		return 0
	}
	p, err := os.FindProcess(pid)
	if err != nil || p.Signal(syscall.Signal(0)) != nil {
		return 0
	}
	return pid
}

func fmtIntPtr(p *int) string {
	if p == nil {
		return "?"
	}
	return strconv.Itoa(*p)
}

func fmtPtr(p *float64, format string) string {
	if p == nil {
		return "n/a"
	}
	return fmt.Sprintf(format, *p)
}
