package models

import (
	"fmt"
	"math"

	"github.com/gradbench/gradbench/data"
	"github.com/gradbench/gradbench/graph"
	"github.com/gradbench/gradbench/graph/values"
	"github.com/gradbench/gradbench/metrics"
	"github.com/gradbench/gradbench/models/config"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// evalBatch is the largest batch the forward-only evaluation graph takes.
const evalBatch = 1000

// Model is a network's parameters with two graphs bound to them: a training
// graph (loss and gradients) on the training batch size and a forward-only
// graph for evaluation. Both run on a TapeMachine.
type Model struct {
	Spec   graph.Spec
	Params graph.Params
	// Init is the initialisation scheme actually used ("auto" resolved).
	Init string

	train, eval *graph.MLP
	trainVM     G.VM
	evalVM      G.VM
	x, y, ex    *tensor.Dense
}

// NewModel initialises the network cfg describes for inputs of size in and
// the given number of classes, and compiles its graphs.
func NewModel(cfg config.Config, in, classes, evalRows int) (*Model, error) {
	if err := CheckMemory(cfg, in, classes); err != nil {
		return nil, err
	}
	act, err := cfg.Activation()
	if err != nil {
		return nil, err
	}
	dt, err := cfg.DType()
	if err != nil {
		return nil, err
	}
	spec := graph.Spec{In: in, Depth: cfg.Depth, Width: cfg.Width, Classes: classes, Batch: cfg.Batch, Act: act, Dtype: dt,
		Residual: cfg.Residual, LayerNorm: cfg.Norm == "layernorm"}
	p, err := InitParams(spec, cfg.Init, Variances{Weight: cfg.SigmaW2, Bias: cfg.SigmaB2}, cfg.Seed)
	if err != nil {
		return nil, err
	}
	m := &Model{Spec: spec, Params: p, Init: ResolveInit(cfg.Init, act)}
	if m.train, err = graph.Build(spec, p, true); err != nil {
		return nil, err
	}
	m.x = tensor.New(tensor.Of(dt), tensor.WithShape(spec.Batch, in))
	m.y = tensor.New(tensor.Of(dt), tensor.WithShape(spec.Batch, classes))
	if m.trainVM, err = m.train.Machine(); err != nil {
		return nil, err
	}

	es := spec
	es.Batch = min(evalBatch, max(evalRows, 1))
	if m.eval, err = graph.Build(es, p, false); err != nil {
		return nil, err
	}
	m.ex = tensor.New(tensor.Of(dt), tensor.WithShape(es.Batch, in))
	if m.evalVM, err = m.eval.Machine(); err != nil {
		m.trainVM.Close()
		return nil, err
	}
	return m, nil
}

// Close releases the machines.
func (m *Model) Close() error {
	m.trainVM.Close()
	return m.evalVM.Close()
}

// Backward runs the training graph on one batch (the examples of set at
// idx): forward pass, loss and backward pass. It returns the loss and the
// number of examples classified correctly. It does not change the
// parameters.
func (m *Model) Backward(set *data.Set, idx []int) (loss float64, correct int, err error) {
	if len(idx) != m.Spec.Batch {
		return 0, 0, fmt.Errorf("backward: batch of %d, graph takes %d", len(idx), m.Spec.Batch)
	}
	fillImages(m.x, set, idx)
	fillOneHot(m.y, set, idx)
	if err := G.Let(m.train.X, m.x); err != nil {
		return 0, 0, err
	}
	if err := G.Let(m.train.Y, m.y); err != nil {
		return 0, 0, err
	}
	graph.Rerun(m.trainVM)
	if err := m.trainVM.RunAll(); err != nil {
		return 0, 0, fmt.Errorf("run training graph: %w", err)
	}
	loss, err = scalarOf(m.train.Loss.Value())
	if err != nil {
		return 0, 0, err
	}
	correct, _, err = metrics.Scores(m.train.Logits.Value().(tensor.Tensor), labelsAt(set, idx))
	return loss, correct, err
}

// Grads returns the gradient values of the last Backward, named and in
// Params order. They are the graph's own values: read them before the
// next Backward.
func (m *Model) Grads() []metrics.Named {
	out := make([]metrics.Named, len(m.Params))
	for i, p := range m.Params {
		out[i] = metrics.Named{Layer: p.Layer, Kind: p.Kind, Grad: m.train.Grads[i].Value().(tensor.Tensor)}
	}
	return out
}

// Update applies one optimiser step with the gradients of the last
// Backward, to the parameters in Params order.
func (m *Model) Update(opt Optimizer) error {
	params := m.Params.Tensors()
	var grads []*tensor.Dense
	for _, n := range m.train.Grads {
		d, ok := n.Value().(*tensor.Dense)
		if !ok {
			return fmt.Errorf("update: gradient %s holds %T", n.Name(), n.Value())
		}
		grads = append(grads, d)
	}
	return opt.Step(params, grads)
}

// Evaluate returns the accuracy and mean cross-entropy of the network on
// set, in batches of the evaluation graph's size; the last batch is padded
// and its padding ignored.
func (m *Model) Evaluate(set *data.Set) (acc, loss float64, err error) {
	if set.N == 0 {
		return 0, 0, fmt.Errorf("evaluate: empty set")
	}
	b := m.eval.Spec.Batch
	idx := make([]int, b)
	var correct int
	var lossSum float64
	for start := 0; start < set.N; start += b {
		n := min(b, set.N-start)
		for i := range idx {
			idx[i] = start + min(i, n-1) // pad by repeating the last example
		}
		fillImages(m.ex, set, idx)
		if err := G.Let(m.eval.X, m.ex); err != nil {
			return 0, 0, err
		}
		graph.Rerun(m.evalVM)
		if err := m.evalVM.RunAll(); err != nil {
			return 0, 0, fmt.Errorf("run evaluation graph: %w", err)
		}
		c, l, err := metrics.Scores(m.eval.Logits.Value().(tensor.Tensor), labelsAt(set, idx[:n]))
		if err != nil {
			return 0, 0, err
		}
		correct += c
		lossSum += l
	}
	return float64(correct) / float64(set.N), lossSum / float64(set.N), nil
}

func labelsAt(set *data.Set, idx []int) []uint8 {
	out := make([]uint8, len(idx))
	for i, j := range idx {
		out[i] = set.Labels[j]
	}
	return out
}

// fillImages copies the examples of set at idx into the rows of t.
func fillImages(t *tensor.Dense, set *data.Set, idx []int) {
	if d, ok := values.Float32s(t); ok {
		for i, j := range idx {
			set.Scale(d[i*set.Dim:(i+1)*set.Dim], j)
		}
		return
	}
	if d, ok := values.Float64s(t); ok {
		row := make([]float32, set.Dim)
		for i, j := range idx {
			set.Scale(row, j)
			for k, v := range row {
				d[i*set.Dim+k] = float64(v)
			}
		}
	}
}

// fillOneHot writes the one-hot labels of the examples at idx into t.
func fillOneHot(t *tensor.Dense, set *data.Set, idx []int) {
	classes := t.Shape()[1]
	if d, ok := values.Float32s(t); ok {
		clear(d)
		for i, j := range idx {
			d[i*classes+int(set.Labels[j])] = 1
		}
		return
	}
	if d, ok := values.Float64s(t); ok {
		clear(d)
		for i, j := range idx {
			d[i*classes+int(set.Labels[j])] = 1
		}
	}
}

func scalarOf(v G.Value) (float64, error) {
	switch x := v.Data().(type) {
	case float32:
		return float64(x), nil
	case float64:
		return x, nil
	}
	return 0, fmt.Errorf("loss holds %T, want a scalar", v.Data())
}

// Stats returns the activation statistics of every hidden layer for the
// batch of the last Backward, labelled with step: those of its
// pre-activations, and the RMS of its output and of its back-propagated
// error, all read from the training graph's copies.
func (m *Model) Stats(step int) ([]metrics.Stats, error) {
	act := m.Spec.Act
	out := make([]metrics.Stats, len(m.train.PreValues))
	for i, v := range m.train.PreValues {
		t, ok := v.(tensor.Tensor)
		if !ok {
			return nil, fmt.Errorf("stats: layer %d pre-activation holds %T", i, v)
		}
		s, err := metrics.ActStats(t, act.SaturatesBeyond, !act.Saturating)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		if s.OutRMS, err = rmsOf(m.train.OutValues[i]); err != nil {
			return nil, fmt.Errorf("layer %d output: %w", i, err)
		}
		if s.DeltaRMS, err = rmsOf(m.train.DeltaValues[i]); err != nil {
			return nil, fmt.Errorf("layer %d error: %w", i, err)
		}
		s.Step, s.Layer = step, i
		out[i] = s
	}
	return out, nil
}

// PredictedGain returns the mean-field prediction of the per-layer
// backward gain of the weight-gradient norms for the current weights and
// the pre-activations of the last Backward: the geometric mean over hidden
// layers l = 1 … depth−2 of √χ_l, where χ_l = σ²_w·E[φ′(h_l)²],
// σ²_w = fan_in·mean(W²) of layer l+1 and h_l ranges over layer l's
// pre-activations. χ is the gain of squared norms, so √χ compares with
// metrics.Gain. It is NaN for networks of fewer than 3 hidden layers and
// for networks that are not plain (residual connections or LayerNorm),
// which the mean-field map does not describe.
func (m *Model) PredictedGain() (float64, error) {
	depth := m.Spec.Depth
	if depth < 3 || !m.Spec.Plain() {
		return math.NaN(), nil
	}
	var logSum float64
	for l := 1; l <= depth-2; l++ {
		h := toFloat64s(m.train.PreValues[l].Data())
		_, d, err := graph.Evaluate(m.Spec.Act, h)
		if err != nil {
			return 0, err
		}
		var e, v float64
		for _, x := range d {
			e += x * x
		}
		e /= float64(len(d))
		wt := m.Params.Find(l+1, graph.Weight)
		w := toFloat64s(wt.Data())
		for _, x := range w {
			v += x * x
		}
		v /= float64(len(w))
		fanIn := float64(wt.Shape()[0])
		logSum += 0.5 * math.Log(fanIn*v*e)
	}
	return math.Exp(logSum / float64(depth-2)), nil
}

// rmsOf returns metrics.RMS of a value a training graph copied out.
func rmsOf(v G.Value) (float64, error) {
	t, ok := v.(tensor.Tensor)
	if !ok {
		return 0, fmt.Errorf("holds %T, want a tensor", v)
	}
	return metrics.RMS(t)
}

func toFloat64s(d any) []float64 {
	switch x := d.(type) {
	case []float64:
		return x
	case []float32:
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = float64(v)
		}
		return out
	}
	return nil
}

