package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Spec describes a fully connected network: In inputs, Depth hidden layers
// of Width units each followed by the activation, then a linear layer to
// Classes outputs.
//
// With LayerNorm, every hidden layer normalises its pre-activation over its
// units before the activation: h ← φ(LN(W h + b)), LN with a learned gain
// and bias per unit (LayerNormEps inside the square root). With Residual,
// every hidden layer whose weights are Width × Width (all but the first)
// adds its output to its input: h ← h + φ(…). The first layer (In → Width)
// and the output layer stay plain.
type Spec struct {
	In, Depth, Width, Classes int
	Batch                     int
	Act                       Activation
	Dtype                     tensor.Dtype
	Residual, LayerNorm       bool
}

// Plain reports whether the network is the plain stack of layers, with
// neither residual connections nor normalisation.
func (s Spec) Plain() bool { return !s.Residual && !s.LayerNorm }

// IsResidual reports whether hidden layer i adds its output to its input.
func (s Spec) IsResidual(i int) bool { return s.Residual && i >= 1 && i < s.Depth }

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

// Parameter kinds: a linear layer's, then a hidden layer's LayerNorm's.
const (
	Weight = "weight"  // fan-in × fan-out matrix
	Bias   = "bias"    // 1 × fan-out row vector
	LNGain = "ln_gain" // 1 × Width row vector, initialised to 1
	LNBias = "ln_bias" // 1 × Width row vector, initialised to 0
)

// LayerNormEps is the ε of LayerNorm: x̂ = (x − mean)/√(var + ε).
const LayerNormEps = 1e-5

// Param is one parameter tensor of a network, named by its layer and its
// kind. Graphs built from Params read and update the tensors in place, so
// several graphs may share one Params.
type Param struct {
	Layer int
	Kind  string
	Value *tensor.Dense
}

// String names the parameter as files and messages do: "layer 3 bias".
func (p Param) String() string { return fmt.Sprintf("layer %d %s", p.Layer, p.Kind) }

// Params are a network's parameters in the order its layers declare them
// (Spec.Declare): layer 0's, then layer 1's, …; within a layer, in the
// order of its kinds. Norms, checkpoints and CSV files follow this order.
type Params []Param

// Find returns the value of the parameter of layer and kind, nil if the
// network has none.
func (p Params) Find(layer int, kind string) *tensor.Dense {
	for _, q := range p {
		if q.Layer == layer && q.Kind == kind {
			return q.Value
		}
	}
	return nil
}

// Tensors returns the parameters' values in order.
func (p Params) Tensors() []*tensor.Dense {
	out := make([]*tensor.Dense, len(p))
	for i, q := range p {
		out[i] = q.Value
	}
	return out
}

// ParamShape is a parameter the network declares, without its value.
type ParamShape struct {
	Layer int
	Kind  string
	Shape tensor.Shape
}

// Declare returns every parameter of the network, in Params order: per
// layer its weight and bias, then, for a hidden layer with LayerNorm, its
// gain and bias.
func (s Spec) Declare() []ParamShape {
	var out []ParamShape
	for i := 0; i < s.Layers(); i++ {
		in, out1 := s.LayerShape(i)
		out = append(out, ParamShape{i, Weight, tensor.Shape{in, out1}}, ParamShape{i, Bias, tensor.Shape{1, out1}})
		if s.LayerNorm && i < s.Depth {
			out = append(out, ParamShape{i, LNGain, tensor.Shape{1, out1}}, ParamShape{i, LNBias, tensor.Shape{1, out1}})
		}
	}
	return out
}

// MLP is the symbolic graph of a network on one batch size.
type MLP struct {
	Spec Spec
	G    *G.ExprGraph
	// X is the input batch (Batch × In) and Y the one-hot targets
	// (Batch × Classes); Y is nil in a forward-only graph.
	X, Y *G.Node
	// Params are the parameter nodes, in the order of the Params the
	// graph was built from.
	Params G.Nodes
	// Pre holds the node each hidden layer's activation is applied to:
	// W h + b, or its LayerNorm with LayerNorm.
	Pre []*G.Node
	// PreValues holds, after a machine runs a training graph, a copy of
	// each hidden layer's pre-activation taken when it was computed (the
	// node's own value may be overwritten later in the run).
	PreValues []G.Value
	// Out holds each hidden layer's output h_l: φ of its pre-activation,
	// plus the layer's input where the layer is residual. Out[Depth-1]
	// feeds the output layer.
	Out []*G.Node
	// OutValues and DeltaValues hold, after a machine runs a training
	// graph, copies of each hidden layer's output h_l and of the gradient
	// of the loss with respect to its pre-activation, δ_l = ∂L/∂Pre[l]
	// (the back-propagated error), each taken when it was computed. The
	// copies reuse their buffers from the second run on: reading them
	// allocates nothing.
	OutValues, DeltaValues []G.Value
	// reads are the nodes that copy the pre-activations, the outputs and
	// the errors into PreValues, OutValues and DeltaValues.
	reads G.Nodes
	// Logits is the output of the last linear layer.
	Logits *G.Node
	// Loss is the mean cross-entropy; nil in a forward-only graph.
	Loss *G.Node
	// Grads are the gradient nodes of Params, nil in a forward-only graph.
	// After a machine runs the graph their values hold the gradient of
	// that run.
	Grads G.Nodes
}

