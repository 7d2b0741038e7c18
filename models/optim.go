package models

import (
	"fmt"
	"math"

	"github.com/gradbench/gradbench/metrics"
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
func adam[T float](o *Adam, m, v []float64, c1, c2 float64) func(w, g []T) {
	b1, b2, lr, eps := o.Beta1, o.Beta2, o.LR, o.Eps
	return func(w, g []T) {
		for j, x := range g {
			gj := float64(x)
			m[j] = b1*m[j] + (1-b1)*gj
			v[j] = b2*v[j] + (1-b2)*gj*gj
			w[j] -= T(lr * (m[j] / c1) / (math.Sqrt(v[j]/c2) + eps))
		}
	}
}

// Adam is the Adam optimiser with bias correction (Kingma & Ba), with
// PyTorch's defaults β1 = 0.9, β2 = 0.999, ε = 1e-8. Moments are kept in
// float64 whatever the parameters' dtype.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	t                     int
	m, v                  [][]float64
}

// State implements Optimizer: the slots are the first moments of every
// parameter followed by the second moments.
func (o *Adam) State() (int, [][]float64) {
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
	o.m, o.v = nil, nil
	if len(slots) > 0 {
		o.m, o.v = slots[:len(slots)/2], slots[len(slots)/2:]
	}
	return nil
}

// NewAdam returns Adam with learning rate lr and the default constants.
func NewAdam(lr float64) *Adam { return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

// Step implements Optimizer.
func (o *Adam) Step(params, grads []*tensor.Dense) error {
	if o.m == nil {
		o.m, o.v = zerosLike(params), zerosLike(params)
	}
	if err := checkSlots(o.m, params); err != nil {
		return err
	}
	if err := checkSlots(o.v, params); err != nil {
		return err
	}
	o.t++
	c1 := 1 - math.Pow(o.Beta1, float64(o.t))
	c2 := 1 - math.Pow(o.Beta2, float64(o.t))
	for i := range params {
		m, v := o.m[i], o.v[i]
		if err := apply(params[i], grads[i], adam[float32](o, m, v, c1, c2), adam[float64](o, m, v, c1, c2)); err != nil {
			return fmt.Errorf("adam param %d: %w", i, err)
		}
	}
	return nil
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
	switch wd := metrics.Data(w).(type) {
	case []float32:
		if gd, ok := metrics.Data(g).([]float32); ok && len(gd) == len(wd) {
			k32(wd, gd)
			return nil
		}
	case []float64:
		if gd, ok := metrics.Data(g).([]float64); ok && len(gd) == len(wd) {
			k64(wd, gd)
			return nil
		}
	default:
		return fmt.Errorf("unsupported dtype %v", w.Dtype())
	}
	return fmt.Errorf("gradient %v %v does not match weight %v %v", g.Dtype(), g.Shape(), w.Dtype(), w.Shape())
}
