package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot/plotter"
)

// maxSpectrumBins is the most bins of log10 σ a spectrum figure uses.
const maxSpectrumBins = 120

// spectrumDecades is the widest range of log10 σ a spectrum figure shows.
const spectrumDecades = 16

// jacobianSpectrum plots, per run that recorded one, the distribution of
// log10 σ over the singular values of its input–output Jacobian at
// initialisation (jacobian_spectrum.csv), as the fraction of values per
// bin, with a dotted line at σ = 1 (isometry).
func (f *figurer) jacobianSpectrum() (Figure, error) {
	fig := Figure{Name: "jacobian_spectrum", Title: "Singular values of the input–output Jacobian at initialisation",
		Caption: "Distribution of log10 σ over the singular values σ of J = ∂h_last/∂h_0 = Π D_l W_lᵀ (D_l = diag φ′(z_l)), " +
			"the Jacobian of the last hidden layer's output with respect to the first's across the width × width hidden layers, " +
			"at the first examples of the first batch (pooled; jacobian_spectrum.csv): the fraction of values per bin. " +
			"Dynamical isometry is every σ near 1 (the dotted line): a spectrum spread over decades stretches some directions " +
			"of the signal and crushes others, however healthy the average gain (mean σ², in the legend). Values more than 16 " +
			"decades below the largest, beyond what float64 resolves, are counted in the leftmost bin; exact zeros are not drawn."}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range f.runs {
		for _, sv := range r.Jacobian {
			for _, s := range sv {
				if l := math.Log10(s); finite(l) {
					lo, hi = math.Min(lo, l), math.Max(hi, l)
				}
			}
		}
	}
	// Values more than spectrumDecades below the largest go in the
	// leftmost bin: float64 does not resolve them.
	lo = math.Max(lo, hi-spectrumDecades)
	width := 0.05
	if lo <= hi {
		width = math.Max(width, (hi-lo)/maxSpectrumBins)
		lo = math.Floor(lo/width) * width
		hi = lo + math.Max(1, math.Ceil((hi-lo)/width+1e-9))*width
	}
	p := newPlot(fig.Title, "log10 σ (0: σ = 1)", "fraction of singular values per bin")
	var lines []series
	for i, r := range f.runs {
		l := series{Name: f.names[i], Color: f.colors[i], Shape: f.shapes[i], NoPoints: true}
		if s := r.Summary.JacobianSpectrum; s != nil {
			l.Name += ": mean σ² " + shortPtr(s.MeanSq)
		}
		if lo <= hi && len(r.Jacobian) > 0 {
			n := int(math.Round((hi - lo) / width))
			counts := make([]float64, n)
			total := 0
			for _, sv := range r.Jacobian {
				for _, s := range sv {
					total++
					if b := int((math.Log10(s) - lo) / width); finite(math.Log10(s)) {
						counts[min(max(b, 0), n-1)]++
					}
				}
			}
			for b, c := range counts {
				x := lo + width*float64(b)
				l.XYs = append(l.XYs, plotter.XY{X: x, Y: c / float64(total)}, plotter.XY{X: x + width, Y: c / float64(total)})
			}
		}
		lines = append(lines, l)
	}
	drawn, err := addLines(p, linearY, lines)
	if err != nil {
		return Figure{}, fmt.Errorf("%s: %w", fig.Name, err)
	}
	if !drawn {
		fig.Title += " (no finite data)"
		p.Title.Text = fig.Title
	} else {
		p.Y.Min = 0
		ref, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 0, Y: p.Y.Max}})
		if err != nil {
			return Figure{}, err
		}
		ref.LineStyle.Dashes = dotted
		p.Add(ref)
	}
	fig.Series = append([]string(nil), f.names...)
	return f.write(p, fig)
}

// haveSpectrum reports whether some run recorded a Jacobian spectrum.
func (f *figurer) haveSpectrum() bool {
	for _, r := range f.runs {
		if len(r.Jacobian) > 0 {
			return true
		}
	}
	return false
}

// shortPtr is short of *x, n/a for nil.
func shortPtr(x *float64) string {
	if x == nil {
		return "n/a"
	}
	return short(*x)
}
