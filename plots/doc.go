// Package plots draws the figures that compare the gradient flow of runs
// with different activation functions, and writes them with the results
// table into a self-contained report, with a tidy grad_norms.csv of all
// the runs (WriteTidy). Runs are named by Labels: their activation, or
// the settings that tell them apart.
//
// Every figure is written twice, as a PNG and as an SVG, with the fonts
// that come embedded in gonum.org/v1/plot. Values that a logarithmic axis
// cannot show (zero, negative, NaN, ±Inf) are left out of the figure
// rather than passed to gonum/plot, which panics on them.
package plots
