/* SPDX-License-Identifier: MIT
 *
 * arch_unet.c — the denoiser "unet": the UNet of DDPM as diffusers'
 * UNet2DModel builds it from DownBlock2D / UpBlock2D (and their Attn*
 * variants), the structure of torch_ref.py's UNet32 (its parameter count
 * at the defaults: seed 001's channels 32, 64, 128, 256):
 *
 *   temb   = time_lin2(silu(time_lin1(sinusoidal(t, c0))))   (4 c0 wide;
 *            [cos, sin] of t 10000^(-k / (c0/2)), flip_sin_to_cos)
 *   h      = conv_in(x)                                     (3x3, c0)
 *   down i: layers_per_block ResNet blocks (+ self-attention after each
 *            where the level's side is in attn_resolutions), each output
 *            kept as a skip; then, but at the last level, a 3x3 stride-2
 *            conv ("downsample"), also kept
 *   mid:    two ResNet blocks (self-attention between them with
 *            mid_attention)
 *   up i:   layers_per_block + 1 ResNet blocks, each on [h, skip]
 *            concatenated on channels (+ attention as down), then, but at
 *            the last level, nearest x2 and a 3x3 conv ("upsample")
 *   out    = conv_out(silu(norm_out(h)))                     (3x3, C)
 *
 * A ResNet block: h = conv1(silu(norm1(x))) + time_emb_proj(silu(temb));
 * out = shortcut(x) + conv2(silu(norm2(h))), shortcut a 1x1 conv where the
 * channels change. GroupNorm has min(norm_groups, C) groups, eps 1e-5.
 * Self-attention: one head over the H W positions, GroupNorm then q, k, v
 * Linear layers, softmax(q k^T / sqrt(C)) v, an out Linear, residual.
 *
 * Sides that 2^(levels - 1) does not divide (MNIST's 28 with four levels)
 * are zero-padded up to the next multiple and the output cropped back, so
 * 28, 32 and 64 all work with the default channels.
 *
 * Parameter names are those of the same module tree in PyTorch
 * (tests/golden/gen_unet.py): "down.1.resnets.0.conv1.weight",
 * "up.0.upsample.bias", "mid.1.time_emb_proj.weight".
 *
 * Sections: parameters, blocks, build, forward, the component.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diffusion.h"

/* ---- parameters ---- */

#define UNET_MAX_LEVELS 6
#define UNET_MAX_LAYERS 8

static const genlab_param_def params[] = {
    {.name = "block_out_channels", .type = GL_PARAM_STRING, .def = "32,64,128,256",
     .help = "channels of each level, comma-separated (seed 001: 32,64,128,256)"},
    {.name = "layers_per_block", .type = GL_PARAM_INT, .def = "2", .min = "1", .max = "8",
     .help = "ResNet blocks per down level (up levels have one more)"},
    {.name = "attn_resolutions", .type = GL_PARAM_STRING, .def = "",
     .help = "sides (of the padded input) at which levels add self-attention, e.g. 16 or 16,8"},
    {.name = "mid_attention", .type = GL_PARAM_BOOL, .def = "false",
     .help = "self-attention between the two middle ResNet blocks"},
    {.name = "norm_groups", .type = GL_PARAM_INT, .def = "32", .min = "1", .max = "1024",
     .help = "GroupNorm groups (at most the channels of each norm)"},
};

/* parse_list — a comma-separated list of positive ints into v (at most
 * max); returns the count, or -1 when malformed or too long */
static int parse_list(const char *s, int64_t *v, int max)
{
    int n = 0;
    while (*s) {
        char *end;
        long long x = strtoll(s, &end, 10);
        if (end == s || x < 1 || x > 65536 || n == max || (*end && *end != ','))
            return -1;
        v[n++] = x;
        s = *end ? end + 1 : end;
    }
    return n;
}

/* ---- blocks ---- */

typedef struct unet_res {
    genlab_group_norm_layer norm1, norm2;
    genlab_conv2d_layer     conv1, conv2, shortcut;
    genlab_linear_layer     temb;
    bool                    has_shortcut;
} unet_res;

typedef struct unet_attn {
    genlab_group_norm_layer norm;
    genlab_linear_layer     q, k, v, out;
    int64_t                 c;
} unet_attn;

