package plots

import (
	"encoding/base64"
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models/rundir"
)

// howToRead explains the table and figures, in plain text.
func howToRead() string {
	return fmt.Sprintf("The gain is the geometric mean, over adjacent hidden layers, of the ratio of their weight-gradient "+
		"L2 norms (the layer nearer the input over the one nearer the output): below 1 the gradient shrinks on its way "+
		"back toward the input, above 1 it grows. The verdict is taken from the gain at the first logged step, where the "+
		"network is as initialised: vanishing below %g, exploding above %g, healthy between. Over 20 layers a gain of "+
		"%g shrinks the gradient about %.0f× from the last hidden layer to the first. The ratio columns divide the first "+
		"layer's weight-gradient norm by the output layer's. The saturated and dead columns are mean fractions over the "+
		"hidden layers (n/a when the run recorded no activation statistics): saturated counts pre-activations where a "+
		"sigmoid's or tanh's derivative is below 5%% of its maximum, dead counts units whose pre-activation is ≤ 0 for "+
		"the whole batch. The predicted gain is the mean-field prediction at initialisation, √(σ_w²·E[φ′(h)²]) with "+
		"σ_w² = fan_in·mean(W²) and h the measured pre-activations: it describes the backpropagated error signal, "+
		"while the measured gain also carries the change of the forward activations' size from layer to layer, so "+
		"the two differ where that size changes. It describes the plain stack of layers only: for a run with residual "+
		"connections or LayerNorm (named act+residual, act+layernorm) the column says so instead of giving a number. "+
		"The forward gain is the geometric mean, over adjacent hidden layers at the first logged step, of the ratio of "+
		"their outputs' RMS (the layer nearer the output over the one nearer the input): below 1 the activations shrink on "+
		"their way to the output. The δ gain reads the back-propagated error δ (the loss's gradient at each pre-activation) "+
		"as the gain reads weight gradients: below 1 it shrinks toward the input. A weight gradient is h_{l−1}ᵀδ_l, so the "+
		"gain is roughly their product's: a flat weight-gradient profile can hide a forward signal and an error that both "+
		"vanish. The verdict adds the forward reading, by the same bounds, when the forward signal is not healthy "+
		"(\"healthy gradients, vanishing forward signal\"), and is coloured by the worse of the two. "+
		"ms/step is wall-clock time of a whole step (forward, backward, norm read, update) and depends on how many runs shared the machine.",
		metrics.VanishingBelow, metrics.ExplodingAbove, metrics.VanishingBelow, 1/math.Pow(metrics.VanishingBelow, 19))
}

// Report writes dir/report.md and a self-contained dir/report.html: the
// title, the configuration text config (shown preformatted), the results
// table of rows, a paragraph on how to read them, and every figure of
// figs with its title and caption. report.md refers to each figure's PNG
// by its relative name; report.html embeds each PNG as a base64 data URI
// and refers to nothing outside itself. The figures' PNG files must be in
// dir.
// Sections, if any, come before the results table.
func Report(dir, title, config string, rows []metrics.Row, figs []Figure, sections ...Section) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	pngs := make([][]byte, len(figs))
	for i, f := range figs {
		b, err := os.ReadFile(filepath.Join(dir, f.Name+".png"))
		if err != nil {
			return fmt.Errorf("report: figure %s: %w", f.Name, err)
		}
		pngs[i] = b
	}
	if err := rundir.WriteFileAtomic(filepath.Join(dir, "report.md"), []byte(markdownReport(title, config, rows, figs, sections))); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := rundir.WriteFileAtomic(filepath.Join(dir, "report.html"), []byte(htmlReport(title, config, rows, figs, pngs, sections))); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// Section is a part of a report of its own, in both of its forms.
type Section struct {
	Title string
	// Markdown and HTML are the section's body in report.md and
	// report.html.
	Markdown, HTML string
}

