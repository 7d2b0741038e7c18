package models

import (
	"fmt"
	"math"

	"github.com/gradbench/gradbench/graph/values"
	"gorgonia.org/tensor"
)

// Optimizer updates parameters in place from their gradients.
type Optimizer interface {
	// Step applies one update; params[i] and grads[i] have the same shape.
	Step(params, grads []*tensor.Dense) error
	// State returns the number of steps taken and the optimiser's slot
	// vectors (nil before the first step); SetState restores them.
	State() (steps int, slots [][]float64)
	SetState(steps int, slots [][]float64) error
}

// optimizers holds the optimisers of config.Optimizers by name, each built
// for a learning rate.
var optimizers = map[string]func(lr float64) Optimizer{
	"sgd":      func(lr float64) Optimizer { return &SGD{LR: lr} },
	"momentum": func(lr float64) Optimizer { return &SGD{LR: lr, Momentum: 0.9} },
	"adam":     func(lr float64) Optimizer { return NewAdam(lr) },
}

// NewOptimizer returns the optimiser called name with learning rate lr.
func NewOptimizer(name string, lr float64) (Optimizer, error) {
	mk, ok := optimizers[name]
	if !ok {
		return nil, fmt.Errorf("unknown optimizer %q", name)
	}
	return mk(lr), nil
}

// SGD is stochastic gradient descent with optional heavy-ball momentum,
// v ← μ·v + g, w ← w − lr·v (PyTorch's formulation).
type SGD struct {
	LR, Momentum float64
	steps        int
	vel          [][]float64
}

// State implements Optimizer.
func (o *SGD) State() (int, [][]float64) { return o.steps, o.vel }

// SetState implements Optimizer.
func (o *SGD) SetState(steps int, slots [][]float64) error {
	if o.Momentum == 0 && len(slots) != 0 {
		return fmt.Errorf("sgd without momentum has no state, got %d slots", len(slots))
	}
	o.steps, o.vel = steps, slots
	if len(slots) == 0 {
		o.vel = nil
	}
	return nil
}

// Step implements Optimizer.
func (o *SGD) Step(params, grads []*tensor.Dense) error {
	if o.Momentum != 0 && o.vel == nil {
		o.vel = zerosLike(params)
	}
	if err := checkSlots(o.vel, params); err != nil {
		return err
	}
	o.steps++
	for i := range params {
		var err error
		if o.Momentum == 0 {
			err = apply(params[i], grads[i], sgd[float32](o.LR), sgd[float64](o.LR))
		} else {
			vel := o.vel[i]
			err = apply(params[i], grads[i], momentum[float32](o.LR, o.Momentum, vel), momentum[float64](o.LR, o.Momentum, vel))
		}
		if err != nil {
			return fmt.Errorf("sgd param %d: %w", i, err)
		}
	}
	return nil
}

// float is a parameter element type.
type float interface{ ~float32 | ~float64 }

// sgd returns the kernel w −= lr·g.
func sgd[T float](lr float64) func(w, g []T) {
	return func(w, g []T) {
		for j, x := range g {
			w[j] -= T(lr * float64(x))
		}
	}
}

// momentum returns the kernel v ← μ·v + g, w −= lr·v.
func momentum[T float](lr, mu float64, vel []float64) func(w, g []T) {
	return func(w, g []T) {
		for j, x := range g {
			v := mu*vel[j] + float64(x)
			vel[j] = v
			w[j] -= T(lr * v)
		}
	}
}

// adam returns Adam's kernel for one parameter with moments m and v and
// bias corrections c1, c2.

// Adam is the Adam optimiser with bias correction (Kingma & Ba), with
// PyTorch's defaults β1 = 0.9, β2 = 0.999, ε = 1e-8, computed as
// PyTorch's (1.13, single-tensor) torch.optim.Adam does: moments in the
// parameters' dtype, m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g·g,
// w ← w − (lr/c1)·m / (√v/√c2 + ε) with cK = 1 − βK^t. TestAdamMatchesTorch
// checks it against a trajectory recorded from PyTorch.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	t                     int
	// m, v are the moments of float64 parameters, m32, v32 of float32
	// ones; restored slots wait in m and v until the first Step tells the
	// dtype.
	m, v     [][]float64
	m32, v32 [][]float32
}

// State implements Optimizer: the slots are the first moments of every
// parameter followed by the second moments, as float64 (exact for
// float32 moments).
func (o *Adam) State() (int, [][]float64) {
	if o.m32 != nil {
		return o.t, append(widen(o.m32), widen(o.v32)...)
	}
	if o.m == nil {
		return o.t, nil
	}
	return o.t, append(append([][]float64{}, o.m...), o.v...)
}

// SetState implements Optimizer.
func (o *Adam) SetState(steps int, slots [][]float64) error {
	if len(slots)%2 != 0 {
		return fmt.Errorf("adam state has %d slots, want an even number", len(slots))
	}
	o.t = steps
	o.m, o.v, o.m32, o.v32 = nil, nil, nil, nil
	if len(slots) > 0 {
		o.m, o.v = slots[:len(slots)/2], slots[len(slots)/2:]
	}
	return nil
}

