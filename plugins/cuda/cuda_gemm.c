/* SPDX-License-Identifier: MIT
 *
 * cuda_gemm.c — the CUDA backend's batched matrix product through cuBLAS.
 *
 * cuBLAS is column-major; a row-major (M, N) matrix is the column-major
 * (N, M) matrix of the same memory, so C = op(A) op(B) in row-major is
 * C^T = op(B)^T op(A)^T in column-major: the same call with the operands
 * swapped and M, N exchanged, and every leading dimension kept. One
 * cublasGemmStridedBatchedEx covers the batch (a stride of 0 shares an
 * operand), on float32 A, B and C whatever the precision: the state's
 * precision (set_precision, cuda_backend.c) is only its compute type —
 * CUBLAS_COMPUTE_32F for fp32 (FP32 products comparable with the CPU's),
 * _FAST_TF32, _FAST_16BF or _FAST_16F, with which cuBLAS rounds the
 * operands to that type inside the product (for _FAST_16F / _16BF it may
 * take TF32 instead: never coarser than the type asked for) and sums in
 * float32. Nothing is converted in memory, so no scratch is needed.
 *
 * Not here: the convolutions (cuDNN, cuda_conv.c).
 */
#include <limits.h>

#include "cuda_impl.h"

/* Batches beyond cuBLAS's int count are split (never in practice). */
#define GL_GEMM_MAX_BATCH INT_MAX

static cublasComputeType_t compute_type(genlab_precision p)
{
    switch (p) {
    case GL_PRECISION_TF32: return CUBLAS_COMPUTE_32F_FAST_TF32;
    case GL_PRECISION_BF16: return CUBLAS_COMPUTE_32F_FAST_16BF;
    case GL_PRECISION_F16:  return CUBLAS_COMPUTE_32F_FAST_16F;
    default:                return CUBLAS_COMPUTE_32F;
    }
}

void gl_cuda_gemm(void *state, int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha,
                  const float *a, int64_t lda, int64_t stride_a, const float *b, int64_t ldb,
                  int64_t stride_b, float beta, float *c, int64_t ldc, int64_t stride_c,
                  int64_t batch)
{
    gl_cuda *st = state;
    if (m <= 0 || n <= 0 || batch <= 0)
        return;
    const cublasComputeType_t ct = compute_type(st->precision);
    for (int64_t b0 = 0; b0 < batch; b0 += GL_GEMM_MAX_BATCH) {
        int64_t nb = batch - b0 < GL_GEMM_MAX_BATCH ? batch - b0 : GL_GEMM_MAX_BATCH;
        /* alpha and beta are floats: the scale type of every 32F compute type */
        cublasStatus_t s = cublasGemmStridedBatchedEx(
            st->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, (int)n,
            (int)m, (int)k, &alpha, b + b0 * stride_b, CUDA_R_32F, (int)ldb,
            (long long)stride_b, a + b0 * stride_a, CUDA_R_32F, (int)lda, (long long)stride_a,
            &beta, c + b0 * stride_c, CUDA_R_32F, (int)ldc, (long long)stride_c, (int)nb, ct,
            CUBLAS_GEMM_DEFAULT);
        if (s != CUBLAS_STATUS_SUCCESS)
            gl_cuda_check(st, cudaErrorUnknown);
    }
}
