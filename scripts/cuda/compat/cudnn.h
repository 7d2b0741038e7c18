/*
 * cudnn.h: compatibility layer between gorgonia.org/cu/dnn and cuDNN 9.
 *
 * make gpu puts this directory first on the include path. The header pulls in
 * the real cudnn.h and, when that is cuDNN 9 or later, declares the handful of
 * types and functions that cuDNN 9 removed but cu/dnn still names (the
 * algorithm descriptors, persistent RNN plans and two RNN parameter getters).
 * gradbench never calls any of them: Gorgonia's TapeMachine only opens and
 * closes a cuDNN handle. Each stand-in returns CUDNN_STATUS_NOT_SUPPORTED, so
 * a call would fail loudly rather than do something wrong, and nothing here
 * needs a symbol from libcudnn.
 */
#ifndef GRADBENCH_COMPAT_CUDNN_H
#define GRADBENCH_COMPAT_CUDNN_H

#include_next <cudnn.h>

#if defined(CUDNN_MAJOR) && CUDNN_MAJOR >= 9

typedef struct gradbenchAlgorithmStruct *cudnnAlgorithmDescriptor_t;
typedef struct gradbenchAlgorithmPerformanceStruct *cudnnAlgorithmPerformance_t;
typedef struct gradbenchPersistentRNNPlan *cudnnPersistentRNNPlan_t;

typedef struct {
	union {
		cudnnConvolutionFwdAlgo_t convFwdAlgo;
		cudnnConvolutionBwdFilterAlgo_t convBwdFilterAlgo;
		cudnnConvolutionBwdDataAlgo_t convBwdDataAlgo;
		cudnnRNNAlgo_t RNNAlgo;
		cudnnCTCLossAlgo_t CTCLossAlgo;
	} algo;
} cudnnAlgorithm_t;

static inline cudnnStatus_t cudnnCreateAlgorithmDescriptor(cudnnAlgorithmDescriptor_t *d) {
	(void)d;
	return CUDNN_STATUS_NOT_SUPPORTED;
}
static inline cudnnStatus_t cudnnSetAlgorithmDescriptor(cudnnAlgorithmDescriptor_t d, cudnnAlgorithm_t a) {
	(void)d; (void)a;
	return CUDNN_STATUS_NOT_SUPPORTED;
}
static inline cudnnStatus_t cudnnDestroyAlgorithmDescriptor(cudnnAlgorithmDescriptor_t d) {
	(void)d;
	return CUDNN_STATUS_NOT_SUPPORTED;
}
static inline cudnnStatus_t cudnnCreateAlgorithmPerformance(cudnnAlgorithmPerformance_t *p, int n) {
	(void)p; (void)n;
	return CUDNN_STATUS_NOT_SUPPORTED;
}
static inline cudnnStatus_t cudnnSetAlgorithmPerformance(cudnnAlgorithmPerformance_t p, cudnnAlgorithmDescriptor_t d,
	cudnnStatus_t s, float t, size_t m) {
	(void)p; (void)d; (void)s; (void)t; (void)m;
	return CUDNN_STATUS_NOT_SUPPORTED;
}
static inline cudnnStatus_t cudnnDestroyAlgorithmPerformance(cudnnAlgorithmPerformance_t *p, int n) {
	(void)p; (void)n;
	return CUDNN_STATUS_NOT_SUPPORTED;
}
static inline cudnnStatus_t cudnnCreatePersistentRNNPlan(cudnnRNNDescriptor_t r, int batch, cudnnDataType_t t,
	cudnnPersistentRNNPlan_t *p) {
	(void)r; (void)batch; (void)t; (void)p;
	return CUDNN_STATUS_NOT_SUPPORTED;
}
static inline cudnnStatus_t cudnnSetPersistentRNNPlan(cudnnRNNDescriptor_t r, cudnnPersistentRNNPlan_t p) {
	(void)r; (void)p;
	return CUDNN_STATUS_NOT_SUPPORTED;
}
static inline cudnnStatus_t cudnnDestroyPersistentRNNPlan(cudnnPersistentRNNPlan_t p) {
	(void)p;
	return CUDNN_STATUS_NOT_SUPPORTED;
}
static inline cudnnStatus_t cudnnSetRNNMatrixMathType(cudnnRNNDescriptor_t r, cudnnMathType_t m) {
	(void)r; (void)m;
	return CUDNN_STATUS_NOT_SUPPORTED;
}
static inline cudnnStatus_t cudnnGetRNNLinLayerMatrixParams(cudnnHandle_t h, const cudnnRNNDescriptor_t r, int layer,
	const cudnnTensorDescriptor_t x, const cudnnFilterDescriptor_t wd, const void *w, int id,
	cudnnFilterDescriptor_t md, void **m) {
	(void)h; (void)r; (void)layer; (void)x; (void)wd; (void)w; (void)id; (void)md; (void)m;
	return CUDNN_STATUS_NOT_SUPPORTED;
}
static inline cudnnStatus_t cudnnGetRNNLinLayerBiasParams(cudnnHandle_t h, const cudnnRNNDescriptor_t r, int layer,
	const cudnnTensorDescriptor_t x, const cudnnFilterDescriptor_t wd, const void *w, int id,
	cudnnFilterDescriptor_t bd, void **b) {
	(void)h; (void)r; (void)layer; (void)x; (void)wd; (void)w; (void)id; (void)bd; (void)b;
	return CUDNN_STATUS_NOT_SUPPORTED;
}

#endif /* CUDNN_MAJOR >= 9 */
#endif /* GRADBENCH_COMPAT_CUDNN_H */
