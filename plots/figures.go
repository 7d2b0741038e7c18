package plots

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models/rundir"
)

// dashed is the dash pattern of the last-logged-step lines.
var dashed = []vg.Length{vg.Points(5), vg.Points(3)}

// Figures writes every comparison figure for runs (one run per
// activation, in the given order) into dir and returns them, in the order
// written:
//
//   - grad_profile_start, grad_profile_end: weight-gradient norm against
//     layer at the first and last logged step;
//   - grad_profile_relative: the same at the first logged step divided by
//     the output layer's, with each run's gain and verdict and its
//     predicted gain^distance as a reference line;
//   - signal_forward, signal_delta: RMS of each hidden layer's output
//     (the forward signal) and of its back-propagated error δ, against
//     hidden layer, at the first and last logged step, only if some run
//     recorded them;
//   - jacobian_spectrum: the distribution of log10 σ over the singular
//     values of each run's input–output Jacobian at initialisation, only
//     if some run recorded them;
//   - heatmap_<run>, one per run: log10 weight-gradient norm by layer and
//     logged step, all on one colour scale;
//   - grad_hist_<run>, one per run that recorded grad_hist.csv: the
//     distribution of log10 |g| of each layer's weight gradient at the
//     first and last step;
//   - grad_profile_<kind>_start, grad_profile_<kind>_end for each kind of
//     parameter besides weight and bias that a run has (ln_gain, ln_bias):
//     the same for that kind's gradient norm;
//   - global_norm: global gradient norm against step;
//   - loss: training loss against step;
//   - test_accuracy: test accuracy against epoch;
//   - act_std, act_saturation: pre-activation standard deviation and
//     saturated-or-dead fraction against hidden layer, only if some run
//     has activation statistics.
//
// Each run is named by its label (Labels: its activation, with the
// settings that tell it from the others, such as its structure when it has
// residual connections or LayerNorm), in its activation's fixed colour
// when the activations tell the runs apart. On error, Figures returns the
// figures written so far.
func Figures(runs []*rundir.Run, dir string) ([]Figure, error) {
	if len(runs) == 0 {
		return nil, errors.New("figures: no runs")
	}
	for i, r := range runs {
		if r == nil {
			return nil, fmt.Errorf("figures: run %d is nil", i)
		}
	}
	f := figurer{runs: runs, dir: dir, names: Labels(runs)}
	f.colors = colorsFor(f.names)
	f.shapes = shapesFor(f.names)

	var figs []Figure
	add := func(fig Figure, err error) error {
		if err != nil {
			return fmt.Errorf("figures: %w", err)
		}
		figs = append(figs, fig)
		return nil
	}
	for _, last := range []bool{false, true} {
		if err := add(f.profile(last)); err != nil {
			return figs, err
		}
	}
	if err := add(f.relativeProfile()); err != nil {
		return figs, err
	}
	if f.haveSignal() {
		for _, delta := range []bool{false, true} {
			if err := add(f.signalProfile(delta)); err != nil {
				return figs, err
			}
		}
	}
	if f.haveSpectrum() {
		if err := add(f.jacobianSpectrum()); err != nil {
			return figs, err
		}
	}
	for _, kind := range f.extraKinds() {
		for _, last := range []bool{false, true} {
			if err := add(f.extraProfile(kind, last)); err != nil {
				return figs, err
			}
		}
	}
	grids := make([]*grid, len(runs))
	pers := make([]int, len(runs))
	zmin, zmax := math.Inf(1), math.Inf(-1)
	for i, r := range runs {
		grids[i], pers[i] = normGrid(r.Steps)
		lo, hi := grids[i].zRange()
		zmin, zmax = math.Min(zmin, lo), math.Max(zmax, hi)
	}
	used := map[string]bool{}
	for i := range runs {
		if err := add(f.heatmap(i, uniqueName("heatmap_"+fileName(f.names[i]), used), grids[i], pers[i], zmin, zmax)); err != nil {
			return figs, err
		}
	}
	for i, r := range runs {
		if len(r.GradHist) == 0 {
			continue
		}
		if err := add(f.gradHist(i, uniqueName("grad_hist_"+fileName(f.names[i]), used))); err != nil {
			return figs, err
		}
	}
	for _, fn := range []func() (Figure, error){f.globalNorm, f.loss, f.testAccuracy} {
		if err := add(fn()); err != nil {
			return figs, err
		}
	}
	for _, r := range runs {
		if len(r.Stats) > 0 {
			for _, fn := range []func() (Figure, error){f.actStd, f.actSaturation} {
				if err := add(fn()); err != nil {
					return figs, err
				}
			}
			break
		}
	}
	return figs, nil
}

