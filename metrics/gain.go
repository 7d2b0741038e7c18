package metrics

import (
	"fmt"
	"math"
	"strings"
)

// Verdict classifies the gradient flow of a run.
type Verdict string

// Verdicts, from the per-layer gain g (see Gain): vanishing when g <
// VanishingBelow, exploding when g > ExplodingAbove, healthy between.
const (
	Vanishing Verdict = "vanishing"
	Healthy   Verdict = "healthy"
	Exploding Verdict = "exploding"
	Unknown   Verdict = "n/a"

	// Over 20 layers, a gain of 0.8 shrinks the gradient ~70× from the
	// last hidden layer to the first; 1.25 grows it ~70×.
	VanishingBelow = 0.8
	ExplodingAbove = 1.25
)

// Judge returns the verdict for a per-layer gain.
func Judge(gain float64) Verdict {
	switch {
	case math.IsNaN(gain):
		return Unknown
	case gain < VanishingBelow:
		return Vanishing
	case gain > ExplodingAbove:
		return Exploding
	}
	return Healthy
}

// Signal is the verdict of a run on both of its signals at
// initialisation: the gradient's (Judge of the weight-gradient gain) and
// the forward activations' (Judge of the forward gain).
type Signal struct {
	Gradient, Forward Verdict
}

// JudgeSignal returns the verdict for a per-layer weight-gradient gain
// (Gain) and a per-layer forward gain (ForwardGain), each judged by the
// same thresholds as Judge. A forward gain below VanishingBelow means the
// activations shrink toward the output, above ExplodingAbove that they
// grow; NaN means it was not measured.
func JudgeSignal(gain, forward float64) Signal {
	return Signal{Gradient: Judge(gain), Forward: Judge(forward)}
}

// String returns the verdict as the report's verdict column gives it:
// the gradient's reading alone ("healthy", "vanishing", …) when the
// forward signal is healthy or was not measured, else both, as "healthy
// gradients, vanishing forward signal".
func (s Signal) String() string {
	switch {
	case s.Forward == Healthy || s.Forward == Unknown:
		return string(s.Gradient)
	case s.Gradient == Unknown:
		return string(s.Forward) + " forward signal"
	}
	return fmt.Sprintf("%s gradients, %s forward signal", s.Gradient, s.Forward)
}

// Class returns the one reading the verdict is coloured by: the
// gradient's unless it is healthy or unknown and the forward signal's is
// not, so that a healthy gradient over a vanishing forward signal is not
// shown as healthy.
func (s Signal) Class() Verdict {
	if (s.Gradient == Healthy || s.Gradient == Unknown) && (s.Forward == Vanishing || s.Forward == Exploding) {
		return s.Forward
	}
	return s.Gradient
}

// ForwardGain returns the per-layer forward gain of the hidden layers'
// output sizes rms (index 0 nearest the input; OutRMS of Stats): the
// geometric mean over adjacent hidden layers l, l+1 of rms[l+1] / rms[l],
// all of whose transitions are width × width. Below 1 the activations
// shrink toward the output. It is NaN for fewer than two layers or a
// size that is zero or not finite.
func ForwardGain(rms []float64) float64 {
	g := layerGain(rms)
	if math.IsNaN(g) {
		return g
	}
	return 1 / g
}

// ErrorGain returns the per-layer backward gain of the hidden layers'
// back-propagated error sizes rms (index 0 nearest the input; DeltaRMS of
// Stats): the geometric mean over adjacent hidden layers l, l+1 of
// rms[l] / rms[l+1], read as Gain reads weight gradients. Below 1 the
// error shrinks toward the input. It is NaN for fewer than two layers or
// a size that is zero or not finite.
func ErrorGain(rms []float64) float64 { return layerGain(rms) }

// layerGain returns (x[0]/x[n-1])^(1/(n-1)), the geometric mean of the
// adjacent ratios x[l]/x[l+1].
func layerGain(x []float64) float64 {
	n := len(x)
	if n < 2 {
		return math.NaN()
	}
	a, b := x[0], x[n-1]
	if !(a > 0 && b > 0) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return math.NaN()
	}
	return math.Pow(a/b, 1/float64(n-1))
}

// Gain returns the per-layer backward gain of the weight-gradient norms w
// (index 0 nearest the input, len(w)-1 the output layer): the geometric
// mean over adjacent hidden layers l, l+1 of ‖∇W_l‖ / ‖∇W_{l+1}‖, taken over
// the hidden layers 1 … len(w)-2 whose weights are all width × width.
// A gain below 1 means gradients shrink toward the input. It is NaN when
// there are fewer than two such layers or a norm is zero or not finite.
func Gain(w []float64) float64 {
	lo, hi := 1, len(w)-2
	if hi-lo < 1 {
		return math.NaN()
	}
	a, b := w[lo], w[hi]
	if !(a > 0 && b > 0) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return math.NaN()
	}
	// The product of adjacent ratios telescopes to w[lo]/w[hi].
	return math.Pow(a/b, 1/float64(hi-lo))
}

