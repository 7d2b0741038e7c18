package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Evaluate returns φ(x) and φ′(x) at every x in xs, in float64. φ′ comes
// from Gorgonia's symbolic differentiation of the same nodes that training
// graphs use: it is the gradient of Σφ(x) with respect to x.
func Evaluate(act Activation, xs []float64) (ys, dys []float64, err error) {
	if len(xs) == 0 {
		return nil, nil, nil
	}
	vm, y, dy, err := derivativeMachine(act, xs)
	if err != nil {
		return nil, nil, err
	}
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", act.Name, err)
	}
	ys = append([]float64(nil), (*y).Data().([]float64)...)
	dys = append([]float64(nil), (*dy).Data().([]float64)...)
	return ys, dys, nil
}

// derivativeMachine builds and compiles the graph of Evaluate, under
// buildMu; the returned values are filled when the machine runs.
func derivativeMachine(act Activation, xs []float64) (vm G.VM, y, dy *G.Value, err error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	g := G.NewGraph()
	in := tensor.New(tensor.WithShape(len(xs)), tensor.WithBacking(append([]float64(nil), xs...)))
	x := G.NewVector(g, tensor.Float64, G.WithShape(len(xs)), G.WithName("x"), G.WithValue(in))
	yn, err := act.Apply(x)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", act.Name, err)
	}
	sum, err := G.Sum(yn)
	if err != nil {
		return nil, nil, nil, err
	}
	grads, err := G.Grad(sum, x)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s derivative: %w", act.Name, err)
	}
	y, dy = new(G.Value), new(G.Value)
	G.Read(yn, y)
	G.Read(grads[0], dy)
	if vm, err = compile(g); err != nil {
		return nil, nil, nil, err
	}
	return vm, y, dy, nil
}
