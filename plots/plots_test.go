package plots

import (
	"bytes"
	"encoding/xml"
	"errors"
	"html"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models/rundir"
)

// testCurves returns n points of the five activations and their
// derivatives on [-5, 5].
func testCurves(n int) (xs []float64, names []string, ys, dys [][]float64) {
	names = []string{"sigmoid", "tanh", "relu", "leakyrelu", "gelu"}
	xs = make([]float64, n)
	for i := range xs {
		xs[i] = -5 + 10*float64(i)/float64(n-1)
	}
	ys, dys = make([][]float64, len(names)), make([][]float64, len(names))
	for k, name := range names {
		ys[k], dys[k] = make([]float64, n), make([]float64, n)
		for i, x := range xs {
			var y, d float64
			switch name {
			case "sigmoid":
				s := 1 / (1 + math.Exp(-x))
				y, d = s, s*(1-s)
			case "tanh":
				y = math.Tanh(x)
				d = 1 - y*y
			case "relu":
				y, d = math.Max(0, x), 0
				if x > 0 {
					d = 1
				}
			case "leakyrelu":
				y, d = x, 1
				if x < 0 {
					y, d = 0.01*x, 0.01
				}
			case "gelu":
				phi := 0.5 * (1 + math.Erf(x/math.Sqrt2))
				pdf := math.Exp(-x*x/2) / math.Sqrt(2*math.Pi)
				y, d = x*phi, phi+x*pdf
			}
			ys[k][i], dys[k][i] = y, d
		}
	}
	return xs, names, ys, dys
}

// fakeRun returns an in-memory run of act with depth hidden layers, steps
// logged steps, epochs evaluations and activation statistics. The
// weight-gradient norm of layer l at the first step is gain^(depth-l), so
// gain < 1 vanishes toward the input and gain > 1 explodes.
func fakeRun(act string, depth, steps, epochs int, gain float64) *rundir.Run {
	r := &rundir.Run{Dir: "/runs/" + act}
	r.Summary.Config.Act = act
	r.Summary.Config.Depth = depth
	for s := 1; s <= steps; s++ {
		st := metrics.Step{Step: s, Epoch: 1 + (s-1)*epochs/steps, Loss: 2.3 * math.Exp(-float64(s)/10), BatchAcc: 0.5,
			Elapsed: float64(s)}
		g := 0.0
		for l := range depth + 1 {
			w := math.Pow(gain, float64(depth-l)) * (1 + 0.1*math.Sin(float64(s+l)))
			st.Norms.Params = append(st.Norms.Params, metrics.Norm{Layer: l, Kind: metrics.Weight, L2: w}, metrics.Norm{Layer: l, Kind: metrics.Bias, L2: w / 10})
			g += w * w * 1.01
		}
		st.Norms.Global = math.Sqrt(g)
		r.Steps = append(r.Steps, st)
		for l := range depth {
			r.Stats = append(r.Stats, metrics.Stats{Step: s, Layer: l, Mean: 0.1, Std: math.Pow(gain, float64(l)),
				Saturated: 0.05 * float64(l) / float64(depth), Dead: 0.01 * float64(s) / float64(steps),
				OutRMS: 0.5, DeltaRMS: 1e-3 * math.Pow(gain, float64(depth-l))})
		}
	}
	// The Jacobian spectrum: 4 examples of depth values spread around
	// gain^(depth-1), and for relu exact and unresolved zeros.
	for k := range 4 {
		var sv []float64
		for i := range depth {
			sv = append(sv, math.Pow(gain, float64(depth-1))*math.Pow(10, float64(depth/2-i)/4+float64(k)/10))
		}
		if act == "relu" {
			sv = append(sv, 1e-40, 0)
		}
		r.Jacobian = append(r.Jacobian, sv)
	}
	ms := math.Pow(gain, 2*float64(depth-1))
	r.Summary.JacobianSpectrum = &rundir.Spectrum{Examples: 4, Layers: depth - 1, MeanSq: &ms}
	// Gradient histograms at the first and last step: a bump around
	// log10 of the layer's norm, and for relu a share of exact zeros.
	for _, s := range []int{1, steps} {
		for l := range depth + 1 {
			c := math.Round(10*math.Log10(math.Pow(gain, float64(depth-l)))) / 10
			if act == "relu" {
				r.GradHist = append(r.GradHist, metrics.HistBin{Step: s, Layer: l, Kind: metrics.Weight, Lo: math.Inf(-1), Hi: math.Inf(-1), Count: int64(10 * s)})
			}
			for k := -8; k <= 8; k++ {
				lo := c - 2 + float64(k)/10
				r.GradHist = append(r.GradHist, metrics.HistBin{Step: s, Layer: l, Kind: metrics.Weight, Lo: lo, Hi: lo + 0.1, Count: int64(20 - abs(k) + s)})
			}
		}
	}
	for e := 1; e <= epochs; e++ {
		r.Epochs = append(r.Epochs, metrics.Epoch{Epoch: e, Step: e * steps / max(epochs, 1), TrainLoss: 1 / float64(e),
			TestLoss: 1.1 / float64(e), TestAccuracy: 0.5 + 0.2*float64(e)})
	}
	return r
}

