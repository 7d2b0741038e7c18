package graph

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"github.com/gradbench/gradbench/graph/values"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BiasAdd returns xw + b with the row vector b (1 × n) added to every row
// of the matrix xw (rows × n), as one op whose gradient is built
// symbolically: grad for xw, and grad's column sums for b.
//
// Why not BroadcastAdd: it materialises b repeated to rows × n through
// Reshape, SizeOf and Repeat nodes every step, and its backward pass is
// an allocating Sum and Reshape. BiasAdd computes the same numbers (the
// same additions; column sums row after row, as the tensor package's Sum
// along axis 0) in place in kept registers.
func BiasAdd(xw, b *G.Node) (*G.Node, error) {
	if xw.Dims() != 2 || b.Dims() != 2 || b.Shape()[0] != 1 || b.Shape()[1] != xw.Shape()[1] {
		return nil, fmt.Errorf("bias add: shapes %v and %v, want (rows, n) and (1, n)", xw.Shape(), b.Shape())
	}
	return G.ApplyOp(biasAddOp{}, xw, b)
}

// biasAddOp is xw + b broadcast over rows.
type biasAddOp struct{}

func (biasAddOp) Arity() int { return 2 }

func (biasAddOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a, a)
}

func (biasAddOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("bias add: want 2 input shapes, got %d", len(in))
	}
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("bias add: input shape has type %T", in[0])
	}
	return s.Clone(), nil
}

func (biasAddOp) ReturnsPtr() bool      { return false }
func (biasAddOp) CallsExtern() bool     { return false }
func (biasAddOp) OverwritesInput() int  { return -1 }
func (biasAddOp) String() string        { return "biasadd" }
func (biasAddOp) WriteHash(h hash.Hash) { fmt.Fprint(h, "biasadd") }
func (op biasAddOp) Hashcode() uint32   { return hashOf(op) }

func (op biasAddOp) Do(in ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, in...) }

// UsePreallocDo computes xw + b into prealloc when it fits.
func (biasAddOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("bias add: want 2 inputs, got %d", len(in))
	}
	x, ok1 := in[0].(*tensor.Dense)
	b, ok2 := in[1].(*tensor.Dense)
	if !ok1 || !ok2 || x.Dtype() != b.Dtype() {
		return nil, fmt.Errorf("bias add: unsupported values %T and %T", in[0], in[1])
	}
	out := reuse(prealloc, x.Dtype(), x.Shape())
	n := x.Shape()[1]
	if xd, ok := values.Float32s(x); ok {
		o, _ := values.Float32s(out)
		bd, _ := values.Float32s(b)
		addRows(o, xd, bd, n)
	} else if xd, ok := values.Float64s(x); ok {
		o, _ := values.Float64s(out)
		bd, _ := values.Float64s(b)
		addRows(o, xd, bd, n)
	} else {
		return nil, fmt.Errorf("bias add: unsupported dtype %v", x.Dtype())
	}
	return out, nil
}

func addRows[T float32 | float64](dst, x, b []T, n int) {
	for i := 0; i < len(x); i += n {
		row, out := x[i:i+n], dst[i:i+n]
		for j, v := range row {
			out[j] = v + b[j]
		}
	}
}

func (biasAddOp) DiffWRT(int) []bool { return []bool{true, true} }

// SymDiff returns grad for xw and its column sums for b.
func (biasAddOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	db, err := G.ApplyOp(colSumOp{}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{grad, db}, nil
}

// colSumOp sums a matrix's rows into a 1 × n row: the bias gradient.
type colSumOp struct{}

func (colSumOp) Arity() int { return 1 }

func (colSumOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(a, a)
}

func (colSumOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if len(in) != 1 || !ok || len(s) != 2 {
		return nil, fmt.Errorf("column sum: want one matrix shape")
	}
	return tensor.Shape{1, s[1]}, nil
}

func (colSumOp) ReturnsPtr() bool      { return false }
func (colSumOp) CallsExtern() bool     { return false }
func (colSumOp) OverwritesInput() int  { return -1 }
func (colSumOp) String() string        { return "colsum" }
func (colSumOp) WriteHash(h hash.Hash) { fmt.Fprint(h, "colsum") }
func (op colSumOp) Hashcode() uint32   { return hashOf(op) }
func (colSumOp) DiffWRT(int) []bool    { return []bool{false} }

func (colSumOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("column sum: no second derivative")
}

func (op colSumOp) Do(in ...G.Value) (G.Value, error) { return op.UsePreallocDo(nil, in...) }

// UsePreallocDo sums the rows of the input, first row first, into
// prealloc when it fits.
func (colSumOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	g, ok := in[0].(*tensor.Dense)
	if len(in) != 1 || !ok || g.Dims() != 2 {
		return nil, fmt.Errorf("column sum: want one matrix")
	}
	n := g.Shape()[1]
	out := reuse(prealloc, g.Dtype(), tensor.Shape{1, n})
	if gd, ok := values.Float32s(g); ok {
		o, _ := values.Float32s(out)
		sumRows(o, gd, n)
	} else if gd, ok := values.Float64s(g); ok {
		o, _ := values.Float64s(out)
		sumRows(o, gd, n)
	} else {
		return nil, fmt.Errorf("column sum: unsupported dtype %v", g.Dtype())
	}
	return out, nil
}

func sumRows[T float32 | float64](dst, g []T, n int) {
	copy(dst, g[:n])
	for i := n; i < len(g); i += n {
		for j, v := range g[i : i+n] {
			dst[j] += v
		}
	}
}

// reuse returns prealloc when it is a tensor of dtype dt and shape s, else
// a new one.
func reuse(prealloc G.Value, dt tensor.Dtype, s tensor.Shape) *tensor.Dense {
	if out, ok := prealloc.(*tensor.Dense); ok && out.Dtype() == dt && out.Shape().Eq(s) {
		return out
	}
	return tensor.New(tensor.Of(dt), tensor.WithShape(s.Clone()...))
}

// hashOf hashes an op by what it writes to its hash.
func hashOf(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
