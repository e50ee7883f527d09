/* SPDX-License-Identifier: MIT
 *
 * test_diffusion_arch.c — the denoiser "unet" of the diffusion plugin,
 * loaded from the built plugins/diffusion/.libs/diffusion.so through a
 * registry and bound through a resolved configuration, as the trainer
 * binds it; only the public API is used.
 *
 * Checked: parameter counts against the same configurations in PyTorch
 * (tests/golden/gen_unet.py, whose default configuration is torch_ref.py's
 * unet32_ddpm: 13,894,467), at 28 (padded), 32 and 64 pixels, with and
 * without self-attention; output shapes at 28, 32 and 64; forward values
 * and input gradients against PyTorch with the golden file's weights
 * loaded by name (tests/golden/unet.bin), with and without attention and
 * padding; the dependence on t; refused specs and configurations, with
 * messages naming them.
 *
 * Sections: fixture, counts, forward, golden, refusals, suite. The
 * network fixture is tests/tu_arch.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "genlab/genlab.h"
#include "tu_arch.h"

#define GOLDEN GL_TOP_SRCDIR "/tests/golden/unet.bin"
#define GOLDEN_GENERATOR "tests/golden/gen_unet.py"

enum { DEN = GL_ROLE_DENOISER };

/* ---- fixture ---- */

static genlab_registry *reg;

static void load_plugin(void)
{
    ck_assert_int_eq(genlab_registry_create(GL_TEST_DIFFUSION_PLUGIN_DIR, &reg), GL_OK);
    ck_assert_msg(genlab_plugin_load(reg, GL_TEST_DIFFUSION_PLUGIN_DIR "/diffusion.so") == GL_OK,
                  "%s", genlab_registry_errmsg(reg));
}

static void unload_plugin(void)
{
    genlab_registry_destroy(reg);
    reg = NULL;
}

/* a denoiser spec for (c, s, s) images */
static genlab_arch_spec den_spec(int64_t c, int64_t s)
{
    return (genlab_arch_spec){.role = GL_ROLE_DENOISER, .in_ndim = 3, .in_shape = {c, s, s},
                              .out_ndim = 3, .out_shape = {c, s, s}, .timestep = true};
}

/* the forward at times t (one per image) */
static genlab_tensor *forward_t(net *n, genlab_tensor *x, const float *t)
{
    int64_t b = genlab_tensor_dim(x, 0);
    genlab_tensor *tt = genlab_tensor_from(n->ctx, 1, &b, t);
    genlab_tensor *y = n->a->forward(n->ctx, n->state, x, tt, NULL, true);
    ck_assert_msg(y != NULL, "forward: %s", genlab_ctx_errmsg(n->ctx));
    return y;
}

/* ---- counts ---- */

/* gen_unet.py's COUNTS, row for row: the count is read from the golden file */
static const struct count_case {
    int64_t     c, side;
    const char *args[6];
} counts[] = {
    {3, 32, {NULL}},                                      /* seed 001; torch_ref.py */
    {1, 28, {NULL}},                                      /* MNIST, padded to 32 */
    {3, 64, {"attn_resolutions=16", "mid_attention=true", NULL}},
    {1, 28, {"block_out_channels=16,32,64", "layers_per_block=1", "attn_resolutions=8",
             "norm_groups=8", NULL}},
};

START_TEST(test_counts)
{
    const struct count_case *k = &counts[_i];
    char err[512], key[32];
    gd_file *g = gd_open(GOLDEN, 1, GOLDEN_GENERATOR, err, sizeof err);
    ck_assert_msg(g != NULL, "%s", err);
    snprintf(key, sizeof key, "count.%d", _i);
    const gd_tensor *want = gd_get(g, key);
    ck_assert_ptr_nonnull(want);
    genlab_ctx *ctx = tu_ctx(1);
    net n;
    net_bind(&n, reg, ctx, "unet", k->args);
    genlab_arch_spec s = den_spec(k->c, k->side);
    ck_assert_msg(net_build(&n, DEN, &s) == GL_OK, "%s", genlab_ctx_errmsg(ctx));
    ck_assert_msg(genlab_params_numel(n.p) == (int64_t)want->data[0],
                  "case %d: %lld parameters, PyTorch %.0f", _i,
                  (long long)genlab_params_numel(n.p), (double)want->data[0]);
    net_free(&n);
    genlab_ctx_destroy(ctx);
    gd_free(g);
}
END_TEST

