package values

import (
	"testing"

	"gorgonia.org/tensor"
)

func TestFloats(t *testing.T) {
	a := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 3, 4}))
	b := tensor.New(tensor.WithShape(3), tensor.WithBacking([]float64{5, 6, 7}))
	if d, ok := Float32s(a); !ok || len(d) != 4 || d[3] != 4 {
		t.Errorf("Float32s(float32 matrix) = %v, %v", d, ok)
	}
	if _, ok := Float64s(a); ok {
		t.Error("Float64s accepted a float32 tensor")
	}
	if d, ok := Float64s(b); !ok || d[2] != 7 {
		t.Errorf("Float64s(float64 vector) = %v, %v", d, ok)
	}
	if _, ok := Float32s(tensor.New(tensor.FromScalar(float32(1)))); ok {
		t.Error("Float32s accepted a scalar")
	}
	// The point of the package: reading allocates nothing (Data allocates).
	if n := testing.AllocsPerRun(100, func() { Float32s(a); Float64s(b) }); n != 0 {
		t.Errorf("reading allocates %v times", n)
	}
}
