package graph

import (
	G "gorgonia.org/gorgonia"
)

// LayerNorm normalises each row of x (batch × units) over its units and
// applies a learned per-unit gain and bias (both 1 × units):
//
//	(x − mean) / √(var + eps) ⊙ gain + bias
//
// with the mean and the (biased) variance of the row, as PyTorch's
// nn.LayerNorm computes it. It is built from Gorgonia nodes, so its
// gradients come from Gorgonia's symbolic differentiation.
func LayerNorm(x, gain, bias *G.Node, eps float64) (*G.Node, error) {
	dt := x.Dtype()
	inv := scalar(dt, 1/float64(x.Shape()[1]))
	rowMean := func(v *G.Node) (*G.Node, error) {
		s, err := G.Sum(v, 1)
		if err != nil {
			return nil, err
		}
		return G.Mul(s, inv)
	}
	mean, err := rowMean(x)
	if err != nil {
		return nil, err
	}
	centred, err := G.BroadcastSub(x, mean, nil, []byte{1})
	if err != nil {
		return nil, err
	}
	sq, err := G.Square(centred)
	if err != nil {
		return nil, err
	}
	variance, err := rowMean(sq)
	if err != nil {
		return nil, err
	}
	shifted, err := G.Add(variance, scalar(dt, eps))
	if err != nil {
		return nil, err
	}
	std, err := G.Sqrt(shifted)
	if err != nil {
		return nil, err
	}
	normed, err := G.BroadcastHadamardDiv(centred, std, nil, []byte{1})
	if err != nil {
		return nil, err
	}
	scaled, err := G.BroadcastHadamardProd(normed, gain, nil, []byte{0})
	if err != nil {
		return nil, err
	}
	return G.BroadcastAdd(scaled, bias, nil, []byte{0})
}
