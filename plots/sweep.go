package plots

import (
	"errors"
	"fmt"
	"html"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gradbench/gradbench/metrics"
)

// StopBelow is the mean test accuracy below which a network is said to
// have stopped training: twice the chance level of a ten-class problem
// (every dataset gradbench reads has ten classes). The depth at which an
// activation stops training is the smallest depth whose mean test
// accuracy over seeds is below StopBelow.
const StopBelow = 0.2

// SweepPoint is one finished run of a sweep, as the sweep figures and the
// stop-depth table read it.
type SweepPoint struct {
	// Act is the run's activation; runs are drawn in its fixed colour.
	Act string
	// Group names the run's values of the swept settings other than the
	// activation, the depth and the seed ("width=64,lr=0.01"); runs of
	// different groups are drawn in different figures and table rows.
	// Empty when nothing else was swept.
	Group string
	Depth int
	// TestAccuracy is the test accuracy after the last epoch; nil (a run
	// that diverged before it was evaluated) counts as 0.
	TestAccuracy *float64
	// GradRatioFirst is the first layer's weight-gradient norm over the
	// output layer's at the first logged step; nil, zero, negative or
	// non-finite values are left out.
	GradRatioFirst *float64
}

// sweepCell aggregates the runs of one activation, group and depth: the
// seeds.
type sweepCell struct {
	depth int
	// n counts the runs; acc holds their accuracies (nil counted as 0),
	// ratio the usable ratios.
	n     int
	acc   []float64
	ratio []float64
}

// meanAcc returns the mean test accuracy over the cell's runs.
func (c *sweepCell) meanAcc() float64 { return mean(c.acc) }

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// geoMean returns the geometric mean of positive xs.
func geoMean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range xs {
		s += math.Log(x)
	}
	return math.Exp(s / float64(len(xs)))
}

// sweepLine holds the cells of one activation in one group, by depth.
type sweepLine struct {
	act   string
	cells []*sweepCell // sorted by depth
}

// sweepGroup is one group of a sweep with its lines, activations in the
// order they first appear.
type sweepGroup struct {
	name   string
	lines  []*sweepLine
	depths []int // every depth of the group, sorted
}

// groupPoints sorts points into groups (in order of first appearance),
// lines per activation (likewise) and cells per depth (ascending).
func groupPoints(points []SweepPoint) []*sweepGroup {
	var groups []*sweepGroup
	byName := map[string]*sweepGroup{}
	for _, p := range points {
		g := byName[p.Group]
		if g == nil {
			g = &sweepGroup{name: p.Group}
			byName[p.Group] = g
			groups = append(groups, g)
		}
		var l *sweepLine
		for _, x := range g.lines {
			if x.act == p.Act {
				l = x
			}
		}
		if l == nil {
			l = &sweepLine{act: p.Act}
			g.lines = append(g.lines, l)
		}
		var c *sweepCell
		for _, x := range l.cells {
			if x.depth == p.Depth {
				c = x
			}
		}
		if c == nil {
			c = &sweepCell{depth: p.Depth}
			l.cells = append(l.cells, c)
			slices.SortFunc(l.cells, func(a, b *sweepCell) int { return a.depth - b.depth })
		}
		c.n++
		acc := 0.0
		if p.TestAccuracy != nil && finite(*p.TestAccuracy) {
			acc = *p.TestAccuracy
		}
		c.acc = append(c.acc, acc)
		if r := p.GradRatioFirst; r != nil && *r > 0 && finite(*r) {
			c.ratio = append(c.ratio, *r)
		}
		if !slices.Contains(g.depths, p.Depth) {
			g.depths = append(g.depths, p.Depth)
			slices.Sort(g.depths)
		}
	}
	return groups
}

// StopRow is one line of the stop-depth table: an activation in a group.
type StopRow struct {
	Act, Group string
	// Depths are the depths the sweep trained, ascending, and MeanAcc the
	// mean test accuracy over seeds at each (NaN where this activation
	// has no finished run at that depth); Runs counts the runs at each.
	Depths  []int
	MeanAcc []float64
	Runs    []int
	// StopDepth is the smallest depth whose mean test accuracy is below
	// StopBelow, 0 if every depth trained.
	StopDepth int
}