// markdownReport returns the text of report.md.
func markdownReport(title, config string, rows []metrics.Row, figs []Figure, sections []Section) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", title)
	if strings.TrimSpace(config) != "" {
		// A fence longer than any run of backticks in config.
		fence := "```"
		for strings.Contains(config, fence) {
			fence += "`"
		}
		fmt.Fprintf(&b, "## Configuration\n\n%s\n%s\n%s\n\n", fence, strings.TrimRight(config, "\n"), fence)
	}
	for _, sec := range sections {
		fmt.Fprintf(&b, "## %s\n\n%s\n\n", sec.Title, sec.Markdown)
	}
	fmt.Fprintf(&b, "## Results\n\n%s\n", metrics.Markdown(rows))
	fmt.Fprintf(&b, "### How to read this\n\n%s\n\n", howToRead())
	if len(figs) > 0 {
		b.WriteString("## Figures\n\n")
	}
	// Each figure's title is in its image: it is not repeated.
	for _, f := range figs {
		fmt.Fprintf(&b, "![%s](%s.png)\n\n%s\n\n", f.Title, f.Name, f.Caption)
	}
	return b.String()
}

// reportStyle is the inline style sheet of report.html.
const reportStyle = `body { font-family: sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; color: #222; }
pre { background: #f4f4f4; padding: 0.8em; overflow-x: auto; white-space: pre-wrap; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; text-align: right; }
th { background: #eee; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.95em; margin-top: 0.4em; }
td.vanishing { background: #f4c7c3; color: #7a1410; font-weight: bold; }
td.exploding { background: #fbd9a8; color: #7a3d00; font-weight: bold; }
td.healthy { background: #c8e6c9; color: #1b5e20; font-weight: bold; }
`

// htmlReport returns the text of report.html; pngs[i] is figs[i]'s PNG.
func htmlReport(title, config string, rows []metrics.Row, figs []Figure, pngs [][]byte, sections []Section) string {
	e := html.EscapeString
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n<style>\n%s</style>\n</head>\n<body>\n", e(title), reportStyle)
	fmt.Fprintf(&b, "<h1>%s</h1>\n", e(title))
	if strings.TrimSpace(config) != "" {
		fmt.Fprintf(&b, "<h2>Configuration</h2>\n<pre>%s</pre>\n", e(strings.TrimRight(config, "\n")))
	}
	for _, sec := range sections {
		fmt.Fprintf(&b, "<h2>%s</h2>\n%s", e(sec.Title), sec.HTML)
	}
	b.WriteString("<h2>Results</h2>\n<table>\n<thead>\n<tr>")
	for _, h := range metrics.TableHeader {
		fmt.Fprintf(&b, "<th>%s</th>", e(h))
	}
	b.WriteString("</tr>\n</thead>\n<tbody>\n")
	verdict := slices.Index(metrics.TableHeader, "verdict")
	for _, r := range rows {
		b.WriteString("<tr>")
		for i, c := range r.Cells() {
			if i == verdict && r.Verdict.Class() != metrics.Unknown {
				fmt.Fprintf(&b, "<td class=\"%s\">%s</td>", e(string(r.Verdict.Class())), e(c))
				continue
			}
			fmt.Fprintf(&b, "<td>%s</td>", e(c))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
	fmt.Fprintf(&b, "<h3>How to read this</h3>\n<p>%s</p>\n", e(howToRead()))
	if len(figs) > 0 {
		b.WriteString("<h2>Figures</h2>\n")
	}
	for i, f := range figs {
		// The title is in the image: it is not repeated above it.
		fmt.Fprintf(&b, "<figure id=\"%s\">\n<img alt=\"%s\" src=\"data:image/png;base64,%s\">\n<figcaption>%s</figcaption>\n</figure>\n",
			e(f.Name), e(f.Title), base64.StdEncoding.EncodeToString(pngs[i]), e(f.Caption))
	}
	b.WriteString("</body>\n</html>\n")
	return b.String()
}
