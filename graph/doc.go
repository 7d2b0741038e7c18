// Package graph builds the symbolic Gorgonia graphs of gradbench's
// networks: the activation table (the one place an activation, its report
// order and its plot style are defined), GELU from the project's own erf
// node, a numerically stable log-softmax cross-entropy, and the deep MLP
// with named parameters (layer and kind) and their gradient nodes. It
// compiles graphs for the TapeMachine one at a time (lock.go says why) and
// tells where each op runs (the CPU build, or the CUDA build with the
// cuda tag).
package graph
