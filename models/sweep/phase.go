package sweep

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gradbench/gradbench/metrics/meanfield"
	"github.com/gradbench/gradbench/models"
	"github.com/gradbench/gradbench/models/config"
	"github.com/gradbench/gradbench/models/rundir"
	"github.com/gradbench/gradbench/plots"
	"gonum.org/v1/plot/plotter"
)

// PhaseName names the phase diagram's figure (.png, .svg) and data (.csv);
// with more than one activation or group each gets the suffix
// _ACT[_GROUP].
const PhaseName = "phase_diagram"

// curvePoints is how many σ_w² the predicted 6ξ_c curve is computed at.
const curvePoints = 200

// phaseGroup is the runs of one activation and one value of the swept
// settings other than σ_w², depth and seed.
type phaseGroup struct {
	act, group string
	cfg        config.Config
	acc        map[[2]float64][]float64 // (σ_w², depth) -> accuracies
}

// PhaseDiagrams writes the phase diagrams of a sweep that varies sigma-w2
// and depth into out, one per activation and group: the heat map of mean
// final test accuracy over σ_w² × depth with mean-field theory's 6ξ_c
// (metrics/meanfield at the runs' activation and σ_b²) over it
// (plots.PhaseDiagram), and its data, PhaseName.csv: a row per cell
// (kind cell: σ_w², depth, mean accuracy, runs, and 6ξ_c at that σ_w²)
// and per point of the predicted curve (kind predicted). A sweep that
// does not vary both has none.
func PhaseDiagrams(spec *Spec, res *Finished, out string) ([]plots.Figure, error) {
	if !slices.Contains(spec.Swept, "sigma-w2") || !slices.Contains(spec.Swept, "depth") {
		return nil, nil
	}
	byName := map[string]config.Config{}
	for _, r := range spec.Runs {
		byName[r.Name] = r.Config
	}
	var groups []*phaseGroup
	for i, run := range res.Runs {
		cfg := byName[res.Names[i]]
		var parts []string
		for _, k := range spec.Swept {
			if k == "act" || k == "depth" || k == "seed" || k == "sigma-w2" {
				continue
			}
			if f, ok := config.Lookup(k); ok {
				parts = append(parts, k+"="+f.Get(cfg))
			}
		}
		key := strings.Join(parts, ",")
		j := slices.IndexFunc(groups, func(g *phaseGroup) bool { return g.act == cfg.Act && g.group == key })
		if j < 0 {
			groups = append(groups, &phaseGroup{act: cfg.Act, group: key, cfg: cfg, acc: map[[2]float64][]float64{}})
			j = len(groups) - 1
		}
		acc := 0.0
		if a := run.Summary.TestAccuracy; a != nil {
			acc = *a
		}
		c := [2]float64{cfg.SigmaW2, float64(cfg.Depth)}
		groups[j].acc[c] = append(groups[j].acc[c], acc)
	}
	var figs []plots.Figure
	var csv strings.Builder
	csv.WriteString("kind,act,group,sigma_w2,sigma_b2,depth,test_accuracy,runs,max_depth\n")
	for _, g := range groups {
		fig, err := g.write(&csv, out, len(groups) > 1)
		if err != nil {
			return figs, err
		}
		figs = append(figs, fig)
	}
	if err := rundir.WriteFileAtomic(filepath.Join(out, PhaseName+".csv"), []byte(csv.String())); err != nil {
		return figs, fmt.Errorf("phase diagram: %w", err)
	}
	return figs, nil
}

// maxDepth returns 6ξ_c at σ_w², NaN where it cannot be computed.
func maxDepth(act meanfield.Activation, sw2, sb2 float64) float64 {
	r, err := meanfield.Solve(act, sw2, sb2)
	if err != nil {
		return math.NaN()
	}
	return r.MaxDepth
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func (g *phaseGroup) write(csv *strings.Builder, out string, several bool) (plots.Figure, error) {
	act, err := models.MeanField(g.act, g.cfg.LeakySlope)
	if err != nil {
		return plots.Figure{}, fmt.Errorf("phase diagram: %w", err)
	}
	sb2 := g.cfg.SigmaB2
	var cells []plots.PhaseCell
	keys := make([][2]float64, 0, len(g.acc))
	for k := range g.acc {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]float64) int {
		if a[0] != b[0] {
			return cmpFloat(a[0], b[0])
		}
		return cmpFloat(a[1], b[1])
	})
	lo, hi := keys[0][0], keys[len(keys)-1][0]
	for _, k := range keys {
		accs := g.acc[k]
		m := 0.0
		for _, a := range accs {
			m += a
		}
		m /= float64(len(accs))
		cells = append(cells, plots.PhaseCell{SigmaW2: k[0], Depth: int(k[1]), Accuracy: m})
		fmt.Fprintf(csv, "cell,%s,%s,%s,%s,%d,%s,%d,%s\n", g.act, csvQuote(g.group), num(k[0]), num(sb2), int(k[1]), num(m), len(accs), num(maxDepth(act, k[0], sb2)))
	}
	// The curve spans the cells: half the neighbouring σ_w² step beyond
	// each end, as plots.PhaseDiagram draws them.
	var xs []float64
	for _, k := range keys {
		if !slices.Contains(xs, k[0]) {
			xs = append(xs, k[0])
		}
	}
	if n := len(xs); n > 1 {
		lo, hi = math.Max(lo-(xs[1]-xs[0])/2, lo/2), hi+(xs[n-1]-xs[n-2])/2
	}
	var curve plotter.XYs
	for i := range curvePoints {
		s := lo + (hi-lo)*float64(i)/float64(curvePoints-1)
		d := maxDepth(act, s, sb2)
		curve = append(curve, plotter.XY{X: s, Y: d})
		fmt.Fprintf(csv, "predicted,%s,%s,%s,%s,,,,%s\n", g.act, csvQuote(g.group), num(s), num(sb2), num(d))
	}
	critical, err := meanfield.CriticalSigmaW2(act, sb2)
	if err != nil {
		critical = math.NaN()
	}
	name, title := PhaseName, fmt.Sprintf("Phase diagram: %s, σ_b² = %g, %s init", g.act, sb2, g.cfg.Init)
	if several {
		name += "_" + g.act
		if g.group != "" {
			name += "_" + strings.NewReplacer("=", "_", ",", "_", ".", "p").Replace(g.group)
			title += " (" + g.group + ")"
		}
	}
	fig, err := plots.PhaseDiagram(out, name, title, cells, curve, critical)
	if err != nil {
		return fig, fmt.Errorf("phase diagram: %w", err)
	}
	return fig, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// csvQuote quotes a group (which holds commas) for the CSV.
func csvQuote(s string) string {
	if strings.ContainsAny(s, ",\"") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}
