/* SPDX-License-Identifier: MIT
 *
 * cuda_backend.c — the CUDA backend's probe, per-context state (device,
 * stream, cuBLAS and cuDNN handles), memory entry points and the vtable that
 * gathers the kernels of the other cuda_*.c / *.cu files.
 *
 * Not here: the caching allocator (cuda_alloc.c) and the kernels.
 *
 * Every kernel of a state runs on its one stream, so the order of the
 * engine's calls is the order of execution; host code waits for the stream
 * through synchronize() (called by the core's host accessors) and through
 * to_host/from_host.
 *
 * Environment (read once per state, at init): GENLAB_CUDA_DETERMINISTIC=1
 * picks deterministic algorithms and no atomics (bit-identical runs);
 * GENLAB_CUDA_TF32=1 starts the state in precision tf32, exactly as
 * set_precision(tf32) would (cuBLAS and cuDNN on TF32 tensor cores: faster,
 * about 1e-3 relative error; fp32 by default). A run sets its own
 * precision (train.precision), which replaces it.
 *
 * Precision (set_precision): fp32, tf32 and f16 on every device the probe
 * accepts (tf32 computes in fp32 before compute capability 8.0, which has
 * no TF32 tensor cores); bf16 from 8.0 on (cuDNN has no bfloat16
 * convolutions before). gemm and the convolutions read it at each call.
 *
 * Sections: probe, state, memory, the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_impl.h"

/* ---- probe ---- */

/* Volta (7.0) and later: managed memory the host may touch while the device
 * works on other memory, and tensor cores. */
#define GL_CUDA_MIN_MAJOR 7

static const char *probe_why = "not probed";
static int probe_score = -1;

/* probe once per process: cudaGetDeviceCount starts the runtime (slow) */
static int cuda_probe(void)
{
    if (probe_score >= 0)
        return probe_score;
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    probe_score = 0;
    if (e == cudaErrorInsufficientDriver || e == cudaErrorNoDevice || n < 1) {
        probe_why = e == cudaErrorInsufficientDriver ? "the CUDA driver is missing or older "
                                                       "than the runtime"
                                                     : "no CUDA device";
        return 0;
    }
    if (e != cudaSuccess) {
        probe_why = "the CUDA runtime failed to start (cudaGetDeviceCount)";
        return 0;
    }
    int major = 0;
    if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, 0) != cudaSuccess ||
        major < GL_CUDA_MIN_MAJOR) {
        probe_why = "device 0 has compute capability < 7.0";
        return 0;
    }
    probe_why = "";
    probe_score = 10;   /* preferred to the CPU's 1 */
    return probe_score;
}

static const char *cuda_probe_reason(void) { return probe_why; }

/* ---- state ---- */

void gl_cuda_check(gl_cuda *st, cudaError_t e)
{
    if (e != cudaSuccess && st->first_error == cudaSuccess)
        st->first_error = e;
}

void gl_cuda_launched(gl_cuda *st) { gl_cuda_check(st, cudaGetLastError()); }

static bool env_on(const char *name)
{
    const char *v = getenv(name);
    return v && strcmp(v, "1") == 0;
}

static int cuda_set_precision(void *state, genlab_precision p)
{
    gl_cuda *st = state;
    if ((unsigned)p >= GL_PRECISION_COUNT || (p == GL_PRECISION_BF16 && st->cc_major < 8))
        return 0;
    st->precision = p;
    return 1;
}

static void cuda_release(void *state)
{
    gl_cuda *st = state;
    if (!st)
        return;
    cudaStreamSynchronize(st->stream);
    gl_cuda_conv_release(st);
    gl_cuda_alloc_release(st);
    if (st->dnn)
        cudnnDestroy(st->dnn);
    if (st->blas)
        cublasDestroy(st->blas);
    if (st->stream)
        cudaStreamDestroy(st->stream);
    free(st);
}

