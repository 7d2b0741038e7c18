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
	g := G.NewGraph()
	in := tensor.New(tensor.WithShape(len(xs)), tensor.WithBacking(append([]float64(nil), xs...)))
	x := G.NewVector(g, tensor.Float64, G.WithShape(len(xs)), G.WithName("x"), G.WithValue(in))
	y, err := act.Apply(x)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", act.Name, err)
	}
	sum, err := G.Sum(y)
	if err != nil {
		return nil, nil, err
	}
	grads, err := G.Grad(sum, x)
	if err != nil {
		return nil, nil, fmt.Errorf("%s derivative: %w", act.Name, err)
	}
	var yv, dv G.Value
	G.Read(y, &yv)
	G.Read(grads[0], &dv)
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", act.Name, err)
	}
	ys = append([]float64(nil), yv.Data().([]float64)...)
	dys = append([]float64(nil), dv.Data().([]float64)...)
	return ys, dys, nil
}
