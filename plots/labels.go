package plots

import (
	"encoding/csv"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models/config"
	"github.com/gradbench/gradbench/models/rundir"
)

// Differing returns the settings whose values differ between runs, in
// config.Fields order, leaving out those that change no number (the data
// directory).
func Differing(runs []*rundir.Run) []config.Field {
	var out []config.Field
	for _, f := range config.Fields {
		if f.Locator {
			continue
		}
		for _, r := range runs[min(1, len(runs)):] {
			if f.Get(r.Summary.Config) != f.Get(runs[0].Summary.Config) {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// Labels names each run for legends, tables and file names: its activation
// when that tells the runs apart (a compare); else the activation and the
// other settings that differ between the runs ("sigmoid seed=2"); else,
// for runs of one configuration from different sessions, the activation
// and the end of its directory.
func Labels(runs []*rundir.Run) []string {
	names := runNames(runs)
	if distinct(names) {
		return names
	}
	var diff []config.Field
	for _, f := range Differing(runs) {
		if f.Name != "act" {
			diff = append(diff, f)
		}
	}
	for i, r := range runs {
		var parts []string
		for _, f := range diff {
			parts = append(parts, f.Name+"="+f.Get(r.Summary.Config))
		}
		if len(parts) > 0 {
			names[i] += " " + strings.Join(parts, " ")
		}
	}
	if distinct(names) {
		return names
	}
	// The shortest end of each directory that tells them apart.
	for k := 1; k <= 8; k++ {
		out := make([]string, len(runs))
		for i, r := range runs {
			out[i] = names[i] + " (" + pathEnd(r.Dir, k) + ")"
		}
		if distinct(out) {
			return out
		}
	}
	for i := range names {
		names[i] += fmt.Sprintf(" (%d)", i+1)
	}
	return names
}

func distinct(names []string) bool {
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return false
		}
		seen[n] = true
	}
	return true
}

// pathEnd returns the last k elements of path.
func pathEnd(path string, k int) string {
	parts := strings.Split(filepath.ToSlash(filepath.Clean(path)), "/")
	return strings.Join(parts[max(0, len(parts)-k):], "/")
}

// describe returns the configuration of runs once: the settings common to
// all, then per run what differs, the initialisation it used, its steps
// and its directory.
func describe(runs []*rundir.Run, labels []string) string {
	diff := Differing(runs)
	differs := func(name string) bool {
		return slices.ContainsFunc(diff, func(f config.Field) bool { return f.Name == name })
	}
	var common []string
	for _, f := range config.Fields {
		if v := f.Get(runs[0].Summary.Config); !f.Locator && v != "" && !differs(f.Name) {
			common = append(common, f.Name+" "+v)
		}
	}
	var b strings.Builder
	if len(runs) > 1 {
		fmt.Fprintf(&b, "every run: %s\n", strings.Join(common, ", "))
	} else {
		fmt.Fprintf(&b, "%s\n", strings.Join(common, ", "))
	}
	for i, r := range runs {
		var parts []string
		for _, f := range diff {
			if v := f.Get(r.Summary.Config); v != "" {
				parts = append(parts, f.Name+" "+v)
			}
		}
		parts = append(parts, "init used "+r.Summary.InitUsed, fmt.Sprintf("%d steps", r.Summary.Steps), r.Dir)
		fmt.Fprintf(&b, "%s: %s\n", labels[i], strings.Join(parts, ", "))
	}
	return b.String()
}

// TidyFile is the file of every run's gradient norms that RunsReport and
// the sweep report write.
const TidyFile = "grad_norms.csv"

// WriteTidy writes path: the gradient norms of all runs in one tidy CSV
// table, for one pandas.read_csv: the columns run (its label), act and
// each other setting that differs between the runs, then step, layer,
// param and l2 as in each run's grad_norms.csv.
func WriteTidy(path string, runs []*rundir.Run, labels []string) error {
	cols := []config.Field{}
	if f, ok := config.Lookup("act"); ok {
		cols = append(cols, f)
	}
	for _, f := range Differing(runs) {
		if f.Name != "act" {
			cols = append(cols, f)
		}
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	header := []string{"run"}
	for _, f := range cols {
		header = append(header, f.Name)
	}
	w.Write(append(header, "step", "layer", "param", "l2"))
	for i, r := range runs {
		lead := []string{labels[i]}
		for _, f := range cols {
			lead = append(lead, f.Get(r.Summary.Config))
		}
		for _, s := range r.Steps {
			for _, p := range s.Norms.Params {
				w.Write(append(slices.Clone(lead), fmt.Sprint(s.Step), fmt.Sprint(p.Layer), p.Kind, metrics.F(p.L2)))
			}
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return rundir.WriteFileAtomic(path, []byte(b.String()))
}
