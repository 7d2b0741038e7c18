package graph

import (
	"math/rand/v2"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// rerunNet builds a small float64 training graph of act on a fixed batch.
func rerunNet(t *testing.T, act string, width int) (*MLP, Params) {
	t.Helper()
	a, err := Lookup(act, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 5))
	spec := Spec{In: 6, Depth: 3, Width: width, Classes: 3, Batch: 4, Act: a, Dtype: tensor.Float64}
	var p Params
	for _, d := range spec.Declare() {
		p = append(p, Param{Layer: d.Layer, Kind: d.Kind, Value: randDense(r, d.Shape[0], d.Shape[1], 0.7)})
	}
	m, err := Build(spec, p, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := G.Let(m.X, randDense(r, 4, 6, 1)); err != nil {
		t.Fatal(err)
	}
	if err := G.Let(m.Y, tensor.New(tensor.WithShape(4, 3), tensor.WithBacking([]float64{1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0}))); err != nil {
		t.Fatal(err)
	}
	return m, p
}

// TestRerunKeepsNumbers runs two machines of the same graph for several
// steps, one rewound with Rerun and one with Reset, changing the weights
// between steps as an optimiser would: the loss and every gradient must
// be equal bit for bit.
func TestRerunKeepsNumbers(t *testing.T) {
	for _, act := range Canonical {
		t.Run(act, func(t *testing.T) {
			a, pa := rerunNet(t, act, 5)
			b, pb := rerunNet(t, act, 5)
			va, err := NewTapeMachine(a.G)
			if err != nil {
				t.Fatal(err)
			}
			defer va.Close()
			vb, err := NewTapeMachine(b.G)
			if err != nil {
				t.Fatal(err)
			}
			defer vb.Close()
			for step := range 4 {
				Rerun(va)
				vb.Reset()
				if err := va.RunAll(); err != nil {
					t.Fatal(err)
				}
				if err := vb.RunAll(); err != nil {
					t.Fatal(err)
				}
				if la, lb := a.Loss.Value().Data().(float64), b.Loss.Value().Data().(float64); la != lb {
					t.Fatalf("step %d: loss %v with Rerun, %v with Reset", step, la, lb)
				}
				for i := range a.Grads {
					ga, gb := a.Grads[i].Value().Data().([]float64), b.Grads[i].Value().Data().([]float64)
					for j := range ga {
						if ga[j] != gb[j] {
							t.Fatalf("step %d %v: gradient %d is %v with Rerun, %v with Reset", step, pa[i], j, ga[j], gb[j])
						}
					}
					// A step of plain gradient descent on both.
					wa, wb := pa[i].Value.Data().([]float64), pb[i].Value.Data().([]float64)
					for j := range wa {
						wa[j] -= 0.5 * ga[j]
						wb[j] -= 0.5 * gb[j]
					}
				}
			}
		})
	}
}

// TestRerunReusesRegisters is the guard of Rerun's mechanism: it fails
// when Gorgonia's TapeMachine no longer has the program counter Rerun
// rewinds (after an upgrade), or when rewinding no longer keeps the
// registers (a second run allocates as much as the first).
func TestRerunReusesRegisters(t *testing.T) {
	if CUDA {
		t.Skip("the CUDA build rewinds with Reset")
	}
	m, _ := rerunNet(t, "gelu", 256) // tensors large enough to outweigh the per-op bookkeeping
	vm, err := NewTapeMachine(m.G)
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close()
	if _, ok := programCounter(vm); !ok {
		t.Fatal("gorgonia's TapeMachine has no int field pc: Rerun falls back to Reset and every step allocates again; update graph/rerun.go for this Gorgonia version")
	}
	// Bytes allocated by five runs after one to warm up.
	run := func(rewind func(G.VM)) uint64 {
		var before, after runtime.MemStats
		for i := range 6 {
			if i == 1 {
				runtime.ReadMemStats(&before)
			}
			rewind(vm)
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	reset, rerun := run(G.VM.Reset), run(Rerun)
	t.Logf("bytes allocated by 5 runs: %d with Reset, %d with Rerun", reset, rerun)
	if !(rerun < reset/2) {
		t.Errorf("Rerun allocates %d bytes in 5 runs, Reset %d: registers are not kept", rerun, reset)
	}
}