typedef struct unet_level {
    unet_res            res[UNET_MAX_LAYERS + 1];
    unet_attn           attn[UNET_MAX_LAYERS + 1];
    bool                has_attn, has_sample;
    genlab_conv2d_layer sample;   /* down: 3x3 stride 2; up: 3x3 after nearest x2 */
} unet_level;

typedef struct unet {
    int                     levels, layers;
    int64_t                 ch[UNET_MAX_LEVELS];
    int64_t                 c, h, w, ph, pw;    /* the image; its padded sides */
    int64_t                 groups;
    genlab_linear_layer     t1, t2;
    genlab_conv2d_layer     conv_in, conv_out;
    unet_level              down[UNET_MAX_LEVELS], up[UNET_MAX_LEVELS];
    unet_res                mid[2];
    unet_attn               mid_attn;
    bool                    has_mid_attn;
    genlab_group_norm_layer norm_out;
} unet;

static const genlab_conv_opts same3 = {.padding = {1, 1}};
static const genlab_conv_opts down3 = {.stride = {2, 2}, .padding = {1, 1}};

/* norm_init — a GroupNorm of min(groups, c) groups, which must divide c */
static genlab_status norm_init(genlab_ctx *ctx, const unet *u, genlab_params *p,
                               genlab_group_norm_layer *l, const char *name, int64_t c)
{
    int64_t g = u->groups < c ? u->groups : c;
    if (c % g != 0)
        return genlab_errorf(ctx, GL_ERR_INVALID, "arch unet: %s: %lld channels do not split "
                             "into %lld groups (norm_groups)", name, (long long)c, (long long)g);
    return genlab_group_norm_layer_init(p, l, name, (int)g, (int)c, true);
}

static genlab_status res_init(genlab_ctx *ctx, const unet *u, genlab_params *p, unet_res *r,
                              const char *prefix, int64_t cin, int64_t cout)
{
    char n[GL_PARAM_NAME_MAX];
    int temb = (int)(4 * u->ch[0]);
    genlab_status st;
#define NAME(part) (snprintf(n, sizeof n, "%s.%s", prefix, part), n)
    if ((st = norm_init(ctx, u, p, &r->norm1, NAME("norm1"), cin)) != GL_OK ||
        (st = genlab_conv2d_layer_init(p, &r->conv1, NAME("conv1"), (int)cin, (int)cout, 3, 3,
                                       &same3, true)) != GL_OK ||
        (st = genlab_linear_layer_init(p, &r->temb, NAME("time_emb_proj"), temb, (int)cout,
                                       true)) != GL_OK ||
        (st = norm_init(ctx, u, p, &r->norm2, NAME("norm2"), cout)) != GL_OK ||
        (st = genlab_conv2d_layer_init(p, &r->conv2, NAME("conv2"), (int)cout, (int)cout, 3, 3,
                                       &same3, true)) != GL_OK)
        return st;
    r->has_shortcut = cin != cout;
    if (r->has_shortcut)
        st = genlab_conv2d_layer_init(p, &r->shortcut, NAME("shortcut"), (int)cin, (int)cout, 1,
                                      1, NULL, true);
#undef NAME
    return st;
}

static genlab_status attn_init(genlab_ctx *ctx, const unet *u, genlab_params *p, unet_attn *a,
                               const char *prefix, int64_t c)
{
    char n[GL_PARAM_NAME_MAX];
    genlab_status st;
    a->c = c;
#define NAME(part) (snprintf(n, sizeof n, "%s.%s", prefix, part), n)
    if ((st = norm_init(ctx, u, p, &a->norm, NAME("norm"), c)) != GL_OK ||
        (st = genlab_linear_layer_init(p, &a->q, NAME("q"), (int)c, (int)c, true)) != GL_OK ||
        (st = genlab_linear_layer_init(p, &a->k, NAME("k"), (int)c, (int)c, true)) != GL_OK ||
        (st = genlab_linear_layer_init(p, &a->v, NAME("v"), (int)c, (int)c, true)) != GL_OK)
        return st;
    st = genlab_linear_layer_init(p, &a->out, NAME("out"), (int)c, (int)c, true);
#undef NAME
    return st;
}

