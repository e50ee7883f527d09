/* SPDX-License-Identifier: MIT
 *
 * arch.h — what the GAN architectures (arch_dcgan.c, arch_mlp.c,
 * arch_resnet.c) share: the family's two roles, and the component of an
 * arch written as a sequential network (the DCGANs and the MLP, each
 * described in a few lines on libgenlab's genlab_seq_arch).
 *
 * Every GAN arch builds both roles: a generator (z) -> (C, H, W) and a
 * discriminator (C, H, W) -> (1), unconditional and without times, within
 * the GL_ARCH_MAX_* limits (genlab_arch_io_read, seq_arch.h).
 *
 * Not here: the components themselves (one file per family), the ResNet
 * blocks (arch_resnet.c), the spec checks, native specs and sequential
 * builds (seq_arch.h), the layers (nn.h).
 */
#ifndef GENLAB_PLUGIN_GAN_ARCH_H
#define GENLAB_PLUGIN_GAN_ARCH_H

#include "gan.h"

/* The roles every GAN arch builds, in the order its refusals name them. */
#define GAN_ROLES {GL_ROLE_GENERATOR, GL_ROLE_DISCRIMINATOR}

/* GAN_STACK_COMPONENT(id, arch_def, doc_line, param_table) — the arch
 * component gl_gan_<id> (gan.h), named "<id>", for the genlab_seq_arch
 * arch_def (GL_SEQ_ARCH_COMPONENT). */
#define GAN_STACK_COMPONENT(id, arch_def, doc_line, param_table) \
    GL_SEQ_ARCH_COMPONENT(gl_gan_##id, id, #id, arch_def, doc_line, param_table)

#endif /* GENLAB_PLUGIN_GAN_ARCH_H */