// Row is one run's line in a results table.
type Row struct {
	Act          string
	TestAccuracy *float64
	FinalLoss    *float64
	// RatioStart and RatioEnd are the first-layer over output-layer
	// weight-gradient norm at the first and last logged step.
	RatioStart, RatioEnd *float64
	// GainStart and GainEnd are the measured per-layer gains at the first
	// and last logged step; Predicted is the mean-field gain at
	// initialisation.
	GainStart, GainEnd, Predicted float64
	// ForwardStart and ErrorStart are the per-layer gains of the hidden
	// layers' output RMS (ForwardGain) and of their back-propagated
	// error's RMS (ErrorGain) at the first logged step; NaN for runs
	// recorded without them.
	ForwardStart, ErrorStart float64
	// PlainOnly marks a network with residual connections or
	// normalisation, which the mean-field prediction does not describe:
	// its predicted-gain cell says so instead of showing a number.
	PlainOnly bool
	// Saturated and Dead are the mean fractions over hidden layers at the
	// first and last logged step.
	SaturatedStart, SaturatedEnd, DeadStart, DeadEnd float64
	// Verdict judges GainStart and ForwardStart (JudgeSignal).
	Verdict    Signal
	MsPerStep  float64
	DivergedAt *int
}

// TableHeader names the columns of Table.
var TableHeader = []string{"activation", "test acc", "final loss", "ratio first/last (start)", "ratio first/last (end)",
	"gain (start)", "gain predicted", "gain (end)", "forward gain", "δ gain", "saturated start→end", "dead start→end", "verdict", "ms/step"}

// Cells returns the row formatted as TableHeader's columns.
func (r Row) Cells() []string {
	p := func(x *float64, f string) string {
		if x == nil {
			return "n/a"
		}
		return fmt.Sprintf(f, *x)
	}
	g := func(x float64, f string) string {
		if math.IsNaN(x) {
			return "n/a"
		}
		return fmt.Sprintf(f, x)
	}
	predicted := g(r.Predicted, "%.3f")
	if r.PlainOnly {
		predicted = "plain nets only"
	}
	loss := p(r.FinalLoss, "%.4f")
	if r.DivergedAt != nil {
		loss = fmt.Sprintf("diverged at step %d", *r.DivergedAt)
	}
	return []string{r.Act, p(r.TestAccuracy, "%.4f"), loss, p(r.RatioStart, "%.3g"), p(r.RatioEnd, "%.3g"),
		g(r.GainStart, "%.3f"), predicted, g(r.GainEnd, "%.3f"),
		g(r.ForwardStart, "%.3f"), g(r.ErrorStart, "%.3f"),
		g(r.SaturatedStart, "%.3f") + "→" + g(r.SaturatedEnd, "%.3f"),
		g(r.DeadStart, "%.3f") + "→" + g(r.DeadEnd, "%.3f"),
		r.Verdict.String(), fmt.Sprintf("%.1f", r.MsPerStep)}
}

// Markdown returns rows as a Markdown table.
func Markdown(rows []Row) string {
	cells := make([][]string, len(rows))
	for i, r := range rows {
		cells[i] = r.Cells()
	}
	return MarkdownTable(TableHeader, cells)
}

// Text returns rows as an aligned plain-text table.
func Text(rows []Row) string {
	all := [][]string{TableHeader}
	for _, r := range rows {
		all = append(all, r.Cells())
	}
	return AlignText(all, len(TableHeader))
}

// MarkdownTable returns a Markdown table of header and rows.
func MarkdownTable(header []string, rows [][]string) string {
	var b strings.Builder
	line := func(cells []string) { b.WriteString("| " + strings.Join(cells, " | ") + " |\n") }
	line(header)
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
	}
	line(sep)
	for _, r := range rows {
		line(r)
	}
	return b.String()
}

// AlignText lays rows out in columns two spaces apart: the first left
// columns padded on the right, the others on the left (numbers).
func AlignText(rows [][]string, left int) string {
	var width []int
	for _, cells := range rows {
		for i, c := range cells {
			if i == len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	var b strings.Builder
	for _, cells := range rows {
		for i, c := range cells {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-len([]rune(c)))
			if i < left {
				b.WriteString(c + pad)
			} else {
				b.WriteString(pad + c)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
