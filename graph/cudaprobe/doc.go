// Package cudaprobe starts the NVIDIA driver before anything else in the
// CUDA build of gradbench and, when it cannot, stops the program with one
// line saying why and what to do.
//
// gorgonia.org/cu starts the driver in its own init and, when that fails,
// prints a link to NVIDIA's documentation and exits with status 1. Go
// initialises packages in import-path order among those whose imports are
// ready, and this package imports only what cu does, so its init runs
// first and the user sees this package's message instead.
package cudaprobe
