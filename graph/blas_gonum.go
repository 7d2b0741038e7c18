//go:build !openblas

package graph

// BLAS names the matrix-multiply library this build's graphs use: gonum's
// pure-Go BLAS, Gorgonia's default. Build with -tags openblas for OpenBLAS.
const BLAS = "gonum"
