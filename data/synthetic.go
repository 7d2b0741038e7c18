package data

import (
	"math"
	"math/rand/v2"
)

// Shape and noise of the synthetic dataset.
const (
	synthSide     = 28 // images are synthSide x synthSide, like MNIST
	synthDim      = synthSide * synthSide
	synthOn       = 0.2                // fraction of lit pixels in a class prototype
	synthNoise    = 0.25               // standard deviation of the per-pixel Gaussian noise
	synthStream   = 0x9e3779b97f4a7c15 // second PCG word; fixed so a seed names one dataset
	synthMinScale = 0.7                // each example scales its prototype by U(synthMinScale, 1)
)

// Synthetic returns a small seeded, learnable 10-class dataset with Dim 784
// (28x28) and pixel values in [0, 1], for fast tests.
//
// Each class has a random sparse prototype image: about a fifth of its pixels
// are lit with a brightness in [0.5, 1], the rest are 0. An example is its
// class prototype scaled by a random factor in [0.7, 1], plus Gaussian noise
// of standard deviation 0.25, clipped to [0, 1]. Labels cycle through the
// classes and are then shuffled, so every class has nTrain/10 or nTrain/10+1
// training examples (likewise for test). Train and test share prototypes.
//
// The same seed gives identical data; the generator is math/rand/v2's PCG.
// Negative sizes are treated as 0.
func Synthetic(seed uint64, nTrain, nTest int) *Dataset {
	rng := rand.New(rand.NewPCG(seed, synthStream))
	protos := make([]float32, numClasses*synthDim)
	for i := range protos {
		if rng.Float64() < synthOn {
			protos[i] = float32(0.5 + 0.5*rng.Float64())
		}
	}
	return &Dataset{
		Name:    "synthetic",
		Classes: numClasses,
		Train:   synthSet(rng, protos, max(nTrain, 0)),
		Test:    synthSet(rng, protos, max(nTest, 0)),
	}
}

// synthSet draws n examples around the class prototypes protos.
func synthSet(rng *rand.Rand, protos []float32, n int) *Set {
	labels := make([]uint8, n)
	for i := range labels {
		labels[i] = uint8(i % numClasses)
	}
	rng.Shuffle(n, func(i, j int) { labels[i], labels[j] = labels[j], labels[i] })
	images := make([]uint8, n*synthDim)
	for i, l := range labels {
		proto := protos[int(l)*synthDim : (int(l)+1)*synthDim]
		img := images[i*synthDim : (i+1)*synthDim]
		scale := synthMinScale + (1-synthMinScale)*rng.Float64()
		for j, p := range proto {
			v := scale*float64(p) + synthNoise*rng.NormFloat64()
			img[j] = uint8(math.Round(255 * min(max(v, 0), 1)))
		}
	}
	return &Set{Pixels: images, Labels: labels, N: n, Dim: synthDim}
}
