package graph

import (
	"fmt"
	"hash"
	"hash/fnv"
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

func (erfOp) Do(in ...G.Value) (G.Value, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("erf: want 1 input, got %d", len(in))
	}
	switch v := in[0].(type) {
	case *tensor.Dense:
		out := tensor.New(tensor.Of(v.Dtype()), tensor.WithShape(v.Shape().Clone()...))
		switch src := v.Data().(type) {
		case []float64:
			dst := out.Data().([]float64)
			for i, x := range src {
				dst[i] = math.Erf(x)
			}
		case []float32:
			dst := out.Data().([]float32)
			for i, x := range src {
				dst[i] = float32(math.Erf(float64(x)))
			}
		default:
			return nil, fmt.Errorf("erf: unsupported dtype %v", v.Dtype())
		}
		return out, nil
	case *G.F64:
		return G.NewF64(math.Erf(float64(*v))), nil
	case *G.F32:
		return G.NewF32(float32(math.Erf(float64(*v)))), nil
	default:
		return nil, fmt.Errorf("erf: unsupported value %T", in[0])
	}
}

func (erfOp) ReturnsPtr() bool     { return false }
func (erfOp) OverwritesInput() int { return -1 }
func (erfOp) String() string       { return "erf" }

func (erfOp) WriteHash(h hash.Hash) { fmt.Fprint(h, "erf") }

func (op erfOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (erfOp) DiffWRT(inputs int) []bool { return []bool{true} }

// SymDiff returns grad · 2/√π · exp(−x²).
func (erfOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	x := inputs[0]
	sq, err := G.Square(x)
	if err != nil {
		return nil, err
	}
	neg, err := G.Neg(sq)
	if err != nil {
		return nil, err
	}
	e, err := G.Exp(neg)
	if err != nil {
		return nil, err
	}
	scaled, err := G.Mul(e, scalar(x.Dtype(), 2/math.Sqrt(math.Pi)))
	if err != nil {
		return nil, err
	}
	dx, err := G.HadamardProd(scaled, grad)
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
