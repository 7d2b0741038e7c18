package graph

import (
	G "gorgonia.org/gorgonia"
)

// LogSoftmax returns the row-wise log-softmax of a (batch, classes) matrix,
// computed as x − max − log Σ exp(x − max) with each row's own maximum, so
// it stays finite for any finite logits.
func LogSoftmax(x *G.Node) (*G.Node, error) {
	m, err := G.Max(x, 1)
	if err != nil {
		return nil, err
	}
	shifted, err := G.BroadcastSub(x, m, nil, []byte{1})
	if err != nil {
		return nil, err
	}
	e, err := G.Exp(shifted)
	if err != nil {
		return nil, err
	}
	s, err := G.Sum(e, 1)
	if err != nil {
		return nil, err
	}
	l, err := G.Log(s)
	if err != nil {
		return nil, err
	}
	return G.BroadcastSub(shifted, l, nil, []byte{1})
}

// CrossEntropy returns the mean over the batch of −Σ_k y_k·log p_k, where
// logp holds log-probabilities and y one-hot targets of the same shape.
func CrossEntropy(logp, y *G.Node) (*G.Node, error) {
	prod, err := G.HadamardProd(logp, y)
	if err != nil {
		return nil, err
	}
	perRow, err := G.Sum(prod, 1)
	if err != nil {
		return nil, err
	}
	mean, err := G.Mean(perRow)
	if err != nil {
		return nil, err
	}
	return G.Neg(mean)
}
