// Element-wise error function for graph.Erf on the GPU, in place, with the
// calling convention of Gorgonia's element-wise unary kernels: the data and
// its length; one thread per element over a grid of up to three dimensions.
// make gpu compiles this file to PTX (graph/kernels/ptx/gradbench.ptx).

#define GB_INDEX                                                                 \
	int block = blockIdx.x + blockIdx.y * gridDim.x + gridDim.x * gridDim.y * blockIdx.z; \
	int idx = block * (blockDim.x * blockDim.y * blockDim.z) +                   \
	          threadIdx.z * (blockDim.x * blockDim.y) + threadIdx.y * blockDim.x + threadIdx.x;

extern "C" __global__ void erf_f32(float *a, int size) {
	GB_INDEX
	if (idx < size) {
		a[idx] = erff(a[idx]);
	}
}

extern "C" __global__ void erf_f64(double *a, int size) {
	GB_INDEX
	if (idx < size) {
		a[idx] = erf(a[idx]);
	}
}
