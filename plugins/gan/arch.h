/* SPDX-License-Identifier: MIT
 *
 * arch.h — what the GAN architectures (arch_dcgan.c, arch_mlp.c,
 * arch_resnet.c) share: reading and refusing an arch spec, the spec each
 * was designed for, the input check of a forward, and the "stack": a
 * sequential network of Linear / Conv2d / ConvTranspose2d layers, each
 * followed by an optional BatchNorm, an activation and dropout, from which
 * the DCGANs and the MLP are described in a few lines each.
 *
 * Not here: the components themselves (one file per family), the ResNet
 * blocks (arch_resnet.c), the layers (nn.h).
 *
 * Sections: specs, stacks, components.
 */
#ifndef GENLAB_PLUGIN_GAN_ARCH_H
#define GENLAB_PLUGIN_GAN_ARCH_H

#include "gan.h"

/* ---- specs ---- */

/* The largest image side, channel count and latent size the archs accept:
 * far beyond any use, small enough that every layer size fits an int. */
#define GAN_MAX_SIDE    1024
#define GAN_MAX_CHANNELS  64
#define GAN_MAX_LATENT 65536

/* The sizes one arch was designed for: its reference model's latent size
 * and image shape. */
typedef struct gan_native {
    int64_t z, c, h, w;
} gan_native;

/* What a GAN network maps, read from a spec: z (N, z) -> image (N, c, h, w)
 * for a generator, image -> (N, 1) for a discriminator. */
typedef struct gan_io {
    bool    generator;
    int64_t z;           /* latent size; 0 for a discriminator */
    int64_t c, h, w;     /* the image */
} gan_io;

/* gan_build_check — the first checks of every build: a parameter block to
 * build into, and a spec asking for a generator (z) -> (C, H, W) or a
 * discriminator (C, H, W) -> (1), unconditional, without times, with sizes
 * within the GAN_MAX_* limits; fills *io (OUT).
 * Returns GL_OK; GL_ERR_INVALID (no block), or GL_ERR_SHAPE /
 * GL_ERR_UNSUPPORTED with a message on ctx naming arch, the role and the
 * spec's shapes (gan_refuse). */
genlab_status gan_build_check(genlab_ctx *ctx, const char *arch, const genlab_arch_spec *spec,
                              const genlab_params *params, gan_io *io);

/* gan_refuse — record on ctx "arch ARCH: cannot build a ROLE (IN) -> (OUT):
 * REASON" (REASON printf-style) and return status. */