static genlab_tensor *res_forward(genlab_ctx *ctx, unet_res *r, genlab_tensor *x,
                                  genlab_tensor *temb_act)
{
    /* the time embedding joins conv1's bias: one add over h, not two */
    genlab_tensor *e = genlab_linear_layer_forward(ctx, &r->temb, temb_act);
    genlab_tensor *h = genlab_conv2d_layer_forward_shift(
        ctx, &r->conv1, genlab_group_norm_layer_forward_act(ctx, &r->norm1, x, GL_ACT_SILU), e);
    h = genlab_conv2d_layer_forward(
        ctx, &r->conv2, genlab_group_norm_layer_forward_act(ctx, &r->norm2, h, GL_ACT_SILU));
    return genlab_add(ctx, r->has_shortcut ? genlab_conv2d_layer_forward(ctx, &r->shortcut, x) : x,
                      h);
}

/* attn_forward — x + out(softmax(q k^T / sqrt(C)) v) over the positions */
static genlab_tensor *attn_forward(genlab_ctx *ctx, unet_attn *a, genlab_tensor *x)
{
    if (!x)
        return NULL;
    int64_t n = genlab_tensor_dim(x, 0), c = a->c, h = genlab_tensor_dim(x, 2),
            w = genlab_tensor_dim(x, 3), hw = h * w;
    genlab_tensor *t = genlab_group_norm_layer_forward(ctx, &a->norm, x);
    t = genlab_reshape(ctx, t, 3, (const int64_t[]){n, c, hw});
    t = genlab_permute(ctx, t, (const int[]){0, 2, 1});                    /* (n, hw, c) */
    genlab_tensor *flat = genlab_reshape(ctx, t, 2, (const int64_t[]){n * hw, c});
    const int64_t s3[] = {n, hw, c};
    genlab_tensor *q = genlab_reshape(ctx, genlab_linear_layer_forward(ctx, &a->q, flat), 3, s3);
    genlab_tensor *k = genlab_reshape(ctx, genlab_linear_layer_forward(ctx, &a->k, flat), 3, s3);
    genlab_tensor *v = genlab_reshape(ctx, genlab_linear_layer_forward(ctx, &a->v, flat), 3, s3);
    genlab_tensor *sc = genlab_scale(ctx, genlab_matmul(ctx, q, k, false, true),
                                     (float)(1.0 / sqrt((double)c)));
    genlab_tensor *o = genlab_matmul(ctx, genlab_softmax(ctx, sc, 2), v, false, false);
    o = genlab_linear_layer_forward(ctx, &a->out,
                                    genlab_reshape(ctx, o, 2, (const int64_t[]){n * hw, c}));
    o = genlab_permute(ctx, genlab_reshape(ctx, o, 3, s3), (const int[]){0, 2, 1});
    return genlab_add(ctx, x, genlab_reshape(ctx, o, 4, (const int64_t[]){n, c, h, w}));
}

/* ---- build ---- */

static genlab_status unet_native_spec(const genlab_config *cfg, genlab_arch_role role,
                                      genlab_arch_spec *spec)
{
    (void)cfg;
    if (role != GL_ROLE_DENOISER)
        return GL_ERR_UNSUPPORTED;
    *spec = (genlab_arch_spec){.role = GL_ROLE_DENOISER, .in_ndim = 3, .in_shape = {3, 32, 32},
                               .out_ndim = 3, .out_shape = {3, 32, 32}, .timestep = true};
    return GL_OK;
}

