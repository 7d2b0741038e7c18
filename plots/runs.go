package plots

import (
	"fmt"
	"os"
	"strings"

	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models/config"
	"github.com/gradbench/gradbench/models/rundir"
)

// RunsReport reads the runs in dirs and writes their figures and report
// into out; it returns the results table's rows.
func RunsReport(dirs []string, out string) ([]metrics.Row, error) {
	var runs []*rundir.Run
	var rows []metrics.Row
	for _, d := range dirs {
		r, err := rundir.Read(d)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
		rows = append(rows, r.Row())
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	figs, err := Figures(runs, out)
	if err != nil {
		return nil, fmt.Errorf("figures: %w", err)
	}
	if err := Report(out, "gradbench: gradient flow by activation", describe(runs), rows, figs); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return rows, nil
}

// describe returns each run's configuration, with the initialisation it
// used and its step count.
func describe(runs []*rundir.Run) string {
	var b strings.Builder
	for _, r := range runs {
		s := r.Summary
		fmt.Fprintf(&b, "%s: %s; init used %s, %d steps, %s\n", s.Config.Label(), config.Describe(s.Config), s.InitUsed, s.Steps, r.Dir)
	}
	return b.String()
}
