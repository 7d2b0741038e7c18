package metrics

import (
	"fmt"
	"math"

	"github.com/gradbench/gradbench/graph/values"
	"gorgonia.org/tensor"
)

// Scores returns, for the first len(labels) rows of a (rows × classes)
// logits matrix, how many rows have their largest logit at the label, and
// the summed cross-entropy −log softmax(row)[label], computed in float64.
func Scores(logits tensor.Tensor, labels []uint8) (correct int, lossSum float64, err error) {
	s := logits.Shape()
	if len(s) != 2 || s[0] < len(labels) {
		return 0, 0, fmt.Errorf("scores: logits shape %v for %d labels", s, len(labels))
	}
	classes := s[1]
	row := make([]float64, classes)
	f32, is32 := values.Float32s(logits)
	f64, is64 := values.Float64s(logits)
	if !is32 && !is64 {
		return 0, 0, fmt.Errorf("scores: unsupported dtype %v", logits.Dtype())
	}
	for i, y := range labels {
		if int(y) >= classes {
			return 0, 0, fmt.Errorf("scores: label %d out of %d classes", y, classes)
		}
		if is32 {
			for k := range row {
				row[k] = float64(f32[i*classes+k])
			}
		} else {
			copy(row, f64[i*classes:(i+1)*classes])
		}
		best := 0
		for k, v := range row {
			if v > row[best] {
				best = k
			}
		}
		if best == int(y) {
			correct++
		}
		var z float64
		for _, v := range row {
			z += math.Exp(v - row[best])
		}
		lossSum += -(row[y] - row[best] - math.Log(z))
	}
	return correct, lossSum, nil
}
