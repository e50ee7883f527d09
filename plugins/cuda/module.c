/* SPDX-License-Identifier: MIT
 *
 * module.c — the CUDA plugin's descriptor: one component, the backend
 * "cuda" (plugin.h, kind backend), whose table is cuda_backend.c's.
 *
 * Loading the plugin touches no GPU: the core calls the table's probe()
 * only when it chooses a backend (genlab_ctx_options.backend), and a
 * machine without a driver or device then falls back to the CPU.
 */
#include "genlab/plugin.h"

#include "cuda_impl.h"

static const genlab_backend_plugin_i iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_backend_plugin_i),
    .table = gl_cuda_table,
};

static const genlab_component cuda_component = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_BACKEND, .name = "cuda",
    .doc = "NVIDIA GPUs: cuBLAS, cuDNN and own kernels on managed memory (compute capability "
           ">= 7.0)",
    .iface = &iface,
};

static const genlab_component *const components[] = {&cuda_component, NULL};

static const genlab_module module = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_module),
    .name = "cuda", .version = "0.1.0", .components = components,
};

GENLAB_PLUGIN(module)
