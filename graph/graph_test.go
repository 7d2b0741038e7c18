package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// randDense returns a rows×cols float64 tensor of N(0, std²) values.
func randDense(r *rand.Rand, rows, cols int, std float64) *tensor.Dense {
	xs := make([]float64, rows*cols)
	for i := range xs {
		xs[i] = r.NormFloat64() * std
	}
	return tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(xs))
}

// relErr is ‖a−b‖ / max(‖a‖, ‖b‖), 0 when both are zero.
func relErr(a, b []float64) float64 {
	var d, na, nb float64
	for i := range a {
		d += (a[i] - b[i]) * (a[i] - b[i])
		na += a[i] * a[i]
		nb += b[i] * b[i]
	}
	den := math.Sqrt(math.Max(na, nb))
	if den == 0 {
		return 0
	}
	return math.Sqrt(d) / den
}

// numGrad returns the central-difference gradient of loss() with respect
// to every element of xs, changing xs in place and restoring it.
func numGrad(t *testing.T, xs []float64, loss func() float64) []float64 {
	t.Helper()
	const h = 1e-6
	g := make([]float64, len(xs))
	for i := range xs {
		x := xs[i]
		xs[i] = x + h
		up := loss()
		xs[i] = x - h
		down := loss()
		xs[i] = x
		g[i] = (up - down) / (2 * h)
	}
	return g
}

func runLoss(t *testing.T, vm G.VM, loss *G.Node) float64 {
	t.Helper()
	vm.Reset()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	return loss.Value().Data().(float64)
}

// variants are the network structures the gradient tests cover.
var variants = []struct {
	name                string
	residual, layerNorm bool
}{{"plain", false, false}, {"residual", true, false}, {"layernorm", false, true}, {"residual+layernorm", true, true}}

// randParams returns random parameters for spec: weights N(0, 0.8²),
// biases N(0, 0.3²), LayerNorm gains 1 + N(0, 0.3²) and biases N(0, 0.3²),
// so that no parameter sits at its initial value.
func randParams(r *rand.Rand, spec Spec) Params {
	var p Params
	for _, d := range spec.Declare() {
		scale := map[string]float64{Weight: 0.8, Bias: 0.3, LNGain: 0.3, LNBias: 0.3}[d.Kind]
		v := randDense(r, d.Shape[0], d.Shape[1], scale)
		if d.Kind == LNGain {
			for i, x := range v.Data().([]float64) {
				v.Data().([]float64)[i] = 1 + x
			}
		}
		p = append(p, Param{Layer: d.Layer, Kind: d.Kind, Value: v})
	}
	return p
}

// TestMLPGradients checks every parameter gradient of a small network
// against central differences, for every activation, plain, with
// residual connections, with LayerNorm and with both, in float64.
func TestMLPGradients(t *testing.T) {
	for _, name := range Names() {
		for _, v := range variants {
			t.Run(name+"/"+v.name, func(t *testing.T) {
				act, err := Lookup(name, 0.1)
				if err != nil {
					t.Fatal(err)
				}
				r := rand.New(rand.NewPCG(7, 7))
				spec := Spec{In: 5, Depth: 3, Width: 4, Classes: 3, Batch: 4, Act: act, Dtype: tensor.Float64, Residual: v.residual, LayerNorm: v.layerNorm}
				p := randParams(r, spec)
				m, err := Build(spec, p, true)
				if err != nil {
					t.Fatal(err)
				}
				y := tensor.New(tensor.WithShape(4, 3), tensor.WithBacking([]float64{1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0}))
				if err := G.Let(m.X, randDense(r, 4, 5, 1)); err != nil {
					t.Fatal(err)
				}
				if err := G.Let(m.Y, y); err != nil {
					t.Fatal(err)
				}
				vm := G.NewTapeMachine(m.G)
				defer vm.Close()
				runLoss(t, vm, m.Loss)
				var analytic [][]float64
				for _, g := range m.Grads {
					analytic = append(analytic, append([]float64(nil), g.Value().Data().([]float64)...))
				}
				for i, param := range p {
					num := numGrad(t, param.Value.Data().([]float64), func() float64 { return runLoss(t, vm, m.Loss) })
					if e := relErr(analytic[i], num); e > 1e-6 {
						t.Errorf("%v: relative error %.3g\nanalytic %v\nnumeric  %v", param, e, analytic[i], num)
					}
				}
			})
		}
	}
}

