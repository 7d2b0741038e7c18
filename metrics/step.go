package metrics

import (
	"math"
	"strconv"
)

// Step is one logged training step.
type Step struct {
	Step, Epoch int
	Loss        float64
	// BatchAcc is the fraction of the batch classified correctly.
	BatchAcc float64
	Norms    Norms
	// Clipped is the global gradient norm after clipping, equal to
	// Norms.Global when no clipping happened.
	Clipped float64
	// Elapsed is wall-clock seconds since training started.
	Elapsed float64
}

// Epoch is the evaluation at the end of one epoch.
type Epoch struct {
	Epoch        int     `json:"epoch"`
	Step         int     `json:"step"`
	TrainLoss    float64 `json:"train_loss"`
	TestLoss     float64 `json:"test_loss"`
	TestAccuracy float64 `json:"test_accuracy"`
}

// Stats are the activation statistics of one hidden layer at one logged
// step, over the training batch.
type Stats struct {
	Step, Layer int
	// Mean and Std are the mean and standard deviation of the layer's
	// pre-activations.
	Mean, Std float64
	// Saturated is the fraction of pre-activations where the activation's
	// derivative is below 5% of its maximum (sigmoid and tanh; 0 for the
	// others).
	Saturated float64
	// Dead is the fraction of units whose pre-activation is ≤ 0 for every
	// example of the batch (ReLU family and GELU; 0 for the others). For
	// ReLU those units output zero for the whole batch.
	Dead float64
	// OutRMS is the root mean square of the layer's output h_l (the
	// forward signal) and DeltaRMS that of the loss's gradient with
	// respect to its pre-activation, δ_l (the back-propagated error),
	// over the batch and the layer's units. Both are NaN in runs recorded
	// before act_stats.csv had them.
	OutRMS, DeltaRMS float64
}

// MeanStats returns the mean saturated and dead fractions over s, NaN for
// none.
func MeanStats(s []Stats) (saturated, dead float64) {
	if len(s) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range s {
		saturated += x.Saturated
		dead += x.Dead
	}
	return saturated / float64(len(s)), dead / float64(len(s))
}

// F formats x with the fewest digits that read back to the same float64,
// so that files written from equal numbers are byte-identical.
func F(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
