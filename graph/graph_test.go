package graph

import (
	"fmt"
	"image/color"
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

// TestActivationValues checks each activation's graph and its Phi
// against a closed form written independently here, in float64.
func TestActivationValues(t *testing.T) {
	xs := []float64{-3, -0.5, -0.01, 0, 0.01, 0.5, 3}
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	sp := func(x float64) float64 { return math.Log(1 + math.Exp(x)) }
	const lambda, alpha = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717
	ref := map[string]func(float64) float64{
		"sigmoid":   sig,
		"tanh":      math.Tanh,
		"relu":      func(x float64) float64 { return math.Max(0, x) },
		"leakyrelu": func(x float64) float64 { return math.Max(0.2*x, x) },
		"gelu":      func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) },
		"silu":      func(x float64) float64 { return x / (1 + math.Exp(-x)) },
		"elu":       func(x float64) float64 { return math.Max(x, 0) + math.Min(math.Exp(x)-1, 0) },
		"selu":      func(x float64) float64 { return lambda * (math.Max(x, 0) + alpha*math.Min(math.Exp(x)-1, 0)) },
		"softplus":  sp,
		"mish":      func(x float64) float64 { return x * math.Tanh(sp(x)) },
		"gelu-tanh": func(x float64) float64 {
			return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*math.Pow(x, 3))))
		},
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
			want := f(xs[i])
			if math.Abs(v-want) > 1e-12 {
				t.Errorf("%s(%v) = %v, want %v", name, xs[i], v, want)
			}
			if p := act.Phi(xs[i]); math.Abs(p-want) > 1e-12 {
				t.Errorf("%s Phi(%v) = %v, want %v", name, xs[i], p, want)
			}
		}
		vm.Close()
	}
}

// TestActivationRange checks that every activation's graph stays finite
// and matches Phi far out on both sides, in float32 and float64: softplus
// and mish must not overflow e^x.
func TestActivationRange(t *testing.T) {
	xs := []float64{-1000, -100, -20, -1, 1, 20, 100, 1000}
	for _, name := range Names() {
		act, _ := Lookup(name, DefaultLeakySlope)
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			g := G.NewGraph()
			in := tensor.New(tensor.WithShape(len(xs)), tensor.WithBacking(append([]float64(nil), xs...)))
			if dt == tensor.Float32 {
				f := make([]float32, len(xs))
				for i, x := range xs {
					f[i] = float32(x)
				}
				in = tensor.New(tensor.WithShape(len(xs)), tensor.WithBacking(f))
			}
			x := G.NewVector(g, dt, G.WithShape(len(xs)), G.WithName("x"), G.WithValue(in))
			y := G.Must(act.Apply(x))
			vm := G.NewTapeMachine(g)
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			for i, x := range xs {
				var v float64
				if dt == tensor.Float32 {
					v = float64(y.Value().Data().([]float32)[i])
				} else {
					v = y.Value().Data().([]float64)[i]
				}
				want := act.Phi(x)
				if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v-want) > 1e-6*math.Max(1, math.Abs(want)) {
					t.Errorf("%s(%v) in %v = %v, want %v", name, x, dt, v, want)
				}
				if p := act.Phi(x); math.IsNaN(p) || math.IsInf(p, 0) {
					t.Errorf("%s Phi(%v) = %v", name, x, p)
				}
				if d := act.Deriv(x); math.IsNaN(d) || math.IsInf(d, 0) {
					t.Errorf("%s Deriv(%v) = %v", name, x, d)
				}
			}
			vm.Close()
		}
	}
}

func TestLookupUnknown(t *testing.T) {
	if _, err := Lookup("swish", 0); err == nil {
		t.Fatal("Lookup(swish) succeeded")
	}
}

// TestEvaluate checks every activation's Deriv against the gradient
// Gorgonia's differentiation of its graph gives (Evaluate) and against
// central differences of Phi, in float64, and the saturation thresholds
// against the derivatives. The grid includes 0, where Deriv must give the
// graph's value at a kink.
func TestEvaluate(t *testing.T) {
	var xs []float64
	for i := -1000; i <= 1000; i++ {
		xs = append(xs, float64(i)/100)
	}
	for _, name := range Names() {
		act, _ := Lookup(name, DefaultLeakySlope)
		_, dys, err := Evaluate(act, xs)
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range xs {
			want := act.Deriv(x)
			if d := math.Abs(dys[i] - want); d > 0 && d > 1e-6*math.Abs(want) {
				t.Errorf("%s′(%v): graph %v, Deriv %v (relative error %.3g)", name, x, dys[i], want, d/math.Abs(want))
			}
			if x == 0 { // the rectifiers' kink
				continue
			}
			const h = 1e-6
			if num := (act.Phi(x+h) - act.Phi(x-h)) / (2 * h); math.Abs(num-want) > 1e-6*math.Max(1, math.Abs(want)) {
				t.Errorf("%s′(%v): Deriv %v, central difference of Phi %v", name, x, want, num)
			}
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

// TestMaxSlope finds the supremum of each activation's φ′ numerically,
// on a fine grid over [-40, 40] and just left and right of 0, and checks
// MaxSlope against it; and that Saturating means φ′ → 0 on both sides.
func TestMaxSlope(t *testing.T) {
	for _, name := range Names() {
		act, _ := Lookup(name, DefaultLeakySlope)
		peak := 0.0
		for i := -400000; i <= 400000; i++ {
			peak = math.Max(peak, act.Deriv(float64(i)*1e-4))
		}
		peak = math.Max(peak, math.Max(act.Deriv(-1e-12), act.Deriv(1e-12)))
		if math.Abs(peak-act.MaxSlope) > 1e-6*act.MaxSlope {
			t.Errorf("%s: sup φ′ = %.9g, MaxSlope %.9g", name, peak, act.MaxSlope)
		}
		tails := act.Deriv(-40) < 1e-6 && act.Deriv(40) < 1e-6
		if tails != act.Saturating {
			t.Errorf("%s: φ′(±40) = %g, %g but Saturating %v", name, act.Deriv(-40), act.Deriv(40), act.Saturating)
		}
		if !act.Saturating && act.SaturatesBeyond != 0 {
			t.Errorf("%s: not saturating but SaturatesBeyond %v", name, act.SaturatesBeyond)
		}
	}
}

// TestStyles checks that every activation has a colour and a marker of
// its own.
func TestStyles(t *testing.T) {
	colors, markers := map[color.RGBA]string{}, map[string]string{}
	for _, name := range Names() {
		act, _ := Lookup(name, DefaultLeakySlope)
		if o, ok := colors[act.Style.Color]; ok {
			t.Errorf("%s and %s share colour %v", name, o, act.Style.Color)
		}
		if o, ok := markers[act.Style.Marker]; ok || act.Style.Marker == "" {
			t.Errorf("%s and %s share marker %q", name, o, act.Style.Marker)
		}
		colors[act.Style.Color], markers[act.Style.Marker] = name, name
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

// TestClassic checks that compare's default set is the original five.
func TestClassic(t *testing.T) {
	if got := strings.Join(Classic, ","); got != "sigmoid,tanh,relu,leakyrelu,gelu" {
		t.Errorf("Classic = %s", got)
	}
}
