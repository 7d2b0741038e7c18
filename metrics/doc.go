// Package metrics computes the measurements of a training run: gradient
// norms of named parameters, accuracy and loss, activation statistics, the
// per-layer gain and its verdict, step-by-step gaps between runs, and the
// results tables. It reads and writes no files (package models/rundir
// does).
package metrics