// figurer draws the figures of one set of runs.
type figurer struct {
	runs   []*rundir.Run
	dir    string
	names  []string
	colors []color.Color
	shapes []draw.GlyphDrawer
}

// runNames names each run by its activation and structure (config.Label),
// else its directory.
func runNames(runs []*rundir.Run) []string {
	names := make([]string, len(runs))
	for i, r := range runs {
		switch {
		case r.Summary.Config.Act != "":
			names[i] = r.Summary.Config.Label()
		case r.Dir != "":
			names[i] = filepath.Base(r.Dir)
		default:
			names[i] = fmt.Sprintf("run %d", i+1)
		}
	}
	return names
}

// fileName keeps the letters, digits, '-' and '_' of s, the rest as '_'.
func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
			return r
		}
		return '_'
	}, s)
}

// uniqueName returns name, or name_2, name_3 … if it was used already.
func uniqueName(name string, used map[string]bool) string {
	n := name
	for i := 2; used[n]; i++ {
		n = fmt.Sprintf("%s_%d", name, i)
	}
	used[n] = true
	return n
}

// write saves p as the figure fig.
func (f *figurer) write(p *plot.Plot, fig Figure) (Figure, error) {
	if err := Save(p, f.dir, fig.Name); err != nil {
		return Figure{}, err
	}
	return fig, nil
}

// lineFigure draws one series per run, made by xys, and writes it.
func (f *figurer) lineFigure(fig Figure, xlabel, ylabel string, ys yScale, style func(p *plot.Plot), xys func(r *rundir.Run) plotter.XYs) (Figure, error) {
	p := newPlot(fig.Title, xlabel, ylabel)
	lines := make([]series, len(f.runs))
	for i, r := range f.runs {
		lines[i] = series{Name: f.names[i], Color: f.colors[i], Shape: f.shapes[i], XYs: xys(r)}
	}
	drawn, err := addLines(p, ys, lines)
	if err != nil {
		return Figure{}, fmt.Errorf("%s: %w", fig.Name, err)
	}
	if !drawn {
		fig.Title += " (no finite data)"
		p.Title.Text = fig.Title
	}
	if style != nil {
		style(p)
	}
	fig.Series = append([]string(nil), f.names...)
	return f.write(p, fig)
}

// maxLayer returns the index of the output layer of the deepest run.
func (f *figurer) maxLayer() int {
	n := 0
	for _, r := range f.runs {
		for _, s := range r.Steps {
			n = max(n, len(s.Norms.Of(metrics.Weight))-1)
		}
	}
	return n
}

// profile plots the weight-gradient norm against layer at the first or
// last logged step.
func (f *figurer) profile(last bool) (Figure, error) {
	fig := Figure{Name: "grad_profile_start", Title: "Weight-gradient norm per layer at the first logged step",
		Caption: "Weight-gradient L2 norm of every layer at each run's first logged step (the network as initialised), " +
			"input layer at the left and output layer at the right, on a log scale: lines that fall toward the left mean " +
			"the gradient shrinks toward the input (vanishing), lines that rise toward the left mean it grows (exploding)."}
	if last {
		fig.Name, fig.Title = "grad_profile_end", "Weight-gradient norm per layer at the last logged step"
		fig.Caption = "Weight-gradient L2 norm of every layer at each run's last logged step (after training), " +
			"input layer at the left and output layer at the right, on a log scale: lines that fall toward the left mean " +
			"the gradient still shrinks toward the input, flat lines mean every layer receives a similar signal."
	}
	return f.kindProfile(fig, metrics.Weight, last)
}

