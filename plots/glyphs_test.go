package plots

import (
	"testing"

	"github.com/gradbench/gradbench/graph"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// TestGlyphsCoverStyles checks that every activation's marker is a glyph
// figures can draw, and that each glyph draws without panicking.
func TestGlyphsCoverStyles(t *testing.T) {
	for _, name := range graph.Canonical {
		s, ok := style(name)
		if !ok || glyphs[s.Marker] == nil {
			t.Errorf("%s: marker %q is not a glyph", name, s.Marker)
		}
	}
	c := draw.New(vgimg.New(vg.Points(20), vg.Points(20)))
	for _, g := range glyphs {
		c.DrawGlyph(draw.GlyphStyle{Color: rgb(0, 0, 0), Radius: vg.Points(4), Shape: g}, vg.Point{X: 10, Y: 10})
	}
}
