/* SPDX-License-Identifier: MIT
 *
 * module.c — the CUDA plugin's descriptor: one component, the backend
 * "cuda" (plugin.h, kind backend), whose table is cuda_backend.c's.
 *
 * Loading the plugin touches no GPU: the core calls the table's probe()
 * only when it chooses a backend (genlab_ctx_options.backend), and a
 * machine without a driver or device then falls back to the CPU.
 *
 * The plugin pins itself in memory when loaded (pin_plugin): the CUDA
 * runtime, cuBLAS and cuDNN are C++ libraries that cannot be unloaded
 * cleanly. Their runtime threads outlive a dlclose, and the C++ runtime they
 * bring in keeps process-wide allocations (its exception emergency pool)
 * that become unreachable, so a leak checker reports them, once the file
 * is unmapped.
 */
#include <dlfcn.h>
#include <stdio.h>

#include "genlab/plugin.h"

#include "cuda_impl.h"

static const genlab_backend_plugin_i iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_backend_plugin_i),
    .table = gl_cuda_table,
};

/* pin_plugin — take one more reference to this file with RTLD_NODELETE, so
 * the loader's dlclose leaves it (and the CUDA libraries) mapped. */
static genlab_status pin_plugin(const genlab_host *host, char *why, size_t why_size)
{
    (void)host;
    Dl_info info;
    if (!dladdr((const void *)pin_plugin, &info) || !info.dli_fname) {
        snprintf(why, why_size, "cuda: cannot find the plugin's own file (dladdr)");
        return GL_ERR_IO;
    }
    if (!dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE)) {
        const char *err = dlerror();
        snprintf(why, why_size, "cuda: cannot pin %s: %s", info.dli_fname, err ? err : "dlopen failed");
        return GL_ERR_IO;
    }
    return GL_OK;
}

static const genlab_component cuda_component = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_BACKEND, .name = "cuda",
    .doc = "NVIDIA GPUs: cuBLAS, cuDNN and own kernels on managed memory (compute capability "
           ">= 7.0)",
    .iface = &iface,
    .init = pin_plugin,
};

static const genlab_component *const components[] = {&cuda_component, NULL};

static const genlab_module module = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_module),
    .name = "cuda", .version = "0.1.0", .components = components,
};

GENLAB_PLUGIN(module)