var acts = []string{"sigmoid", "tanh", "relu", "leakyrelu", "gelu"}

func abs(k int) int { return max(k, -k) }

// fakeRuns returns one run per activation: sigmoid vanishing, gelu
// exploding, with a NaN and a zero norm, a NaN loss and an infinite global
// norm among them.
func fakeRuns() []*rundir.Run {
	gains := []float64{0.3, 0.8, 1, 1, 1.5}
	var runs []*rundir.Run
	for i, act := range acts {
		runs = append(runs, fakeRun(act, 6, 30, 2, gains[i]))
	}
	// leakyrelu's outputs shrink 0.7× per layer under healthy gradients.
	for i := range runs[3].Stats {
		runs[3].Stats[i].OutRMS = 0.5 * math.Pow(0.7, float64(runs[3].Stats[i].Layer))
	}
	runs[0].Steps[0].Norms.Params[0].L2 = 0
	runs[0].Steps[29].Norms.Params[2].L2 = math.NaN()
	runs[1].Steps[3].Norms.Params[4].L2 = math.Inf(1)
	runs[2].Steps[5].Loss = math.NaN()
	runs[4].Steps[7].Norms.Global = math.Inf(1)
	runs[4].Steps[8].Norms.Global = 0
	return runs
}

// testDir returns a temporary directory, or $PLOTS_TEST_OUT/name to keep
// the figures for looking at them.
func testDir(t *testing.T, name string) string {
	t.Helper()
	if out := os.Getenv("PLOTS_TEST_OUT"); out != "" {
		dir := filepath.Join(out, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// checkFiles checks that fig's PNG decodes to a non-empty image and its
// SVG is well-formed XML, and returns the SVG text.
func checkFiles(t *testing.T, dir string, fig Figure) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, fig.Name+".png"))
	if err != nil {
		t.Fatalf("%s: %v", fig.Name, err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s.png: %v", fig.Name, err)
	}
	if sz := img.Bounds().Size(); sz.X == 0 || sz.Y == 0 {
		t.Errorf("%s.png is %v", fig.Name, sz)
	}
	svg, err := os.ReadFile(filepath.Join(dir, fig.Name+".svg"))
	if err != nil {
		t.Fatalf("%s: %v", fig.Name, err)
	}
	if len(svg) == 0 {
		t.Fatalf("%s.svg is empty", fig.Name)
	}
	d := xml.NewDecoder(bytes.NewReader(svg))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s.svg: %v", fig.Name, err)
		}
	}
	if fig.Title == "" || fig.Caption == "" {
		t.Errorf("%s: title %q, caption %q", fig.Name, fig.Title, fig.Caption)
	}
	return string(svg)
}

func figureNames(figs []Figure) []string {
	var names []string
	for _, f := range figs {
		names = append(names, f.Name)
	}
	return names
}