// TestDeclare checks the parameters each structure declares: LayerNorm
// adds a gain and a bias to every hidden layer, after its weight and bias;
// residual connections add none.
func TestDeclare(t *testing.T) {
	act, _ := Lookup("tanh", 0)
	spec := Spec{In: 5, Depth: 2, Width: 4, Classes: 3, Act: act, LayerNorm: true, Residual: true}
	var got []string
	for _, d := range spec.Declare() {
		got = append(got, fmt.Sprintf("%d %s %v", d.Layer, d.Kind, d.Shape))
	}
	want := []string{"0 weight (5, 4)", "0 bias (1, 4)", "0 ln_gain (1, 4)", "0 ln_bias (1, 4)",
		"1 weight (4, 4)", "1 bias (1, 4)", "1 ln_gain (1, 4)", "1 ln_bias (1, 4)", "2 weight (4, 3)", "2 bias (1, 3)"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("Declare = %q\nwant      %q", got, want)
	}
	spec.LayerNorm = false
	if n := len(spec.Declare()); n != 6 {
		t.Errorf("residual network declares %d parameters, want 6", n)
	}
	if spec.IsResidual(0) || !spec.IsResidual(1) || spec.IsResidual(2) || spec.Plain() {
		t.Error("IsResidual or Plain wrong for depth 2")
	}
}

// TestMLPForward computes the logits of a network with residual
// connections and LayerNorm by hand and compares them with the graph's:
// the first layer is not residual, every later hidden one is, each hidden
// layer's pre-activation is normalised over its units with the biased
// variance and ε inside the root, and Pre holds what the activation got.
func TestMLPForward(t *testing.T) {
	act, _ := Lookup("tanh", 0)
	r := rand.New(rand.NewPCG(3, 9))
	spec := Spec{In: 5, Depth: 3, Width: 4, Classes: 3, Batch: 2, Act: act, Dtype: tensor.Float64, Residual: true, LayerNorm: true}
	p := randParams(r, spec)
	m, err := Build(spec, p, false)
	if err != nil {
		t.Fatal(err)
	}
	x := randDense(r, 2, 5, 1)
	if err := G.Let(m.X, x); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(m.G)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	got := m.Logits.Value().Data().([]float64)
	for row := 0; row < 2; row++ {
		h := x.Data().([]float64)[row*5 : row*5+5]
		for i := 0; i < spec.Layers(); i++ {
			in, out := spec.LayerShape(i)
			w, b := p.Find(i, Weight).Data().([]float64), p.Find(i, Bias).Data().([]float64)
			z := make([]float64, out)
			for j := range z {
				z[j] = b[j]
				for k := 0; k < in; k++ {
					z[j] += h[k] * w[k*out+j]
				}
			}
			if i == spec.Depth {
				if e := relErr(z, got[row*3:row*3+3]); e > 1e-12 {
					t.Errorf("row %d logits %v, want %v", row, got[row*3:row*3+3], z)
				}
				break
			}
			var mean, variance float64
			for _, v := range z {
				mean += v / float64(out)
			}
			for _, v := range z {
				variance += (v - mean) * (v - mean) / float64(out)
			}
			g, be := p.Find(i, LNGain).Data().([]float64), p.Find(i, LNBias).Data().([]float64)
			next := make([]float64, out)
			for j := range z {
				z[j] = (z[j]-mean)/math.Sqrt(variance+LayerNormEps)*g[j] + be[j]
				next[j] = math.Tanh(z[j])
				if i >= 1 {
					next[j] += h[j]
				}
			}
			if pre := m.Pre[i].Value().Data().([]float64)[row*out : row*out+out]; relErr(pre, z) > 1e-12 {
				t.Errorf("row %d layer %d: Pre %v, want %v", row, i, pre, z)
			}
			h = next
		}
	}
}

