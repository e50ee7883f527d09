/* SPDX-License-Identifier: MIT
 *
 * cuda_gemm.c — the CUDA backend's batched matrix product through cuBLAS.
 *
 * cuBLAS is column-major; a row-major (M, N) matrix is the column-major
 * (N, M) matrix of the same memory, so C = op(A) op(B) in row-major is
 * C^T = op(B)^T op(A)^T in column-major: the same call with the operands
 * swapped and M, N exchanged, and every leading dimension kept. One
 * cublasSgemmStridedBatched covers the batch (a stride of 0 shares an
 * operand). TF32 is off unless GENLAB_CUDA_TF32=1 (cuda_backend.c), so
 * results are FP32 products comparable with the CPU's.
 *
 * Not here: the convolutions (cuDNN, cuda_conv.c).
 */
#include <limits.h>

#include "cuda_impl.h"

/* Batches beyond cuBLAS's int count are split (never in practice). */
#define GL_GEMM_MAX_BATCH INT_MAX

void gl_cuda_gemm(void *state, int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha,
                  const float *a, int64_t lda, int64_t stride_a, const float *b, int64_t ldb,
                  int64_t stride_b, float beta, float *c, int64_t ldc, int64_t stride_c,
                  int64_t batch)
{
    gl_cuda *st = state;
    if (m <= 0 || n <= 0 || batch <= 0)
        return;
    for (int64_t b0 = 0; b0 < batch; b0 += GL_GEMM_MAX_BATCH) {
        int64_t nb = batch - b0 < GL_GEMM_MAX_BATCH ? batch - b0 : GL_GEMM_MAX_BATCH;
        cublasStatus_t s = cublasSgemmStridedBatched(
            st->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N, ta ? CUBLAS_OP_T : CUBLAS_OP_N, (int)n,
            (int)m, (int)k, &alpha, b + b0 * stride_b, (int)ldb, (long long)stride_b,
            a + b0 * stride_a, (int)lda, (long long)stride_a, &beta, c + b0 * stride_c,
            (int)ldc, (long long)stride_c, (int)nb);
        if (s != CUBLAS_STATUS_SUCCESS)
            gl_cuda_check(st, cudaErrorUnknown);
    }
}
