package tfevents

import (
	"math"
	"slices"
	"testing"

	"github.com/gradbench/gradbench/metrics"
	"gorgonia.org/tensor"
)

func TestHistogram(t *testing.T) {
	g := tensor.New(tensor.WithShape(5), tensor.WithBacking([]float32{-1, 0, 2, float32(math.NaN()), 2}))
	h, ok, err := histogram(g)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if h.Min != -1 || h.Max != 2 || h.Num != 4 || h.Sum != 3 || h.SumSquares != 9 || len(h.Bucket) != Buckets {
		t.Fatalf("%+v", h)
	}
	if h.Bucket[0] != 1 || h.Bucket[10] != 1 || h.Bucket[Buckets-1] != 2 || h.BucketLimit[Buckets-1] != 2 {
		t.Errorf("buckets %v, limits %v", h.Bucket, h.BucketLimit)
	}
	flat, ok, _ := histogram(tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{3, 3})))
	if !ok || !slices.Equal(flat.Bucket, []float64{2}) || !slices.Equal(flat.BucketLimit, []float64{3}) {
		t.Errorf("constant gradient: %+v", flat)
	}
	if _, ok, _ := histogram(tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{math.Inf(1)}))); ok {
		t.Error("a histogram of no finite value")
	}
}

func TestHistogramStep(t *testing.T) {
	s := Options{HistEvery: 10, LogEvery: 3, TotalSteps: 100}.sink()
	var got []int
	for step := 1; step <= 100; step += 3 {
		if s.HistogramStep(metrics.Grads{Step: step, First: step == 1, Last: step == 100}) {
			got = append(got, step)
		}
	}
	if want := []int{1, 13, 22, 31, 43, 52, 61, 73, 82, 91, 100}; !slices.Equal(got, want) {
		t.Errorf("histogram steps %v, want %v", got, want)
	}
	if n := HistEveryFor(468); n != 10 {
		t.Errorf("HistEveryFor(468) = %d", n)
	}
}
