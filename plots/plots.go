package plots

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"git.sr.ht/~sbinet/gg"
	"github.com/gradbench/gradbench/graph"
	"github.com/gradbench/gradbench/models/rundir"
	xdraw "golang.org/x/image/draw"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Figure is one written figure: files Name+".png" and Name+".svg" in the
// output directory.
type Figure struct {
	Name, Title, Caption string
	// Series are the legend names of the lines, in order.
	Series []string
}

// Size and resolution of the written figures.
const (
	// Width and Height are the size of every figure: with DPI, a PNG of
	// 1575 × 984 pixels, sharp on a projector, with text sized for one.
	Width  = 20 * vg.Centimeter
	Height = 12.5 * vg.Centimeter
	// DPI is the resolution of the PNG files.
	DPI = 200
)

// Save writes p as dir/name.png and dir/name.svg, Width × Height, the PNG
// at DPI dots per inch. If p's legend has entries, Save draws it in a
// column to the right of the axes, top-aligned, so that it never covers
// data, and it draws the Y label of a log axis itself (see drawLogLabel);
// p is left as it was.
func Save(p *plot.Plot, dir, name string) error {
	return save(dir, name, func(c draw.Canvas) { drawWithLegend(p, c) })
}

// drawWithLegend draws p on c with its legend, if any, moved into a
// column right of the data area.
func drawWithLegend(p *plot.Plot, c draw.Canvas) {
	r := p.Legend.Rectangle(c)
	w := r.Max.X - r.Min.X
	if w <= 0 {
		drawLogLabel(p, c)
		return
	}
	gap := 0.4 * vg.Centimeter
	margin := 0.2 * vg.Centimeter
	xoffs, top, left := p.Legend.XOffs, p.Legend.Top, p.Legend.Left
	// A right-aligned legend is drawn against the right edge of the data
	// area; XOffs moves it past that edge into the space cropped off.
	p.Legend.XOffs, p.Legend.Top, p.Legend.Left = xoffs+w+gap, true, false
	defer func() { p.Legend.XOffs, p.Legend.Top, p.Legend.Left = xoffs, top, left }()
	drawLogLabel(p, draw.Crop(c, 0, -(w+gap+margin), 0, 0))
}

// drawLogLabel draws p on c. When p's Y axis is logarithmic, it draws the
// Y label itself, centred on the data area: gonum/plot places the label's
// glyph box at the arithmetic midpoint of the axis range, which on a log
// axis lies near the top and pads the plot with a wide empty band.
func drawLogLabel(p *plot.Plot, c draw.Canvas) {
	label := p.Y.Label.Text
	if _, ok := p.Y.Scale.(plot.LogScale); !ok || label == "" {
		p.Draw(c)
		return
	}
	p.Y.Label.Text = ""
	defer func() { p.Y.Label.Text = label }()
	sty := p.Y.Label.TextStyle
	h := sty.Height(label)
	inner := draw.Crop(c, h+sty.FontExtents().Descent+p.Y.Label.Padding, 0, 0, 0)
	p.Draw(inner)
	da := p.DataCanvas(inner)
	sty.Rotation += math.Pi / 2
	c.FillText(sty, vg.Point{X: c.Min.X + h - sty.FontExtents().Descent, Y: da.Center().Y}, label)
}

