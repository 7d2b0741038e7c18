//go:build !cuda

package main

// cudaBuilt is true in binaries built with the cuda tag.
const cudaBuilt = false
