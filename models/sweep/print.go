package sweep

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models/rundir"
	"github.com/gradbench/gradbench/models/sweep/slurm"
	"github.com/gradbench/gradbench/plots"
)

// PrintDryRun lists the runs of spec with their train command lines.
func PrintDryRun(w io.Writer, spec *Spec, out string) {
	width := 0
	for _, r := range spec.Runs {
		width = max(width, len(r.Name))
	}
	fmt.Fprintf(w, "%d runs in %s (dry run: nothing trained):\n", len(spec.Runs), filepath.Join(out, RunsDir))
	for _, r := range spec.Runs {
		args := append([]string{"gradbench", "train"}, r.TrainArgs...)
		args = append(args, "--checkpoint-every", strconv.Itoa(spec.CheckpointEvery), "--quiet", "--out", filepath.Join(out, r.Dir))
		fmt.Fprintf(w, "%-*s  %s\n", width, r.Name, slurm.ShellJoin(args))
	}
}

// PrintStatus prints the table of states and a count.
func PrintStatus(w io.Writer, dir string, spec *Spec, states []State) {
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
	fmt.Fprintf(w, "%d runs: %d done, %d running, %d failed, %d pending", len(states), count[Done], count[Running], count[Failed], count[Pending])
	if count[Unknown] > 0 {
		fmt.Fprintf(w, ", %d unknown", count[Unknown])
	}
	fmt.Fprintln(w)
	if spec.Slurm != nil && len(spec.Slurm.Jobs) > 0 {
		var jobs []string
		for _, j := range spec.Slurm.Jobs {
			jobs = append(jobs, fmt.Sprintf("%s (--array=%s)", j.ID, slurm.IndexList(j.Indices)))
		}
		fmt.Fprintf(w, "slurm jobs: %s\n", strings.Join(jobs, ", "))
		if count[Failed] > 0 {
			fmt.Fprintf(w, "submit the failed runs again with: gradbench sweep resubmit %s\n", dir)
		}
	} else if count[Failed] > 0 {
		fmt.Fprintf(w, "resume the stopped runs with: gradbench sweep --grid %s --out %s\n", spec.GridFile, dir)
	}
}

// Finished are the finished runs of a sweep, read back.
type Finished struct {
	// Runs and Names are the finished runs and their names in the sweep.
	Runs  []*rundir.Run
	Names []string
	// Rows are their results-table rows (named by run), Points their
	// sweep-figure points.
	Rows   []metrics.Row
	Points []plots.SweepPoint
	// Missing names the runs left out unfinished.
	Missing []string
}

// Results reads the finished runs of the sweep spec in dir.
func Results(dir string, spec *Spec) (*Finished, error) {
	f := &Finished{}
	for _, r := range spec.Runs {
		rd := filepath.Join(dir, r.Dir)
		if s, _ := rundir.ReadSummary(rd); !s.Done() {
			f.Missing = append(f.Missing, r.Name)
			continue
		}
		run, err := rundir.Read(rd)
		if err != nil {
			return nil, fmt.Errorf("sweep %s: %w", dir, err)
		}
		row := run.Row()
		row.Act = r.Name
		f.Runs, f.Names = append(f.Runs, run), append(f.Names, r.Name)
		f.Rows = append(f.Rows, row)
		f.Points = append(f.Points, plots.SweepPoint{Act: r.Config.Act, Group: spec.Group(r), Depth: r.Config.Depth,
			TestAccuracy: run.Summary.TestAccuracy, GradRatioFirst: run.Summary.GradRatioFirst})
	}
	return f, nil
}
