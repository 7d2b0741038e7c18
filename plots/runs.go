package plots

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models/rundir"
)

// RunsReport reads the runs in dirs and writes into out their figures,
// the report and, unless out is itself a run directory, the tidy
// grad_norms.csv of all of them (WriteTidy); it
// returns the results table's rows, each named by its run's label
// (Labels).
func RunsReport(dirs []string, out string) ([]metrics.Row, error) {
	var runs []*rundir.Run
	for _, d := range dirs {
		r, err := rundir.Read(d)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("report: no runs")
	}
	labels := Labels(runs)
	rows := make([]metrics.Row, len(runs))
	for i, r := range runs {
		rows[i] = r.Row()
		rows[i].Act = labels[i]
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	figs, err := Figures(runs, out)
	if err != nil {
		return nil, fmt.Errorf("figures: %w", err)
	}
	// Not over a run's own grad_norms.csv, when out is a run directory.
	if !rundir.IsRun(out) {
		if err := WriteTidy(filepath.Join(out, TidyFile), runs, labels); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
	}
	if err := Report(out, "gradbench: gradient flow by activation", describe(runs, labels), rows, figs); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return rows, nil
}