func TestFigures(t *testing.T) {
	t.Parallel()
	dir := testDir(t, "figures")
	figs, err := Figures(fakeRuns(), dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"grad_profile_start", "grad_profile_end", "grad_profile_relative", "signal_forward", "signal_delta", "jacobian_spectrum"}
	for _, a := range acts {
		want = append(want, "heatmap_"+a)
	}
	for _, a := range acts {
		want = append(want, "grad_hist_"+a)
	}
	want = append(want, "global_norm", "loss", "test_accuracy", "act_std", "act_saturation")
	if got := figureNames(figs); !slices.Equal(got, want) {
		t.Fatalf("figures %v, want %v", got, want)
	}
	heatText := map[string]string{}
	for _, f := range figs {
		svg := checkFiles(t, dir, f)
		if _, act, ok := strings.Cut(f.Name, "heatmap_"); ok || strings.HasPrefix(f.Name, "grad_hist_") {
			if !ok {
				act = strings.TrimPrefix(f.Name, "grad_hist_")
			}
			if !slices.Equal(f.Series, []string{act}) {
				t.Errorf("%s: series %v, want [%s]", f.Name, f.Series, act)
			}
			if ok {
				heatText[act] = svgNumbers(svg)
			}
			continue
		}
		if !slices.Equal(f.Series, acts) {
			t.Errorf("%s: series %v, want %v", f.Name, f.Series, acts)
		}
		for _, a := range acts {
			entry := ">" + a + "<"
			if f.Name == "grad_profile_relative" || strings.HasPrefix(f.Name, "signal_") || f.Name == "jacobian_spectrum" {
				entry = ">" + a + ": "
			}
			if !strings.Contains(svg, entry) {
				t.Errorf("%s.svg has no legend entry %q", f.Name, entry)
			}
		}
	}
	// One colour scale: every heat map's colour bar has the same ticks
	// (the runs' own ranges differ by decades).
	for _, a := range acts {
		if heatText[a] != heatText["sigmoid"] {
			t.Errorf("heatmap_%s's numbers %s differ from heatmap_sigmoid's %s", a, heatText[a], heatText["sigmoid"])
		}
	}
	rel := readFile(t, filepath.Join(dir, "grad_profile_relative.svg"))
	for _, want := range []string{`sigmoid: 0\.3\d* vanishing`, `gelu: 1\.5\d* exploding`, `relu: 1\.0\d* healthy`, `predicted gain\^distance`, `gain \(predicted\), verdict`} {
		if !regexp.MustCompile(want).MatchString(rel) {
			t.Errorf("grad_profile_relative.svg lacks %q", want)
		}
	}
	// The signal figures give each run's gain: leakyrelu's outputs shrink
	// 0.7× per layer toward the output, sigmoid's error 0.3× toward the
	// input.
	if svg := readFile(t, filepath.Join(dir, "signal_forward.svg")); !strings.Contains(svg, ">leakyrelu: 0.7<") || !strings.Contains(svg, ">sigmoid: 1<") {
		t.Error("signal_forward.svg lacks the gains leakyrelu: 0.7 and sigmoid: 1")
	}
	if svg := readFile(t, filepath.Join(dir, "signal_delta.svg")); !strings.Contains(svg, ">sigmoid: 0.3<") || !strings.Contains(svg, ">gelu: 1.5<") {
		t.Error("signal_delta.svg lacks the gains sigmoid: 0.3 and gelu: 1.5")
	}
	if !regexp.MustCompile(`leakyrelu: 1\.0\d* healthy gradients, vanishing forward signal`).MatchString(rel) {
		t.Error("grad_profile_relative.svg lacks leakyrelu's verdict with the forward reading")
	}
	if svg := readFile(t, filepath.Join(dir, "jacobian_spectrum.svg")); !strings.Contains(svg, ">tanh: mean σ² 0.107<") {
		t.Error("jacobian_spectrum.svg lacks tanh's mean σ² 0.8^10 = 0.107")
	}
	if h := readFile(t, filepath.Join(dir, "grad_hist_relu.svg")); !strings.Contains(h, "first step (1)") || !strings.Contains(h, "last step (30)") {
		t.Error("grad_hist_relu.svg lacks its legend")
	}
}

