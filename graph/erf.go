package graph

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Erf returns a node computing the Gauss error function of x element-wise.
// Gorgonia has no erf of its own; the op's gradient is built symbolically
// from existing nodes as 2/√π·exp(−x²), so graphs that use Erf stay fully
// differentiable by Gorgonia's symbolic differentiation.
func Erf(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(erfOp{}, x)
}

// erfOp is the element-wise error function.
type erfOp struct{}

func (erfOp) Arity() int { return 1 }

func (erfOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}

func (erfOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != 1 || in[0] == nil {
		return nil, fmt.Errorf("erf: want one input shape, got %d", len(in))
	}
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("erf: input shape has type %T", in[0])
	}
	return s.Clone(), nil
}

func (op erfOp) Do(in ...G.Value) (G.Value, error) {
	return op.UsePreallocDo(nil, in...)
}

// UsePreallocDo computes erf into prealloc when it is a tensor of the
// input's dtype and shape (the register a TapeMachine kept from the last
// run), else into a new one.
func (erfOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("erf: want 1 input, got %d", len(in))
	}
	switch v := in[0].(type) {
	case *tensor.Dense:
		out := reuse(prealloc, v.Dtype(), v.Shape())
		switch src := v.Data().(type) {
		case []float64:
			dst := out.Data().([]float64)
			for i, x := range src {
				dst[i] = math.Erf(x)
			}
		case []float32:
			erf32(out.Data().([]float32), src)
		default:
			return nil, fmt.Errorf("erf: unsupported dtype %v", v.Dtype())
		}
		return out, nil
	case *G.F64:
		return G.NewF64(math.Erf(float64(*v))), nil
	case *G.F32:
		y := []float32{float32(*v)}
		erf32(y, y)
		return G.NewF32(y[0]), nil
	default:
		return nil, fmt.Errorf("erf: unsupported value %T", in[0])
	}
}

func (erfOp) ReturnsPtr() bool     { return false }
func (erfOp) OverwritesInput() int { return -1 }
func (erfOp) String() string       { return "erf" }

func (erfOp) WriteHash(h hash.Hash) { fmt.Fprint(h, "erf") }

func (op erfOp) Hashcode() uint32 { return hashOf(op) }

func (erfOp) DiffWRT(inputs int) []bool { return []bool{true} }

// SymDiff returns erf′(x) ⊙ grad, with erf′ its own op (erfGradOp).
func (erfOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	d, err := G.ApplyOp(erfGradOp{}, inputs[0])
	if err != nil {
		return nil, err
	}
	dx, err := G.HadamardProd(d, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// erfGradOp is erf's derivative 2/√π·exp(−x²), element-wise, in one pass
// into a kept register: in float64 as math.Exp gives it, in float32 from
// erfGrad32's table.
type erfGradOp struct{}

// twoOverSqrtPi is erf′(0), computed as the node chain's constant was.
var twoOverSqrtPi = 2 / math.Sqrt(math.Pi)

func (erfGradOp) Arity() int                                        { return 1 }
func (erfGradOp) Type() hm.Type                                     { return erfOp{}.Type() }
func (erfGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) { return erfOp{}.InferShape(in...) }
func (erfGradOp) ReturnsPtr() bool                                  { return false }
func (erfGradOp) CallsExtern() bool                                 { return false }
func (erfGradOp) OverwritesInput() int                              { return -1 }
func (erfGradOp) String() string                                    { return "erf′" }
func (erfGradOp) WriteHash(h hash.Hash)                             { fmt.Fprint(h, "erf′") }

func (op erfGradOp) Hashcode() uint32 { return hashOf(op) }

func (op erfGradOp) Do(in ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, in...) }

// UsePreallocDo computes erf′ into prealloc when it fits, else into a new
// tensor.
func (erfGradOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("erf′: want 1 input, got %d", len(in))
	}
	v, ok := in[0].(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("erf′: unsupported value %T", in[0])
	}
	out := reuse(prealloc, v.Dtype(), v.Shape())
	switch src := v.Data().(type) {
	case []float64:
		dst := out.Data().([]float64)
		for i, x := range src {
			dst[i] = math.Exp(-(x * x)) * twoOverSqrtPi
		}
	case []float32:
		erfGrad32(out.Data().([]float32), src)
	default:
		return nil, fmt.Errorf("erf′: unsupported dtype %v", v.Dtype())
	}
	return out, nil
}

func (erfGradOp) DiffWRT(int) []bool { return []bool{true} }

// SymDiff returns erf″(x) ⊙ grad = −2x·erf′(x) ⊙ grad.
func (erfGradOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	x := inputs[0]
	m2x, err := G.Mul(x, scalar(x.Dtype(), -2))
	if err != nil {
		return nil, err
	}
	d, err := G.HadamardProd(m2x, output)
	if err != nil {
		return nil, err
	}
	dx, err := G.HadamardProd(d, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}

// scalar returns a constant of the given float dtype.
func scalar(dt tensor.Dtype, v float64) *G.Node {
	if dt == tensor.Float32 {
		return G.NewConstant(float32(v))
	}
	return G.NewConstant(v)
}