static genlab_status cuda_init(int n_threads, void **state)
{
    (void)n_threads;   /* the device decides its own parallelism */
    *state = NULL;
    if (cuda_probe() <= 0)
        return GL_ERR_UNSUPPORTED;
    gl_cuda *st = calloc(1, sizeof *st);
    if (!st)
        return GL_ERR_NOMEM;
    st->device = 0;
    st->alloc.device = 0;
    st->deterministic = env_on("GENLAB_CUDA_DETERMINISTIC");
    struct cudaDeviceProp prop;
    /* the default math mode: the compute type of each gemm call
     * (cuda_gemm.c) alone decides whether tensor cores round operands */
    bool ok = cudaSetDevice(st->device) == cudaSuccess &&
              cudaGetDeviceProperties(&prop, st->device) == cudaSuccess &&
              cudaStreamCreateWithFlags(&st->stream, cudaStreamNonBlocking) == cudaSuccess &&
              cublasCreate(&st->blas) == CUBLAS_STATUS_SUCCESS &&
              cublasSetStream(st->blas, st->stream) == CUBLAS_STATUS_SUCCESS &&
              cublasSetMathMode(st->blas, CUBLAS_DEFAULT_MATH) == CUBLAS_STATUS_SUCCESS &&
              cudnnCreate(&st->dnn) == CUDNN_STATUS_SUCCESS &&
              cudnnSetStream(st->dnn, st->stream) == CUDNN_STATUS_SUCCESS;
    if (!ok) {
        cuda_release(st);
        return GL_ERR_UNSUPPORTED;
    }
    snprintf(st->name, sizeof st->name, "%s", prop.name);
    st->sms = prop.multiProcessorCount;
    st->cc_major = prop.major;
    if (env_on("GENLAB_CUDA_TF32"))
        cuda_set_precision(st, GL_PRECISION_TF32);
    *state = st;
    return GL_OK;
}

static int cuda_threads(void *state)
{
    (void)state;
    return 1;   /* one stream: the host side of a kernel call is one thread */
}

static const char *cuda_device_name(void *state) { return ((gl_cuda *)state)->name; }

static size_t cuda_memory_peak(void *state) { return ((gl_cuda *)state)->alloc.peak; }

static const char *cuda_notes(void *state) { return gl_cuda_conv_notes(state); }

static void cuda_synchronize(void *state)
{
    gl_cuda *st = state;
    gl_cuda_check(st, cudaStreamSynchronize(st->stream));
}

/* ---- memory ---- */

static void *cuda_alloc(void *state, size_t bytes) { return gl_cuda_alloc_get(state, bytes); }

static void cuda_free(void *state, void *ptr)
{
    gl_cuda *st = state;
    if (!ptr)
        return;
    /* a queued kernel may still use the block: the next owner's kernels run
     * after it on the same stream, but a host write must not overtake it */
    gl_cuda_alloc_put(st, ptr);
}

static void cuda_copy_bytes(void *state, void *dst, const void *src, size_t bytes)
{
    gl_cuda *st = state;
    gl_cuda_check(st, cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, st->stream));
    gl_cuda_check(st, cudaStreamSynchronize(st->stream));
}

/* ---- the table ---- */

static const genlab_backend_i cuda_backend = {
    .abi_version = GL_BACKEND_ABI_VERSION,
    .struct_size = sizeof(genlab_backend_i),
    .name = "cuda",
    .probe = cuda_probe,
    .init = cuda_init,
    .release = cuda_release,
    .threads = cuda_threads,
    .alloc = cuda_alloc,
    .free = cuda_free,
    .to_host = cuda_copy_bytes,
    .from_host = cuda_copy_bytes,
    .fill = gl_cuda_fill,
    .axpy = gl_cuda_axpy,
    .unary = gl_cuda_unary,
    .binary = gl_cuda_binary,
    .copy = gl_cuda_copy,
    .reduce_sum = gl_cuda_reduce_sum,
    .reduce_max = gl_cuda_reduce_max,
    .gemm = gl_cuda_gemm,
    .conv2d_forward = gl_cuda_conv2d_forward,
    .conv2d_backward_data = gl_cuda_conv2d_backward_data,
    .conv2d_backward_weight = gl_cuda_conv2d_backward_weight,
    .max_pool = gl_cuda_max_pool,
    .gather = gl_cuda_gather,
    .scatter_add = gl_cuda_scatter_add,
    .upsample_nearest = gl_cuda_upsample_nearest,
    .nearest_adjoint = gl_cuda_nearest_adjoint,
    .bilinear = gl_cuda_bilinear,
    .bilinear_adjoint = gl_cuda_bilinear_adjoint,
    .rng = gl_cuda_rng,
    .synchronize = cuda_synchronize,
    .adam = gl_cuda_adam,
    .device_name = cuda_device_name,
    .probe_reason = cuda_probe_reason,
    .memory_peak = cuda_memory_peak,
    .notes = cuda_notes,
    .group_norm = gl_cuda_group_norm,
    .group_norm_backward = gl_cuda_group_norm_backward,
    .batch_norm = gl_cuda_batch_norm,
    .batch_norm_backward = gl_cuda_batch_norm_backward,
    .set_precision = cuda_set_precision,
};

const genlab_backend_i *gl_cuda_table(void) { return &cuda_backend; }