// svgNumbers returns the numbers written as text in an SVG, in order.
func svgNumbers(svg string) string {
	return strings.Join(regexp.MustCompile(`>(-?[0-9.]+)<`).FindAllString(svg, -1), " ")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFiguresWithoutStats(t *testing.T) {
	t.Parallel()
	runs := fakeRuns()
	for _, r := range runs {
		r.Stats, r.Jacobian = nil, nil
	}
	dir := t.TempDir()
	figs, err := Figures(runs, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range figs {
		if strings.HasPrefix(f.Name, "act_") || strings.HasPrefix(f.Name, "signal_") || f.Name == "jacobian_spectrum" {
			t.Errorf("figure %s drawn without activation statistics", f.Name)
		}
	}
	if len(figs) != 3+2*len(acts)+3 {
		t.Errorf("%d figures: %v", len(figs), figureNames(figs))
	}
}

// allNaN sets every value of r to NaN.
func allNaN(r *rundir.Run) {
	nan := math.NaN()
	for i := range r.Steps {
		s := &r.Steps[i]
		s.Loss, s.BatchAcc, s.Norms.Global = nan, nan, nan
		for l := range s.Norms.Params {
			s.Norms.Params[l].L2 = nan
		}
	}
	for i := range r.Epochs {
		r.Epochs[i].TestAccuracy, r.Epochs[i].TrainLoss = nan, nan
	}
	for i := range r.Stats {
		r.Stats[i].Std, r.Stats[i].Saturated, r.Stats[i].Dead = nan, nan, nan
		r.Stats[i].OutRMS, r.Stats[i].DeltaRMS = nan, nan
	}
	for _, sv := range r.Jacobian {
		for i := range sv {
			sv[i] = nan
		}
	}
}

func TestFiguresRobust(t *testing.T) {
	tests := []struct {
		name string
		runs func() []*rundir.Run
	}{
		{"single step", func() []*rundir.Run {
			return []*rundir.Run{fakeRun("sigmoid", 6, 1, 1, 0.3), fakeRun("relu", 6, 1, 1, 1)}
		}},
		{"all NaN", func() []*rundir.Run {
			r := fakeRun("tanh", 6, 30, 2, 0.8)
			allNaN(r)
			return []*rundir.Run{r}
		}},
		{"one run all NaN", func() []*rundir.Run {
			runs := fakeRuns()
			allNaN(runs[3])
			return runs
		}},
		{"all zero norms", func() []*rundir.Run {
			r := fakeRun("relu", 6, 30, 2, 0)
			for i := range r.Steps {
				r.Steps[i].Norms.Global = 0
			}
			return []*rundir.Run{r}
		}},
		{"no steps, epochs or stats", func() []*rundir.Run {
			r := fakeRun("gelu", 6, 0, 0, 1)
			return []*rundir.Run{r, fakeRun("relu", 6, 30, 2, 1)}
		}},
		{"mixed depths and huge range", func() []*rundir.Run {
			return []*rundir.Run{fakeRun("sigmoid", 20, 30, 1, 0.01), fakeRun("tanh", 3, 30, 1, 100)}
		}},
		{"unknown and repeated names", func() []*rundir.Run {
			a, b, c := fakeRun("swish", 4, 10, 1, 1), fakeRun("swish", 4, 10, 1, 0.9), fakeRun("", 4, 10, 1, 1)
			c.Dir = ""
			return []*rundir.Run{a, b, c}
		}},
		{"many steps", func() []*rundir.Run { return []*rundir.Run{fakeRun("relu", 3, 1000, 1, 1)} }},
		{"extreme values", func() []*rundir.Run {
			r := fakeRun("sigmoid", 4, 10, 1, 1)
			r.Steps[0].Norms.Params[0].L2 = 5e-324
			r.Steps[1].Norms.Params[2].L2 = math.MaxFloat64
			r.Steps[2].Norms.Global = -1
			r.Steps[3].Loss = math.Inf(-1)
			return []*rundir.Run{r}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			runs := tt.runs()
			dir := testDir(t, "robust-"+strings.ReplaceAll(tt.name, " ", "-"))
			figs, err := Figures(runs, dir)
			if err != nil {
				t.Fatal(err)
			}
			heatmaps := 0
			for _, f := range figs {
				checkFiles(t, dir, f)
				if strings.HasPrefix(f.Name, "heatmap_") {
					heatmaps++
				} else if !strings.HasPrefix(f.Name, "grad_hist_") && len(f.Series) != len(runs) {
					t.Errorf("%s: series %v for %d runs", f.Name, f.Series, len(runs))
				}
			}
			if heatmaps != len(runs) {
				t.Errorf("%d heat maps for %d runs: %v", heatmaps, len(runs), figureNames(figs))
			}
		})
	}
}

func TestFiguresErrors(t *testing.T) {
	tests := []struct {
		name string
		runs []*rundir.Run
	}{
		{"no runs", nil},
		{"nil run", []*rundir.Run{fakeRun("relu", 3, 3, 1, 1), nil}},
	}
	for _, tt := range tests {
		if _, err := Figures(tt.runs, t.TempDir()); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestCurves(t *testing.T) {
	t.Parallel()
	dir := testDir(t, "curves")
	xs, names, ys, dys := testCurves(101)
	figs, err := Curves(dir, xs, names, ys, dys)
	if err != nil {
		t.Fatal(err)
	}
	if got := figureNames(figs); !slices.Equal(got, []string{"curves", "derivatives"}) {
		t.Fatalf("figures %v", got)
	}
	for _, f := range figs {
		svg := checkFiles(t, dir, f)
		if !slices.Equal(f.Series, names) {
			t.Errorf("%s: series %v, want %v", f.Name, f.Series, names)
		}
		for _, n := range names {
			if !strings.Contains(svg, ">"+n+"<") {
				t.Errorf("%s.svg has no legend entry %q", f.Name, n)
			}
		}
	}

	bad := []struct {
		name     string
		names    []string
		ys, dys  [][]float64
		wantFail bool
	}{
		{"no names", nil, nil, nil, true},
		{"fewer curves", names, ys[:2], dys, true},
		{"short curve", names[:1], [][]float64{ys[0][:3]}, dys[:1], true},
		{"one", names[:1], ys[:1], dys[:1], false},
	}
	for _, tt := range bad {
		_, err := Curves(t.TempDir(), xs, tt.names, tt.ys, tt.dys)
		if (err != nil) != tt.wantFail {
			t.Errorf("%s: error %v, want failure %v", tt.name, err, tt.wantFail)
		}
	}
}

func TestReport(t *testing.T) {
	t.Parallel()
	dir := testDir(t, "report")
	runs := fakeRuns()
	figs, err := Figures(runs, dir)
	if err != nil {
		t.Fatal(err)
	}
	xs, names, ys, dys := testCurves(51)
	cf, err := Curves(dir, xs, names, ys, dys)
	if err != nil {
		t.Fatal(err)
	}
	figs = append(cf, figs...)
	var rows []metrics.Row
	for _, r := range runs {
		rows = append(rows, r.Row())
	}
	config := "depth 6 <width> & 128\n```\nnested fence\n```"
	if err := Report(dir, "Gradient flow", config, rows, figs); err != nil {
		t.Fatal(err)
	}

	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	header := strings.SplitN(metrics.Markdown(rows), "\n", 2)[0]
	for _, want := range append([]string{"# Gradient flow", header, "nested fence", "gain"}, acts...) {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	for _, f := range figs {
		if !strings.Contains(string(md), "]("+f.Name+".png)") {
			t.Errorf("report.md does not show %s.png", f.Name)
		}
	}

	b, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	h := string(b)
	if n := strings.Count(h, `src="data:image/png;base64,`); n != len(figs) {
		t.Errorf("report.html embeds %d images, want %d", n, len(figs))
	}
	if n := strings.Count(h, `src="`); n != len(figs) {
		t.Errorf("report.html has %d src attributes, want %d (all data URIs)", n, len(figs))
	}
	for _, bad := range []string{"http://", "https://", "<link", "<script", "url("} {
		if strings.Contains(h, bad) {
			t.Errorf("report.html contains %q", bad)
		}
	}
	for _, want := range []string{"<table>", "<th>activation</th>", "<td>sigmoid</td>", "&lt;width&gt; &amp; 128", "<pre>",
		`<td class="vanishing">vanishing</td>`, `<td class="exploding">exploding</td>`, `<td class="healthy">healthy</td>`, "td.vanishing {",
		`<td class="vanishing">healthy gradients, vanishing forward signal</td>`, "<th>forward gain</th>", "<td>0.700</td>"} {
		if !strings.Contains(h, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, f := range figs {
		if !strings.Contains(h, html.EscapeString(f.Caption)) {
			t.Errorf("report.html lacks the caption of %s", f.Name)
		}
		// The title is drawn in the figure, not printed again.
		if strings.Contains(h, ">"+html.EscapeString(f.Title)+"<") || strings.Contains(string(md), "# "+f.Title) {
			t.Errorf("the report prints the title of %s besides the figure's own", f.Name)
		}
	}

	if err := Report(t.TempDir(), "x", "", rows, figs); err == nil {
		t.Error("Report without the figures' PNG files: no error")
	}
}

func TestDecadeTicks(t *testing.T) {
	tests := []struct {
		min, max  float64
		maxLabels int
		first     string
		last      string
	}{
		{1e-13, 10, 9, "1e-12", "1"},
		{0.1, 10, 3, "0.1", "10"},
		{1e-3, 1e3, 7, "0.001", "1000"},
		{1e-20, 1e20, 9, "1e-20", "1e20"},
	}
	for _, tt := range tests {
		var labels []string
		for _, tk := range (decadeTicks{}).Ticks(tt.min, tt.max) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if len(labels) == 0 || len(labels) > tt.maxLabels {
			t.Errorf("[%g, %g]: labels %v", tt.min, tt.max, labels)
			continue
		}
		if tt.first != "" && labels[0] != tt.first {
			t.Errorf("[%g, %g]: first label %q, want %q", tt.min, tt.max, labels[0], tt.first)
		}
		if labels[len(labels)-1] != tt.last {
			t.Errorf("[%g, %g]: last label %q, want %q", tt.min, tt.max, labels[len(labels)-1], tt.last)
		}
	}
	for _, r := range [][2]float64{{0, 1}, {-1, 1}, {1, 1}, {math.NaN(), 1}, {1, math.Inf(1)}} {
		if ticks := (decadeTicks{}).Ticks(r[0], r[1]); ticks != nil {
			t.Errorf("%v: ticks %v, want none", r, ticks)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		min, max float64
		want     []string
	}{
		{-12.7, -0.3, []string{"-12", "-10", "-8", "-6", "-4", "-2"}},
		{-0.93, 0.77, []string{"-0.8", "-0.6", "-0.4", "-0.2", "0.0", "0.2", "0.4", "0.6"}},
		{0, 1, []string{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}},
	}
	for _, tt := range tests {
		var labels []string
		for _, tk := range (niceTicks{}).Ticks(tt.min, tt.max) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if !slices.Equal(labels, tt.want) {
			t.Errorf("[%g, %g]: labels %v, want %v", tt.min, tt.max, labels, tt.want)
		}
	}
}

func TestSave(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		log    bool
		legend bool
		ok     bool
	}{
		{"plain", "plain", false, false, true},
		{"legend and log axis", "log", true, true, true},
		{"bad name", "a/b", false, false, false},
		{"empty name", "", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := newPlot("title", "x", "y")
			lines := []series{{Name: "relu", Color: rgb(0, 0, 0), XYs: []plotter.XY{{X: 1, Y: 1e-9}, {X: 2, Y: 3}}}}
			if _, err := addLines(p, map[bool]yScale{true: logY, false: linearY}[tt.log], lines); err != nil {
				t.Fatal(err)
			}
			if !tt.legend {
				p.Legend = plot.NewLegend()
			}
			p.Legend.XOffs = 1
			err := Save(p, dir, tt.file)
			if (err == nil) != tt.ok {
				t.Fatalf("error %v, want success %v", err, tt.ok)
			}
			if p.Legend.XOffs != 1 || p.Y.Label.Text != "y" {
				t.Errorf("Save changed the plot: legend offset %v, Y label %q", p.Legend.XOffs, p.Y.Label.Text)
			}
			if tt.ok {
				checkFiles(t, dir, Figure{Name: tt.file, Title: "t", Caption: "c"})
			}
		})
	}
}