// ParamNames names the parameters in Params order, "layer 0 weight", ….
func (m *Model) ParamNames() []string {
	out := make([]string, len(m.Params))
	for i, p := range m.Params {
		out[i] = p.String()
	}
	return out
}

// SaveParams returns a float64 copy of every parameter, in Params order.
func (m *Model) SaveParams() [][]float64 {
	var out [][]float64
	for _, t := range m.Params.Tensors() {
		out = append(out, append([]float64(nil), toFloat64s(t.Data())...))
	}
	return out
}

// LoadParams sets every parameter from values in SaveParams' order.
func (m *Model) LoadParams(values [][]float64) error {
	if len(values) != len(m.Params) {
		return fmt.Errorf("load parameters: %d arrays for %d parameters", len(values), len(m.Params))
	}
	for i, p := range m.Params {
		t := p.Value
		if len(values[i]) != t.Shape().TotalSize() {
			return fmt.Errorf("load parameters: array %d has %d values, %v %v has %d", i, len(values[i]), p, t.Shape(), t.Shape().TotalSize())
		}
		switch d := t.Data().(type) {
		case []float32:
			for j, v := range values[i] {
				d[j] = float32(v)
			}
		case []float64:
			copy(d, values[i])
		}
	}
	return nil
}

// ScaleGrads multiplies every gradient of the last Backward by f.
func (m *Model) ScaleGrads(f float64) {
	for _, n := range m.train.Grads {
		switch d := n.Value().Data().(type) {
		case []float32:
			for i := range d {
				d[i] *= float32(f)
			}
		case []float64:
			for i := range d {
				d[i] *= f
			}
		}
	}
}

