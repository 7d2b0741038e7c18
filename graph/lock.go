package graph

import (
	"fmt"
	"sync"

	G "gorgonia.org/gorgonia"
)

// buildMu serialises building and compiling graphs. Gorgonia v0.9.18 is not
// safe for that from several goroutines, even on separate graphs: Rectify
// adds one package-level zero node to every graph that uses it (rewriting
// its hash) and node groups come from a package-level counter; the race
// detector reports both when compare or sweep jobs build ReLU networks at
// once. Running compiled machines concurrently is not affected.
var buildMu sync.Mutex

// NewTapeMachine compiles g into a TapeMachine, one graph at a time. In
// the CUDA build the machine also opens its GPU context, allocates its
// device memory and loads the kernels; Gorgonia panics when that fails, and
// the panic comes back here as an error.
func NewTapeMachine(g *G.ExprGraph, opts ...G.VMOpt) (G.VM, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	return compile(g, opts...)
}

// compile is NewTapeMachine for callers that hold buildMu.
func compile(g *G.ExprGraph, opts ...G.VMOpt) (vm G.VM, err error) {
	defer func() {
		if r := recover(); r != nil {
			vm, err = nil, fmt.Errorf("compile graph: %v", r)
		}
	}()
	return G.NewTapeMachine(g, opts...), nil
}
