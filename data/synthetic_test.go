package data

import (
	"math"
	"slices"
	"testing"
)

func TestSyntheticShape(t *testing.T) {
	for _, tc := range []struct{ nTrain, nTest int }{{2048, 512}, {10, 1}, {0, 0}, {-3, 7}, {15, 0}} {
		d := Synthetic(7, tc.nTrain, tc.nTest)
		if d.Name != "synthetic" || d.Classes != 10 {
			t.Errorf("Name %q Classes %d, want synthetic 10", d.Name, d.Classes)
		}
		for _, sc := range []struct {
			s *Set
			n int
		}{{d.Train, max(tc.nTrain, 0)}, {d.Test, max(tc.nTest, 0)}} {
			s := sc.s
			if s.N != sc.n || s.Dim != 784 || len(s.Pixels) != s.N*784 || len(s.Labels) != s.N {
				t.Errorf("sizes %v: N=%d Dim=%d len(Pixels)=%d len(Labels)=%d, want N=%d Dim=784",
					tc, s.N, s.Dim, len(s.Pixels), len(s.Labels), sc.n)
				continue
			}
			if s.N > 0 && (slices.Max(s.Pixels) < 200 || slices.Min(s.Pixels) != 0) {
				t.Errorf("sizes %v: pixels span [%d, %d], want dark and lit pixels", tc, slices.Min(s.Pixels), slices.Max(s.Pixels))
			}
			// Classes are balanced to within one example.
			var counts [10]int
			for _, l := range s.Labels {
				if l >= 10 {
					t.Fatalf("sizes %v: label %d out of range", tc, l)
				}
				counts[l]++
			}
			lo, hi := slices.Min(counts[:]), slices.Max(counts[:])
			if hi-lo > 1 {
				t.Errorf("sizes %v: class counts %v are not balanced", tc, counts)
			}
		}
	}
}

func TestSyntheticDeterministic(t *testing.T) {
	a, b, c := Synthetic(1, 200, 50), Synthetic(1, 200, 50), Synthetic(2, 200, 50)
	for _, sc := range []struct {
		name    string
		x, y, z *Set
	}{{"train", a.Train, b.Train, c.Train}, {"test", a.Test, b.Test, c.Test}} {
		if !slices.Equal(sc.x.Pixels, sc.y.Pixels) || !slices.Equal(sc.x.Labels, sc.y.Labels) {
			t.Errorf("%s: the same seed gave different data", sc.name)
		}
		if slices.Equal(sc.x.Pixels, sc.z.Pixels) {
			t.Errorf("%s: seeds 1 and 2 gave the same images", sc.name)
		}
	}
	if slices.Equal(a.Train.Pixels[:784*50], a.Test.Pixels) {
		t.Errorf("train and test splits start with the same images")
	}
	d, err := Load("synthetic", "/nonexistent")
	if err != nil {
		t.Fatal(err)
	}
	want := Synthetic(1, 2048, 512)
	if d.Train.N != 2048 || d.Test.N != 512 || !slices.Equal(d.Train.Pixels, want.Train.Pixels) {
		t.Errorf(`Load("synthetic") is not Synthetic(1, 2048, 512)`)
	}
}

// TestSyntheticLearnable checks that a nearest-class-mean classifier fitted
// on the training split does well on the test split.
func TestSyntheticLearnable(t *testing.T) {
	d := Synthetic(3, 1000, 500)
	var means [10][]float64
	var counts [10]int
	for c := range means {
		means[c] = make([]float64, d.Train.Dim)
	}
	for i, l := range d.Train.Labels {
		counts[l]++
		for j, v := range d.Train.Image(i) {
			means[l][j] += float64(v)
		}
	}
	for c := range means {
		for j := range means[c] {
			means[c][j] /= float64(counts[c])
		}
	}
	correct := 0
	for i, l := range d.Test.Labels {
		best, bestDist := -1, math.Inf(1)
		for c := range means {
			dist := 0.0
			for j, v := range d.Test.Image(i) {
				e := float64(v) - means[c][j]
				dist += e * e
			}
			if dist < bestDist {
				best, bestDist = c, dist
			}
		}
		if best == int(l) {
			correct++
		}
	}
	acc := float64(correct) / float64(d.Test.N)
	t.Logf("nearest-mean test accuracy %.3f", acc)
	if acc < 0.9 {
		t.Errorf("nearest-mean test accuracy %.3f, want at least 0.9", acc)
	}
}
