package plots

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PhaseCell is one cell of a phase diagram: the mean final test accuracy
// over the seeds of the runs at one σ_w² and depth.
type PhaseCell struct {
	// SigmaW2 and Depth place the cell.
	SigmaW2 float64
	Depth   int
	// Accuracy is the mean final test accuracy of its runs.
	Accuracy float64
}

// PhaseDiagram writes dir/name.png and .svg: a heat map of the cells'
// accuracy over σ_w² (X) and depth (Y, logarithmic), each cell labelled
// with its accuracy, and the predicted trainable depth 6ξ_c of mean-field
// theory over it (curve, with non-finite depths left out, clipped at four
// times the deepest cell) and the critical
// σ_w² dashed (when finite).
func PhaseDiagram(dir, name, title string, cells []PhaseCell, curve plotter.XYs, critical float64) (Figure, error) {
	fig := Figure{Name: name, Title: title, Series: []string{"6ξ_c (mean field)"},
		Caption: "Mean final test accuracy over seeds per weight variance σ_w² and depth; the line is mean-field theory's " +
			"trainable depth 6ξ_c (Schoenholz et al. 2017) and the dashed line the critical σ_w² (χ₁ = 1). " +
			"Networks are expected to train below the line."}
	if len(cells) == 0 {
		return Figure{}, fmt.Errorf("phase diagram %s: no cells", name)
	}
	var xs []float64
	var ds []int
	for _, c := range cells {
		if !slices.Contains(xs, c.SigmaW2) {
			xs = append(xs, c.SigmaW2)
		}
		if !slices.Contains(ds, c.Depth) {
			ds = append(ds, c.Depth)
		}
	}
	slices.Sort(xs)
	slices.Sort(ds)
	// Cell edges: midpoints between neighbours (geometric for depth, on
	// the log axis), half a step beyond the ends.
	xEdges := edges(xs, false)
	fd := make([]float64, len(ds))
	for i, d := range ds {
		fd[i] = float64(d)
	}
	yEdges := edges(fd, true)
	cmap, err := moreland.NewLuminance(viridis)
	if err != nil {
		return Figure{}, fmt.Errorf("%s: %w", name, err)
	}
	cmap.SetMin(0)
	cmap.SetMax(1)
	p := newPlot(title, "weight variance σ_w²", "depth (hidden layers)")
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = valueTicks(fd)
	var labels plotter.XYLabels
	for _, c := range cells {
		i, j := slices.Index(xs, c.SigmaW2), slices.Index(ds, c.Depth)
		poly, err := plotter.NewPolygon(plotter.XYs{{X: xEdges[i], Y: yEdges[j]}, {X: xEdges[i+1], Y: yEdges[j]},
			{X: xEdges[i+1], Y: yEdges[j+1]}, {X: xEdges[i], Y: yEdges[j+1]}})
		if err != nil {
			return Figure{}, fmt.Errorf("%s: %w", name, err)
		}
		col, err := cmap.At(math.Max(0, math.Min(1, c.Accuracy)))
		if err != nil {
			return Figure{}, fmt.Errorf("%s: %w", name, err)
		}
		poly.Color = col
		poly.LineStyle.Width = 0
		p.Add(poly)
		labels.XYs = append(labels.XYs, plotter.XY{X: c.SigmaW2, Y: float64(c.Depth)})
		labels.Labels = append(labels.Labels, fmt.Sprintf("%.2f", c.Accuracy))
	}
	lab, err := plotter.NewLabels(labels)
	if err != nil {
		return Figure{}, fmt.Errorf("%s: %w", name, err)
	}
	for i := range lab.TextStyle {
		lab.TextStyle[i].XAlign, lab.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
		lab.TextStyle[i].Font = font.From(sans, 9)
		// Dark text on the light (high-accuracy) end of viridis.
		lab.TextStyle[i].Color = rgb(0xff, 0xff, 0xff)
		if cells[i].Accuracy > 0.6 {
			lab.TextStyle[i].Color = rgb(0, 0, 0)
		}
	}
	p.Add(lab)
	// The depth axis reaches up to four times beyond the deepest cell to
	// show the curve above the cells; it is clipped there.
	lo, hi := yEdges[0], yEdges[len(yEdges)-1]
	top := hi
	for _, xy := range curve {
		if finite(xy.Y) {
			top = math.Max(top, math.Min(4*hi, xy.Y))
		}
	}
	hi = top
	var pts plotter.XYs
	for _, xy := range curve {
		if finite(xy.Y) && xy.Y > 0 && xy.X >= xEdges[0] && xy.X <= xEdges[len(xEdges)-1] {
			pts = append(pts, plotter.XY{X: xy.X, Y: math.Max(lo, math.Min(hi, xy.Y))})
		}
	}
	if len(pts) > 1 {
		l, err := plotter.NewLine(pts)
		if err != nil {
			return Figure{}, fmt.Errorf("%s: %w", name, err)
		}
		l.Color = rgb(0xD5, 0x5E, 0x00)
		l.Width = vg.Points(2.5)
		p.Add(l)
		p.Legend.Add(fig.Series[0], l)
	}
	if finite(critical) && critical >= xEdges[0] && critical <= xEdges[len(xEdges)-1] {
		l, err := plotter.NewLine(plotter.XYs{{X: critical, Y: lo}, {X: critical, Y: hi}})
		if err != nil {
			return Figure{}, fmt.Errorf("%s: %w", name, err)
		}
		l.Color = rgb(0xff, 0xff, 0xff)
		l.Width = vg.Points(1.5)
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		p.Add(l)
	}
	p.X.Min, p.X.Max = xEdges[0], xEdges[len(xEdges)-1]
	p.Y.Min, p.Y.Max = lo, hi
	p.Legend.Top = true

	bar := newPlot("", "", "mean final test accuracy")
	bar.Add(&plotter.ColorBar{ColorMap: cmap, Vertical: true})
	bar.HideX()
	bar.X.Padding, bar.Y.Padding = 0, 0
	bar.BackgroundColor = nil
	paint := func(c draw.Canvas) {
		barWidth := 2.6 * vg.Centimeter
		main := draw.Crop(c, 0, -barWidth, 0, 0)
		drawWithLegend(p, main)
		da := p.DataCanvas(main)
		bar.Draw(draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: main.Max.X + 0.3*vg.Centimeter, Y: da.Min.Y},
			Max: vg.Point{X: c.Max.X - 0.3*vg.Centimeter, Y: da.Max.Y},
		}})
	}
	if err := save(dir, name, paint); err != nil {
		return Figure{}, err
	}
	return fig, nil
}

// edges returns the n+1 cell edges of n sorted centres: midpoints between
// neighbours (geometric when log), and half a neighbour step beyond each
// end (a unit step, or a factor of 2 when log, for one centre).
func edges(v []float64, log bool) []float64 {
	mid := func(a, b float64) float64 {
		if log {
			return math.Sqrt(a * b)
		}
		return (a + b) / 2
	}
	out := make([]float64, len(v)+1)
	for i := 1; i < len(v); i++ {
		out[i] = mid(v[i-1], v[i])
	}
	switch {
	case len(v) == 1 && log:
		out[0], out[1] = v[0]/math.Sqrt2, v[0]*math.Sqrt2
	case len(v) == 1:
		out[0], out[1] = v[0]-0.5, v[0]+0.5
	case log:
		out[0] = v[0] * v[0] / out[1]
		out[len(v)] = v[len(v)-1] * v[len(v)-1] / out[len(v)-1]
	default:
		out[0] = 2*v[0] - out[1]
		out[len(v)] = 2*v[len(v)-1] - out[len(v)-1]
	}
	return out
}