/* check_spec — a denoiser (C, H, W) -> (C, H, W) with times */
static genlab_status check_spec(genlab_ctx *ctx, const genlab_arch_spec *spec,
                                const genlab_params *p)
{
    if (!p)
        return genlab_errorf(ctx, GL_ERR_INVALID, "arch unet: no parameter block to build into");
    if (spec->role != GL_ROLE_DENOISER)
        return genlab_arch_refuse(ctx, GL_ERR_UNSUPPORTED, "unet", spec,
                                  "it builds denoisers only");
    if (!spec->timestep)
        return genlab_arch_refuse(ctx, GL_ERR_UNSUPPORTED, "unet", spec,
                                  "it needs the diffusion times (spec.timestep)");
    if (spec->n_classes > 0)
        return genlab_arch_refuse(ctx, GL_ERR_UNSUPPORTED, "unet", spec, "it is unconditional "
                                  "(the spec asks for %d classes)", (int)spec->n_classes);
    if (spec->in_ndim != 3 || spec->out_ndim != 3 ||
        memcmp(spec->in_shape, spec->out_shape, 3 * sizeof(int64_t)) != 0)
        return genlab_arch_refuse(ctx, GL_ERR_SHAPE, "unet", spec,
                                  "a denoiser maps (C, H, W) to the same shape");
    for (int i = 0; i < 3; i++)
        if (spec->in_shape[i] < 1 || spec->in_shape[i] > 4096)
            return genlab_arch_refuse(ctx, GL_ERR_SHAPE, "unet", spec,
                                      "sizes must be in [1, 4096]");
    return GL_OK;
}

