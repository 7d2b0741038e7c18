package models

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"gorgonia.org/tensor"
)

// TestAdamMatchesTorch replays the problem of
// scripts/adam_torch_reference.py (100 steps of Adam on three float32
// parameters with gradients of very different scales) and compares the
// parameters and both moments with what torch.optim.Adam recorded in
// testdata/adam_torch.json: equal within one float32 ulp, and mostly
// equal bit for bit.
func TestAdamMatchesTorch(t *testing.T) {
	b, err := os.ReadFile("testdata/adam_torch.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Torch    string
		Steps    int
		LR       float64
		Sizes    []int
		Scales   []float64
		Params   [][]uint32
		ExpAvg   [][]uint32 `json:"exp_avg"`
		ExpAvgSq [][]uint32 `json:"exp_avg_sq"`
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}

	var params, grads []*tensor.Dense
	for k, n := range ref.Sizes {
		w := make([]float32, n)
		for j := range w {
			w[j] = float32(0.1 * math.Cos(1.7*float64(j)+float64(k)))
		}
		params = append(params, tensor.New(tensor.WithShape(n), tensor.WithBacking(w)))
		grads = append(grads, tensor.New(tensor.WithShape(n), tensor.WithBacking(make([]float32, n))))
	}
	opt := NewAdam(ref.LR)
	for step := 1; step <= ref.Steps; step++ {
		for k, g := range grads {
			gd := g.Data().([]float32)
			for j := range gd {
				gd[j] = float32(math.Sin(0.37*float64(j+1)*float64(step)+0.11*float64(j)) * ref.Scales[k])
			}
		}
		if err := opt.Step(params, grads); err != nil {
			t.Fatal(err)
		}
	}
	_, slots := opt.State()
	n := len(params)
	var total, equal int
	for _, c := range []struct {
		name string
		got  func(k int) []float64
		want [][]uint32
	}{
		{"parameter", func(k int) []float64 { return widen([][]float32{params[k].Data().([]float32)})[0] }, ref.Params},
		{"first moment", func(k int) []float64 { return slots[k] }, ref.ExpAvg},
		{"second moment", func(k int) []float64 { return slots[n+k] }, ref.ExpAvgSq},
	} {
		for k := range params {
			got := c.got(k)
			for j, wb := range c.want[k] {
				gb := math.Float32bits(float32(got[j]))
				total++
				if gb == wb {
					equal++
					continue
				}
				if d := int64(gb) - int64(wb); d > 1 || d < -1 {
					t.Errorf("%s %d[%d]: %g, torch %s has %g", c.name, k, j, got[j], ref.Torch, math.Float32frombits(wb))
				}
			}
		}
	}
	t.Logf("%d of %d values equal to torch %s's bit for bit, the rest one ulp apart", equal, total, ref.Torch)
	if equal < total*9/10 {
		t.Errorf("only %d of %d values equal to torch's bit for bit", equal, total)
	}
}
