/* SPDX-License-Identifier: MIT
 *
 * arch_resnet.c — resnet32, the CIFAR ResNet of WGAN-GP (Gulrajani et al.;
 * seed 000; torch_ref.py ResG32/ResD32), with PyTorch's default
 * initialisation:
 *
 *   G: z (128) -> Linear -> (ngf, H/8, W/8) -> 3 ResBlockUp -> BN -> ReLU
 *      -> 3x3 conv (C) -> tanh.
 *      ResBlockUp: x -> BN -> ReLU -> 2x nearest -> conv3x3 -> BN -> ReLU
 *      -> conv3x3, plus conv1x1(2x nearest(x)).
 *   D: ResBlockDown (first) -> ResBlockDown -> ResBlock -> ResBlock ->
 *      ReLU -> sum over H, W -> Linear -> 1, ndf channels throughout.
 *      ResBlockDown: [ReLU unless first] -> conv3x3 -> ReLU -> conv3x3 ->
 *      avgpool 2, plus conv1x1(avgpool 2(x)). ResBlock: x + conv3x3(ReLU(
 *      conv3x3(ReLU(x)))).
 *
 * Two shortcuts are computed in the cheaper of two orders that are equal
 * in exact arithmetic: the generator's 1x1 conv before the upsampling
 * (a 1x1 conv acts on each pixel, nearest upsampling copies pixels: 4x
 * fewer products), and the discriminator's pooling before its 1x1 conv
 * (both are linear and the bias is a constant; torch_ref.py pools after
 * the conv in the second block). Results differ from PyTorch's order only
 * by float rounding.
 *
 * spectral_norm wraps every weight (SNGAN). Sections: parameters, blocks,
 * networks, component.
 */
#include <stdio.h>
#include <stdlib.h>

#include "arch.h"

/* ---- parameters ---- */

static const genlab_param_def resnet32_params[] = {
    {.name = "ngf", .type = GL_PARAM_INT, .def = "128", .min = "1", .max = "1024",
     .help = "generator channels, in every block"},
    {.name = "ndf", .type = GL_PARAM_INT, .def = "128", .min = "1", .max = "1024",
     .help = "discriminator channels, in every block"},
    {.name = "spectral_norm", .type = GL_PARAM_BOOL, .def = "false",
     .help = "spectral normalisation of every weight (SNGAN: on the discriminator)"},
};

static const genlab_arch_sizes resnet32_native = {128, 3, 32, 32};
static const genlab_arch_role resnet32_roles[2] = GAN_ROLES;

#define RES_UP_BLOCKS 3     /* generator: each doubles the side */
#define RES_DOWN_BLOCKS 2   /* discriminator: each halves it */
#define RES_PLAIN_BLOCKS 2

/* ---- blocks ---- */

typedef struct res_up {
    genlab_batch_norm2d_layer bn1, bn2;
    genlab_conv2d_layer       conv1, conv2;   /* 3x3 */
    genlab_conv2d_layer       sc;             /* 1x1 shortcut */
} res_up;

typedef struct res_down {
    bool                first;                /* no ReLU on the input (it is the image) */
    genlab_conv2d_layer conv1, conv2, sc;
} res_down;

typedef struct res_plain {
    genlab_conv2d_layer conv1, conv2;
} res_plain;

typedef struct resnet {
    genlab_params   *p;
    genlab_arch_spec spec;           /* a copy of build's */
    bool             generator, sn;
    int64_t          ch, h0, w0;     /* the generator's first map */
    /* generator */
    genlab_linear_layer       fc;    /* z -> ch * h0 * w0 */
    res_up                    up[RES_UP_BLOCKS];
    genlab_batch_norm2d_layer bn;
    genlab_conv2d_layer       out;   /* 3x3, ch -> C */
    /* discriminator */
    res_down            down[RES_DOWN_BLOCKS];
    res_plain           plain[RES_PLAIN_BLOCKS];
    genlab_linear_layer head;        /* "fc": ch -> 1 */
} resnet;

/* "<block>.<name>", or name for an empty block */
static const char *prefixed(char *buf, size_t size, const char *block, const char *name)
{
    snprintf(buf, size, "%s%s%s", block, *block ? "." : "", name);
    return buf;
}

/* The declarations below leave their errors on the context, which build
 * checks once at the end. */

/* a k x k conv with same padding and a bias, spectrally normalised when asked */
static void conv_init(resnet *r, genlab_conv2d_layer *l, const char *block, const char *name,
                      int64_t cin, int64_t cout, int k)
{
    char full[64];
    prefixed(full, sizeof full, block, name);
    genlab_conv_opts o = {.padding = {k / 2, k / 2}};
    if (genlab_conv2d_layer_init(r->p, l, full, (int)cin, (int)cout, k, k, &o, true) == GL_OK &&
        r->sn)
        genlab_conv2d_layer_spectral_norm(l);
}

