package sweep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/models"
	"github.com/gradbench/gradbench/models/config"
	"github.com/gradbench/gradbench/models/rundir"
	"github.com/gradbench/gradbench/models/sweep/slurm"
)

// Sweep is a sweep checked and ready to train: its spec, where it lives,
// the datasets its runs read and each run's checkpoint.
type Sweep struct {
	Dir  string
	Spec *Spec
	// Sets are the datasets by DataKey.
	Sets map[DataKey]*data.Dataset
	// Checkpoints are the runs' checkpoints by index, nil for a run that
	// has none.
	Checkpoints []*models.Checkpoint
	// Need is about how many bytes the unfinished runs will write.
	Need int64
}

// DataKey names a dataset a run reads: its name and folder.
type DataKey struct{ Name, Dir string }

// Key returns the dataset r reads.
func (r Run) Key() DataKey { return DataKey{r.Config.Dataset, r.Config.DataDir} }

// Prepare checks everything about the sweep spec in dir that can fail
// before anything trains: every dataset loads and holds a batch of each
// run that reads it, and every checkpoint already in a run directory is
// readable and of that run's configuration.
func Prepare(dir string, spec *Spec) (*Sweep, error) {
	sw := &Sweep{Dir: dir, Spec: spec, Sets: map[DataKey]*data.Dataset{}, Checkpoints: make([]*models.Checkpoint, len(spec.Runs))}
	for i, r := range spec.Runs {
		ds, ok := sw.Sets[r.Key()]
		if !ok {
			var err error
			if ds, err = data.Load(r.Config.Dataset, r.Config.DataDir); err != nil {
				return nil, fmt.Errorf("grid %s: %s%w", spec.GridFile, runLabel(r.Name), err)
			}
			sw.Sets[r.Key()] = ds
		}
		train, _, err := models.Splits(r.Config, ds)
		if err != nil {
			return nil, fmt.Errorf("grid %s: %s%w", spec.GridFile, runLabel(r.Name), err)
		}
		rd := filepath.Join(dir, r.Dir)
		if sw.Checkpoints[i], err = RunCheckpoint(rd, r); err != nil {
			return nil, err
		}
		if ck := sw.Checkpoints[i]; !ck.Done() {
			sw.Need += models.OutputBytes(r.Config, train.N, train.Dim, ds.Classes) - rundir.Bytes(rd)
		}
	}
	return sw, nil
}

// Check checks what a dry run of the sweep spec in dir can without
// loading any dataset: every dataset's files are there with headers that
// agree (data.Check), and every checkpoint already in a run directory is
// readable and of that run's configuration.
func Check(dir string, spec *Spec) error {
	seen := map[DataKey]bool{}
	for _, r := range spec.Runs {
		if !seen[r.Key()] {
			seen[r.Key()] = true
			if err := data.Check(r.Config.Dataset, r.Config.DataDir); err != nil {
				return fmt.Errorf("grid %s: %s%w", spec.GridFile, runLabel(r.Name), err)
			}
		}
		if _, err := RunCheckpoint(filepath.Join(dir, r.Dir), r); err != nil {
			return err
		}
	}
	return nil
}

// RunCheckpoint returns the checkpoint of run r in its directory rd: nil
// if it has none, an error if it cannot be read or is from another
// configuration.
func RunCheckpoint(rd string, r Run) (*models.Checkpoint, error) {
	ck, err := models.ReadResume(rd, func(config.Config) config.Config { return r.Config })
	var m *models.MismatchError
	var refused *rundir.RefusedError
	switch {
	case errors.Is(err, models.ErrNoCheckpoint):
		return nil, nil
	case errors.As(err, &m):
		return nil, fmt.Errorf("run %s in %s was configured differently (%s %s of the grid differs from its %s): remove it to train it again", r.Name, rd, m.Field, m.Want, m.Have)
	case errors.As(err, &refused):
		return nil, fmt.Errorf("run %s: %w", r.Name, err)
	case err != nil:
		return nil, fmt.Errorf("run %s: %v: remove %s to train it again", r.Name, err, rd)
	}
	return ck, nil
}

