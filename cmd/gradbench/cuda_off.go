//go:build !cuda

package main

// checkCUDA refuses --cuda: this is the CPU build.
func checkCUDA(want bool) error {
	if want {
		return usagef("--cuda: this binary is the CPU build; build the GPU one with make gpu (needs a CUDA toolkit, cuDNN and an NVIDIA driver) and run it with --cuda, or drop --cuda to train on the CPU")
	}
	return nil
}
