//go:build !cuda

package graph

import (
	"fmt"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// CUDA is true in binaries built with the cuda tag (make gpu).
const CUDA = false

// CallsExtern reports whether erf runs outside Go; in the CPU build it never does.
func (erfOp) CallsExtern() bool { return false }

// Device describes the GPU a CUDA build runs on; the CPU build has none.
func Device() (DeviceInfo, error) {
	return DeviceInfo{}, fmt.Errorf("this binary is the CPU build: make gpu builds the CUDA one")
}

// place says where op runs: always the CPU in this build.
func place(op G.Op, dt tensor.Dtype, vm G.VM) (where, detail string) {
	if strings.HasSuffix(fmt.Sprintf("%T", op), "linAlgBinOp") {
		return "cpu", BLAS + " BLAS"
	}
	return "cpu", "Go"
}
