package sweep

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/metrics/meanfield"
	"github.com/gradbench/gradbench/models"
	"github.com/gradbench/gradbench/models/rundir"
	"github.com/gradbench/gradbench/plots"
)

// PhaseFile is the data of a phase diagram: its cells and the 6ξ_c curve.
const PhaseFile = "phase_diagram.csv"

// curvePoints is how many σ_w² the 6ξ_c curve is computed at.
const curvePoints = 200

// Figures writes the figures of the finished runs res of the sweep spec
// into out: the sweep figures (plots.SweepFigures) and the phase diagrams
// (PhaseDiagrams). On error it returns the figures written so far.
func Figures(out string, spec *Spec, res *Finished) ([]plots.Figure, error) {
	figs, err := plots.SweepFigures(res.Points, out)
	if err != nil {
		return figs, err
	}
	phase, err := PhaseDiagrams(out, spec, res)
	return append(figs, phase...), err
}

// PhaseDiagrams writes, when the sweep in spec varies both sigma-w2 and
// depth, one phase diagram per activation and σ_b² into out
// (phase_diagram.png, or phase_diagram_ACT_sigma-b2=Y.png when several
// were swept): the mean final test accuracy of the finished runs over
// σ_w² × depth (over seeds and any other swept setting) with the
// mean-field 6ξ_c curve at that σ_b² over it, and its data as
// phase_diagram.csv (phase_diagram_ACT_sigma-b2=Y.csv). It returns the
// figures, none for a sweep that does not vary both.
func PhaseDiagrams(out string, spec *Spec, res *Finished) ([]plots.Figure, error) {
	if !slices.Contains(spec.Swept, "sigma-w2") || !slices.Contains(spec.Swept, "depth") {
		return nil, nil
	}
	byName := map[string]Run{}
	for _, r := range spec.Runs {
		byName[r.Name] = r
	}
	// group is one diagram: an activation and a σ_b².
	type group struct {
		act string
		sb2 float64
	}
	type key struct {
		group
		sw2   float64
		depth int
	}
	sums, counts := map[key]float64{}, map[key]int{}
	var groups []group
	var sw2s []float64
	var depths []int
	slope := map[string]float64{}
	for i, name := range res.Names {
		c := byName[name].Config
		g := group{c.Act, c.SigmaB2}
		k := key{g, c.SigmaW2, c.Depth}
		acc := 0.0
		if a := res.Runs[i].Summary.TestAccuracy; a != nil {
			acc = *a
		}
		sums[k] += acc
		counts[k]++
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
			slope[c.Act] = c.LeakySlope
		}
		if !slices.Contains(sw2s, c.SigmaW2) {
			sw2s = append(sw2s, c.SigmaW2)
		}
		if !slices.Contains(depths, c.Depth) {
			depths = append(depths, c.Depth)
		}
	}
	slices.Sort(sw2s)
	slices.Sort(depths)
	var figs []plots.Figure
	for _, g := range groups {
		acc := make([][]float64, len(sw2s))
		var b strings.Builder
		b.WriteString("kind,sigma_w2,depth,value\n")
		for i, x := range sw2s {
			acc[i] = make([]float64, len(depths))
			for j, d := range depths {
				k := key{g, x, d}
				acc[i][j] = math.NaN()
				if counts[k] > 0 {
					acc[i][j] = sums[k] / float64(counts[k])
					fmt.Fprintf(&b, "accuracy,%s,%d,%s\n", metrics.F(x), d, metrics.F(acc[i][j]))
				}
			}
		}
		mf, err := models.MeanField(g.act, slope[g.act])
		if err != nil {
			return figs, fmt.Errorf("phase diagram: %w", err)
		}
		lo, hi := sw2s[0], sw2s[len(sw2s)-1]
		cx, cy := make([]float64, curvePoints), make([]float64, curvePoints)
		for i := range cx {
			cx[i] = lo + (hi-lo)*float64(i)/(curvePoints-1)
			// No prediction where the theory has none (no fixed point q*):
			// NaN, which the figure leaves out.
			cy[i] = math.NaN()
			if r, err := meanfield.Solve(mf, cx[i], g.sb2); err == nil {
				cy[i] = r.MaxDepth
			}
			fmt.Fprintf(&b, "max_depth,%s,,%s\n", metrics.F(cx[i]), metrics.F(cy[i]))
		}
		name := "phase_diagram"
		if len(groups) > 1 {
			name += fmt.Sprintf("_%s_sigma-b2=%g", g.act, g.sb2)
		}
		if err := rundir.WriteFileAtomic(filepath.Join(out, name+".csv"), []byte(b.String())); err != nil {
			return figs, err
		}
		title := fmt.Sprintf("%s: test accuracy over σ_w² and depth (σ_b² = %g)", g.act, g.sb2)
		fig, err := plots.PhaseDiagram(out, name, title, sw2s, depths, acc, cx, cy)
		if err != nil {
			return figs, err
		}
		figs = append(figs, fig)
	}
	return figs, nil
}