// FirstNonFinite names where the last Backward first produced a NaN or
// infinity, following the computation: the parameters, then each hidden
// layer's pre-activation from the input on, then the loss, then the
// gradients from the output layer back. It returns "" when every value
// is finite.
func (m *Model) FirstNonFinite() string {
	for i, p := range m.Params {
		if !allFinite(p.Value.Data()) {
			return fmt.Sprintf("%v parameters (node %s)", p, m.train.Params[i].Name())
		}
	}
	for i, v := range m.train.PreValues {
		if !allFinite(v.Data()) {
			return fmt.Sprintf("layer %d pre-activation (forward pass)", i)
		}
	}
	if !allFinite(m.train.Loss.Value().Data()) {
		return "loss (log-softmax of finite logits)"
	}
	for i := len(m.train.Grads) - 1; i >= 0; i-- {
		if !allFinite(m.train.Grads[i].Value().Data()) {
			return fmt.Sprintf("layer %d gradient (backward pass)", m.Params[i].Layer)
		}
	}
	return ""
}

func allFinite(d any) bool {
	switch x := d.(type) {
	case []float32:
		for _, v := range x {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return false
			}
		}
	case []float64:
		for _, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
	case float32:
		return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
	case float64:
		return !math.IsNaN(x) && !math.IsInf(x, 0)
	}
	return true
}

// Placement lists the ops of the training graph and where its machine runs
// them (graph.Placement).
func (m *Model) Placement() []graph.OpPlace {
	return graph.Placement(m.train.G, m.trainVM, m.Spec.Dtype)
}