// extraKinds returns the parameter kinds other than weight and bias (a
// LayerNorm's gain and bias) that some run's first logged step has, in
// the order they first appear.
func (f *figurer) extraKinds() []string {
	var kinds []string
	for _, r := range f.runs {
		if len(r.Steps) == 0 {
			continue
		}
		for _, p := range r.Steps[0].Norms.Params {
			if p.Kind != metrics.Weight && p.Kind != metrics.Bias && !slices.Contains(kinds, p.Kind) {
				kinds = append(kinds, p.Kind)
			}
		}
	}
	return kinds
}

// extraProfile plots the gradient norm of the parameters of kind (a kind
// of extraKinds) against layer at the first or last logged step.
func (f *figurer) extraProfile(kind string, last bool) (Figure, error) {
	when, whenCaption := "first", "first logged step (the network as initialised)"
	if last {
		when, whenCaption = "last", "last logged step (after training)"
	}
	fig := Figure{Name: "grad_profile_" + fileName(kind) + map[bool]string{false: "_start", true: "_end"}[last],
		Title: fmt.Sprintf("%s gradient norm per layer at the %s logged step", kind, when),
		Caption: fmt.Sprintf("L2 norm of the gradient of every hidden layer's %s parameter at each run's %s, on a log scale, "+
			"input side at the left; runs without such parameters draw no line.", kind, whenCaption)}
	return f.kindProfile(fig, kind, last)
}

// kindProfile draws fig: the gradient norm of the parameters of kind
// against layer at each run's first or last logged step.
func (f *figurer) kindProfile(fig Figure, kind string, last bool) (Figure, error) {
	top := f.maxLayer()
	xlabel := fmt.Sprintf("layer (0 = input side, %d = output layer)", top)
	ylabel := "weight-gradient L2 norm"
	if kind != metrics.Weight {
		ylabel = kind + " gradient L2 norm"
	}
	return f.lineFigure(fig, xlabel, ylabel, logY,
		func(p *plot.Plot) { p.X.Tick.Marker = intTicks{0, top} },
		func(r *rundir.Run) plotter.XYs {
			if len(r.Steps) == 0 {
				return nil
			}
			s := r.Steps[0]
			if last {
				s = r.Steps[len(r.Steps)-1]
			}
			var xys plotter.XYs
			for l, v := range s.Norms.Of(kind) {
				if !math.IsNaN(v) {
					xys = append(xys, plotter.XY{X: float64(l), Y: v})
				}
			}
			return xys
		})
}

// globalNorm plots the global gradient norm against step.
func (f *figurer) globalNorm() (Figure, error) {
	fig := Figure{Name: "global_norm", Title: "Global gradient norm during training",
		Caption: "L2 norm of all gradients together at every logged step, on a log scale: a line that sinks by decades " +
			"means the gradient signal is dying out, a steep climb or a line that stops early means training diverged."}
	return f.lineFigure(fig, "step", "global gradient L2 norm", logY, func(p *plot.Plot) { fromZero(&p.X) }, func(r *rundir.Run) plotter.XYs {
		xys := make(plotter.XYs, len(r.Steps))
		for i, s := range r.Steps {
			xys[i] = plotter.XY{X: float64(s.Step), Y: s.Norms.Global}
		}
		return xys
	})
}

