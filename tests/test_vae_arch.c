/* SPDX-License-Identifier: MIT
 *
 * test_vae_arch.c — the architectures of the VAE plugin (vae-mlp28,
 * vae-conv28, vae-conv32, vae-conv32-mse, vae-conv64), loaded from the
 * built plugins/vae/.libs/vae.so through a registry and bound through a
 * resolved configuration, as the trainer binds them; only the public API
 * is used.
 *
 * Checked: the parameter counts of every arch in both roles on the spec it
 * was designed for (seed 002's exact encoder 21,931,264 and decoder
 * 4,831,447 for vae-conv32; torch_ref.py's 652,824 for vae-mlp28 and
 * 6,250,443 for vae-conv64) and on others; the native specs; PyTorch's
 * default initialisation; output shapes, train and eval forwards (batch or
 * running statistics) and a backward; refused specs, with messages naming
 * the arch, the role and the shapes; and parity with PyTorch: each arch in
 * both roles at small sizes, with the weights of tests/golden/vae.bin
 * (written by tests/golden/gen_vae.py) loaded by name, against its outputs
 * and input gradients.
 *
 * Sections: fixture, counts, initialisation, forward, refusals, golden,
 * suite. The network fixture is tests/tu_arch.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "genlab/genlab.h"

#define TU_GOLDEN_FILE   GL_TOP_SRCDIR "/tests/golden/vae.bin"
#define TU_GOLDEN_SCRIPT "tests/golden/gen_vae.py"
#include "tu_arch.h"


enum { E = GL_ROLE_ENCODER, D = GL_ROLE_DECODER };

/* ---- fixture ---- */

static genlab_registry *reg;

static void load_plugin(void)
{
    ck_assert_int_eq(genlab_registry_create(GL_TEST_VAE_PLUGIN_DIR, &reg), GL_OK);
    ck_assert_msg(genlab_plugin_load(reg, GL_TEST_VAE_PLUGIN_DIR "/vae.so") == GL_OK, "%s",
                  genlab_registry_errmsg(reg));
}

static void unload_plugin(void)
{
    genlab_registry_destroy(reg);
    reg = NULL;
}

/* ---- counts ---- */

/* Parameter counts: on the native spec (z = 0) the reference models'
 * (seed 002's summaries, torch_ref.py); on other specs and sizes, the
 * count PyTorch gives the same structure (gen_vae.py's modules). */
static const tu_count_case counts[] = {
    {"vae-conv32", E, 0, 0, 0, 0, {NULL}, 21931264},   /* seed 002's encoder summary */
    {"vae-conv32", D, 0, 0, 0, 0, {NULL}, 4831447},    /* seed 002's decoder summary */
    {"vae-mlp28", E, 0, 0, 0, 0, {NULL}, 330040},      /* torch_ref.py VAE28: 652,824 */
    {"vae-mlp28", D, 0, 0, 0, 0, {NULL}, 322784},
    {"vae-conv64", E, 0, 0, 0, 0, {NULL}, 3936648},    /* torch_ref.py VAE64: 6,250,443 */
    {"vae-conv64", D, 0, 0, 0, 0, {NULL}, 2313795},
    {"vae-conv28", E, 0, 0, 0, 0, {NULL}, 158856},
    {"vae-conv28", D, 0, 0, 0, 0, {NULL}, 115361},
    {"vae-conv32-mse", E, 0, 0, 0, 0, {NULL}, 690144},
    {"vae-conv32-mse", D, 0, 0, 0, 0, {NULL}, 429667},
    /* other images, latents and widths */
    {"vae-mlp28", E, 8, 3, 32, 32, {"hidden=100"}, 308916},
    {"vae-conv28", D, 16, 3, 28, 28, {"nf=8"}, 16635},
    {"vae-conv64", E, 32, 1, 32, 32, {"nf=16"}, 107120},
    {"vae-conv32", D, 64, 1, 64, 64, {"nf=16", "hidden=100"}, 175883},
};

START_TEST(test_counts)
{
    tu_check_count(reg, &counts[_i]);
}
END_TEST

/* The native specs: the reference models' latent and image sizes. */
static const tu_native_case natives[] = {
    {"vae-mlp28", 20, 1, 28, 28},
    {"vae-conv28", 20, 1, 28, 28},
    {"vae-conv32", 512, 3, 32, 32},
    {"vae-conv32-mse", 128, 3, 32, 32},
    {"vae-conv64", 100, 3, 64, 64},
};