// NewAdam returns Adam with learning rate lr and the default constants.
func NewAdam(lr float64) *Adam { return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

// Step implements Optimizer.
func (o *Adam) Step(params, grads []*tensor.Dense) error {
	if o.m == nil && o.m32 == nil {
		o.m, o.v = zerosLike(params), zerosLike(params)
	}
	if err := checkSlots(o.m, params); err != nil {
		return err
	}
	if err := checkSlots(o.v, params); err != nil {
		return err
	}
	if o.m32 == nil && len(params) > 0 && params[0].Dtype() == tensor.Float32 {
		o.m32, o.v32, o.m, o.v = narrow(o.m), narrow(o.v), nil, nil
	}
	o.t++
	c1 := 1 - math.Pow(o.Beta1, float64(o.t))
	c2 := 1 - math.Pow(o.Beta2, float64(o.t))
	stepSize, c2Sqrt := o.LR/c1, math.Sqrt(c2)
	for i := range params {
		k32 := func(w, g []float32) { adam32(o, o.m32[i], o.v32[i], w, g, stepSize, c2Sqrt) }
		k64 := func(w, g []float64) { adam64(o, o.m[i], o.v[i], w, g, stepSize, c2Sqrt) }
		if err := apply(params[i], grads[i], k32, k64); err != nil {
			return fmt.Errorf("adam param %d: %w", i, err)
		}
	}
	return nil
}

// adam32 is one Adam update of float32 parameters, every operation
// rounded to float32 as PyTorch's CPU kernels round them: the moments'
// "add with alpha" and "addcmul" are fused multiply-adds there (measured:
// with them all 26 values of each moment in TestAdamMatchesTorch's
// trajectory equal PyTorch's bit for bit, without them 5 and 20).
func adam32(o *Adam, m, v, w, g []float32, stepSize, c2Sqrt float64) {
	b1, b2 := float32(o.Beta1), float32(o.Beta2)
	a1, a2 := float32(1-o.Beta1), float32(1-o.Beta2)
	eps, ss, cs := float32(o.Eps), float32(stepSize), float32(c2Sqrt)
	for j, x := range g {
		mj := fma32(a1, x, float32(m[j]*b1))
		vj := fma32(float32(a2*x), x, float32(v[j]*b2))
		m[j], v[j] = mj, vj
		denom := float32(float32(math.Sqrt(float64(vj)))/cs) + eps
		w[j] += float32(-ss * float32(mj/denom))
	}
}

// adam64 is adam32 for float64 parameters.
func adam64(o *Adam, m, v, w, g []float64, stepSize, c2Sqrt float64) {
	b1, b2, a1, a2, eps := o.Beta1, o.Beta2, 1-o.Beta1, 1-o.Beta2, o.Eps
	for j, x := range g {
		mj := math.FMA(a1, x, float64(m[j]*b1))
		vj := math.FMA(float64(a2*x), x, float64(v[j]*b2))
		m[j], v[j] = mj, vj
		denom := float64(math.Sqrt(vj)/c2Sqrt) + eps
		w[j] += float64(-stepSize * float64(mj/denom))
	}
}

// fma32 is a·b + c rounded once to float64, then to float32 (the
// product of two float32 is exact in float64).
func fma32(a, b, c float32) float32 { return float32(math.FMA(float64(a), float64(b), float64(c))) }

func widen(xs [][]float32) [][]float64 {
	out := make([][]float64, len(xs))
	for i, x := range xs {
		out[i] = make([]float64, len(x))
		for j, v := range x {
			out[i][j] = float64(v)
		}
	}
	return out
}

func narrow(xs [][]float64) [][]float32 {
	out := make([][]float32, len(xs))
	for i, x := range xs {
		out[i] = make([]float32, len(x))
		for j, v := range x {
			out[i][j] = float32(v)
		}
	}
	return out
}

// checkSlots reports whether restored slots fit the parameters.
func checkSlots(slots [][]float64, params []*tensor.Dense) error {
	if slots == nil {
		return nil
	}
	if len(slots) != len(params) {
		return fmt.Errorf("optimiser state has %d slots for %d parameters", len(slots), len(params))
	}
	for i, p := range params {
		if len(slots[i]) != p.Shape().TotalSize() {
			return fmt.Errorf("optimiser state slot %d has %d values, parameter has %d", i, len(slots[i]), p.Shape().TotalSize())
		}
	}
	return nil
}

func zerosLike(ts []*tensor.Dense) [][]float64 {
	out := make([][]float64, len(ts))
	for i, t := range ts {
		out[i] = make([]float64, t.Shape().TotalSize())
	}
	return out
}

// apply runs the kernel for w's element type on the data of w and g.
func apply(w, g *tensor.Dense, k32 func(w, g []float32), k64 func(w, g []float64)) error {
	if wd, ok := values.Float32s(w); ok {
		if gd, ok := values.Float32s(g); ok && len(gd) == len(wd) {
			k32(wd, gd)
			return nil
		}
	} else if wd, ok := values.Float64s(w); ok {
		if gd, ok := values.Float64s(g); ok && len(gd) == len(wd) {
			k64(wd, gd)
			return nil
		}
	} else {
		return fmt.Errorf("unsupported dtype %v", w.Dtype())
	}
	return fmt.Errorf("gradient %v %v does not match weight %v %v", g.Dtype(), g.Shape(), w.Dtype(), w.Shape())
}
