package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Spec describes a fully connected network: In inputs, Depth hidden layers
// of Width units each followed by the activation, then a linear layer to
// Classes outputs.
type Spec struct {
	In, Depth, Width, Classes int
	Batch                     int
	Act                       Activation
	Dtype                     tensor.Dtype
}

// Layers returns the number of linear layers, Depth+1.
func (s Spec) Layers() int { return s.Depth + 1 }

// LayerShape returns the (fan-in, fan-out) of linear layer i, 0 being
// nearest the input.
func (s Spec) LayerShape(i int) (in, out int) {
	in, out = s.Width, s.Width
	if i == 0 {
		in = s.In
	}
	if i == s.Depth {
		out = s.Classes
	}
	return in, out
}

// Params holds the weight matrices (fan-in × fan-out) and bias row vectors
// (1 × fan-out) of every linear layer. Graphs built from Params read and
// update these tensors in place, so several graphs may share one Params.
type Params struct {
	W, B []*tensor.Dense
}

// MLP is the symbolic graph of a network on one batch size.
type MLP struct {
	Spec Spec
	G    *G.ExprGraph
	// X is the input batch (Batch × In) and Y the one-hot targets
	// (Batch × Classes); Y is nil in a forward-only graph.
	X, Y *G.Node
	// W and B are the parameter nodes, layer 0 nearest the input.
	W, B []*G.Node
	// Pre holds the pre-activation node of each hidden layer.
	Pre []*G.Node
	// PreValues holds, after a machine runs a training graph, a copy of
	// each hidden layer's pre-activation taken when it was computed (the
	// node's own value may be overwritten later in the run).
	PreValues []G.Value
	// Logits is the output of the last linear layer.
	Logits *G.Node
	// Loss is the mean cross-entropy; nil in a forward-only graph.
	Loss *G.Node
	// WGrad and BGrad are the gradient nodes of W and B, nil in a
	// forward-only graph. After a machine runs the graph their values hold
	// the gradient of that run.
	WGrad, BGrad []*G.Node
}

// Build returns the graph of spec bound to p. If train is true the graph
// also computes the loss and its gradients with respect to every parameter.
func Build(spec Spec, p Params, train bool) (*MLP, error) {
	if len(p.W) != spec.Layers() || len(p.B) != spec.Layers() {
		return nil, fmt.Errorf("build: have %d weights and %d biases, want %d of each", len(p.W), len(p.B), spec.Layers())
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	g := G.NewGraph()
	m := &MLP{Spec: spec, G: g}
	m.X = G.NewMatrix(g, spec.Dtype, G.WithShape(spec.Batch, spec.In), G.WithName("x"))
	h := m.X
	for i := 0; i < spec.Layers(); i++ {
		in, out := spec.LayerShape(i)
		if !p.W[i].Shape().Eq(tensor.Shape{in, out}) || !p.B[i].Shape().Eq(tensor.Shape{1, out}) {
			return nil, fmt.Errorf("build: layer %d has shapes %v and %v, want (%d, %d) and (1, %d)", i, p.W[i].Shape(), p.B[i].Shape(), in, out, out)
		}
		w := G.NewMatrix(g, spec.Dtype, G.WithShape(in, out), G.WithName(fmt.Sprintf("w%d", i)), G.WithValue(p.W[i]))
		b := G.NewMatrix(g, spec.Dtype, G.WithShape(1, out), G.WithName(fmt.Sprintf("b%d", i)), G.WithValue(p.B[i]))
		m.W = append(m.W, w)
		m.B = append(m.B, b)
		xw, err := G.Mul(h, w)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		z, err := G.BroadcastAdd(xw, b, nil, []byte{0})
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		if i == spec.Depth {
			m.Logits = z
			break
		}
		m.Pre = append(m.Pre, z)
		if h, err = spec.Act.Apply(z); err != nil {
			return nil, fmt.Errorf("layer %d %s: %w", i, spec.Act.Name, err)
		}
	}
	if !train {
		return m, nil
	}
	m.PreValues = make([]G.Value, len(m.Pre))
	for i, z := range m.Pre {
		G.Read(z, &m.PreValues[i])
	}
	m.Y = G.NewMatrix(g, spec.Dtype, G.WithShape(spec.Batch, spec.Classes), G.WithName("y"))
	logp, err := LogSoftmax(m.Logits)
	if err != nil {
		return nil, fmt.Errorf("log-softmax: %w", err)
	}
	if m.Loss, err = CrossEntropy(logp, m.Y); err != nil {
		return nil, fmt.Errorf("loss: %w", err)
	}
	wrt := append(append(G.Nodes{}, m.W...), m.B...)
	grads, err := G.Grad(m.Loss, wrt...)
	if err != nil {
		return nil, fmt.Errorf("gradients: %w", err)
	}
	m.WGrad = grads[:len(m.W)]
	m.BGrad = grads[len(m.W):]
	return m, nil
}
