package jacobian

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func gaussian(r *rand.Rand, rows, cols int, std float64) *mat.Dense {
	d := make([]float64, rows*cols)
	for i := range d {
		d[i] = r.NormFloat64() * std
	}
	return mat.NewDense(rows, cols, d)
}

// orthogonal returns scale times a random n × n orthogonal matrix (the Q
// of a Gaussian matrix's QR decomposition).
func orthogonal(r *rand.Rand, n int, scale float64) *mat.Dense {
	var qr mat.QR
	qr.Factorize(gaussian(r, n, n, 1))
	var q mat.Dense
	qr.QTo(&q)
	q.Scale(scale, &q)
	return &q
}

func ones(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

// TestOfFiniteDifferences checks J against central differences of the
// network function h_0 ↦ h_L for a small tanh network whose first layer
// is not square and whose middle layers are residual.
func TestOfFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	shapes := [][2]int{{5, 4}, {4, 4}, {4, 4}, {4, 3}}
	residual := []bool{false, true, true, false}
	ws := make([]*mat.Dense, len(shapes))
	bs := make([][]float64, len(shapes))
	for l, s := range shapes {
		ws[l] = gaussian(r, s[0], s[1], 0.9)
		bs[l] = make([]float64, s[1])
		for i := range bs[l] {
			bs[l][i] = 0.3 * r.NormFloat64()
		}
	}
	// forward returns h_L, and each layer's φ′(z), for input h.
	forward := func(h []float64) ([]float64, [][]float64) {
		var slopes [][]float64
		for l, w := range ws {
			in, out := w.Dims()
			next := make([]float64, out)
			slope := make([]float64, out)
			for j := range out {
				z := bs[l][j]
				for i := range in {
					z += w.At(i, j) * h[i]
				}
				next[j] = math.Tanh(z)
				slope[j] = 1 - next[j]*next[j]
				if residual[l] {
					next[j] += h[j]
				}
			}
			slopes = append(slopes, slope)
			h = next
		}
		return h, slopes
	}
	h0 := []float64{0.5, -1, 0.25, 2, -0.75}
	_, slopes := forward(h0)
	var layers []Layer
	for l := range ws {
		layers = append(layers, Layer{W: ws[l], Slope: slopes[l], Residual: residual[l]})
	}
	j, err := Of(layers)
	if err != nil {
		t.Fatal(err)
	}
	if r, c := j.Dims(); r != 3 || c != 5 {
		t.Fatalf("J is %d × %d, want 3 × 5", r, c)
	}
	const eps = 1e-6
	for k := range h0 {
		up, down := append([]float64(nil), h0...), append([]float64(nil), h0...)
		up[k] += eps
		down[k] -= eps
		hu, _ := forward(up)
		hd, _ := forward(down)
		for i := range hu {
			num := (hu[i] - hd[i]) / (2 * eps)
			if d := math.Abs(j.At(i, k) - num); d > 1e-8 {
				t.Errorf("J[%d][%d] = %.10g, central difference %.10g", i, k, j.At(i, k), num)
			}
		}
	}
}

// TestOrthogonalLinear checks the closed form: a linear network (φ′ = 1)
// of L orthogonal layers scaled by σ_w has J = σ_w^L × an orthogonal
// matrix, so every singular value is σ_w^L = (σ_w²)^(L/2).
func TestOrthogonalLinear(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n, depth, sw2 = 16, 9, 1.5
	var layers []Layer
	for range depth {
		layers = append(layers, Layer{W: orthogonal(r, n, math.Sqrt(sw2)), Slope: ones(n)})
	}
	j, err := Of(layers)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := SingularValues(j)
	if err != nil {
		t.Fatal(err)
	}
	want := math.Pow(sw2, depth/2.0)
	for _, s := range sv {
		if math.Abs(s-want) > 1e-10*want {
			t.Fatalf("singular values %v, want all %v", sv, want)
		}
	}
	s := Summarise([][]float64{sv}, depth)
	if math.Abs(s.MeanSq-want*want) > 1e-9*want*want || math.Abs(s.Spread-1) > 1e-10 || s.Std > 1e-10*want || s.Log10Std > 1e-10 {
		t.Errorf("summary %+v", s)
	}
}

