// Package data loads labelled image datasets stored in the MNIST IDX format
// (MNIST and Fashion-MNIST) and generates a small synthetic dataset of the
// same shape for fast tests.
package data