genlab_status gan_refuse(genlab_ctx *ctx, genlab_status status, const char *arch,
                         const genlab_arch_spec *spec, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* gan_native_spec — the generator or discriminator spec for the sizes in
 * n (OUT: *spec); GL_ERR_UNSUPPORTED for another role. The body of every
 * arch's native_spec. */
genlab_status gan_native_spec(const gan_native *n, genlab_arch_role role,
                              genlab_arch_spec *spec);

/* gan_input_ok — x is (N, spec->in_shape...) with N >= 1; otherwise false
 * after recording GL_ERR_SHAPE on ctx naming arch, the role and both
 * shapes. false without a new error when x is NULL or ctx has one. */
bool gan_input_ok(genlab_ctx *ctx, const char *arch, const genlab_arch_spec *spec,
                  const genlab_tensor *x);

/* ---- stacks ---- */

#define GAN_STACK_MAX 8          /* layers; the deepest DCGAN has 5 */
#define GAN_LRELU_SLOPE 0.2f     /* every LeakyReLU of the reference models */

typedef enum gan_op {
    GAN_LINEAR = 0,              /* flattens its input */
    GAN_CONV   = 1,
    GAN_DECONV = 2               /* ConvTranspose2d */
} gan_op;

typedef enum gan_act {
    GAN_ACT_NONE  = 0,
    GAN_ACT_RELU  = 1,
    GAN_ACT_LRELU = 2,           /* slope GAN_LRELU_SLOPE */
    GAN_ACT_TANH  = 3
} gan_act;

/* One layer as an arch describes it. */
typedef struct gan_layer_def {
    gan_op      op;
    const char *name;            /* parameter prefix: "conv1" -> "conv1.weight" */
    int64_t     cout;            /* output channels (features for GAN_LINEAR) */
    int         k, stride, pad;  /* square kernel; unused by GAN_LINEAR */
    bool        bias;
    const char *norm;            /* BatchNorm's name ("bn1"), or NULL: none. After a
                                  * GAN_LINEAR it is PyTorch's BatchNorm1d */
    bool        norm_after_act;  /* seed 002's discriminator: LeakyReLU, then BN */
    gan_act     act;
    float       dropout;         /* probability; 0: none */
} gan_layer_def;

/* One built layer. */
typedef struct gan_layer {
    gan_op op;
    union {
        genlab_linear_layer           fc;
        genlab_conv2d_layer           conv;
        genlab_conv_transpose2d_layer deconv;
    };
    bool                      has_norm, norm_after_act;
    genlab_batch_norm2d_layer bn;
    gan_act                   act;
    float                     dropout;
    int64_t                   in[3];   /* (C, H, W) a conv layer reshapes a flat input to */
} gan_layer;

/* A sequential network being built, then run. Every size is per sample. */
typedef struct gan_stack {
    genlab_ctx             *ctx;      /* build's, for its errors */
    const char             *arch;     /* for messages */
    const genlab_arch_spec *spec;     /* the spec being built, for messages */
    genlab_params          *p;
    bool                    sn;       /* spectral-normalise every weight */
    bool                    has_norm; /* some layer has a BatchNorm */
    int                     n;
    gan_layer               l[GAN_STACK_MAX];
    int64_t                 c, h, w;  /* the running shape: (c) when h == 0 */
} gan_stack;

/* gan_stack_add — append a layer taking the running shape, declaring its
 * tensors in s->p (spectral norm on its weight when s->sn), and advance the
 * running shape. A shape the layer cannot take (a side below 1) is refused
 * through gan_refuse. Returns GL_OK or the error (also on s->ctx). */
genlab_status gan_stack_add(gan_stack *s, const gan_layer_def *d);

/* gan_stack_view — reinterpret the running shape, as PyTorch's view
 * between a Linear and a conv: (c * h * w) features -> (c, h, w).
 * Returns GL_OK, or GL_ERR_INVALID (on s->ctx) when the sizes differ. */
genlab_status gan_stack_view(gan_stack *s, int64_t c, int64_t h, int64_t w);

/* gan_stack_forward — run the layers on x (N, ...) and reshape the result
 * to (N, out_shape[0..out_ndim)). training: batch statistics and dropout;
 * the params' train/eval mode is set to it (spectral norm's power
 * iteration reads it). Returns an arena tensor or NULL (error on ctx). */
genlab_tensor *gan_stack_forward(genlab_ctx *ctx, gan_stack *s, genlab_tensor *x,
                                 bool training, int out_ndim, const int64_t *out_shape);

/* ---- components ---- */

/* How an arch built from a stack describes itself: its name, native sizes
 * initialisation, and the function adding its layers for io (reading its
 * sizes from cfg; it may refuse io with gan_refuse). The common build
 * refuses a network whose last layer does not make the spec's output. */
typedef struct gan_stack_arch {
    const char *name;
    gan_native  native;
    bool        dcgan_init;   /* conv weights N(0, 0.02), BatchNorm weights N(1, 0.02) */
    genlab_status (*describe)(gan_stack *s, const genlab_config *cfg, const gan_io *io);
} gan_stack_arch;

/* The arch_i callbacks shared by every stack arch (arch_common.c). */
genlab_status gan_stack_build(const gan_stack_arch *a, const genlab_host *host,
                              const genlab_config *cfg, const genlab_arch_spec *spec,
                              genlab_params *params, void **state);
void           gan_stack_destroy(void *state);
genlab_tensor *gan_stack_arch_forward(genlab_ctx *ctx, void *state, genlab_tensor *x,
                                      genlab_tensor *t, genlab_tensor *y, bool training);

/* GAN_STACK_COMPONENT(id, arch_def, doc_line, param_table) — the arch
 * component gl_gan_<id> (gan.h), named "<id>", for the gan_stack_arch
 * arch_def: build and native_spec bound to it, the shared destroy and
 * forward. */
#define GAN_STACK_COMPONENT(id, arch_def, doc_line, param_table)                        \
    static genlab_status id##_build(const genlab_host *host, const genlab_config *cfg,   \
                                    const genlab_arch_spec *spec, genlab_params *params, \
                                    void **state)                                        \
    {                                                                                    \
        return gan_stack_build(&(arch_def), host, cfg, spec, params, state);            \
    }                                                                                    \
    static genlab_status id##_native_spec(const genlab_config *cfg, genlab_arch_role role, \
                                          genlab_arch_spec *spec)                        \
    {                                                                                    \
        (void)cfg;                                                                       \
        return gan_native_spec(&(arch_def).native, role, spec);                         \
    }                                                                                    \
    static const genlab_arch_i id##_iface = {                                            \
        .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_arch_i),      \
        .build = id##_build, .destroy = gan_stack_destroy,                               \
        .forward = gan_stack_arch_forward, .native_spec = id##_native_spec,              \
    };                                                                                   \
    const genlab_component gl_gan_##id = {                                               \
        .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),   \
        .kind = GL_KIND_ARCH, .name = #id, .doc = (doc_line),                           \
        GL_PARAMS(param_table), .iface = &id##_iface,                                    \
    }

#endif /* GENLAB_PLUGIN_GAN_ARCH_H */
