//go:build cuda

package cudaprobe

/*
#cgo LDFLAGS: -lcuda
#include <cuda.h>

static const char *gbErrName(CUresult r) {
	const char *s = 0;
	cuGetErrorName(r, &s);
	return s ? s : "unknown CUresult";
}

static const char *gbErrString(CUresult r) {
	const char *s = 0;
	cuGetErrorString(r, &s);
	return s ? s : "";
}
*/
import "C"

import (
	"fmt"
	"os"
)

func init() {
	if err := start(); err != nil {
		fmt.Fprintf(os.Stderr, "gradbench: this is the CUDA build (make gpu) and %v; run it on a machine with an NVIDIA GPU and its driver, or build the CPU binary with make build\n", err)
		os.Exit(2)
	}
}

// start initialises the driver and checks that it sees a device.
func start() error {
	if r := C.cuInit(0); r != C.CUDA_SUCCESS {
		return fmt.Errorf("the NVIDIA driver did not start: %s (%s)", C.GoString(C.gbErrName(r)), C.GoString(C.gbErrString(r)))
	}
	var n C.int
	if r := C.cuDeviceGetCount(&n); r != C.CUDA_SUCCESS {
		return fmt.Errorf("the NVIDIA driver cannot count devices: %s", C.GoString(C.gbErrName(r)))
	}
	if n == 0 {
		return fmt.Errorf("the NVIDIA driver sees no GPU")
	}
	return nil
}
