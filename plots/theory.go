package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// TheoryCurve is one activation's mean-field χ₁ and ξ_c over σ_w².
type TheoryCurve struct {
	// Act is the activation's name; it sets the line's style.
	Act string
	// SigmaW2 are the σ_w² of the points; Chi1 and XiC their χ₁ and ξ_c
	// (NaN where not computed, +Inf where infinite: both are left out).
	SigmaW2, Chi1, XiC []float64
}

// TheoryFigure writes dir/name.png and .svg: χ₁ against σ_w² (with the
// line χ₁ = 1 between the ordered and chaotic phases) above ξ_c against
// σ_w² on a log scale, one line per activation, at bias variance sb2.
func TheoryFigure(dir, name string, sb2 float64, curves []TheoryCurve) error {
	if len(curves) == 0 {
		return fmt.Errorf("theory figure: no curves")
	}
	chi := newPlot(fmt.Sprintf("mean-field χ₁ (σ_b² = %g): ordered below 1, chaotic above", sb2), "σ_w²", "χ₁")
	xi := newPlot("correlation depth scale ξ_c (train to depth ≈ 6ξ_c)", "σ_w²", "ξ_c (layers)")
	xi.Y.Scale = plot.LogScale{}
	xi.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	lo, hi := math.Inf(1), math.Inf(-1)
	ximin, ximax := math.Inf(1), math.Inf(-1)
	for _, c := range curves {
		var cxy, xxy plotter.XYs
		for i, s := range c.SigmaW2 {
			lo, hi = math.Min(lo, s), math.Max(hi, s)
			if finite(c.Chi1[i]) {
				cxy = append(cxy, plotter.XY{X: s, Y: c.Chi1[i]})
			}
			if finite(c.XiC[i]) && c.XiC[i] > 0 {
				xxy = append(xxy, plotter.XY{X: s, Y: c.XiC[i]})
				ximin, ximax = math.Min(ximin, c.XiC[i]), math.Max(ximax, c.XiC[i])
			}
		}
		st, _ := style(c.Act)
		for _, pl := range []struct {
			p   *plot.Plot
			xys plotter.XYs
		}{{chi, cxy}, {xi, xxy}} {
			if len(pl.xys) == 0 {
				continue
			}
			l, err := plotter.NewLine(pl.xys)
			if err != nil {
				return fmt.Errorf("theory figure %s: %w", c.Act, err)
			}
			l.Color = st.Color
			l.Width = vg.Points(1.5)
			pl.p.Add(l)
			if pl.p == chi {
				pl.p.Legend.Add(c.Act, l)
			}
		}
	}
	if lo < hi {
		one, err := plotter.NewLine(plotter.XYs{{X: lo, Y: 1}, {X: hi, Y: 1}})
		if err != nil {
			return fmt.Errorf("theory figure: %w", err)
		}
		one.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		chi.Add(one)
	}
	if ximin <= ximax {
		xi.Y.Min, xi.Y.Max = ximin/1.5, ximax*1.5
	}
	chi.Legend.Top = true
	return save(dir, name, func(c draw.Canvas) {
		tiles := draw.Tiles{Rows: 2, Cols: 1, PadY: vg.Centimeter / 2, PadTop: vg.Centimeter / 4, PadBottom: vg.Centimeter / 4,
			PadLeft: vg.Centimeter / 4, PadRight: vg.Centimeter / 4}
		cs := plot.Align([][]*plot.Plot{{chi}, {xi}}, tiles, c)
		chi.Draw(cs[0][0])
		xi.Draw(cs[1][0])
	})
}