// Engine trains the runs of a sweep that are left to do, or has them
// trained.
type Engine interface {
	Launch(ctx context.Context, sw *Sweep) error
}

// Local is the engine that trains the runs in this process, Jobs at once.
type Local struct {
	Jobs int
	// Log receives a line as each run ends.
	Log io.Writer
	// Progress, if not nil, returns the progress callback of the run
	// called name; Finished is called when it ends.
	Progress func(name string) func(models.Progress)
	Finished func(name string)
}

// Launch trains every unfinished run of sw, resuming those that have a
// checkpoint. A cancelled ctx stops them after their current step; the
// error then wraps context.Canceled.
func (e Local) Launch(ctx context.Context, sw *Sweep) error {
	host, _ := os.Hostname()
	pidFile := filepath.Join(sw.Dir, PIDFile)
	if err := os.WriteFile(pidFile, fmt.Appendf(nil, "%d %s\n", os.Getpid(), host), 0o644); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	defer os.Remove(pidFile)

	spec := sw.Spec
	var todo []int
	for i, r := range spec.Runs {
		if ck := sw.Checkpoints[i]; ck.Done() {
			fmt.Fprintf(e.Log, "%s: already %s after %d steps, skipped\n", r.Name, ck.State.Summary.Status, ck.State.Summary.Steps)
			continue
		}
		todo = append(todo, i)
	}
	if len(todo) == 0 {
		return nil
	}
	fmt.Fprintf(e.Log, "training %d of %d runs, %d at once, into %s\n", len(todo), len(spec.Runs), min(e.Jobs, len(todo)), filepath.Join(sw.Dir, RunsDir))
	var mu sync.Mutex
	errs := make([]error, len(spec.Runs))
	models.ForEach(len(todo), e.Jobs, func(k int) {
		i := todo[k]
		r := spec.Runs[i]
		var progress func(models.Progress)
		if e.Progress != nil {
			progress = e.Progress(r.Name)
		}
		s, err := sw.train(ctx, i, progress)
		if e.Finished != nil {
			e.Finished(r.Name)
		}
		mu.Lock()
		defer mu.Unlock()
		errs[i] = err
		if !errors.Is(err, context.Canceled) {
			fmt.Fprintln(e.Log, Result(r.Name, s, err))
		}
	})
	var failed []string
	var first error
	for i, err := range errs {
		switch {
		case err == nil || errors.Is(err, models.ErrDiverged):
		case errors.Is(err, context.Canceled):
			return err
		default:
			failed = append(failed, spec.Runs[i].Name)
			if first == nil {
				first = fmt.Errorf("%s: %w", spec.Runs[i].Name, err)
			}
		}
	}
	if first != nil {
		return fmt.Errorf("%d of %d runs failed (%s); first: %w", len(failed), len(todo), strings.Join(failed, " "), first)
	}
	return nil
}

// train trains run i of sw into its directory, from its checkpoint if it
// has one.
func (sw *Sweep) train(ctx context.Context, i int, progress func(models.Progress)) (*rundir.Summary, error) {
	r := sw.Spec.Runs[i]
	cfg, ck := r.Config, sw.Checkpoints[i]
	if ck != nil {
		cfg = ck.Config // equal but for the data directory
	}
	return models.TrainInto(ctx, cfg, sw.Sets[r.Key()], filepath.Join(sw.Dir, r.Dir), ck,
		models.Output{CheckpointEvery: sw.Spec.CheckpointEvery, TensorBoard: true, Progress: progress})
}