START_TEST(test_native_spec)
{
    static const int roles[2] = {E, D};
    tu_check_native(reg, &natives[_i], roles, GL_ROLE_GENERATOR);
}
END_TEST

/* ---- initialisation ---- */

/* One parameter tensor of an arch at its default sizes after finalize:
 * PyTorch's default, U(-b, b) with b = 1/sqrt(fan_in) (std b/sqrt(3)) for
 * Linear and conv weights (fan_in of a transposed conv: cout * k * k),
 * BatchNorm weights 1. Tolerances: 6 standard errors of the sample mean
 * (std/sqrt(n)) and of the sample std (about std/sqrt(2n)), so a wrong rule
 * (DCGAN's N(0, 0.02), or a transposed conv's fan_in taken from cin) fails
 * and the right one passes. */
static const tu_init_case inits[] = {
    {"vae-mlp28", E, {{"fc1.weight", 0.0, 1.0 / 28.0 / 1.7320508075688772}}},   /* fan_in 784 */
    {"vae-conv32", E, {{"conv1.weight", 0.0, 1.0 / 9.0}}},                   /* fan_in 27 */
    {"vae-conv64", D, {{"deconv1.weight", 0.0, 1.0 / sqrt(128.0 * 16.0 * 3.0)}, /* 128 * 4 * 4 */
                       {"bn1.weight", 1.0, 0.0}}},
};

START_TEST(test_init)
{
    tu_check_init(reg, &inits[_i]);
}
END_TEST

/* ---- forward ---- */

/* Each arch at small widths on its native spec; whether its networks
 * depend on the mode (BatchNorm). */
static const struct fwd_case {
    const char *arch;
    const char *args[3];
    bool        norm;        /* both networks have BatchNorm */
} fwds[] = {
    {"vae-mlp28", {"hidden=16"}, false},
    {"vae-conv28", {"nf=4"}, false},
    {"vae-conv32", {"nf=8", "hidden=8"}, false},   /* nf / 2 = 4: a 1-channel ReLU dies */
    {"vae-conv32-mse", {"nf=4"}, false},
    {"vae-conv64", {"nf=4"}, true},
};

/* gradient_reach — after a backward, the share of n's parameters with a
 * nonzero gradient exceeds a quarter: every tensor gets some gradient
 * (each has an element that matters); a quarter is far below what a
 * connected network gives and far above a cut one */
static void gradient_reach(net *n, const char *what)
{
    int64_t nonzero = 0, numel = genlab_params_numel(n->p);
    const float *gr = genlab_params_grad(n->p);
    for (int64_t i = 0; i < numel; i++) {
        ck_assert(isfinite(gr[i]));
        nonzero += gr[i] != 0.0f;
    }
    ck_assert_msg(nonzero > numel / 4, "%s: %lld of %lld gradients nonzero", what,
                  (long long)nonzero, (long long)numel);
}

