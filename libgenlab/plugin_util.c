/* SPDX-License-Identifier: MIT
 *
 * plugin_util.c — the helpers of plugin.h with which plugins word their
 * errors alike: for archs, role names and the two messages every
 * architecture gives, a refused spec ("arch dcgan32: cannot build a
 * generator (100) -> (3, 28, 28): it makes (3, 32, 32) images") and a
 * forward's wrong input; for losses, a missing input.
 *
 * Not here: any architecture or loss (plugins/), the layers (nn.h), the
 * loader (plugin_loader.c).
 *
 * Sections: archs, losses.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "genlab/plugin.h"
#include "genlab/tensor.h"

/* ---- archs ---- */

/* "(3, 32, 32)" for ndim sizes; "(?)" for an ndim out of range */
static const char *dims_str(char *buf, size_t size, int ndim, const int64_t *shape)
{
    if (ndim < 0 || ndim > GL_MAX_DIMS) {
        snprintf(buf, size, "(?)");
        return buf;
    }
    size_t used = (size_t)snprintf(buf, size, "(");
    for (int i = 0; i < ndim && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%lld", i ? ", " : "",
                                 (long long)shape[i]);
    if (used < size)
        snprintf(buf + used, size - used, ")");
    return buf;
}

const char *genlab_arch_role_name(genlab_arch_role role)
{
    static const char *const names[] = {
        [GL_ROLE_GENERATOR] = "generator", [GL_ROLE_DISCRIMINATOR] = "discriminator",
        [GL_ROLE_ENCODER] = "encoder", [GL_ROLE_DECODER] = "decoder",
        [GL_ROLE_DENOISER] = "denoiser",
    };
    return (unsigned)role < sizeof names / sizeof names[0] ? names[role] : "unknown role";
}

const char *genlab_arch_refusal(char *buf, size_t size, const char *arch,
                                const genlab_arch_spec *spec)
{
    char in[128], out[128];
    const char *role = genlab_arch_role_name(spec->role);
    snprintf(buf, size, "arch %s: cannot build %s %s %s -> %s", arch,
             strchr("aeiou", role[0]) ? "an" : "a", role,
             dims_str(in, sizeof in, spec->in_ndim, spec->in_shape),
             dims_str(out, sizeof out, spec->out_ndim, spec->out_shape));
    return buf;
}

genlab_status genlab_arch_refuse(genlab_ctx *ctx, genlab_status status, const char *arch,
                                 const genlab_arch_spec *spec, const char *fmt, ...)
{
    char head[384], why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return genlab_errorf(ctx, status, "%s: %s",
                         genlab_arch_refusal(head, sizeof head, arch, spec), why);
}

bool genlab_arch_input_ok(genlab_ctx *ctx, const char *arch, const genlab_arch_spec *spec,
                          const genlab_tensor *x)
{
    if (!x || genlab_ctx_status(ctx) != GL_OK)
        return false;
    int nd = genlab_tensor_ndim(x);
    bool ok = nd == 1 + spec->in_ndim && genlab_tensor_dim(x, 0) >= 1;
    for (int i = 0; ok && i < spec->in_ndim; i++)
        ok = genlab_tensor_dim(x, i + 1) == spec->in_shape[i];
    if (!ok) {
        char have[128], want[128];
        genlab_errorf(ctx, GL_ERR_SHAPE, "arch %s %s: x %s, want (N, %s", arch,
                      genlab_arch_role_name(spec->role),
                      genlab_tensor_shape_str(x, have, sizeof have),
                      dims_str(want, sizeof want, spec->in_ndim, spec->in_shape) + 1);
    }
    return ok;
}

/* ---- losses ---- */

genlab_tensor *genlab_loss_input(genlab_ctx *ctx, const char *loss, const genlab_loss_args *args,
                                 const char *name)
{
    genlab_tensor *t = genlab_loss_arg(args, name);
    if (t || genlab_ctx_status(ctx) != GL_OK)
        return t;
    /* the names the trainer did give: the fix is usually a typo or a
     * trainer that cannot feed this loss */
    char gave[256] = "none";
    size_t used = 0;
    for (int i = 0; i < args->n_tensors && used < sizeof gave; i++) {
        int w = snprintf(gave + used, sizeof gave - used, "%s%s", i ? ", " : "",
                         args->tensors[i].name);
        used += w > 0 ? (size_t)w : 0;
    }
    genlab_errorf(ctx, GL_ERR_INVALID, "loss %s: input %s missing (the trainer gave: %s)", loss,
                  name, gave);
    return NULL;
}
