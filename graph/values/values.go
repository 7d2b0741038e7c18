// Package values reads the elements of float tensors as typed slices.
// tensor.Dense's Data builds its slice through reflection and returns it
// boxed in an interface, three allocations a call; a training step reads
// a few hundred tensors, so the project's hot paths read them here
// instead, without allocating.
package values

import "gorgonia.org/tensor"

// Float32s returns t's elements when t is a non-scalar float32
// *tensor.Dense.
func Float32s(t tensor.Tensor) ([]float32, bool) {
	if d, ok := t.(*tensor.Dense); ok && !d.IsScalar() && d.Dtype() == tensor.Float32 {
		return d.Float32s(), true
	}
	return nil, false
}

// Float64s returns t's elements when t is a non-scalar float64
// *tensor.Dense.
func Float64s(t tensor.Tensor) ([]float64, bool) {
	if d, ok := t.(*tensor.Dense); ok && !d.IsScalar() && d.Dtype() == tensor.Float64 {
		return d.Float64s(), true
	}
	return nil, false
}
