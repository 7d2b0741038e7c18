package plots

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gradbench/gradbench/metrics"
)

// dotted is the dash pattern of reference lines.
var dotted = []vg.Length{vg.Points(1.5), vg.Points(3)}

// relativeProfile plots each run's weight-gradient norms at its first
// logged step divided by its output layer's, so that profiles of very
// different size compare by shape, with the gain and verdict in the
// legend and, dotted, the profile the predicted gain gives: from the last
// hidden layer, a factor of the gain per layer toward the input.
func (f *figurer) relativeProfile() (Figure, error) {
	fig := Figure{Name: "grad_profile_relative", Title: "Gradient norm relative to the output layer, first step",
		Caption: "Each layer's weight-gradient L2 norm at the first logged step divided by the output layer's (log scale), so that " +
			"runs whose gradients differ in overall size compare by shape: a line falling toward the input (left) vanishes, one " +
			"flat near 1 is healthy. The legend gives each run's measured per-layer gain, its predicted gain in brackets, and " +
			"its verdict; the dotted line in the " +
			"run's colour is its predicted gain (mean field) compounded from the last hidden layer toward the input, gain^(distance), " +
			"which the measured line follows when the prediction holds."}
	top := f.maxLayer()
	p := newPlot(fig.Title, fmt.Sprintf("layer (0 = input side, %d = output layer)", top), "norm / output layer's norm")
	var lines []series
	for i, r := range f.runs {
		l := series{Name: f.names[i], Color: f.colors[i], Shape: f.shapes[i]}
		var ref series
		if len(r.Steps) > 0 {
			w := r.Steps[0].Norms.Of(metrics.Weight)
			gain := metrics.Gain(w)
			l.Name = fmt.Sprintf("%s: %s", f.names[i], short(gain))
			if out := w[len(w)-1]; len(w) > 1 && out > 0 {
				for k, x := range w {
					l.XYs = append(l.XYs, plotter.XY{X: float64(k), Y: x / out})
				}
				if pg := r.Summary.PredictedGain; pg != nil && len(w) > 2 {
					last := len(w) - 2
					anchor := w[last] / out
					for k := 0; k <= last; k++ {
						ref.XYs = append(ref.XYs, plotter.XY{X: float64(k), Y: anchor * math.Pow(*pg, float64(last-k))})
					}
					l.Name += fmt.Sprintf(" (%s)", short(*pg))
					ref = series{XYs: ref.XYs, Color: f.colors[i], Dashes: dotted, NoLegend: true, NoPoints: true}
				}
			}
		}
		if len(r.Steps) > 0 {
			l.Name += " " + r.Row().Verdict.String()
		}
		lines = append(lines, l)
		if len(ref.XYs) > 0 {
			lines = append(lines, ref)
		}
	}
	p.Legend.Add("gain (predicted), verdict")
	drawn, err := addLines(p, logY, lines)
	if err != nil {
		return Figure{}, fmt.Errorf("%s: %w", fig.Name, err)
	}
	if !drawn {
		fig.Title += " (no finite data)"
		p.Title.Text = fig.Title
	}
	p.Legend.Add("predicted gain^distance", legendLine(draw.LineStyle{Color: rgb(0, 0, 0), Width: vg.Points(1.8), Dashes: dotted}))
	p.X.Tick.Marker = intTicks{0, top}
	fig.Series = append([]string(nil), f.names...)
	return f.write(p, fig)
}