static void linear_init(resnet *r, genlab_linear_layer *l, const char *name, int64_t in,
                        int64_t out)
{
    if (genlab_linear_layer_init(r->p, l, name, (int)in, (int)out, true) == GL_OK && r->sn)
        genlab_linear_layer_spectral_norm(l);
}

static void bn_init(resnet *r, genlab_batch_norm2d_layer *l, const char *block,
                    const char *name, int64_t c)
{
    char full[64];
    genlab_batch_norm2d_layer_init(r->p, l, prefixed(full, sizeof full, block, name), (int)c,
                                   true);
}

static genlab_tensor *up_forward(genlab_ctx *ctx, res_up *b, genlab_tensor *x)
{
    genlab_tensor *h = genlab_relu(ctx, genlab_batch_norm2d_layer_forward(ctx, &b->bn1, x));
    h = genlab_conv2d_layer_forward(ctx, &b->conv1, genlab_upsample_nearest(ctx, h, 2));
    h = genlab_relu(ctx, genlab_batch_norm2d_layer_forward(ctx, &b->bn2, h));
    h = genlab_conv2d_layer_forward(ctx, &b->conv2, h);
    genlab_tensor *s = genlab_upsample_nearest(ctx, genlab_conv2d_layer_forward(ctx, &b->sc, x),
                                               2);
    return genlab_add(ctx, h, s);
}

static genlab_tensor *down_forward(genlab_ctx *ctx, res_down *b, genlab_tensor *x)
{
    genlab_tensor *h = b->first ? x : genlab_relu(ctx, x);
    h = genlab_relu(ctx, genlab_conv2d_layer_forward(ctx, &b->conv1, h));
    h = genlab_avg_pool2d(ctx, genlab_conv2d_layer_forward(ctx, &b->conv2, h), 2, 2, 0);
    genlab_tensor *s = genlab_conv2d_layer_forward(ctx, &b->sc, genlab_avg_pool2d(ctx, x, 2, 2,
                                                                                   0));
    return genlab_add(ctx, h, s);
}

static genlab_tensor *plain_forward(genlab_ctx *ctx, res_plain *b, genlab_tensor *x)
{
    genlab_tensor *h = genlab_conv2d_layer_forward(ctx, &b->conv1, genlab_relu(ctx, x));
    h = genlab_conv2d_layer_forward(ctx, &b->conv2, genlab_relu(ctx, h));
    return genlab_add(ctx, x, h);
}

/* ---- networks ---- */

static void generator_init(resnet *r, const genlab_arch_io *io)
{
    char block[16];
    linear_init(r, &r->fc, "fc", io->z, r->ch * r->h0 * r->w0);
    for (int i = 0; i < RES_UP_BLOCKS; i++) {
        res_up *b = &r->up[i];
        snprintf(block, sizeof block, "up%d", i + 1);
        bn_init(r, &b->bn1, block, "bn1", r->ch);
        conv_init(r, &b->conv1, block, "conv1", r->ch, r->ch, 3);
        bn_init(r, &b->bn2, block, "bn2", r->ch);
        conv_init(r, &b->conv2, block, "conv2", r->ch, r->ch, 3);
        conv_init(r, &b->sc, block, "sc", r->ch, r->ch, 1);
    }
    bn_init(r, &r->bn, "", "bn", r->ch);
    conv_init(r, &r->out, "", "out", r->ch, io->c, 3);
}

static void discriminator_init(resnet *r, const genlab_arch_io *io)
{
    char block[16];
    for (int i = 0; i < RES_DOWN_BLOCKS; i++) {
        res_down *b = &r->down[i];
        int64_t cin = i == 0 ? io->c : r->ch;
        snprintf(block, sizeof block, "down%d", i + 1);
        b->first = i == 0;
        conv_init(r, &b->conv1, block, "conv1", cin, r->ch, 3);
        conv_init(r, &b->conv2, block, "conv2", r->ch, r->ch, 3);
        conv_init(r, &b->sc, block, "sc", cin, r->ch, 1);
    }
    for (int i = 0; i < RES_PLAIN_BLOCKS; i++) {
        snprintf(block, sizeof block, "res%d", i + 1);
        conv_init(r, &r->plain[i].conv1, block, "conv1", r->ch, r->ch, 3);
        conv_init(r, &r->plain[i].conv2, block, "conv2", r->ch, r->ch, 3);
    }
    linear_init(r, &r->head, "fc", r->ch, 1);
}

