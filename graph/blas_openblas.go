//go:build openblas

package graph

// #cgo LDFLAGS: -lopenblas
// void openblas_set_num_threads(int);
import "C"

import (
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// BLAS names the matrix-multiply library this build's graphs use.
const BLAS = "openblas"

// The openblas build hands Gorgonia's matrix products to OpenBLAS through
// cgo (Debian: libopenblas-dev), one thread per product: OpenBLAS splits a
// product's sums differently for each thread count, so more threads would
// make the numbers depend on the machine's cores and on compare --jobs.
// Parallelism comes from compare's jobs instead.
func init() {
	C.openblas_set_num_threads(1)
	G.Use(netlib.Implementation{})
}