// TestLossGradient checks the log-softmax cross-entropy's gradient with
// respect to the logits against central differences and against the
// closed form (softmax − y)/batch.
func TestLossGradient(t *testing.T) {
	g := G.NewGraph()
	r := rand.New(rand.NewPCG(3, 4))
	xv := randDense(r, 3, 4, 3)
	x := G.NewMatrix(g, tensor.Float64, G.WithShape(3, 4), G.WithName("x"), G.WithValue(xv))
	y := G.NewMatrix(g, tensor.Float64, G.WithShape(3, 4), G.WithName("y"),
		G.WithValue(tensor.New(tensor.WithShape(3, 4), tensor.WithBacking([]float64{0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1}))))
	logp, err := LogSoftmax(x)
	if err != nil {
		t.Fatal(err)
	}
	loss, err := CrossEntropy(logp, y)
	if err != nil {
		t.Fatal(err)
	}
	grads, err := G.Grad(loss, x)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	runLoss(t, vm, loss)
	analytic := append([]float64(nil), grads[0].Value().Data().([]float64)...)
	xs := xv.Data().([]float64)
	closed := make([]float64, len(xs))
	ys := y.Value().Data().([]float64)
	for i := 0; i < 3; i++ {
		row := xs[i*4 : i*4+4]
		var z float64
		for _, v := range row {
			z += math.Exp(v)
		}
		for k, v := range row {
			closed[i*4+k] = (math.Exp(v)/z - ys[i*4+k]) / 3
		}
	}
	num := numGrad(t, xs, func() float64 { return runLoss(t, vm, loss) })
	if e := relErr(analytic, num); e > 1e-6 {
		t.Errorf("numeric: relative error %.3g", e)
	}
	if e := relErr(analytic, closed); e > 1e-12 {
		t.Errorf("closed form: relative error %.3g", e)
	}
}

// TestLogSoftmaxStable feeds rows whose logits differ by far more than
// float32's exp range; each row must still sum to probability one.
func TestLogSoftmaxStable(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		g := G.NewGraph()
		vals := []float64{100, 0, -100, -200, 1000, 999}
		var v *tensor.Dense
		if dt == tensor.Float32 {
			f := make([]float32, len(vals))
			for i := range vals {
				f[i] = float32(vals[i])
			}
			v = tensor.New(tensor.WithShape(3, 2), tensor.WithBacking(f))
		} else {
			v = tensor.New(tensor.WithShape(3, 2), tensor.WithBacking(append([]float64(nil), vals...)))
		}
		x := G.NewMatrix(g, dt, G.WithShape(3, 2), G.WithName("x"), G.WithValue(v))
		lp, err := LogSoftmax(x)
		if err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		want := []float64{-3.720076e-44, -100, 0, -100, -0.31326169, -1.31326169}
		got := toF64(lp.Value().Data())
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-5*math.Max(1, math.Abs(want[i])) {
				t.Errorf("%v: logsoftmax[%d] = %v, want %v", dt, i, got[i], want[i])
			}
		}
		vm.Close()
	}
}

func toF64(d any) []float64 {
	switch x := d.(type) {
	case []float32:
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = float64(v)
		}
		return out
	case []float64:
		return x
	}
	return nil
}

// TestErf compares the erf node with math.Erf in both dtypes and its
// gradient with 2/√π·exp(−x²).
func TestErf(t *testing.T) {
	xs := []float64{-4, -1.5, -0.3, 0, 0.2, 0.7, 2.5, 6}
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		g := G.NewGraph()
		var v *tensor.Dense
		tol := 1e-15
		if dt == tensor.Float32 {
			tol = 1e-7
			if CUDA {
				tol = 2.5e-7 // CUDA's erff: at most 2 ulp
			}
			f := make([]float32, len(xs))
			for i := range xs {
				f[i] = float32(xs[i])
			}
			v = tensor.New(tensor.WithShape(len(xs)), tensor.WithBacking(f))
		} else {
			v = tensor.New(tensor.WithShape(len(xs)), tensor.WithBacking(append([]float64(nil), xs...)))
		}
		x := G.NewVector(g, dt, G.WithShape(len(xs)), G.WithName("x"), G.WithValue(v))
		e := G.Must(Erf(x))
		s := G.Must(G.Sum(e))
		grads, err := G.Grad(s, x)
		if err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		got, dgot := toF64(e.Value().Data()), toF64(grads[0].Value().Data())
		for i, x := range xs {
			xi := toF64(v.Data())[i]
			if d := math.Abs(got[i] - math.Erf(xi)); d > tol {
				t.Errorf("%v: erf(%v) = %v, want %v", dt, x, got[i], math.Erf(xi))
			}
			want := 2 / math.Sqrt(math.Pi) * math.Exp(-xi*xi)
			if d := math.Abs(dgot[i] - want); d > 10*tol {
				t.Errorf("%v: erf'(%v) = %v, want %v", dt, x, dgot[i], want)
			}
		}
		vm.Close()
	}
}

