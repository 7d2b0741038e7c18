package sweep

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/models/config"
	"github.com/gradbench/gradbench/models/rundir"
	"github.com/gradbench/gradbench/models/sweep/slurm"
)

// Files of a sweep directory.
const (
	SpecFile   = "sweep.json"   // the grid and the run list
	RunsDir    = "runs"         // run NAME trains into runs/NAME
	PIDFile    = "sweep.pid"    // the local engine's process, while it runs
	ScriptFile = "sweep.sbatch" // the Slurm job-array script
	LogsDir    = "logs"         // the Slurm tasks' output
	version    = 1              // version of sweep.json
	// MaxRuns is the most runs a grid may expand to.
	MaxRuns = 10000
)

// Dim is one key of a grid with its values, as Field.Get writes them.
type Dim struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

// Run is one run of a sweep.
type Run struct {
	Name string `json:"name"`
	// Dir is the run's directory, relative to the sweep directory.
	Dir    string        `json:"dir"`
	Config config.Config `json:"config"`
	// TrainArgs are gradbench train's flags that configure this run (all
	// of them); with --out they train the same run.
	TrainArgs []string `json:"train_args"`
}

// Spec is the content of sweep.json.
type Spec struct {
	Version int `json:"version"`
	// GridFile is the grid's path when the sweep was (last) started.
	GridFile string `json:"grid_file"`
	Grid     []Dim  `json:"grid"`
	// Swept are the keys with more than one value: they name the runs.
	Swept           []string `json:"swept"`
	CheckpointEvery int      `json:"checkpoint_every"`
	Runs            []Run    `json:"runs"`
	// Slurm is set once the sweep was submitted to Slurm.
	Slurm *SlurmState `json:"slurm,omitempty"`
}

// SlurmState is what sweep.json records of a sweep's Slurm submissions.
type SlurmState struct {
	// Binary is the gradbench that the tasks run.
	Binary  string        `json:"binary"`
	Options slurm.Options `json:"options"`
	// Jobs are the submissions, oldest first; a run belongs to the last
	// one that lists its index.
	Jobs []Job `json:"jobs"`
}

// Job is one submission of the sweep's job array.
type Job struct {
	ID        string    `json:"job_id"`
	Indices   []int     `json:"indices"`
	Submitted time.Time `json:"submitted"`
}

// IsSweep reports whether dir holds a sweep.
func IsSweep(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, SpecFile))
	return err == nil
}

// Read reads dir/sweep.json. A missing file wraps fs.ErrNotExist.
func Read(dir string) (*Spec, error) {
	path := filepath.Join(dir, SpecFile)
	b, err := data.ReadFile(path, 64<<20)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is not a sweep directory (no %s): give the --out of gradbench sweep: %w", dir, SpecFile, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, rundir.PathCause(err))
	}
	var s Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s is damaged (%v): start the sweep again in another directory", path, err)
	}
	if s.Version != version {
		return nil, fmt.Errorf("%s has version %d; this gradbench reads version %d", path, s.Version, version)
	}
	for _, r := range s.Runs {
		if r.Name == "" || r.Dir == "" || filepath.IsAbs(r.Dir) || strings.HasPrefix(filepath.Clean(r.Dir), "..") {
			return nil, fmt.Errorf("%s is damaged (run %q in %q): start the sweep again in another directory", path, r.Name, r.Dir)
		}
		// A run is checked as its grid was: no value train refuses.
		if err := r.Config.Validate(); err != nil {
			return nil, fmt.Errorf("%s is damaged (run %s: %v): start the sweep again in another directory", path, r.Name, err)
		}
	}
	return &s, nil
}

// Write writes dir/sweep.json atomically, making dir if needed.
func (s *Spec) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create sweep directory: %w", err)
	}
	return rundir.WriteJSON(filepath.Join(dir, SpecFile), s)
}

// SameRuns returns "" if s and b list the same runs with the same
// configurations (the data directory aside), else what differs.
func (s *Spec) SameRuns(b *Spec) string {
	if len(s.Runs) != len(b.Runs) {
		return fmt.Sprintf("it has %d runs, the grid %d", len(s.Runs), len(b.Runs))
	}
	for i := range s.Runs {
		if s.Runs[i].Name != b.Runs[i].Name {
			return fmt.Sprintf("its run %d is %s, the grid's %s", i+1, s.Runs[i].Name, b.Runs[i].Name)
		}
		if m := config.Diff(s.Runs[i].Config, b.Runs[i].Config); m != nil {
			return fmt.Sprintf("in run %s the grid's %s %s differs from its %s", s.Runs[i].Name, m.Field, m.Want, m.Have)
		}
	}
	return ""
}

// Group names r's values of the swept keys other than the activation,
// the depth and the seed: runs of one group share a sweep figure.
func (s *Spec) Group(r Run) string {
	var parts []string
	for _, k := range s.Swept {
		if k == "act" || k == "depth" || k == "seed" {
			continue
		}
		if f, ok := config.Lookup(k); ok {
			parts = append(parts, k+"="+f.Get(r.Config))
		}
	}
	return strings.Join(parts, ",")
}

// Describe returns the grid and the runs left out, for the report.
func (s *Spec) Describe(missing []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "grid %s, %d runs:\n", s.GridFile, len(s.Runs))
	for _, d := range s.Grid {
		fmt.Fprintf(&b, "  %s = %s\n", d.Key, strings.Join(d.Values, ", "))
	}
	if len(missing) > 0 {
		fmt.Fprintf(&b, "not finished, left out: %s\n", strings.Join(missing, " "))
	}
	b.WriteString("Runs that differ in width, lr, init or another swept setting besides act, depth and seed are drawn in separate figures.\n")
	return b.String()
}
