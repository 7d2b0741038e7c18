package plots

import (
	"fmt"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Theory writes the mean-field figures of gradbench theory: name, χ₁
// against σ_w² for every activation with the line χ₁ = 1 that separates
// the ordered phase from the chaotic one, and name_xi, the correlation
// depth scale ξ_c (log axis; points where it is infinite, at the critical
// point, are left out). sw2 are the σ_w² values and chi1[i], xiC[i] those
// of the activation names[i].
func Theory(dir, name string, names []string, sw2 []float64, chi1, xiC [][]float64) ([]Figure, error) {
	if len(names) == 0 || len(chi1) != len(names) || len(xiC) != len(names) {
		return nil, fmt.Errorf("theory figure: %d names, %d chi1 and %d xi_c curves", len(names), len(chi1), len(xiC))
	}
	colors, shapes := colorsFor(names), shapesFor(names)
	figs := []Figure{
		{Name: name, Title: "Mean-field χ₁ against σ_w²",
			Caption: "χ₁ = σ_w² E[φ′(√q* z)²]: below 1 (ordered) gradients vanish with depth, above 1 (chaotic) they explode."},
		{Name: name + "_xi", Title: "Correlation depth scale ξ_c against σ_w²",
			Caption: "ξ_c = −1/ln χ_c: networks are expected to train up to a depth of about 6ξ_c, which diverges at the critical point."},
	}
	for k, vals := range [][][]float64{chi1, xiC} {
		fig := &figs[k]
		ylabel, ys := "χ₁", linearY
		if k == 1 {
			ylabel, ys = "ξ_c (layers)", logY
		}
		p := newPlot(fig.Title, "σ_w²", ylabel)
		var lines []series
		for i, n := range names {
			if len(vals[i]) != len(sw2) {
				return nil, fmt.Errorf("theory figure: %s has %d values for %d sigma_w2", n, len(vals[i]), len(sw2))
			}
			xys := make(plotter.XYs, len(sw2))
			for j, x := range sw2 {
				xys[j] = plotter.XY{X: x, Y: vals[i][j]}
			}
			lines = append(lines, series{Name: n, Color: colors[i], Shape: shapes[i], XYs: xys})
		}
		if k == 0 && len(sw2) > 0 {
			lines = append(lines, series{Name: "χ₁ = 1", Color: rgb(0x88, 0x88, 0x88), Dashes: []vg.Length{vg.Points(4), vg.Points(3)},
				NoPoints: true, XYs: plotter.XYs{{X: sw2[0], Y: 1}, {X: sw2[len(sw2)-1], Y: 1}}})
		}
		if _, err := addLines(p, ys, lines); err != nil {
			return nil, fmt.Errorf("theory figure: %w", err)
		}
		if err := Save(p, dir, fig.Name); err != nil {
			return nil, fmt.Errorf("theory figure: %w", err)
		}
		fig.Series = append([]string(nil), names...)
	}
	return figs, nil
}