// StopDepths returns the stop-depth table of points: one row per group
// and activation, in order of first appearance.
func StopDepths(points []SweepPoint) []StopRow {
	var rows []StopRow
	for _, g := range groupPoints(points) {
		for _, l := range g.lines {
			r := StopRow{Act: l.act, Group: g.name, Depths: g.depths}
			for _, d := range g.depths {
				m, n := math.NaN(), 0
				for _, c := range l.cells {
					if c.depth == d {
						m, n = c.meanAcc(), c.n
					}
				}
				r.MeanAcc = append(r.MeanAcc, m)
				r.Runs = append(r.Runs, n)
				if r.StopDepth == 0 && m < StopBelow {
					r.StopDepth = d
				}
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// stopCells returns the header and the cells of the stop-depth table.
func stopCells(rows []StopRow) (header []string, cells [][]string) {
	grouped := false
	var depths []int
	for _, r := range rows {
		grouped = grouped || r.Group != ""
		for _, d := range r.Depths {
			if !slices.Contains(depths, d) {
				depths = append(depths, d)
			}
		}
	}
	slices.Sort(depths)
	header = []string{"activation"}
	if grouped {
		header = append(header, "group")
	}
	header = append(header, "stops training at depth")
	for _, d := range depths {
		header = append(header, fmt.Sprintf("acc d=%d", d))
	}
	for _, r := range rows {
		line := []string{r.Act}
		if grouped {
			line = append(line, r.Group)
		}
		stop := strconv.Itoa(r.StopDepth)
		if r.StopDepth == 0 {
			stop = "> " + strconv.Itoa(slices.Max(append([]int{0}, r.Depths...)))
		}
		line = append(line, stop)
		for _, d := range depths {
			cell := "–"
			if i := slices.Index(r.Depths, d); i >= 0 && !math.IsNaN(r.MeanAcc[i]) {
				cell = fmt.Sprintf("%.3f", r.MeanAcc[i])
				if r.Runs[i] > 1 {
					cell += fmt.Sprintf(" (%d)", r.Runs[i])
				}
			}
			line = append(line, cell)
		}
		cells = append(cells, line)
	}
	return header, cells
}

// StopExplained says how the stop-depth table is made, in plain text.
func StopExplained() string {
	return fmt.Sprintf("An activation stops training at the smallest depth whose mean test accuracy over seeds is below %g "+
		"(twice the chance level of ten classes); \"> D\" means it trained at every depth up to D. The acc columns are "+
		"the mean final test accuracy at each depth, with the number of runs (seeds) averaged in brackets when more "+
		"than one; a run that diverged before it was evaluated counts as 0.", StopBelow)
}

// StopText returns the stop-depth table as aligned text.
func StopText(rows []StopRow) string {
	header, cells := stopCells(rows)
	left := 1 // the activation; and the group, when there is one
	if len(header) > 1 && header[1] == "group" {
		left = 2
	}
	return metrics.AlignText(append([][]string{header}, cells...), left)
}

// StopMarkdown returns the stop-depth table as a Markdown table.
func StopMarkdown(rows []StopRow) string {
	header, cells := stopCells(rows)
	return metrics.MarkdownTable(header, cells)
}

// stopHTML returns the stop-depth table as an HTML table.
func stopHTML(rows []StopRow) string {
	header, cells := stopCells(rows)
	var b strings.Builder
	b.WriteString("<table>\n<thead>\n<tr>")
	for _, h := range header {
		fmt.Fprintf(&b, "<th>%s</th>", html.EscapeString(h))
	}
	b.WriteString("</tr>\n</thead>\n<tbody>\n")
	for _, l := range cells {
		b.WriteString("<tr>")
		for _, c := range l {
			fmt.Fprintf(&b, "<td>%s</td>", html.EscapeString(c))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
	return b.String()
}

// SweepFigures writes the sweep figures of points into dir and returns
// them, per group (in order of first appearance):
//
//   - sweep_accuracy: final test accuracy against depth, one line per
//     activation through the mean over seeds, with a shaded band and
//     error bars from the lowest to the highest seed, and the StopBelow
//     threshold dashed;
//   - sweep_grad_ratio: the first-layer over output-layer weight-gradient
//     norm at the first logged step against depth, log Y, the line
//     through the geometric mean over seeds, the same spread.
//
// With more than one group each name gets the group's name appended
// (sweep_accuracy_width_64). The depth axis is logarithmic when the
// deepest depth is at least eight times the shallowest. On error,
// SweepFigures returns the figures written so far.
func SweepFigures(points []SweepPoint, dir string) ([]Figure, error) {
	if len(points) == 0 {
		return nil, errors.New("sweep figures: no runs")
	}
	groups := groupPoints(points)
	var figs []Figure
	used := map[string]bool{}
	for _, g := range groups {
		suffix, title := "", ""
		if len(groups) > 1 {
			suffix = "_" + fileName(g.name)
			if g.name != "" {
				title = " (" + g.name + ")"
			}
		}
		for _, ratio := range []bool{false, true} {
			fig, err := sweepFigure(g, ratio, dir, uniqueName(map[bool]string{false: "sweep_accuracy", true: "sweep_grad_ratio"}[ratio]+suffix, used), title)
			if err != nil {
				return figs, fmt.Errorf("sweep figures: %w", err)
			}
			figs = append(figs, fig)
		}
	}
	return figs, nil
}

// errBars are the error bars of one line: each point's offsets to the
// lowest and highest value.
type errBars struct {
	plotter.XYs
	plotter.YErrors
}

// sweepFigure draws one figure of group g: accuracy, or the gradient
// ratio when ratio is true.
func sweepFigure(g *sweepGroup, ratio bool, dir, name, groupTitle string) (Figure, error) {
	fig := Figure{Name: name, Title: "Final test accuracy against depth" + groupTitle,
		Caption: fmt.Sprintf("Test accuracy after the last epoch against the number of hidden layers, one line per activation "+
			"through the mean over seeds; the shaded band and the error bars reach from the lowest to the highest seed. "+
			"The dashed line is the stop-training threshold %g (twice chance for ten classes): where a line falls below it, "+
			"that activation no longer trains at that depth.", StopBelow)}
	ylabel := "final test accuracy"
	if ratio {
		fig.Title = "First-layer over output-layer gradient ratio against depth" + groupTitle
		fig.Caption = "The first layer's weight-gradient L2 norm over the output layer's at the first logged step (the " +
			"network as initialised) against the number of hidden layers, on a log scale, one line per activation through " +
			"the geometric mean over seeds, band and error bars from the lowest to the highest seed: a line that falls by " +
			"decades with depth means the gradient vanishes on its way to the input, one that climbs means it explodes."
		ylabel = "first / output layer weight-gradient norm, step 1"
	}
	p := newPlot(fig.Title, "depth (hidden layers)", ylabel)
	acts := make([]string, len(g.lines))
	for i, l := range g.lines {
		acts[i] = l.act
	}
	colors, shapes := colorsFor(acts), shapesFor(acts)

	lo, hi := math.Inf(1), math.Inf(-1)
	var lines []series
	for i, l := range g.lines {
		var mid, low, high plotter.XYs
		for _, c := range l.cells {
			vals, m := c.acc, c.meanAcc()
			if ratio {
				vals, m = c.ratio, geoMean(c.ratio)
			}
			if len(vals) == 0 || !finite(m) {
				continue
			}
			x := float64(c.depth)
			mid = append(mid, plotter.XY{X: x, Y: m})
			low = append(low, plotter.XY{X: x, Y: slices.Min(vals)})
			high = append(high, plotter.XY{X: x, Y: slices.Max(vals)})
		}
		mid, low, high = plottable(mid, ratio), plottable(low, ratio), plottable(high, ratio)
		lines = append(lines, series{Name: l.act, Color: colors[i], Shape: shapes[i], XYs: mid, Points: true})
		if len(low) != len(mid) || len(high) != len(mid) || len(mid) == 0 {
			continue
		}
		for j := range mid {
			lo, hi = math.Min(lo, low[j].Y), math.Max(hi, high[j].Y)
		}
		if err := addSpread(p, colors[i], mid, low, high); err != nil {
			return Figure{}, fmt.Errorf("%s: %w", name, err)
		}
	}
	ys := linearY
	if ratio {
		ys = logY
	}
	drawn, err := addLines(p, ys, lines)
	if err != nil {
		return Figure{}, fmt.Errorf("%s: %w", name, err)
	}
	if !drawn {
		fig.Title += " (no finite data)"
		p.Title.Text = fig.Title
	}
	if ratio {
		if drawn && lo <= hi {
			setLogY(p, lo, hi)
		}
	} else {
		p.Y.Min, p.Y.Max = 0, 1
		xs := []float64{float64(g.depths[0]), float64(g.depths[len(g.depths)-1])}
		if xs[0] == xs[1] {
			xs[0], xs[1] = xs[0]-0.5, xs[1]+0.5
		}
		th, err := plotter.NewLine(plotter.XYs{{X: xs[0], Y: StopBelow}, {X: xs[1], Y: StopBelow}})
		if err != nil {
			return Figure{}, fmt.Errorf("%s: %w", name, err)
		}
		th.LineStyle = draw.LineStyle{Color: rgb(0x55, 0x55, 0x55), Width: vg.Points(1), Dashes: dashed}
		p.Add(th)
		p.Legend.Add(fmt.Sprintf("stops training (< %g)", StopBelow), th)
	}
	depthAxis(p, g.depths)
	fig.Series = acts
	if err := Save(p, dir, fig.Name); err != nil {
		return Figure{}, err
	}
	return fig, nil
}

// addSpread adds to p the min–max spread of one line: a translucent band
// between low and high (when there are two depths or more) and error
// bars at every depth.
func addSpread(p *plot.Plot, c color.Color, mid, low, high plotter.XYs) error {
	r, g, b, _ := c.RGBA()
	fill := color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0x38}
	if len(mid) > 1 {
		ring := append(plotter.XYs(nil), low...)
		for j := len(high) - 1; j >= 0; j-- {
			ring = append(ring, high[j])
		}
		band, err := plotter.NewPolygon(ring)
		if err != nil {
			return fmt.Errorf("band: %w", err)
		}
		band.Color = fill
		band.LineStyle.Width = 0
		p.Add(band)
	}
	bars := errBars{XYs: mid, YErrors: make(plotter.YErrors, len(mid))}
	for j := range mid {
		bars.YErrors[j].Low = mid[j].Y - low[j].Y
		bars.YErrors[j].High = high[j].Y - mid[j].Y
	}
	eb, err := plotter.NewYErrorBars(bars)
	if err != nil {
		return fmt.Errorf("error bars: %w", err)
	}
	eb.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(0.8)}
	eb.CapWidth = vg.Points(5)
	p.Add(eb)
	return nil
}

// depthAxis labels the X axis at the depths of the sweep, on a log scale
// when they span a factor of eight or more.
func depthAxis(p *plot.Plot, depths []int) {
	lo, hi := float64(depths[0]), float64(depths[len(depths)-1])
	ticks := make(valueTicks, len(depths))
	for i, d := range depths {
		ticks[i] = float64(d)
	}
	p.X.Tick.Marker = ticks
	switch {
	case lo > 0 && hi >= 8*lo:
		p.X.Scale = plot.LogScale{}
		p.X.Min, p.X.Max = lo/1.15, hi*1.15
	case hi > lo:
		pad := (hi - lo) * 0.05
		p.X.Min, p.X.Max = lo-pad, hi+pad
	default:
		p.X.Min, p.X.Max = lo-1, hi+1
	}
}

// valueTicks labels exactly the given values, thinned to about twelve
// labels.
type valueTicks []float64

// Ticks implements plot.Ticker.
func (v valueTicks) Ticks(_, _ float64) []plot.Tick {
	step := 1
	for len(v)/step > 12 {
		step++
	}
	ticks := make([]plot.Tick, len(v))
	for i, x := range v {
		ticks[i] = plot.Tick{Value: x}
		if i%step == 0 {
			ticks[i].Label = strconv.FormatFloat(x, 'f', -1, 64)
		}
	}
	return ticks
}

// SweepReport writes dir/report.md and a self-contained dir/report.html
// for a sweep, as Report does, with the stop-depth table of stop and how
// it is made before the results table.
func SweepReport(dir, title, config string, stop []StopRow, rows []metrics.Row, figs []Figure) error {
	return Report(dir, title, config, rows, figs, Section{Title: "Where training stops",
		Markdown: StopMarkdown(stop) + "\n" + StopExplained(),
		HTML:     stopHTML(stop) + "<p>" + html.EscapeString(StopExplained()) + "</p>\n"})
}
