/* SPDX-License-Identifier: MIT
 *
 * arch.h — what the VAE architectures (arch_mlp.c, arch_conv.c) share: the
 * family's two roles and the component of an arch written as a sequential
 * network (libgenlab's genlab_seq_arch, seq_arch.h).
 *
 * Every VAE arch builds both roles:
 *   encoder  (C, H, W) -> (2 z): the mean and the log-variance of q(z|x),
 *            concatenated (one Linear "fc_stats" of 2 z outputs: the two
 *            heads of the reference models, fc_mu and fc_logvar, stacked,
 *            with the same parameters and products);
 *   decoder  (z) -> (C, H, W): the pixels before the output activation.
 * The decoder has no final sigmoid or tanh: the trainer applies it
 * (vae.output), so that the Bernoulli loss can take the logits
 * (binary_cross_entropy_with_logits is exact where sigmoid then log
 * rounds to 0).
 *
 * Not here: the components themselves (one file per family), the spec
 * checks, native specs and sequential builds (seq_arch.h), the layers
 * (nn.h).
 */
#ifndef GENLAB_PLUGIN_VAE_ARCH_H
#define GENLAB_PLUGIN_VAE_ARCH_H

#include "vae.h"

/* The roles every VAE arch builds, in the order its refusals name them. */
#define VAE_ROLES {GL_ROLE_ENCODER, GL_ROLE_DECODER}

/* VAE_ARCH_COMPONENT(id, name, arch_def, doc_line, param_table) — the arch
 * component gl_vae_<id> (vae.h), called name, for the genlab_seq_arch
 * arch_def (GL_SEQ_ARCH_COMPONENT). */
#define VAE_ARCH_COMPONENT(id, name_, arch_def, doc_line, param_table) \
    GL_SEQ_ARCH_COMPONENT(gl_vae_##id, id, name_, arch_def, doc_line, param_table)

#endif /* GENLAB_PLUGIN_VAE_ARCH_H */
