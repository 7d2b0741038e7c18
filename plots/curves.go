package plots

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Curves writes the activation-curve figures: "curves", φ(x) of every
// activation overlaid, and "derivatives", φ′(x). ys[i] and dys[i] are the
// values at xs of the activation names[i]; xs is normally [-5, 5].
func Curves(dir string, xs []float64, names []string, ys, dys [][]float64) ([]Figure, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("curves: no activations")
	}
	if len(ys) != len(names) || len(dys) != len(names) {
		return nil, fmt.Errorf("curves: %d names, %d curves and %d derivatives", len(names), len(ys), len(dys))
	}
	for i := range names {
		if len(ys[i]) != len(xs) || len(dys[i]) != len(xs) {
			return nil, fmt.Errorf("curves: %s has %d values and %d derivatives for %d points", names[i], len(ys[i]), len(dys[i]), len(xs))
		}
	}
	colors := colorsFor(names)
	figs := []Figure{
		{Name: "curves", Title: "Activation functions φ(x)",
			Caption: "Each activation φ(x) over x; flat tails (sigmoid, tanh) are where units saturate and pass almost no gradient."},
		{Name: "derivatives", Title: "Activation derivatives φ′(x)",
			Caption: "The derivative φ′(x) that multiplies the gradient at every layer on the way back: " +
				"a peak below 1 (sigmoid: 0.25) shrinks the gradient layer after layer, zero regions (ReLU for x < 0) block it."},
	}
	for k, vals := range [][][]float64{ys, dys} {
		fig := &figs[k]
		ylabel := "φ(x)"
		if k == 1 {
			ylabel = "φ′(x)"
		}
		p := newPlot(fig.Title, "x", ylabel)
		lines := make([]series, len(names))
		for i, name := range names {
			xys := make(plotter.XYs, len(xs))
			for j, x := range xs {
				xys[j] = plotter.XY{X: x, Y: vals[i][j]}
			}
			// With many points the markers would hide the lines.
			lines[i] = series{Name: name, Color: colors[i], XYs: xys}
		}
		p.Add(zeroLines{})
		if _, err := addLines(p, linearY, lines); err != nil {
			return nil, fmt.Errorf("curves: %s: %w", fig.Name, err)
		}
		if err := Save(p, dir, fig.Name); err != nil {
			return nil, fmt.Errorf("curves: %w", err)
		}
		fig.Series = append([]string(nil), names...)
	}
	return figs, nil
}

// zeroLines is a plot.Plotter of the axes x = 0 and y = 0 in light
// grey, where they lie inside the plot's range.
type zeroLines struct{}

// Plot implements plot.Plotter.
func (zeroLines) Plot(c draw.Canvas, plt *plot.Plot) {
	sty := draw.LineStyle{Color: rgb(0xbb, 0xbb, 0xbb), Width: vg.Points(0.5)}
	x, y := plt.Transforms(&c)
	if plt.X.Min < 0 && 0 < plt.X.Max {
		c.StrokeLine2(sty, x(0), c.Min.Y, x(0), c.Max.Y)
	}
	if plt.Y.Min < 0 && 0 < plt.Y.Max {
		c.StrokeLine2(sty, c.Min.X, y(0), c.Max.X, y(0))
	}
}