// Build returns the graph of spec bound to p. If train is true the graph
// also computes the loss and its gradients with respect to every parameter.
func Build(spec Spec, p Params, train bool) (*MLP, error) {
	decl := spec.Declare()
	if len(p) != len(decl) {
		return nil, fmt.Errorf("build: have %d parameters, the network declares %d", len(p), len(decl))
	}
	for i, d := range decl {
		if p[i].Layer != d.Layer || p[i].Kind != d.Kind || !p[i].Value.Shape().Eq(d.Shape) {
			return nil, fmt.Errorf("build: parameter %d is %v %v, want %s shaped %v", i, p[i], p[i].Value.Shape(), Param{Layer: d.Layer, Kind: d.Kind}, d.Shape)
		}
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	g := G.NewGraph()
	m := &MLP{Spec: spec, G: g}
	m.X = G.NewMatrix(g, spec.Dtype, G.WithShape(spec.Batch, spec.In), G.WithName("x"))
	h := m.X
	for i := 0; i < spec.Layers(); i++ {
		in, out := spec.LayerShape(i)
		w := G.NewMatrix(g, spec.Dtype, G.WithShape(in, out), G.WithName(fmt.Sprintf("w%d", i)), G.WithValue(p.Find(i, Weight)))
		b := G.NewMatrix(g, spec.Dtype, G.WithShape(1, out), G.WithName(fmt.Sprintf("b%d", i)), G.WithValue(p.Find(i, Bias)))
		m.Params = append(m.Params, w, b)
		xw, err := G.Mul(h, w)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		z, err := BiasAdd(xw, b)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		if i == spec.Depth {
			m.Logits = z
			break
		}
		if spec.LayerNorm {
			gain := G.NewMatrix(g, spec.Dtype, G.WithShape(1, out), G.WithName(fmt.Sprintf("lng%d", i)), G.WithValue(p.Find(i, LNGain)))
			beta := G.NewMatrix(g, spec.Dtype, G.WithShape(1, out), G.WithName(fmt.Sprintf("lnb%d", i)), G.WithValue(p.Find(i, LNBias)))
			m.Params = append(m.Params, gain, beta)
			if z, err = LayerNorm(z, gain, beta, LayerNormEps); err != nil {
				return nil, fmt.Errorf("layer %d layernorm: %w", i, err)
			}
		}
		m.Pre = append(m.Pre, z)
		a, err := spec.Act.Apply(z)
		if err != nil {
			return nil, fmt.Errorf("layer %d %s: %w", i, spec.Act.Name, err)
		}
		if spec.IsResidual(i) {
			if a, err = G.Add(h, a); err != nil {
				return nil, fmt.Errorf("layer %d residual: %w", i, err)
			}
		}
		h = a
		m.Out = append(m.Out, h)
	}
	if !train {
		return m, nil
	}
	m.PreValues = make([]G.Value, len(m.Pre))
	for i, z := range m.Pre {
		m.reads = append(m.reads, G.Read(z, &m.PreValues[i]))
	}
	m.Y = G.NewMatrix(g, spec.Dtype, G.WithShape(spec.Batch, spec.Classes), G.WithName("y"))
	logp, err := LogSoftmax(m.Logits)
	if err != nil {
		return nil, fmt.Errorf("log-softmax: %w", err)
	}
	if m.Loss, err = CrossEntropy(logp, m.Y); err != nil {
		return nil, fmt.Errorf("loss: %w", err)
	}
	if m.Grads, err = G.Grad(m.Loss, m.Params...); err != nil {
		return nil, fmt.Errorf("gradients: %w", err)
	}
	// Read after Grad, so that the differentiation sees the graph it saw
	// before these reads existed. Grad gave every node on the way from the
	// loss to a parameter its gradient node (Deriv): each pre-activation's
	// is δ_l, which the weight gradients are computed from anyway.
	m.OutValues = make([]G.Value, len(m.Out))
	m.DeltaValues = make([]G.Value, len(m.Pre))
	for i, z := range m.Pre {
		d := z.Deriv()
		if d == nil {
			return nil, fmt.Errorf("layer %d: the pre-activation has no gradient node", i)
		}
		m.reads = append(m.reads, G.Read(m.Out[i], &m.OutValues[i]), G.Read(d, &m.DeltaValues[i]))
	}
	return m, nil
}

// Machine compiles m into a TapeMachine that computes only what the
// network's results need: the logits and, in a training graph, the loss,
// the gradients and the pre-activation copies. Compiling the whole graph
// would also run its dead nodes every step: the gradient with respect to
// the input batch, ReLU's mask gradients and the gradients of GELU's
// scalar constants.
func (m *MLP) Machine() (G.VM, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	inputs := append(G.Nodes{m.X}, m.Params...)
	outputs := G.Nodes{m.Logits}
	if m.Loss != nil {
		inputs = append(inputs, m.Y)
		outputs = append(append(append(outputs, m.Loss), m.Grads...), m.reads...)
	}
	prog, locMap, err := G.CompileFunction(m.G, inputs, outputs)
	if err != nil {
		return nil, fmt.Errorf("compile graph: %w", err)
	}
	return compile(m.G, G.WithPrecompiled(prog, locMap))
}