// short formats a gain with three significant digits, n/a for NaN.
func short(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

// Colours of the first and last step in gradient histograms (Okabe–Ito
// blue and vermillion).
var (
	firstColor = rgb(0x00, 0x72, 0xB2)
	lastColor  = rgb(0xD5, 0x5E, 0x00)
)

// rowHeight is the height of a layer's tallest bin in a gradient
// histogram, in rows.
const rowHeight = 0.85

// gradHist draws run i's distribution of log10 |g| of each layer's weight
// gradient at the first and last step of its grad_hist.csv, one row per
// layer, with the share of exact zeros as a bar at the left.
func (f *figurer) gradHist(i int, name string) (Figure, error) {
	r, label := f.runs[i], f.names[i]
	fig := Figure{Name: name, Title: label + ": distribution of log10 |g| per layer (weight gradients)", Series: []string{label},
		Caption: "For each layer (one row, input layer at the bottom), the share of its weight-gradient entries in each tenth of " +
			"a decade of |g|, at the first step (solid) and the last (dashed), each row scaled to its largest bin: where the " +
			"mass sits shows how small the gradient is at that depth. The bars at the left, at \"g = 0\", are the share of entries " +
			"that are exactly zero (the weights into or out of a dead ReLU unit get exactly zero gradient), a full row being all of them."}
	steps := map[int]bool{}
	layers := 0
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, b := range r.GradHist {
		if b.Kind != metrics.Weight {
			continue
		}
		steps[b.Step] = true
		layers = max(layers, b.Layer+1)
		if !b.Zero() {
			lo, hi = math.Min(lo, b.Lo), math.Max(hi, b.Hi)
		}
	}
	order := slices.Sorted(maps.Keys(steps))
	if len(order) == 0 || layers == 0 {
		fig.Title = label + ": no gradient histograms"
		return f.write(newPlot(fig.Title, "log10 |g|", "layer"), fig)
	}
	which := []int{order[0]}
	if n := len(order); n > 1 {
		which = append(which, order[n-1])
	}
	if !finite(lo) {
		lo, hi = -1, 0
	}
	zeroX := math.Floor(lo) - 1
	p := newPlot(fig.Title, "log10 |g|", "layer (0 = input side)")
	grey := draw.LineStyle{Color: rgb(0xcc, 0xcc, 0xcc), Width: vg.Points(0.5)}
	for l := range layers {
		base := float64(l)
		if line, err := plotter.NewLine(plotter.XYs{{X: zeroX - 0.5, Y: base}, {X: hi, Y: base}}); err == nil {
			line.LineStyle = grey
			p.Add(line)
		}
	}
	if sep, err := plotter.NewLine(plotter.XYs{{X: zeroX + 0.5, Y: -0.1}, {X: zeroX + 0.5, Y: float64(layers)}}); err == nil {
		sep.LineStyle = draw.LineStyle{Color: rgb(0x88, 0x88, 0x88), Width: vg.Points(0.8), Dashes: dotted}
		p.Add(sep)
	}
	for k, step := range which {
		// Each layer's bins and its total number of entries.
		bins := make([][]metrics.HistBin, layers)
		total := make([]float64, layers)
		for _, b := range r.HistAt(step, metrics.Weight) {
			bins[b.Layer] = append(bins[b.Layer], b)
			total[b.Layer] += float64(b.Count)
		}
		style := draw.LineStyle{Color: firstColor, Width: vg.Points(1.4)}
		if k == 1 {
			style = draw.LineStyle{Color: lastColor, Width: vg.Points(1.4), Dashes: dashed}
		}
		for l := range layers {
			if total[l] == 0 {
				continue
			}
			base := float64(l)
			// The row's scale: its largest bin over both steps.
			top := 0.0
			for _, s := range which {
				var t float64
				hb := r.HistAt(s, metrics.Weight)
				for _, b := range hb {
					if b.Layer == l {
						t += float64(b.Count)
					}
				}
				for _, b := range hb {
					if b.Layer == l && !b.Zero() && t > 0 {
						top = math.Max(top, float64(b.Count)/t)
					}
				}
			}
			var xys plotter.XYs
			prev := math.NaN()
			for _, b := range bins[l] {
				share := float64(b.Count) / total[l]
				if b.Zero() {
					x := zeroX - 0.12 + 0.24*float64(k)
					bar, err := plotter.NewLine(plotter.XYs{{X: x, Y: base}, {X: x, Y: base + share*rowHeight}})
					if err == nil {
						bar.LineStyle = draw.LineStyle{Color: style.Color, Width: vg.Points(4)}
						p.Add(bar)
					}
					continue
				}
				h := base + share/top*rowHeight
				if prev != b.Lo {
					if !math.IsNaN(prev) {
						xys = append(xys, plotter.XY{X: prev, Y: base})
					}
					xys = append(xys, plotter.XY{X: b.Lo, Y: base})
				}
				xys = append(xys, plotter.XY{X: b.Lo, Y: h}, plotter.XY{X: b.Hi, Y: h})
				prev = b.Hi
			}
			if len(xys) == 0 {
				continue
			}
			xys = append(xys, plotter.XY{X: prev, Y: base})
			line, err := plotter.NewLine(xys)
			if err != nil {
				return Figure{}, fmt.Errorf("%s: %w", name, err)
			}
			line.LineStyle = style
			p.Add(line)
		}
		what := "first step"
		if k == 1 {
			what = "last step"
		}
		p.Legend.Add(fmt.Sprintf("%s (%d)", what, step), legendLine(style))
	}
	p.X.Min, p.X.Max = zeroX-0.5, hi
	p.Y.Min, p.Y.Max = -0.1, float64(layers)
	p.X.Tick.Marker = histTicks{zero: zeroX}
	p.Y.Tick.Marker = intTicks{0, layers - 1}
	return f.write(p, fig)
}

// histTicks label the decades of a log10 |g| axis and, at zero, the
// column of exact zeros.
type histTicks struct{ zero float64 }

// Ticks implements plot.Ticker.
func (t histTicks) Ticks(min, max float64) []plot.Tick {
	ticks := []plot.Tick{{Value: t.zero, Label: "g = 0"}}
	first, last := int(math.Ceil(t.zero+1)), int(math.Floor(max))
	step := 1
	for (last-first)/step > 10 {
		step++
	}
	// No label within a tenth of the axis of the zero column's.
	clear := t.zero + math.Max(1.5, 0.1*(max-t.zero))
	for e := first; e <= last; e++ {
		tk := plot.Tick{Value: float64(e)}
		if e%step == 0 && float64(e) >= clear {
			tk.Label = strconv.Itoa(e)
		}
		ticks = append(ticks, tk)
	}
	return ticks
}