START_TEST(test_forward)
{
    const struct fwd_case *k = &fwds[_i];
    genlab_ctx *ctx = tu_ctx(3);
    net e, d;
    net_make(&e, reg, ctx, k->arch, E, NULL, k->args);
    net_make(&d, reg, ctx, k->arch, D, NULL, k->args);
    int64_t xs[GL_MAX_DIMS];
    int nd = net_input_shape(&e, 3, xs);
    genlab_tensor *x = genlab_rand(ctx, nd, xs, 0.0f, 1.0f);

    /* encoder: (3, 2 z); training updates BatchNorm's statistics, eval
     * reads them */
    float *stats = k->norm ? running_mean_copy(&e) : NULL;
    genlab_tensor *s_train = net_forward(&e, x, true);
    ck_assert_int_eq(genlab_tensor_ndim(s_train), 2);
    ck_assert_int_eq(genlab_tensor_dim(s_train, 0), 3);
    ck_assert_int_eq(genlab_tensor_dim(s_train, 1), e.spec.out_shape[0]);
    ck_assert(all_finite(s_train, 1e6f));
    if (stats) {
        ck_assert(!running_mean_equal(&e, stats));
        free(stats);
        stats = running_mean_copy(&e);
    }
    genlab_tensor *s_eval = net_forward(&e, x, false);
    ck_assert_msg(same_values(s_train, s_eval) == !k->norm, "%s: the encoder's eval output %s "
                  "its training output", k->arch, k->norm ? "equals" : "differs from");
    if (stats) {
        ck_assert(running_mean_equal(&e, stats));
        free(stats);
    }

    /* decoder on the means: (3, C, H, W), deterministic in eval mode */
    int64_t z = d.spec.in_shape[0];
    genlab_tensor *mu = genlab_slice(ctx, s_train, 1, 0, z);
    genlab_tensor *y = net_forward(&d, mu, true);
    ck_assert_int_eq(genlab_tensor_ndim(y), 4);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(genlab_tensor_dim(y, i + 1), d.spec.out_shape[i]);
    ck_assert(all_finite(y, 1e6f));
    genlab_tensor *y1 = net_forward(&d, mu, false), *y2 = net_forward(&d, mu, false);
    ck_assert(same_values(y1, y2));
    ck_assert(same_values(y, y1) == !k->norm);

    /* a backward from the decoder's output reaches every parameter of both */
    genlab_params_zero_grad(e.p);
    genlab_params_zero_grad(d.p);
    ck_assert_int_eq(genlab_backward(ctx, genlab_sum_all(ctx, genlab_mul(ctx, y, y))), GL_OK);
    gradient_reach(&e, k->arch);
    gradient_reach(&d, k->arch);
    net_free(&d);
    net_free(&e);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* the input of a forward must have the spec's shape */
START_TEST(test_forward_wrong_input)
{
    genlab_ctx *ctx = tu_ctx(1);
    net e;
    net_make(&e, reg, ctx, "vae-conv28", E, NULL, (const char *const[]){"nf=2", NULL});
    genlab_tensor *x = genlab_randn(ctx, 4, TU_SHAPE(2, 1, 32, 32));
    ck_assert_ptr_null(e.a->forward(ctx, e.state, x, NULL, NULL, true));
    ck_assert_int_eq(genlab_ctx_status(ctx), GL_ERR_SHAPE);
    ck_assert_str_eq(genlab_ctx_errmsg(ctx),
                     "arch vae-conv28 encoder: x (2, 1, 32, 32), want (N, 1, 28, 28)");
    net_free(&e);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- refusals ---- */

/* How a refusal row's spec departs from tu_arch_spec's. */
enum { AS_IS, GENERATOR, ODD_STATS, Z_RANK_2 };

static const struct refuse_case {
    const char   *arch;
    int           role;
    int64_t       z, c, h, w;
    int           n_classes;
    int           twist;     /* AS_IS ... */
    genlab_status status;
    const char   *message;   /* the whole message */
} refusals[] = {
    /* four stride-2 layers: sides of multiples of 16 */
    {"vae-conv32", D, 8, 3, 28, 28, 0, AS_IS, GL_ERR_SHAPE,
     "arch vae-conv32: cannot build a decoder (8) -> (3, 28, 28): it takes images with sides "
     "that are multiples of 16"},
    {"vae-conv64", E, 8, 3, 60, 64, 0, AS_IS, GL_ERR_SHAPE,
     "arch vae-conv64: cannot build an encoder (3, 60, 64) -> (16): it takes images with sides "
     "that are multiples of 8"},
    {"vae-conv28", E, 8, 1, 30, 30, 0, AS_IS, GL_ERR_SHAPE,
     "arch vae-conv28: cannot build an encoder (1, 30, 30) -> (16): it takes images with sides "
     "that are multiples of 4"},
    {"vae-mlp28", D, 20, 65, 28, 28, 0, AS_IS, GL_ERR_SHAPE,
     "arch vae-mlp28: cannot build a decoder (20) -> (65, 28, 28): sizes must be positive, the "
     "latent at most 65536, channels at most 64 and sides at most 1024"},
    {"vae-mlp28", E, 20, 1, 28, 28, 10, AS_IS, GL_ERR_UNSUPPORTED,
     "arch vae-mlp28: cannot build an encoder (1, 28, 28) -> (40): it is unconditional (the "
     "spec asks for 10 classes)"},
    /* roles and ranks a VAE arch does not have */
    {"vae-conv32", D, 8, 3, 32, 32, 0, GENERATOR, GL_ERR_UNSUPPORTED,
     "arch vae-conv32: cannot build a generator (8) -> (3, 32, 32): it builds encoders and "
     "decoders only"},
    {"vae-conv64", E, 8, 3, 64, 64, 0, ODD_STATS, GL_ERR_SHAPE,
     "arch vae-conv64: cannot build an encoder (3, 64, 64) -> (17): an encoder maps (C, H, W) "
     "to (2 z): a mean and a log-variance for each latent"},
    {"vae-conv28", D, 8, 1, 28, 28, 0, Z_RANK_2, GL_ERR_SHAPE,
     "arch vae-conv28: cannot build a decoder (8, 1) -> (1, 28, 28): a decoder maps (z) to "
     "(C, H, W)"},
};

START_TEST(test_refuse)
{
    const struct refuse_case *k = &refusals[_i];
    genlab_arch_spec s = tu_arch_spec(k->role, k->z, k->c, k->h, k->w);
    s.n_classes = k->n_classes;
    if (k->twist == GENERATOR)
        s.role = GL_ROLE_GENERATOR;
    if (k->twist == ODD_STATS)
        s.out_shape[0] = 2 * k->z + 1;
    if (k->twist == Z_RANK_2)
        s.in_ndim = 2, s.in_shape[1] = 1;
    tu_check_refusal(reg, k->arch, k->role, &s, k->status, k->message);
}
END_TEST

/* a build needs a parameter block (the layers would fail silently) */
START_TEST(test_refuse_no_params)
{
    tu_check_no_params(reg, natives[_i].arch, E);
}
END_TEST

/* ---- golden ---- */

/* The cases of gen_vae.py (keep in step): the arch at small sizes, batch 2,
 * training and eval forwards (no dropout). */
static const tu_golden_case goldens[] = {
    {"mlp28_e", "vae-mlp28", E, 3, 1, 28, 28, {"hidden=5"}, 2, true},
    {"mlp28_d", "vae-mlp28", D, 3, 1, 28, 28, {"hidden=5"}, 2, true},
    {"conv28_e", "vae-conv28", E, 3, 1, 28, 28, {"nf=2"}, 2, true},
    {"conv28_d", "vae-conv28", D, 3, 1, 28, 28, {"nf=2"}, 2, true},
    {"conv32_e", "vae-conv32", E, 3, 1, 32, 32, {"nf=2", "hidden=5"}, 2, true},
    {"conv32_d", "vae-conv32", D, 3, 1, 32, 32, {"nf=2", "hidden=5"}, 2, true},
    {"conv32mse_e", "vae-conv32-mse", E, 3, 3, 16, 16, {"nf=2"}, 2, true},
    {"conv32mse_d", "vae-conv32-mse", D, 3, 3, 16, 16, {"nf=2"}, 2, true},
    {"conv64_e", "vae-conv64", E, 3, 3, 16, 16, {"nf=2"}, 2, true},
    {"conv64_d", "vae-conv64", D, 3, 3, 16, 16, {"nf=2"}, 2, true},
};

/* Float32 on both sides, sums in other orders, and BatchNorm over 2
 * samples divides by small deviations. Measured: outputs and input
 * gradients within 2e-6 absolute. 1e-4 absolute plus 1e-4 relative, as
 * test_gan_arch's, leaves a margin of 50x and stays far below any
 * structural error (a missing or misplaced layer or activation changes
 * values by 1e-2 or more). */
#define GOLDEN_ATOL 1e-4
#define GOLDEN_RTOL 1e-4

START_TEST(test_golden)
{
    tu_check_golden(reg, tu_golden, TU_GOLDEN_FILE, TU_GOLDEN_SCRIPT, &goldens[_i], GOLDEN_ATOL,
                    GOLDEN_RTOL);
}
END_TEST

/* ---- suite ---- */

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *vae_arch_suite(void)
{
    Suite *s = suite_create("vae_arch");
    struct {
        const char *name;
        const TTest *test;
        int n;
    } cases[] = {
        {"counts", test_counts, N_OF(counts)},
        {"native_spec", test_native_spec, N_OF(natives)},
        {"init", test_init, N_OF(inits)},
        {"forward", test_forward, N_OF(fwds)},
        {"forward_wrong_input", test_forward_wrong_input, 1},
        {"refuse", test_refuse, N_OF(refusals)},
        {"refuse_no_params", test_refuse_no_params, N_OF(natives)},
        {"golden", test_golden, N_OF(goldens)},
    };
    for (int i = 0; i < N_OF(cases); i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 120);
        tcase_add_unchecked_fixture(tc, load_plugin, unload_plugin);
        if (cases[i].test == test_golden)
            tcase_add_unchecked_fixture(tc, tu_golden_open, tu_golden_close);
        tcase_add_loop_test(tc, cases[i].test, 0, cases[i].n);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    return tu_run(vae_arch_suite());
}
