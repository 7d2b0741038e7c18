package graph

import (
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

// NewTapeMachine compiles g into a TapeMachine, one graph at a time.
func NewTapeMachine(g *G.ExprGraph, opts ...G.VMOpt) G.VM {
	buildMu.Lock()
	defer buildMu.Unlock()
	return G.NewTapeMachine(g, opts...)
}