/* torch_ref.py's unet32_ddpm, written out: the native spec's count */
START_TEST(test_native)
{
    genlab_ctx *ctx = tu_ctx(1);
    net n;
    net_make(&n, reg, ctx, "unet", DEN, NULL, NULL);
    ck_assert_int_eq(genlab_params_numel(n.p), 13894467);
    genlab_arch_spec s;
    ck_assert_int_eq(n.a->native_spec(net_scope(&n), GL_ROLE_GENERATOR, &s), GL_ERR_UNSUPPORTED);
    net_free(&n);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- forward ---- */

/* The shape at each side the issue names, and that t matters: a small
 * net so the suite stays fast. */
static const int64_t sides[] = {28, 32, 64};

START_TEST(test_forward_sides)
{
    genlab_ctx *ctx = tu_ctx(2);
    net n;
    genlab_arch_spec s = den_spec(1, sides[_i]);
    net_make(&n, reg, ctx, "unet", DEN, &s,
             (const char *const[]){"block_out_channels=8,16,16,16", "layers_per_block=1",
                                   "norm_groups=4", "attn_resolutions=8", NULL});
    genlab_tensor *x = genlab_randn(ctx, 4, TU_SHAPE(2, 1, sides[_i], sides[_i]));
    genlab_tensor *y = forward_t(&n, x, (const float[]){0, 999});
    ck_assert_int_eq(genlab_tensor_ndim(y), 4);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(genlab_tensor_dim(y, i), genlab_tensor_dim(x, i));
    ck_assert(all_finite(y, 1e6f));
    genlab_tensor *y2 = forward_t(&n, x, (const float[]){1, 999});
    /* image 0's time changed, image 1's did not */
    int64_t per = genlab_tensor_numel(y) / 2;
    ck_assert(memcmp(genlab_tensor_f32(y), genlab_tensor_f32(y2), (size_t)per * 4) != 0);
    ck_assert(!memcmp(genlab_tensor_f32(y) + per, genlab_tensor_f32(y2) + per, (size_t)per * 4));
    net_free(&n);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- golden ---- */

/* gen_unet.py's FORWARDS, row for row */
static const struct golden_case {
    const char *name;
    int64_t     c, side;
    const char *args[6];
} goldens[] = {
    {"small", 1, 8, {"block_out_channels=8,16", "layers_per_block=1", "norm_groups=4", NULL}},
    {"attn", 2, 10, {"block_out_channels=8,16,16", "layers_per_block=2", "attn_resolutions=6",
                     "mid_attention=true", "norm_groups=8", NULL}},
};

START_TEST(test_golden)
{
    const struct golden_case *k = &goldens[_i];
    char err[512];
    gd_file *g = gd_open(GOLDEN, 1, GOLDEN_GENERATOR, err, sizeof err);
    ck_assert_msg(g != NULL, "%s", err);
    genlab_ctx *ctx = tu_ctx(1);
    net n;
    genlab_arch_spec s = den_spec(k->c, k->side);
    net_make(&n, reg, ctx, "unet", DEN, &s, k->args);
    tu_golden_load_weights(g, GOLDEN, GOLDEN_GENERATOR, &n, k->name);
    genlab_tensor *x = ramp(ctx, 4, TU_SHAPE(2, k->c, k->side, k->side), 0.37, 0.5);
    genlab_tensor_set_requires_grad(x, true);
    genlab_tensor *gx = genlab_zeros_like(ctx, x);
    ck_assert_int_eq(genlab_tensor_set_grad(ctx, x, gx), GL_OK);
    genlab_tensor *y = forward_t(&n, x, (const float[]){3, 500});
    /* float32 through ~20 layers on both sides, summed in different
     * orders; the time embedding's argument 500 f_k is rounded alike but
     * sin/cos of it may differ by an ulp of 500 (3e-5) */
    tu_golden_compare(g, GOLDEN, GOLDEN_GENERATOR, k->name, "y", y, 2e-4, 2e-4);
    genlab_tensor *w = genlab_tensor_new(ctx, GL_F32, 4, TU_SHAPE(2, k->c, k->side, k->side));
    float *wv = genlab_tensor_f32_mut(w);
    for (int64_t i = 0; i < genlab_tensor_numel(w); i++)
        wv[i] = (float)cos(0.11 * (double)i);
    ck_assert_int_eq(genlab_backward(ctx, genlab_sum_all(ctx, genlab_mul(ctx, y, w))), GL_OK);
    tu_golden_compare(g, GOLDEN, GOLDEN_GENERATOR, k->name, "dx", gx, 2e-4, 2e-4);
    net_free(&n);
    genlab_ctx_destroy(ctx);
    gd_free(g);
}
END_TEST

/* ---- refusals ---- */

static const struct refuse_case {
    int           role;
    bool          timestep;
    int64_t       out_c;        /* the output's channels (the input's: 3) */
    const char   *args[3];
    genlab_status status;
    const char   *message;
} refusals[] = {
    {GL_ROLE_GENERATOR, true, 3, {NULL}, GL_ERR_UNSUPPORTED,
     "arch unet: cannot build a generator (3, 32, 32) -> (3, 32, 32): it builds denoisers "
     "only"},
    {DEN, false, 3, {NULL}, GL_ERR_UNSUPPORTED,
     "arch unet: cannot build a denoiser (3, 32, 32) -> (3, 32, 32): it needs the diffusion "
     "times (spec.timestep)"},
    {DEN, true, 1, {NULL}, GL_ERR_SHAPE,
     "arch unet: cannot build a denoiser (3, 32, 32) -> (1, 32, 32): a denoiser maps (C, H, W) "
     "to the same shape"},
    {DEN, true, 3, {"block_out_channels=32,x", NULL}, GL_ERR_INVALID,
     "arch unet: block_out_channels \"32,x\": want 1 to 6 comma-separated channel counts in "
     "[1, 65536], the first even (the sinusoidal embedding's width)"},
    {DEN, true, 3, {"block_out_channels=48", NULL}, GL_ERR_INVALID,
     "arch unet: down.0.resnets.0.norm1: 48 channels do not split into 32 groups "
     "(norm_groups)"},
    {DEN, true, 3, {"attn_resolutions=16;8", NULL}, GL_ERR_INVALID,
     "arch unet: attn_resolutions \"16;8\": want comma-separated sides, at most 16"},
};

START_TEST(test_refuse)
{
    const struct refuse_case *k = &refusals[_i];
    genlab_ctx *ctx = tu_ctx(1);
    net n;
    net_bind(&n, reg, ctx, "unet", k->args);
    genlab_arch_spec s = den_spec(3, 32);
    s.role = (genlab_arch_role)k->role;
    s.timestep = k->timestep;
    s.out_shape[0] = k->out_c;
    ck_assert_int_eq(net_build(&n, k->role, &s), k->status);
    ck_assert_str_eq(genlab_ctx_errmsg(ctx), k->message);
    net_free(&n);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* a forward without times, or with times of the wrong length */
START_TEST(test_forward_no_t)
{
    genlab_ctx *ctx = tu_ctx(1);
    net n;
    genlab_arch_spec s = den_spec(1, 8);
    net_make(&n, reg, ctx, "unet", DEN, &s,
             (const char *const[]){"block_out_channels=8,16", "layers_per_block=1",
                                   "norm_groups=4", NULL});
    genlab_tensor *x = genlab_randn(ctx, 4, TU_SHAPE(2, 1, 8, 8));
    ck_assert_ptr_null(n.a->forward(ctx, n.state, x, NULL, NULL, true));
    ck_assert_str_eq(genlab_ctx_errmsg(ctx),
                     "arch unet denoiser: t is missing, want (2) float32 times");
    genlab_ctx_clear_error(ctx);
    genlab_tensor *t = genlab_full(ctx, 1, TU_SHAPE(3), 1.0f);
    ck_assert_ptr_null(n.a->forward(ctx, n.state, x, t, NULL, true));
    ck_assert_str_eq(genlab_ctx_errmsg(ctx), "arch unet denoiser: t is (3), want (2) float32 "
                     "times");
    net_free(&n);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- suite ---- */

static Suite *suite(void)
{
    Suite *s = suite_create("diffusion_arch");
    TCase *tc = tcase_create("unet");
    tcase_add_unchecked_fixture(tc, load_plugin, unload_plugin);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_counts, 0, (int)(sizeof counts / sizeof *counts));
    tcase_add_test(tc, test_native);
    tcase_add_loop_test(tc, test_forward_sides, 0, (int)(sizeof sides / sizeof *sides));
    tcase_add_loop_test(tc, test_golden, 0, (int)(sizeof goldens / sizeof *goldens));
    tcase_add_loop_test(tc, test_refuse, 0, (int)(sizeof refusals / sizeof *refusals));
    tcase_add_test(tc, test_forward_no_t);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(suite()); }
