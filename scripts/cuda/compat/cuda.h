/*
 * cuda.h: compatibility layer between gorgonia.org/cu and CUDA 13 headers.
 *
 * make gpu puts this directory first on the include path. The header pulls in
 * the toolkit's cuda.h unchanged. From CUDA 13.0 on, five driver calls that cu
 * makes have new signatures, and cuda.h maps each plain name to the new entry
 * point (cuCtxCreate to cuCtxCreate_v4, cuMemAdvise to cuMemAdvise_v2, ...).
 * cu still calls them with the CUDA 12 arguments, so here the plain names are
 * mapped back to the entry points with those signatures, which the driver
 * keeps exporting for programs built against older toolkits. With CUDA 12 and
 * older headers this file changes nothing.
 */
#ifndef GRADBENCH_COMPAT_CUDA_H
#define GRADBENCH_COMPAT_CUDA_H

#include_next <cuda.h>

#if defined(CUDA_VERSION) && CUDA_VERSION >= 13000

#ifdef __cplusplus
extern "C" {
#endif

#undef cuCtxCreate
CUresult CUDAAPI cuCtxCreate_v2(CUcontext *pctx, unsigned int flags, CUdevice dev);
#define cuCtxCreate cuCtxCreate_v2

/* The CUDA 12 entry points of these four carry the plain name, so declare
 * them under a project name and alias that to the exported symbol. */
#undef cuMemAdvise
CUresult CUDAAPI gradbench_cuMemAdvise(CUdeviceptr devPtr, size_t count, CUmem_advise advice, CUdevice device)
	__asm__("cuMemAdvise");
#define cuMemAdvise gradbench_cuMemAdvise

#undef cuMemPrefetchAsync
CUresult CUDAAPI gradbench_cuMemPrefetchAsync(CUdeviceptr devPtr, size_t count, CUdevice dstDevice, CUstream hStream)
	__asm__("cuMemPrefetchAsync");
#define cuMemPrefetchAsync gradbench_cuMemPrefetchAsync

#undef cuGraphAddDependencies
CUresult CUDAAPI gradbench_cuGraphAddDependencies(CUgraph hGraph, const CUgraphNode *from, const CUgraphNode *to,
	size_t numDependencies) __asm__("cuGraphAddDependencies");
#define cuGraphAddDependencies gradbench_cuGraphAddDependencies

#undef cuGraphGetEdges
CUresult CUDAAPI gradbench_cuGraphGetEdges(CUgraph hGraph, CUgraphNode *from, CUgraphNode *to, size_t *numEdges)
	__asm__("cuGraphGetEdges");
#define cuGraphGetEdges gradbench_cuGraphGetEdges

#ifdef __cplusplus
}
#endif

#endif /* CUDA_VERSION >= 13000 */
#endif /* GRADBENCH_COMPAT_CUDA_H */
