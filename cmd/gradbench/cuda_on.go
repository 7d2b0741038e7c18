//go:build cuda

package main

// checkCUDA asks for --cuda: in the CUDA build every graph runs on the GPU
// (Gorgonia's CUDA TapeMachine places ops itself and cannot be told to stay
// on the CPU), so a run without the flag would not be what it says.
func checkCUDA(want bool) error {
	if !want {
		return usagef("this binary is the CUDA build (make gpu) and trains on the GPU only: add --cuda, or build the CPU binary with make build to train on the CPU")
	}
	return nil
}
