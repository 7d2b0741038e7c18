package plots

import (
	"fmt"

	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PhaseDiagram draws name (phase_diagram): the mean final test accuracy
// acc[i][j] of the runs at σ_w² sw2[i] and depth depths[j] as a heat map
// (NaN cells, where no run finished, are white), with the mean-field
// prediction of the deepest trainable network, 6ξ_c, over σ_w² (curveX,
// curveY; non-finite and off-scale values are left out) drawn over it.
func PhaseDiagram(dir, name, title string, sw2 []float64, depths []int, acc [][]float64, curveX, curveY []float64) (Figure, error) {
	fig := Figure{Name: name, Title: title, Series: []string{"6ξ_c"},
		Caption: "Each cell is the mean final test accuracy of the runs at one σ_w² (x) and depth (y), over seeds and any other " +
			"swept setting (colour scale at the right, bright is high; white: no finished run). The white line is the mean-field " +
			"prediction of the deepest network that trains, 6ξ_c (Schoenholz et al. 2017): it peaks at the critical σ_w², where χ₁ = 1."}
	if len(sw2) == 0 || len(depths) == 0 || len(acc) != len(sw2) {
		return fig, fmt.Errorf("phase diagram: %d sigma_w2, %d depths and %d columns", len(sw2), len(depths), len(acc))
	}
	g := &grid{xs: sw2, ys: make([]float64, len(depths)), z: acc}
	for j, d := range depths {
		g.ys[j] = float64(d)
	}
	for i := range acc {
		if len(acc[i]) != len(depths) {
			return fig, fmt.Errorf("phase diagram: column %d has %d cells for %d depths", i, len(acc[i]), len(depths))
		}
	}
	cmap, err := moreland.NewLuminance(viridis)
	if err != nil {
		return fig, fmt.Errorf("phase diagram: %w", err)
	}
	cmap.SetMin(0)
	cmap.SetMax(1)
	h := plotter.NewHeatMap(g, cmap.Palette(255))
	h.Min, h.Max = 0, 1
	h.NaN = rgb(0xff, 0xff, 0xff)
	p := newPlot(fig.Title, "σ_w²", "depth (hidden layers)")
	p.Add(h)
	// Half a cell beyond the outer rows, as the heat map draws them.
	lo, hi := g.ys[0], g.ys[len(g.ys)-1]
	if len(g.ys) > 1 {
		lo -= (g.ys[1] - g.ys[0]) / 2
		hi += (g.ys[len(g.ys)-1] - g.ys[len(g.ys)-2]) / 2
	} else {
		lo, hi = lo-0.5, hi+0.5
	}
	var xys plotter.XYs
	for k, x := range curveX {
		if y := curveY[k]; finite(y) && y <= hi {
			xys = append(xys, plotter.XY{X: x, Y: max(y, lo)})
		} else if finite(y) || y > hi {
			xys = append(xys, plotter.XY{X: x, Y: hi})
		}
	}
	if len(xys) > 0 {
		line, err := plotter.NewLine(xys)
		if err != nil {
			return fig, fmt.Errorf("phase diagram: %w", err)
		}
		line.LineStyle = draw.LineStyle{Color: rgb(0xff, 0xff, 0xff), Width: vg.Points(2.2), Dashes: []vg.Length{vg.Points(6), vg.Points(3)}}
		p.Add(line)
		p.Legend.Add("6ξ_c (mean field)", line)
	}
	p.Y.Min, p.Y.Max = lo, hi
	bar := colorBar("mean final test accuracy", cmap)
	paint := func(c draw.Canvas) {
		barWidth := 2.6 * vg.Centimeter
		main := draw.Crop(c, 0, -barWidth, 0, 0)
		// gonum rasterises a heat map on a uniform grid: with unevenly
		// spaced σ_w² or depths its cells would leave their axis values,
		// so only an even grid is rasterised.
		h.Rasterized = isRaster(c) && evenly(g.xs) && evenly(g.ys)
		p.Draw(main)
		da := p.DataCanvas(main)
		bar.Draw(draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: main.Max.X + 0.3*vg.Centimeter, Y: da.Min.Y},
			Max: vg.Point{X: c.Max.X - 0.3*vg.Centimeter, Y: da.Max.Y},
		}})
	}
	if err := save(dir, name, paint); err != nil {
		return fig, fmt.Errorf("phase diagram: %w", err)
	}
	return fig, nil
}

// evenly reports whether vs are evenly spaced (to a part in 10⁶ of a step).
func evenly(vs []float64) bool {
	for i := 2; i < len(vs); i++ {
		step := vs[1] - vs[0]
		if d := vs[i] - vs[i-1] - step; d > 1e-6*step || d < -1e-6*step {
			return false
		}
	}
	return true
}