// save renders paint as dir/name.png and dir/name.svg.
func save(dir, name string, paint func(draw.Canvas)) (err error) {
	if name == "" || strings.ContainsAny(name, `/\`) {
		return fmt.Errorf("save figure: bad name %q", name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save figure %s: %w", name, err)
	}
	// gonum/plot reports drawing failures by panicking; turn a panic into
	// an error so that one bad figure does not stop the others.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("save figure %s: draw: %v", name, r)
		}
	}()
	png := rasterCanvas()
	paint(draw.New(png))
	if err := writeTo(filepath.Join(dir, name+".png"), vgimg.PngCanvas{Canvas: png}); err != nil {
		return fmt.Errorf("save figure %s: %w", name, err)
	}
	svg := vgsvg.New(Width, Height)
	paint(draw.New(svg))
	if err := writeTo(filepath.Join(dir, name+".svg"), svg); err != nil {
		return fmt.Errorf("save figure %s: %w", name, err)
	}
	return nil
}

// rasterCanvas returns a white Width × Height image canvas at DPI that
// scales images with nearest-neighbour interpolation, so that the cells of
// a rasterised heat map keep sharp edges.
func rasterCanvas() *vgimg.Canvas {
	w := int(math.Ceil(Width.Dots(DPI)))
	h := int(math.Ceil(Height.Dots(DPI)))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	ctx := gg.NewContextForRGBA(img)
	// As vgimg.NewWith sets up its own context.
	ctx.SetLineCapButt()
	ctx.InvertY()
	ctx.SetInterpolator(xdraw.NearestNeighbor)
	return vgimg.NewWith(vgimg.UseImageWithContext(img, ctx), vgimg.UseDPI(DPI))
}

// isRaster reports whether c draws to an image (PNG) rather than to a
// vector format.
func isRaster(c draw.Canvas) bool {
	_, ok := c.Canvas.(*vgimg.Canvas)
	return ok
}

// writeTo writes w's content to the file path.
func writeTo(path string, w io.WriterTo) error {
	var b bytes.Buffer
	if _, err := w.WriteTo(&b); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return rundir.WriteFileAtomic(path, b.Bytes())
}

// Fonts of the figures: the sans-serif Liberation face embedded in
// gonum.org/v1/plot.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// newPlot returns a plot with a title, axis labels, sans-serif text and
// niceTicks on both axes.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sans, 14)
	p.Title.Padding = 0.25 * vg.Centimeter
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Tick.Marker = niceTicks{}
		a.Label.TextStyle.Font = font.From(sans, 12)
		a.Tick.Label.Font = font.From(sans, 11)
	}
	p.Legend.TextStyle.Font = font.From(sans, 11)
	p.Legend.ThumbnailWidth = 0.8 * vg.Centimeter
	return p
}

// glyphs are the point markers an activation's Style may name.
var glyphs = map[string]draw.GlyphDrawer{
	"circle":   draw.CircleGlyph{},
	"box":      draw.BoxGlyph{},
	"triangle": draw.TriangleGlyph{},
	"cross":    draw.CrossGlyph{},
	"plus":     draw.PlusGlyph{},
	"ring":     draw.RingGlyph{},
	"square":   draw.SquareGlyph{},
	"pyramid":  draw.PyramidGlyph{},
	// gonum has eight glyphs; these three make one for each activation.
	"diamond":       diamondGlyph{},
	"asterisk":      asteriskGlyph{},
	"down-triangle": downTriangleGlyph{},
}

// diamondGlyph draws a filled square standing on a corner.
type diamondGlyph struct{}

// DrawGlyph implements draw.GlyphDrawer.
func (diamondGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius
	var p vg.Path
	p.Move(vg.Point{X: pt.X, Y: pt.Y + r})
	p.Line(vg.Point{X: pt.X + r, Y: pt.Y})
	p.Line(vg.Point{X: pt.X, Y: pt.Y - r})
	p.Line(vg.Point{X: pt.X - r, Y: pt.Y})
	p.Close()
	c.Fill(p)
}

// asteriskGlyph draws a plus over a cross: eight spokes.
type asteriskGlyph struct{}

// DrawGlyph implements draw.GlyphDrawer.
func (asteriskGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	draw.PlusGlyph{}.DrawGlyph(c, sty, pt)
	draw.CrossGlyph{}.DrawGlyph(c, sty, pt)
}

// downTriangleGlyph draws a filled triangle pointing down.
type downTriangleGlyph struct{}

// DrawGlyph implements draw.GlyphDrawer.
func (downTriangleGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius * 1.25
	var p vg.Path
	p.Move(vg.Point{X: pt.X, Y: pt.Y - r})
	p.Line(vg.Point{X: pt.X - r*0.866, Y: pt.Y + r/2})
	p.Line(vg.Point{X: pt.X + r*0.866, Y: pt.Y + r/2})
	p.Close()
	c.Fill(p)
}

// style returns the table style of the activation that name names (a
// label such as "tanh+residual" names tanh), and false for a name that
// names no activation.
func style(name string) (graph.Style, bool) {
	act, _, _ := strings.Cut(name, "+")
	a, err := graph.Lookup(act, graph.DefaultLeakySlope)
	return a.Style, err == nil
}

// shapesFor returns the marker of each name: the fixed marker of a known
// activation, else one of plotutil's shapes by position.
func shapesFor(names []string) []draw.GlyphDrawer {
	out := make([]draw.GlyphDrawer, len(names))
	for i, n := range names {
		if s, ok := style(n); ok && glyphs[s.Marker] != nil {
			out[i] = glyphs[s.Marker]
		} else {
			out[i] = plotutil.Shape(i)
		}
	}
	return out
}

// fallbackColors colour the names that are no activation, in order.
var fallbackColors = []color.Color{
	rgb(0x56, 0xB4, 0xE9), // sky blue
	rgb(0x00, 0x00, 0x00), // black
	rgb(0x88, 0x88, 0x88), // grey
	rgb(0x88, 0x22, 0x55), // wine
}

func rgb(r, g, b uint8) color.Color { return color.RGBA{R: r, G: g, B: b, A: 0xff} }

// colorsFor returns the colour of each name: the fixed colour of the
// activation it names, unless another name took that colour first (the
// plain and the residual run of one activation), else the next unused
// fallback colour. Equal names get equal colours.
func colorsFor(names []string) []color.Color {
	out := make([]color.Color, len(names))
	seen := map[string]color.Color{}
	owner := map[color.Color]string{}
	next := 0
	for i, n := range names {
		if c, ok := seen[n]; ok {
			out[i] = c
			continue
		}
		if s, ok := style(n); ok {
			if o, taken := owner[s.Color]; !taken || o == n {
				out[i], seen[n], owner[s.Color] = s.Color, s.Color, n
				continue
			}
		}
		if next < len(fallbackColors) {
			out[i] = fallbackColors[next]
		} else {
			out[i] = plotutil.Color(next - len(fallbackColors))
		}
		next++
		seen[n] = out[i]
	}
	return out
}

// finite reports whether x is neither NaN nor infinite.
func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// series is one line of a line plot.
type series struct {
	Name   string
	XYs    plotter.XYs
	Color  color.Color
	Dashes []vg.Length
	// Points draws a marker at every point; lines with fewer than
	// pointsBelow points get markers anyway, so a single point shows.
	Points bool
	Shape  draw.GlyphDrawer
	// NoLegend leaves the line out of the legend; NoPoints draws no
	// marker, however few its points (a reference line).
	NoLegend, NoPoints bool
}

const pointsBelow = 25

// yScale chooses the Y axis of a line plot.
type yScale int

const (
	linearY yScale = iota
	logY
	// autoY is logarithmic when every value is positive and they span
	// more than two decades, else linear.
	autoY
)

// plottable returns the points of xys that the Y scale can show: finite
// ones, and on a log scale those in [1e-300, 1e300], whose decades have
// finite bounds.
func plottable(xys plotter.XYs, log bool) plotter.XYs {
	var out plotter.XYs
	for _, p := range xys {
		if !finite(p.X) || !finite(p.Y) || (log && !(1e-300 <= p.Y && p.Y <= 1e300)) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// addLines adds lines to p on the Y scale ys, with legend entries, and
// reports whether any point could be drawn. Points the scale cannot show
// are dropped. If nothing can be drawn, the axes are left linear.
func addLines(p *plot.Plot, ys yScale, lines []series) (bool, error) {
	log := ys == logY
	if ys == autoY {
		lo, hi := math.Inf(1), math.Inf(-1)
		positive := true
		for _, l := range lines {
			for _, pt := range plottable(l.XYs, false) {
				lo, hi = math.Min(lo, pt.Y), math.Max(hi, pt.Y)
				positive = positive && pt.Y > 0
			}
		}
		log = positive && lo > 0 && hi/lo > 100
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	drawn := false
	for _, l := range lines {
		xys := plottable(l.XYs, log)
		style := draw.LineStyle{Color: l.Color, Width: vg.Points(1.8), Dashes: l.Dashes}
		var thumbs []plot.Thumbnailer
		if len(xys) > 0 {
			drawn = true
			for _, pt := range xys {
				lo, hi = math.Min(lo, pt.Y), math.Max(hi, pt.Y)
			}
			line, err := plotter.NewLine(xys)
			if err != nil {
				return false, fmt.Errorf("line %q: %w", l.Name, err)
			}
			line.LineStyle = style
			p.Add(line)
			thumbs = append(thumbs, line)
			if !l.NoPoints && (l.Points || len(xys) < pointsBelow) {
				sc, err := plotter.NewScatter(xys)
				if err != nil {
					return false, fmt.Errorf("points %q: %w", l.Name, err)
				}
				sc.GlyphStyle = draw.GlyphStyle{Color: l.Color, Radius: vg.Points(2.5), Shape: l.Shape}
				if sc.GlyphStyle.Shape == nil {
					sc.GlyphStyle.Shape = draw.CircleGlyph{}
				}
				p.Add(sc)
				thumbs = append(thumbs, sc)
			}
		}
		if l.NoLegend {
			continue
		}
		name := l.Name
		if len(xys) == 0 {
			name += " (no data)"
			thumbs = []plot.Thumbnailer{legendLine(style)}
		}
		p.Legend.Add(name, thumbs...)
	}
	if drawn && log {
		setLogY(p, lo, hi)
	}
	return drawn, nil
}

// legendLine is a legend thumbnail of a line style.
type legendLine draw.LineStyle

// Thumbnail implements plot.Thumbnailer.
func (l legendLine) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(draw.LineStyle(l), c.Min.X, y, c.Max.X, y)
}

// setLogY makes p's Y axis logarithmic over whole decades around the
// positive data range lo … hi, with decadeTicks.
func setLogY(p *plot.Plot, lo, hi float64) {
	e0 := math.Floor(math.Log10(lo) + 1e-9)
	e1 := math.Ceil(math.Log10(hi) - 1e-9)
	if e1 <= e0 {
		e1 = e0 + 1
	}
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = decadeTicks{}
	p.Y.Min, p.Y.Max = math.Pow(10, e0), math.Pow(10, e1)
}

// decadeTicks marks a logarithmic axis like plot.LogTicks, labelling
// powers of ten, but thins the labels to at most about eight so that an
// axis spanning many decades (vanishing gradients reach 1e-12) stays
// readable, and drops the 2…9 minor ticks there.
type decadeTicks struct{}

// Ticks implements plot.Ticker.
func (decadeTicks) Ticks(min, max float64) []plot.Tick {
	if !(min > 0 && max > min) || !finite(min) || !finite(max) {
		return nil
	}
	e0 := int(math.Floor(math.Log10(min) + 1e-9))
	e1 := int(math.Ceil(math.Log10(max) - 1e-9))
	step := 1
	for (e1-e0)/step > 8 {
		step++
	}
	var ticks []plot.Tick
	for e := e0; e <= e1; e++ {
		v := math.Pow(10, float64(e))
		t := plot.Tick{Value: v}
		if e%step == 0 {
			t.Label = decadeLabel(e)
		}
		ticks = append(ticks, t)
		if step == 1 && e < e1 {
			for m := 2; m < 10; m++ {
				ticks = append(ticks, plot.Tick{Value: float64(m) * v})
			}
		}
	}
	return ticks
}

// decadeLabel formats 10^e: plainly near 1, else as 1e<e>.
func decadeLabel(e int) string {
	if -3 <= e && e <= 3 {
		return strconv.FormatFloat(math.Pow(10, float64(e)), 'f', -1, 64)
	}
	return "1e" + strconv.Itoa(e)
}

// intTicks labels the integers lo … hi, at most about 12 of them, with
// the others as minor ticks.
type intTicks struct{ lo, hi int }

// Ticks implements plot.Ticker.
func (t intTicks) Ticks(_, _ float64) []plot.Tick {
	step := 1
	for (t.hi-t.lo)/step > 12 {
		step++
	}
	var ticks []plot.Tick
	for i := t.lo; i <= t.hi; i++ {
		tk := plot.Tick{Value: float64(i)}
		if (i-t.lo)%step == 0 {
			tk.Label = strconv.Itoa(i)
		}
		ticks = append(ticks, tk)
	}
	return ticks
}

// niceTicks labels a linear axis at about six round values (multiples of
// 1, 2 or 5 times a power of ten), formatted with as few digits as the
// step needs.
type niceTicks struct{}

// Ticks implements plot.Ticker.
func (niceTicks) Ticks(min, max float64) []plot.Tick {
	if !(max > min) || !finite(min) || !finite(max) {
		return nil
	}
	raw := (max - min) / 6
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	// The step of 1, 2, 5 or 10 times mag closest to raw, by ratio.
	step := mag
	for _, m := range []float64{2, 5, 10} {
		if math.Abs(math.Log(m*mag/raw)) < math.Abs(math.Log(step/raw)) {
			step = m * mag
		}
	}
	decimals := max0(-int(math.Floor(math.Log10(step) + 1e-9)))
	var ticks []plot.Tick
	for i := math.Ceil(min / step); i*step <= max+step*1e-9; i++ {
		v := i * step
		if math.Abs(v) < step*1e-9 {
			v = 0 // Not -0.
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', decimals, 64)})
		// A minor tick half-way.
		if h := v + step/2; h <= max {
			ticks = append(ticks, plot.Tick{Value: h})
		}
	}
	return ticks
}

func max0(n int) int { return max(n, 0) }