// TestActivationValues checks each activation's forward values against
// its closed form.
func TestActivationValues(t *testing.T) {
	xs := []float64{-3, -0.5, -0.01, 0.01, 0.5, 3}
	ref := map[string]func(float64) float64{
		"sigmoid":   func(x float64) float64 { return 1 / (1 + math.Exp(-x)) },
		"tanh":      math.Tanh,
		"relu":      func(x float64) float64 { return math.Max(0, x) },
		"leakyrelu": func(x float64) float64 { return math.Max(0.2*x, x) },
		"gelu":      func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) },
	}
	for _, name := range Names() {
		act, err := Lookup(name, 0.2)
		if err != nil {
			t.Fatal(err)
		}
		f, ok := ref[name]
		if !ok {
			t.Fatalf("no reference for %s", name)
		}
		g := G.NewGraph()
		x := G.NewVector(g, tensor.Float64, G.WithShape(len(xs)), G.WithName("x"),
			G.WithValue(tensor.New(tensor.WithShape(len(xs)), tensor.WithBacking(append([]float64(nil), xs...)))))
		y := G.Must(act.Apply(x))
		vm := G.NewTapeMachine(g)
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		for i, v := range y.Value().Data().([]float64) {
			if want := f(xs[i]); math.Abs(v-want) > 1e-12 {
				t.Errorf("%s(%v) = %v, want %v", name, xs[i], v, want)
			}
		}
		vm.Close()
	}
}

func TestLookupUnknown(t *testing.T) {
	if _, err := Lookup("swish", 0); err == nil {
		t.Fatal("Lookup(swish) succeeded")
	}
}

// TestEvaluate checks the symbolic derivatives against the analytic ones
// and the saturation thresholds against the derivatives.
func TestEvaluate(t *testing.T) {
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	deriv := map[string]func(float64) float64{
		"sigmoid": func(x float64) float64 { return sig(x) * (1 - sig(x)) },
		"tanh":    func(x float64) float64 { return 1 - math.Tanh(x)*math.Tanh(x) },
		"relu": func(x float64) float64 {
			if x > 0 {
				return 1
			}
			return 0
		},
		"leakyrelu": func(x float64) float64 {
			if x > 0 {
				return 1
			}
			return 0.01
		},
		"gelu": func(x float64) float64 {
			return 0.5*(1+math.Erf(x/math.Sqrt2)) + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
		},
	}
	var xs []float64
	for x := -5.0; x <= 5; x += 0.01 {
		if math.Abs(x) > 1e-9 { // φ′ is undefined at the kink
			xs = append(xs, x)
		}
	}
	for _, name := range Names() {
		act, _ := Lookup(name, DefaultLeakySlope)
		_, dys, err := Evaluate(act, xs)
		if err != nil {
			t.Fatal(err)
		}
		peak := 0.0
		for i, x := range xs {
			if want := deriv[name](x); math.Abs(dys[i]-want) > 1e-12 {
				t.Fatalf("%s′(%v) = %v, want %v", name, x, dys[i], want)
			}
			peak = math.Max(peak, dys[i])
		}
		if math.Abs(peak-act.MaxSlope) > 1e-3 {
			t.Errorf("%s: peak derivative %v, MaxSlope %v", name, peak, act.MaxSlope)
		}
		if act.SaturatesBeyond > 0 {
			_, d, _ := Evaluate(act, []float64{act.SaturatesBeyond, -act.SaturatesBeyond})
			for _, v := range d {
				if want := SaturationLevel * act.MaxSlope; math.Abs(v-want) > 1e-12 {
					t.Errorf("%s: φ′ at the saturation threshold is %v, want %v", name, v, want)
				}
			}
		}
	}
}

func TestDriverVersion(t *testing.T) {
	for _, c := range []struct{ proc, want string }{
		{"NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.82.07  Sun Aug 10 00:00:00 UTC 2025\nGCC version:  gcc version 12.2.0\n", "580.82.07"},
		{"NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release Build\n", "580.65.06"},
		{"", "unknown"},
	} {
		if got := driverVersion(c.proc); got != c.want {
			t.Errorf("driverVersion(%q) = %q, want %q", c.proc, got, c.want)
		}
	}
}