// loss plots the training loss against step.
func (f *figurer) loss() (Figure, error) {
	fig := Figure{Name: "loss", Title: "Training loss",
		Caption: "Loss of the training batch at every logged step (log scale when the values span more than two decades): " +
			"lower is better, and a line that stays flat at its starting value means the network is not learning."}
	return f.lineFigure(fig, "step", "training loss", autoY, func(p *plot.Plot) { fromZero(&p.X); fromZero(&p.Y) }, func(r *rundir.Run) plotter.XYs {
		xys := make(plotter.XYs, len(r.Steps))
		for i, s := range r.Steps {
			xys[i] = plotter.XY{X: float64(s.Step), Y: s.Loss}
		}
		return xys
	})
}

// testAccuracy plots the test accuracy against epoch.
func (f *figurer) testAccuracy() (Figure, error) {
	fig := Figure{Name: "test_accuracy", Title: "Test accuracy after each epoch",
		Caption: "Fraction of the test set classified correctly at the end of each epoch, one marker per evaluation: " +
			"higher is better, and a run stuck near 1/classes (0.1 for ten classes) learned nothing."}
	lo, hi := math.MaxInt, math.MinInt
	for _, r := range f.runs {
		for _, e := range r.Epochs {
			lo, hi = min(lo, e.Epoch), max(hi, e.Epoch)
		}
	}
	p := newPlot(fig.Title, "epoch", "test accuracy")
	lines := make([]series, len(f.runs))
	for i, r := range f.runs {
		xys := make(plotter.XYs, len(r.Epochs))
		for j, e := range r.Epochs {
			xys[j] = plotter.XY{X: float64(e.Epoch), Y: e.TestAccuracy}
		}
		lines[i] = series{Name: f.names[i], Color: f.colors[i], XYs: xys, Points: true, Shape: f.shapes[i]}
	}
	if _, err := addLines(p, linearY, lines); err != nil {
		return Figure{}, fmt.Errorf("%s: %w", fig.Name, err)
	}
	p.Y.Min, p.Y.Max = 0, math.Max(1, p.Y.Max)
	if lo <= hi {
		p.X.Tick.Marker = intTicks{lo, hi}
		p.X.Min, p.X.Max = float64(lo)-0.5, float64(hi)+0.5
	}
	fig.Series = append([]string(nil), f.names...)
	return f.write(p, fig)
}

// statsFigure plots, per run, a value of the activation statistics
// against hidden layer at the first (solid) and last (dashed) logged step
// that has statistics.
func (f *figurer) statsFigure(fig Figure, ylabel string, ys yScale, value func(metrics.Stats) float64) (*plot.Plot, error) {
	p := newPlot(fig.Title, "hidden layer (0 = input side)", ylabel)
	var lines []series
	lo, hi := math.MaxInt, math.MinInt
	for i, r := range f.runs {
		first, last := []metrics.Stats(nil), []metrics.Stats(nil)
		if n := len(r.Stats); n > 0 {
			first, last = r.StatsAt(r.Stats[0].Step), r.StatsAt(r.Stats[n-1].Step)
		}
		pts := func(st []metrics.Stats) plotter.XYs {
			xys := make(plotter.XYs, len(st))
			for j, s := range st {
				xys[j] = plotter.XY{X: float64(s.Layer), Y: value(s)}
				lo, hi = min(lo, s.Layer), max(hi, s.Layer)
			}
			return xys
		}
		lines = append(lines, series{Name: f.names[i], Color: f.colors[i], Shape: f.shapes[i], XYs: pts(first)})
		if len(r.Stats) > 0 && r.Stats[0].Step != r.Stats[len(r.Stats)-1].Step {
			lines = append(lines, series{Name: f.names[i], Color: f.colors[i], Shape: f.shapes[i], XYs: pts(last), Dashes: dashed, NoLegend: true})
		}
	}
	if _, err := addLines(p, ys, lines); err != nil {
		return nil, fmt.Errorf("%s: %w", fig.Name, err)
	}
	black := draw.LineStyle{Color: rgb(0, 0, 0), Width: vg.Points(1.4)}
	p.Legend.Add("first logged step", legendLine(black))
	black.Dashes = dashed
	p.Legend.Add("last logged step", legendLine(black))
	if lo <= hi {
		p.X.Tick.Marker = intTicks{lo, hi}
	}
	return p, nil
}

