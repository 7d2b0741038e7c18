//go:build openblas

package graph

import (
	"gonum.org/v1/netlib/blas/netlib"
	G "gorgonia.org/gorgonia"
)

// BLAS names the matrix-multiply library this build's graphs use.
const BLAS = "openblas"

// The openblas build hands Gorgonia's matrix products to OpenBLAS through
// cgo (build with CGO_LDFLAGS=-lopenblas; Debian: libopenblas-dev).
func init() { G.Use(netlib.Implementation{}) }
