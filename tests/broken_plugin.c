/* SPDX-License-Identifier: MIT
 *
 * broken_plugin.c — plugins the loader must refuse, one per build macro
 * (Makefile.am builds this file once per macro, as separate modules):
 *
 *   GL_BROKEN_NOENTRY   exports a look-alike, but no genlab_plugin_v1
 *   GL_BROKEN_ABI       descriptor of ABI major 2
 *   GL_BROKEN_DUP       a loss named "dup" (built twice: two files, one name);
 *                       GL_BROKEN_MODULE names the module
 *   GL_BROKEN_INIT      a component whose init() fails with a reason
 *   GL_BROKEN_PARAMS    a parameter whose default lies outside its range
 *   GL_BROKEN_IFACE     a loss vtable without its required compute()
 *
 * Everything else is a minimal valid loss, so each build is broken in
 * exactly one way.
 */
#include <stdio.h>

#include "genlab/genlab.h"

#ifndef GL_BROKEN_MODULE
#define GL_BROKEN_MODULE "broken"
#endif

static genlab_tensor *compute(genlab_ctx *ctx, void *state, const genlab_loss_args *args)
{
    (void)state;
    return genlab_mean_all(ctx, genlab_loss_arg(args, "d_fake"));
}

static const genlab_loss_i iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_loss_i),
#ifndef GL_BROKEN_IFACE
    .compute = compute,
#endif
};

static const genlab_param_def params[] = {
#ifdef GL_BROKEN_PARAMS
    {.name = "weight", .type = GL_PARAM_FLOAT, .def = "5", .min = "0", .max = "1",
     .help = "a default out of its own range"},
#else
    {.name = "weight", .type = GL_PARAM_FLOAT, .def = "1", .min = "0", .help = "loss weight"},
#endif
};

#ifdef GL_BROKEN_INIT
static genlab_status init(const genlab_host *host, char *why, size_t why_size)
{
    (void)host;
    snprintf(why, why_size, "needs a frobnicator, none found");
    return GL_ERR_UNSUPPORTED;
}
#endif

static const genlab_component loss = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_LOSS,
#ifdef GL_BROKEN_DUP
    .name = "dup",
#else
    .name = "broken",
#endif
    .doc = "a loss in a broken plugin", GL_PARAMS(params), .iface = &iface,
#ifdef GL_BROKEN_INIT
    .init = init,
#endif
};

static const genlab_component *const components[] = {&loss, NULL};

static const genlab_module module = {
#ifdef GL_BROKEN_ABI
    .abi_version = 2u << 16,
#else
    .abi_version = GL_PLUGIN_ABI_VERSION,
#endif
    .struct_size = sizeof(genlab_module), .name = GL_BROKEN_MODULE, .version = "0.0.1",
    .components = components,
};

#ifdef GL_BROKEN_NOENTRY
/* exported (it matches ^genlab_plugin_) but it is not the entry point */
const genlab_module *genlab_plugin_entry(void);
const genlab_module *genlab_plugin_entry(void) { return &module; }
#else
GENLAB_PLUGIN(module)
#endif