// haveSignal reports whether some run recorded the RMS of its hidden
// layers' outputs and errors.
func (f *figurer) haveSignal() bool {
	for _, r := range f.runs {
		for _, s := range r.Stats {
			if finite(s.OutRMS) || finite(s.DeltaRMS) {
				return true
			}
		}
	}
	return false
}

// signalProfile plots the RMS of each hidden layer's output (the forward
// signal) or, if delta, of its back-propagated error, with each run's
// per-layer gain of it at the first logged step in the legend.
func (f *figurer) signalProfile(delta bool) (Figure, error) {
	fig := Figure{Name: "signal_forward", Title: "Forward signal: RMS of each hidden layer's output",
		Caption: "Root mean square of each hidden layer's output h_l over the training batch at the first (solid) and last " +
			"(dashed) logged step, on a log scale, input side at the left. The legend gives each run's forward gain at the first " +
			"step, the geometric mean of RMS(h_{l+1})/RMS(h_l): a line falling toward the output (right) means the " +
			"activations die out before they reach the output layer, even where the weight-gradient profile looks healthy."}
	value, gain, ylabel := func(s metrics.Stats) float64 { return s.OutRMS }, metrics.ForwardGain, "RMS of h_l"
	if delta {
		fig = Figure{Name: "signal_delta", Title: "Backward signal: RMS of each hidden layer's error δ",
			Caption: "Root mean square of δ_l, the gradient of the loss with respect to each hidden layer's pre-activation " +
				"(the back-propagated error), over the training batch at the first (solid) and last (dashed) logged step, on a " +
				"log scale. The legend gives each run's error gain at the first step, the geometric mean of RMS(δ_l)/RMS(δ_{l+1}): " +
				"a line falling toward the input (left) means the error vanishes. A weight gradient is h_{l−1}ᵀδ_l, so its " +
				"profile is roughly the product of this one and the forward one."}
		value, gain, ylabel = func(s metrics.Stats) float64 { return s.DeltaRMS }, metrics.ErrorGain, "RMS of δ_l"
	}
	names := f.names
	f.names = slices.Clone(names)
	defer func() { f.names = names }()
	for i, r := range f.runs {
		g := math.NaN()
		if len(r.Stats) > 0 {
			first := r.StatsAt(r.Stats[0].Step)
			xs := make([]float64, len(first))
			for j, s := range first {
				xs[j] = value(s)
			}
			g = gain(xs)
		}
		f.names[i] += ": " + short(g)
	}
	p, err := f.statsFigure(fig, ylabel, logY, value)
	if err != nil {
		return Figure{}, err
	}
	fig.Series = append([]string(nil), names...)
	return f.write(p, fig)
}

// actStd plots the pre-activation standard deviation per hidden layer.
func (f *figurer) actStd() (Figure, error) {
	fig := Figure{Name: "act_std", Title: "Pre-activation standard deviation per hidden layer",
		Caption: "Standard deviation of each hidden layer's pre-activations over the training batch at the first (solid) " +
			"and last (dashed) logged step: a line that falls toward the output means the signal dies out in the forward " +
			"pass, a line that climbs means it blows up."}
	p, err := f.statsFigure(fig, "pre-activation std", autoY, func(s metrics.Stats) float64 { return s.Std })
	if err != nil {
		return Figure{}, err
	}
	fig.Series = append([]string(nil), f.names...)
	return f.write(p, fig)
}