// TestGaussianSpreads checks that a product of Gaussian layers with the
// same mean squared singular value (σ_w² = 1: E[σ²] = 1) spreads its
// singular values over decades, where the orthogonal product of the same
// size has all of them at 1: the contrast behind dynamical isometry.
func TestGaussianSpreads(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const n, depth = 64, 16
	var gauss, orth []Layer
	for range depth {
		gauss = append(gauss, Layer{W: gaussian(r, n, n, 1/math.Sqrt(n)), Slope: ones(n)})
		orth = append(orth, Layer{W: orthogonal(r, n, 1), Slope: ones(n)})
	}
	summary := func(layers []Layer) Summary {
		j, err := Of(layers)
		if err != nil {
			t.Fatal(err)
		}
		sv, err := SingularValues(j)
		if err != nil {
			t.Fatal(err)
		}
		return Summarise([][]float64{sv}, depth)
	}
	g, o := summary(gauss), summary(orth)
	if g.MeanSq < 0.3 || g.MeanSq > 3 {
		t.Errorf("Gaussian mean σ² %v, want about 1", g.MeanSq)
	}
	if g.Spread < 1e3 || g.Max < 3 || g.Min > 0.01 || g.Log10Std < 0.3 {
		t.Errorf("Gaussian product not spread: %+v", g)
	}
	if math.Abs(o.Spread-1) > 1e-9 || math.Abs(o.MeanSq-1) > 1e-9 {
		t.Errorf("orthogonal product not isometric: %+v", o)
	}
}

func TestSummarise(t *testing.T) {
	s := Summarise([][]float64{{4, 1}, {2, 0.5}}, 3)
	want := Summary{Examples: 2, Layers: 3, Values: 4, Unresolved: 0, MeanSq: (16 + 1 + 4 + 0.25) / 4, Max: 4, Min: 0.5, Median: 1.5,
		Std: math.Sqrt(((4-1.875)*(4-1.875) + (1-1.875)*(1-1.875) + (2-1.875)*(2-1.875) + (0.5-1.875)*(0.5-1.875)) / 4), Spread: 8}
	if math.Abs(s.Std-want.Std) > 1e-15 {
		t.Errorf("std %v, want %v", s.Std, want.Std)
	}
	// log10 σ: 0.602, 0, 0.301, −0.301: mean 0.1505.
	if l := math.Sqrt((0.4515*0.4515 + 0.1505*0.1505 + 0.1505*0.1505 + 0.4515*0.4515) / 4); math.Abs(s.Log10Std-l) > 1e-3 {
		t.Errorf("log10 std %v, want %v", s.Log10Std, l)
	}
	s.Std, s.Log10Std = want.Std, 0
	if s != want {
		t.Errorf("Summarise = %+v, want %+v", s, want)
	}
	if u := Summarise([][]float64{{1, 1e-14, 1e-20, 0}, {1e-30}}, 2).Unresolved; u != 2 {
		t.Errorf("%d unresolved, want 2 (1e-20 and 0; 1e-14 is above 4ε, 1e-30 is its example's largest)", u)
	}
	if e := Summarise(nil, 2); !math.IsNaN(e.MeanSq) || e.Values != 0 {
		t.Errorf("empty: %+v", e)
	}
}

func TestOfErrors(t *testing.T) {
	w := mat.NewDense(3, 2, nil)
	for _, tc := range []struct {
		name   string
		layers []Layer
	}{
		{"none", nil},
		{"slopes", []Layer{{W: w, Slope: ones(3)}}},
		{"residual not square", []Layer{{W: w, Slope: ones(2), Residual: true}}},
		{"shapes", []Layer{{W: w, Slope: ones(2)}, {W: w, Slope: ones(2)}}},
	} {
		if _, err := Of(tc.layers); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}