static genlab_tensor *generator_forward(genlab_ctx *ctx, resnet *r, genlab_tensor *z)
{
    int64_t n = genlab_tensor_dim(z, 0);
    genlab_tensor *h = genlab_reshape(ctx, genlab_linear_layer_forward(ctx, &r->fc, z), 4,
                                      (const int64_t[]){n, r->ch, r->h0, r->w0});
    for (int i = 0; i < RES_UP_BLOCKS; i++)
        h = up_forward(ctx, &r->up[i], h);
    h = genlab_relu(ctx, genlab_batch_norm2d_layer_forward(ctx, &r->bn, h));
    return genlab_tanh(ctx, genlab_conv2d_layer_forward(ctx, &r->out, h));
}

static genlab_tensor *discriminator_forward(genlab_ctx *ctx, resnet *r, genlab_tensor *x)
{
    genlab_tensor *h = x;
    for (int i = 0; i < RES_DOWN_BLOCKS; i++)
        h = down_forward(ctx, &r->down[i], h);
    for (int i = 0; i < RES_PLAIN_BLOCKS; i++)
        h = plain_forward(ctx, &r->plain[i], h);
    h = genlab_global_sum_pool(ctx, genlab_relu(ctx, h));   /* (N, ch) */
    return genlab_linear_layer_forward(ctx, &r->head, h);    /* (N, 1) */
}

/* ---- component ---- */

static genlab_status resnet32_build(const genlab_host *host, const genlab_config *cfg,
                                    const genlab_arch_spec *spec, genlab_params *params,
                                    void **state)
{
    genlab_ctx *ctx = host->ctx;
    genlab_arch_io io;
    genlab_status st = genlab_arch_io_read(ctx, "resnet32", resnet32_roles, spec, params, &io);
    if (st != GL_OK)
        return st;
    /* the generator's 3 upsamplings start from (H/8, W/8); the
     * discriminator's 2 poolings need 4 pixels a side */
    if (!io.image_in && (io.h % 8 || io.w % 8))
        return genlab_arch_refuse(ctx, GL_ERR_SHAPE, "resnet32", spec, "it makes images with "
                                  "sides that are multiples of 8");
    if (io.image_in && (io.h < 4 || io.w < 4))
        return genlab_arch_refuse(ctx, GL_ERR_SHAPE, "resnet32", spec, "the image is too "
                                  "small: two 2x2 poolings need sides of at least 4");
    resnet *r = calloc(1, sizeof *r);
    if (!r)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "arch resnet32: out of memory");
    *r = (resnet){.p = params, .spec = *spec, .generator = !io.image_in,
                  .sn = genlab_config_bool(cfg, "spectral_norm"),
                  .ch = genlab_config_int(cfg, io.image_in ? "ndf" : "ngf"),
                  .h0 = io.h / 8, .w0 = io.w / 8};
    if (!io.image_in)
        generator_init(r, &io);
    else
        discriminator_init(r, &io);
    st = genlab_ctx_status(ctx);
    if (st != GL_OK) {
        free(r);
        return st;
    }
    *state = r;
    return GL_OK;
}

static void resnet32_destroy(void *state)
{
    free(state);
}

static genlab_tensor *resnet32_forward(genlab_ctx *ctx, void *state, genlab_tensor *x,
                                       genlab_tensor *t, genlab_tensor *y, bool training)
{
    (void)t, (void)y;   /* unconditional: the spec asked for neither */
    resnet *r = state;
    if (!genlab_arch_input_ok(ctx, "resnet32", &r->spec, x))
        return NULL;
    genlab_params_set_training(r->p, training);
    return r->generator ? generator_forward(ctx, r, x) : discriminator_forward(ctx, r, x);
}

static genlab_status resnet32_native_spec(const genlab_config *cfg, genlab_arch_role role,
                                          genlab_arch_spec *spec)
{
    (void)cfg;
    return genlab_arch_native_spec(resnet32_roles, &resnet32_native, role, spec);
}

static const genlab_arch_i resnet32_iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_arch_i),
    .build = resnet32_build, .destroy = resnet32_destroy, .forward = resnet32_forward,
    .native_spec = resnet32_native_spec,
};

const genlab_component gl_gan_resnet32 = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_ARCH, .name = "resnet32",
    .doc = "WGAN-GP CIFAR ResNet (seed 000): 3 ResBlockUp / 2 ResBlockDown + 2 ResBlock",
    GL_PARAMS(resnet32_params), .iface = &resnet32_iface,
};