static bool in_list(const int64_t *v, int n, int64_t x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

/* build_levels — the layers of every level, the middle and the ends */
static genlab_status build_levels(genlab_ctx *ctx, unet *u, genlab_params *p,
                                  const int64_t *attn, int n_attn)
{
    char n[GL_PARAM_NAME_MAX];
    int L = u->levels;
    int64_t c0 = u->ch[0];
    genlab_status st = genlab_linear_layer_init(p, &u->t1, "time_lin1", (int)c0, (int)(4 * c0),
                                                true);
    if (st == GL_OK)
        st = genlab_linear_layer_init(p, &u->t2, "time_lin2", (int)(4 * c0), (int)(4 * c0), true);
    if (st == GL_OK)
        st = genlab_conv2d_layer_init(p, &u->conv_in, "conv_in", (int)u->c, (int)c0, 3, 3, &same3,
                                      true);
    int64_t out = c0;
    for (int i = 0; i < L && st == GL_OK; i++) {
        unet_level *lv = &u->down[i];
        int64_t in = out;
        out = u->ch[i];
        lv->has_attn = in_list(attn, n_attn, u->ph >> i);
        for (int j = 0; j < u->layers && st == GL_OK; j++) {
            snprintf(n, sizeof n, "down.%d.resnets.%d", i, j);
            st = res_init(ctx, u, p, &lv->res[j], n, j ? out : in, out);
            snprintf(n, sizeof n, "down.%d.attentions.%d", i, j);
            if (st == GL_OK && lv->has_attn)
                st = attn_init(ctx, u, p, &lv->attn[j], n, out);
        }
        lv->has_sample = i < L - 1;
        snprintf(n, sizeof n, "down.%d.downsample", i);
        if (st == GL_OK && lv->has_sample)
            st = genlab_conv2d_layer_init(p, &lv->sample, n, (int)out, (int)out, 3, 3, &down3,
                                          true);
    }
    int64_t top = u->ch[L - 1];
    for (int j = 0; j < 2 && st == GL_OK; j++) {
        snprintf(n, sizeof n, "mid.%d", j);
        st = res_init(ctx, u, p, &u->mid[j], n, top, top);
    }
    if (st == GL_OK && u->has_mid_attn)
        st = attn_init(ctx, u, p, &u->mid_attn, "mid_attn", top);
    out = top;
    for (int i = 0; i < L && st == GL_OK; i++) {
        unet_level *lv = &u->up[i];
        int64_t prev = out;
        out = u->ch[L - 1 - i];
        int64_t skip_in = u->ch[L - 2 - i >= 0 ? L - 2 - i : 0];
        lv->has_attn = in_list(attn, n_attn, u->ph >> (L - 1 - i));
        for (int j = 0; j <= u->layers && st == GL_OK; j++) {
            int64_t skip = j == u->layers ? skip_in : out;
            snprintf(n, sizeof n, "up.%d.resnets.%d", i, j);
            st = res_init(ctx, u, p, &lv->res[j], n, (j ? out : prev) + skip, out);
            snprintf(n, sizeof n, "up.%d.attentions.%d", i, j);
            if (st == GL_OK && lv->has_attn)
                st = attn_init(ctx, u, p, &lv->attn[j], n, out);
        }
        lv->has_sample = i < L - 1;
        snprintf(n, sizeof n, "up.%d.upsample", i);
        if (st == GL_OK && lv->has_sample)
            st = genlab_conv2d_layer_init(p, &lv->sample, n, (int)out, (int)out, 3, 3, &same3,
                                          true);
    }
    if (st == GL_OK)
        st = norm_init(ctx, u, p, &u->norm_out, "norm_out", c0);
    if (st == GL_OK)
        st = genlab_conv2d_layer_init(p, &u->conv_out, "conv_out", (int)c0, (int)u->c, 3, 3,
                                      &same3, true);
    return st;
}

static genlab_status unet_build(const genlab_host *host, const genlab_config *cfg,
                                const genlab_arch_spec *spec, genlab_params *block, void **state)
{
    genlab_ctx *ctx = host->ctx;
    genlab_status st = check_spec(ctx, spec, block);
    if (st != GL_OK)
        return st;
    unet *u = calloc(1, sizeof *u);
    if (!u)
        return genlab_errorf(ctx, GL_ERR_NOMEM, "arch unet: out of memory");
    const char *chs = genlab_config_str(cfg, "block_out_channels");
    const char *ats = genlab_config_str(cfg, "attn_resolutions");
    int64_t attn[16];
    int n_attn = parse_list(ats, attn, 16);
    u->levels = parse_list(chs, u->ch, UNET_MAX_LEVELS);
    u->layers = (int)genlab_config_int(cfg, "layers_per_block");
    u->groups = genlab_config_int(cfg, "norm_groups");
    u->has_mid_attn = genlab_config_bool(cfg, "mid_attention");
    u->c = spec->in_shape[0], u->h = spec->in_shape[1], u->w = spec->in_shape[2];
    if (u->levels < 1 || u->ch[0] % 2 != 0)
        st = genlab_errorf(ctx, GL_ERR_INVALID, "arch unet: block_out_channels \"%s\": want 1 to "
                           "%d comma-separated channel counts in [1, 65536], the first even "
                           "(the sinusoidal embedding's width)", chs, UNET_MAX_LEVELS);
    else if (n_attn < 0)
        st = genlab_errorf(ctx, GL_ERR_INVALID, "arch unet: attn_resolutions \"%s\": want "
                           "comma-separated sides, at most 16", ats);
    if (st == GL_OK) {
        int64_t m = (int64_t)1 << (u->levels - 1);
        u->ph = (u->h + m - 1) / m * m;
        u->pw = (u->w + m - 1) / m * m;
        st = build_levels(ctx, u, block, attn, n_attn);
    }
    if (st != GL_OK) {
        free(u);
        return genlab_ctx_status(ctx) != GL_OK ? genlab_ctx_status(ctx) : st;
    }
    *state = u;
    return GL_OK;
}

/* ---- forward ---- */

/* time_embedding — diffusers' get_timestep_embedding(t, c0,
 * flip_sin_to_cos=True, downscale_freq_shift=0): [cos(t f_k), sin(t f_k)],
 * f_k = exp(-ln(10000) k / (c0/2)), in float32 as PyTorch evaluates it */
static genlab_tensor *time_embedding(genlab_ctx *ctx, const genlab_tensor *t, int64_t c0)
{
    int64_t n = genlab_tensor_dim(t, 0), half = c0 / 2;
    genlab_tensor *e = genlab_tensor_new(ctx, GL_F32, 2, (const int64_t[]){n, c0});
    if (!e)
        return NULL;
    float *ev = genlab_tensor_f32_mut(e);
    const float *tv = genlab_tensor_f32(t);
    for (int64_t k = 0; k < half; k++) {
        float f = expf((float)-log(10000.0) * (float)k / (float)half);
        for (int64_t i = 0; i < n; i++) {
            float a = tv[i] * f;
            ev[i * c0 + k] = cosf(a);
            ev[i * c0 + half + k] = sinf(a);
        }
    }
    return e;
}

static genlab_tensor *unet_forward(genlab_ctx *ctx, void *state, genlab_tensor *x,
                                   genlab_tensor *t, genlab_tensor *y, bool training)
{
    (void)y;
    (void)training;   /* no batch statistics, no dropout */
    unet *u = state;
    const genlab_arch_spec spec = {.role = GL_ROLE_DENOISER, .in_ndim = 3,
                                   .in_shape = {u->c, u->h, u->w}, .timestep = true};
    if (!genlab_arch_input_ok(ctx, "unet", &spec, x))
        return NULL;
    int64_t n = genlab_tensor_dim(x, 0);
    if (!t || genlab_tensor_ndim(t) != 1 || genlab_tensor_dim(t, 0) != n ||
        genlab_tensor_dtype(t) != GL_F32) {
        char s[96];   /* a 5-axis shape in text */
        genlab_errorf(ctx, GL_ERR_SHAPE, "arch unet denoiser: t is %s, want (%lld) float32 "
                      "times", t ? genlab_tensor_shape_str(t, s, sizeof s) : "missing",
                      (long long)n);
        return NULL;
    }
    int64_t top = (u->ph - u->h) / 2, left = (u->pw - u->w) / 2;
    genlab_tensor *h = x;
    if (u->ph != u->h || u->pw != u->w)
        h = genlab_pad_axis(ctx, genlab_pad_axis(ctx, x, 2, top, u->ph - u->h - top), 3, left,
                            u->pw - u->w - left);
    genlab_tensor *temb = genlab_linear_layer_forward(
        ctx, &u->t2,
        genlab_silu(ctx, genlab_linear_layer_forward(ctx, &u->t1, time_embedding(ctx, t, u->ch[0]))));
    genlab_tensor *ta = genlab_silu(ctx, temb);   /* every block's input */
    genlab_tensor *skips[UNET_MAX_LEVELS * (UNET_MAX_LAYERS + 1) + 1];
    int ns = 0;
    skips[ns++] = h = genlab_conv2d_layer_forward(ctx, &u->conv_in, h);
    for (int i = 0; i < u->levels; i++) {
        unet_level *lv = &u->down[i];
        for (int j = 0; j < u->layers; j++) {
            h = res_forward(ctx, &lv->res[j], h, ta);
            if (lv->has_attn)
                h = attn_forward(ctx, &lv->attn[j], h);
            skips[ns++] = h;
        }
        if (lv->has_sample)
            skips[ns++] = h = genlab_conv2d_layer_forward(ctx, &lv->sample, h);
    }
    h = res_forward(ctx, &u->mid[0], h, ta);
    if (u->has_mid_attn)
        h = attn_forward(ctx, &u->mid_attn, h);
    h = res_forward(ctx, &u->mid[1], h, ta);
    for (int i = 0; i < u->levels; i++) {
        unet_level *lv = &u->up[i];
        for (int j = 0; j <= u->layers; j++) {
            genlab_tensor *cat[2] = {h, skips[--ns]};
            h = res_forward(ctx, &lv->res[j], genlab_concat(ctx, 2, cat, 1), ta);
            if (lv->has_attn)
                h = attn_forward(ctx, &lv->attn[j], h);
        }
        if (lv->has_sample)
            h = genlab_conv2d_layer_forward(ctx, &lv->sample, genlab_upsample_nearest(ctx, h, 2));
    }
    h = genlab_group_norm_layer_forward_act(ctx, &u->norm_out, h, GL_ACT_SILU);
    h = genlab_conv2d_layer_forward(ctx, &u->conv_out, h);
    if (h && (u->ph != u->h || u->pw != u->w))
        h = genlab_slice(ctx, genlab_slice(ctx, h, 2, top, u->h), 3, left, u->w);
    return h;
}

/* ---- the component ---- */

static const genlab_arch_i iface = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_arch_i),
    .build = unet_build, .destroy = free, .forward = unet_forward,
    .native_spec = unet_native_spec,
};

const genlab_component gl_diff_unet = {
    .abi_version = GL_PLUGIN_ABI_VERSION, .struct_size = sizeof(genlab_component),
    .kind = GL_KIND_ARCH, .name = "unet",
    .doc = "DDPM UNet denoiser (diffusers UNet2DModel): ResNet blocks with time embedding, "
           "skips, optional self-attention",
    GL_PARAMS(params), .iface = &iface,
};