// actSaturation plots the saturated-or-dead fraction per hidden layer.
func (f *figurer) actSaturation() (Figure, error) {
	fig := Figure{Name: "act_saturation", Title: "Saturated (sigmoid, tanh) or dead (ReLU family) units per hidden layer",
		Caption: "Saturated fraction (sigmoid, tanh: derivative below 5% of its maximum) plus dead fraction (ReLU family and " +
			"GELU: pre-activation ≤ 0 for the whole batch) of each hidden layer at the first (solid) and last (dashed) " +
			"logged step: units counted here pass almost no gradient back, so higher is worse."}
	p, err := f.statsFigure(fig, "saturated or dead fraction", linearY, func(s metrics.Stats) float64 { return s.Saturated + s.Dead })
	if err != nil {
		return Figure{}, err
	}
	p.Y.Min, p.Y.Max = 0, math.Max(1, p.Y.Max)
	fig.Series = append([]string(nil), f.names...)
	return f.write(p, fig)
}

// maxHeatColumns is the most logged steps a heat map shows one by one;
// longer runs are averaged (geometrically) in bins of consecutive steps.
const maxHeatColumns = 400

// grid is a plotter.GridXYZ of log10 gradient norms: column c is a
// (bin of) logged step(s), row r a layer.
type grid struct {
	xs, ys []float64
	z      [][]float64 // z[c][r]
}

// Dims implements plotter.GridXYZ.
func (g *grid) Dims() (c, r int) { return len(g.xs), len(g.ys) }

// Z implements plotter.GridXYZ.
func (g *grid) Z(c, r int) float64 { return g.z[c][r] }

// X implements plotter.GridXYZ.
func (g *grid) X(c int) float64 { return g.xs[c] }

// Y implements plotter.GridXYZ.
func (g *grid) Y(r int) float64 { return g.ys[r] }

// normGrid returns the log10 weight-gradient norms of steps, with at
// most maxHeatColumns columns, and how many steps a column holds at most.
// A cell without a positive finite norm is NaN.
func normGrid(steps []metrics.Step) (*grid, int) {
	layers := 0
	for _, s := range steps {
		layers = max(layers, len(s.Norms.Of(metrics.Weight)))
	}
	cols := min(len(steps), maxHeatColumns)
	g := &grid{xs: make([]float64, cols), ys: make([]float64, layers), z: make([][]float64, cols)}
	for r := range g.ys {
		g.ys[r] = float64(r)
	}
	per := 0
	for c := range cols {
		lo, hi := c*len(steps)/cols, (c+1)*len(steps)/cols
		per = max(per, hi-lo)
		sum, n := make([]float64, layers), make([]int, layers)
		for _, s := range steps[lo:hi] {
			g.xs[c] += float64(s.Step) / float64(hi-lo)
			for r, w := range s.Norms.Of(metrics.Weight) {
				if w > 0 && finite(w) {
					sum[r] += math.Log10(w)
					n[r]++
				}
			}
		}
		g.z[c] = make([]float64, layers)
		for r := range layers {
			g.z[c][r] = math.NaN()
			if n[r] > 0 {
				g.z[c][r] = sum[r] / float64(n[r])
			}
		}
	}
	// Logged steps must increase for the cells to have positive width.
	for c := 1; c < cols; c++ {
		if !(g.xs[c] > g.xs[c-1]) {
			for i := range g.xs {
				g.xs[i] = float64(i)
			}
			break
		}
	}
	return g, per
}

// zRange returns the smallest and largest finite value of g, +Inf and
// -Inf when it has none.
func (g *grid) zRange() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for c := range g.z {
		for _, z := range g.z[c] {
			if finite(z) {
				lo, hi = math.Min(lo, z), math.Max(hi, z)
			}
		}
	}
	return lo, hi
}

// viridis are control colours of the viridis colour map (dark purple,
// blue, teal, green, yellow), of increasing luminance: a sequential scale
// on which a darker cell is a smaller gradient, readable in grey and by
// the colour-blind.
var viridis = []color.Color{rgb(0x44, 0x01, 0x54), rgb(0x3b, 0x52, 0x8b), rgb(0x21, 0x91, 0x8c), rgb(0x5e, 0xc9, 0x62), rgb(0xfd, 0xe7, 0x25)}