// TrainTask trains run i of sw, as a Slurm array task does: it prints
// what it does to log and returns the summary. A diverged run is done.
func (sw *Sweep) TrainTask(ctx context.Context, i int, log io.Writer) (*rundir.Summary, error) {
	r, ck := sw.Spec.Runs[i], sw.Checkpoints[i]
	host, _ := os.Hostname()
	switch {
	case ck.Done():
		fmt.Fprintf(log, "%s: already %s after %d steps; nothing to do\n", r.Name, ck.State.Summary.Status, ck.State.Summary.Steps)
		return &ck.State.Summary, nil
	case ck != nil:
		fmt.Fprintf(log, "%s: run %d of %d, resuming after step %d on %s\n", r.Name, i, len(sw.Spec.Runs), ck.State.Summary.Steps, host)
	default:
		fmt.Fprintf(log, "%s: run %d of %d on %s\n", r.Name, i, len(sw.Spec.Runs), host)
	}
	s, err := sw.train(ctx, i, nil)
	if err == nil || errors.Is(err, models.ErrDiverged) {
		fmt.Fprintln(log, Result(r.Name, s, err))
		return s, nil
	}
	return s, err
}

// Result describes how a run ended, in one line.
func Result(name string, s *rundir.Summary, err error) string {
	switch {
	case errors.Is(err, models.ErrDiverged):
		return fmt.Sprintf("%s: diverged (%v)", name, err)
	case err != nil:
		return fmt.Sprintf("%s: failed: %v", name, err)
	}
	return fmt.Sprintf("%s: %d steps, final loss %s, test accuracy %s", name, s.Steps, fmtPtr(s.FinalLoss, "%.4f"), fmtPtr(s.TestAccuracy, "%.4f"))
}

// Slurm is the engine that submits the runs as a Slurm job array, each
// task running Binary's "sweep run-task DIR INDEX".
type Slurm struct {
	Options slurm.Options
	// Binary is the gradbench the tasks run (an absolute path).
	Binary string
	Log    io.Writer
	// Keep, when true, keeps the options recorded in sweep.json (a
	// resubmission) instead of Options.
	Keep bool
}

// Launch writes the job-array script and submits the runs that are
// neither done nor queued or running. sw.Dir must be absolute.
func (e Slurm) Launch(_ context.Context, sw *Sweep) error {
	if err := slurm.Available(); err != nil {
		return err
	}
	for _, p := range []string{sw.Dir, e.Binary} {
		if err := slurm.CheckPath(p); err != nil {
			return err
		}
	}
	spec := sw.Spec
	states, err := Statuses(sw.Dir, spec)
	if err != nil {
		return fmt.Errorf("cannot tell which runs ended or are queued: %w", err)
	}
	if spec.Slurm == nil {
		spec.Slurm = &SlurmState{}
	}
	if !e.Keep {
		spec.Slurm.Options = e.Options
	}
	spec.Slurm.Binary = e.Binary
	var idx []int
	for i, s := range states {
		if s.Idle {
			idx = append(idx, i)
		}
	}
	if err := os.MkdirAll(filepath.Join(sw.Dir, LogsDir), 0o755); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	script := filepath.Join(sw.Dir, ScriptFile)
	text := slurm.Script("gradbench-sweep", []string{e.Binary, "sweep", "run-task", sw.Dir}, len(spec.Runs), sw.Dir, filepath.Join(sw.Dir, LogsDir), spec.Slurm.Options)
	if err := os.WriteFile(script, []byte(text), 0o755); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if err := spec.Write(sw.Dir); err != nil {
		return err
	}
	if len(idx) == 0 {
		fmt.Fprintf(e.Log, "nothing to submit: every run of %s is done, queued or running (gradbench sweep status %s)\n", sw.Dir, sw.Dir)
		return nil
	}
	id, err := slurm.Submit(script, idx)
	if err != nil {
		return err
	}
	spec.Slurm.Jobs = append(spec.Slurm.Jobs, Job{ID: id, Indices: idx, Submitted: time.Now().UTC().Truncate(time.Second)})
	if err := spec.Write(sw.Dir); err != nil {
		return fmt.Errorf("submitted job %s but could not record it: %w", id, err)
	}
	fmt.Fprintf(e.Log, "submitted job %s: %d of %d runs (--array=%s); logs in %s\n", id, len(idx), len(spec.Runs), slurm.IndexList(idx), filepath.Join(sw.Dir, LogsDir))
	fmt.Fprintf(e.Log, "follow it with: gradbench sweep status %s\nwhen it is done: gradbench plot %s --out %s\n", sw.Dir, sw.Dir, sw.Dir)
	return nil
}