// heatmap draws run i's log10 weight-gradient norm by layer and logged
// step, g (columns of up to per steps), with a colour bar from zmin to
// zmax: the range of all heat maps of a report, so that one colour is one
// value in all of them.
func (f *figurer) heatmap(i int, name string, g *grid, per int, zmin, zmax float64) (Figure, error) {
	act := f.names[i]
	fig := Figure{Name: name, Title: act + ": log10 weight-gradient norm by layer and step", Series: []string{act},
		Caption: "Each cell is log10 of one layer's weight-gradient L2 norm at one logged step (colour scale at the right, " +
			"dark is small), input layer at the bottom and output layer at the top: a colour change from bottom to top means " +
			"the gradient changes by orders of magnitude across depth. Every heat map of this report shares one colour " +
			"scale, so the same colour is the same norm in all of them; white cells are zero or non-finite norms."}
	cols, rows := g.Dims()
	if cols == 0 || rows == 0 {
		fig.Title = act + ": no logged gradient norms"
		p := newPlot(fig.Title, "step", "layer (0 = input side)")
		return f.write(p, fig)
	}
	if per > 1 {
		fig.Caption += fmt.Sprintf(" Each column is the geometric mean of up to %d consecutive logged steps.", per)
	}
	if lo, _ := g.zRange(); !finite(lo) {
		fig.Title += " (no finite values)"
	}
	blank := zmin > zmax
	switch {
	case blank: // No finite value: every cell is blank.
		zmin, zmax = -1, 1
	case zmin == zmax:
		zmin, zmax = zmin-0.5, zmax+0.5
	}
	cmap, err := moreland.NewLuminance(viridis)
	if err != nil {
		return Figure{}, fmt.Errorf("%s: %w", name, err)
	}
	cmap.SetMax(zmax)
	cmap.SetMin(zmin)
	h := plotter.NewHeatMap(g, cmap.Palette(255))
	h.Min, h.Max = zmin, zmax
	h.NaN = rgb(0xff, 0xff, 0xff)

	p := newPlot(fig.Title, "step", fmt.Sprintf("layer (0 = input side, %d = output layer)", rows-1))
	p.Add(h)
	p.Y.Tick.Marker = intTicks{0, rows - 1}
	fromZero(&p.X)

	bar := colorBar("log10 weight-gradient norm", cmap)

	paint := func(c draw.Canvas) {
		barWidth := 2.6 * vg.Centimeter
		main := draw.Crop(c, 0, -barWidth, 0, 0)
		// A raster heat map has no seams between cells; a vector one is
		// exact at any zoom.
		h.Rasterized = isRaster(c)
		p.Draw(main)
		da := p.DataCanvas(main)
		bc := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: main.Max.X + 0.3*vg.Centimeter, Y: da.Min.Y},
			Max: vg.Point{X: c.Max.X - 0.3*vg.Centimeter, Y: da.Max.Y},
		}}
		if !blank {
			bar.Draw(bc)
		}
	}
	if err := save(f.dir, name, paint); err != nil {
		return Figure{}, err
	}
	return fig, nil
}

// fromZero extends a linear axis down to 0 when its data start at a
// positive value close to 0 relative to their span, so that the default
// ticks fall on round numbers.
func fromZero(a *plot.Axis) {
	if _, ok := a.Scale.(plot.LinearScale); !ok {
		return
	}
	if finite(a.Min) && finite(a.Max) && 0 < a.Min && a.Min < 0.1*(a.Max-a.Min) {
		a.Min = 0
	}
}

// colorBar is the vertical colour scale drawn beside a heat map.
func colorBar(label string, cmap palette.ColorMap) *plot.Plot {
	bar := newPlot("", "", label)
	bar.Add(&plotter.ColorBar{ColorMap: cmap, Vertical: true})
	bar.Y.Tick.Marker = niceTicks{}
	bar.HideX()
	bar.X.Padding, bar.Y.Padding = 0, 0
	bar.BackgroundColor = nil
	return bar
}
