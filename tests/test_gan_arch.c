/* SPDX-License-Identifier: MIT
 *
 * test_gan_arch.c — the architectures of the GAN plugin (dcgan28, dcgan32,
 * dcgan64, mlp28, resnet32), loaded from the built plugins/gan/.libs/gan.so
 * through a registry and bound through a resolved configuration, as a
 * trainer binds them; only the public API is used.
 *
 * Checked: the parameter counts of every arch in both roles on the spec it
 * was designed for (the reference models' exact counts) and on others; the
 * native specs; the initialisation (DCGAN's or PyTorch's); output shapes, train and eval forwards (batch statistics,
 * running statistics, dropout) and a backward; spectral normalisation (the
 * normalised weights' largest singular value is 1); refused specs, with
 * messages naming the arch, the role and the shapes; and parity with
 * PyTorch: each arch in both roles at small sizes, with the weights of
 * tests/golden/gan_arch.bin (written by tests/golden/gen_gan_arch.py)
 * loaded by name, against its outputs and input gradients.
 *
 * Sections: fixture, counts, initialisation, forward, spectral norm,
 * refusals, golden, suite. The fixture (one network, golden weights) is
 * tests/tu_arch.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "genlab/genlab.h"

#define TU_GOLDEN_FILE   GL_TOP_SRCDIR "/tests/golden/gan_arch.bin"
#define TU_GOLDEN_SCRIPT "tests/golden/gen_gan_arch.py"
#include "tu_arch.h"

enum { G = GL_ROLE_GENERATOR, D = GL_ROLE_DISCRIMINATOR };

/* ---- fixture ---- */

static genlab_registry *reg;

static void load_plugin(void)
{
    ck_assert_int_eq(genlab_registry_create(GL_TEST_GAN_PLUGIN_DIR, &reg), GL_OK);
    ck_assert_msg(genlab_plugin_load(reg, GL_TEST_GAN_PLUGIN_DIR "/gan.so") == GL_OK, "%s",
                  genlab_registry_errmsg(reg));
}

static void unload_plugin(void)
{
    genlab_registry_destroy(reg);
    reg = NULL;
}

/* ---- counts ---- */

/* Parameter counts: on the native spec (z = 0) the reference models'
 * (torch_ref.py, BASELINE.md, the seeds' model summaries); on other specs
 * and sizes, the count PyTorch gives the same structure (computed with
 * the modules of gen_gan_arch.py / torch_ref.py). */
static const tu_count_case counts[] = {
    {"dcgan32", G, 0, 0, 0, 0, {NULL}, 11429632},   /* seed 002's summary */
    {"dcgan32", D, 0, 0, 0, 0, {NULL}, 4309441},    /* seed 002's summary */
    {"dcgan28", G, 0, 0, 0, 0, {NULL}, 2231168},
    {"dcgan28", D, 0, 0, 0, 0, {NULL}, 212865},
    {"dcgan64", G, 0, 0, 0, 0, {NULL}, 3576704},
    {"dcgan64", D, 0, 0, 0, 0, {NULL}, 2765568},
    {"resnet32", G, 0, 0, 0, 0, {NULL}, 1204483},
    {"resnet32", D, 0, 0, 0, 0, {NULL}, 1053825},
    {"mlp28", G, 0, 0, 0, 0, {NULL}, 1486352},
    {"mlp28", D, 0, 0, 0, 0, {NULL}, 533505},
    /* spectral norm adds buffers, not parameters */
    {"dcgan64", D, 0, 0, 0, 0, {"spectral_norm=true"}, 2765568},
    {"resnet32", D, 0, 0, 0, 0, {"spectral_norm=true"}, 1053825},
    /* other images, latents and widths */
    {"dcgan28", D, 100, 3, 32, 32, {NULL}, 217985},       /* fc from 128 x 8 x 8 */
    {"mlp28", G, 64, 3, 32, 32, {NULL}, 3822336},
    {"resnet32", G, 100, 1, 16, 16, {NULL}, 989697},      /* from a 2x2 map */
    {"dcgan64", G, 100, 3, 64, 64, {"ngf=32"}, 1100224},
    {"dcgan32", D, 100, 3, 32, 32, {"ndf=32"}, 1079521},
};

START_TEST(test_counts)
{
    tu_check_count(reg, &counts[_i]);
}
END_TEST

/* The native specs: the reference models' latent and image sizes. */
static const tu_native_case natives[] = {
    {"dcgan28", 100, 1, 28, 28},
    {"dcgan32", 100, 3, 32, 32},
    {"dcgan64", 100, 3, 64, 64},
    {"mlp28", 100, 1, 28, 28},
    {"resnet32", 128, 3, 32, 32},
};

START_TEST(test_native_spec)
{
    static const int roles[2] = {G, D};
    tu_check_native(reg, &natives[_i], roles, GL_ROLE_ENCODER);
}
END_TEST

/* ---- initialisation ---- */

/* One parameter tensor of an arch at its default sizes after finalize:
 * the DCGANs' conv weights N(0, 0.02) and BatchNorm weights N(1, 0.02)
 * (pytorch/examples' weights_init), PyTorch's default elsewhere: Linear
 * and the ResNet's convs U(-b, b), b = 1/sqrt(fan_in) (std b/sqrt(3)),
 * BatchNorm weights 1. Tolerances: 6 standard errors of the sample mean
 * (std/sqrt(n)) and of the sample std (about std/sqrt(2n)), so a wrong
 * rule (0.02 against 0.0577, or 1 against N(1, 0.02)) fails and the
 * right one passes. */
static const tu_init_case inits[] = {
    {"dcgan28", G, {{"deconv1.weight", 0.0, 0.02},
                    {"bn1.weight", 1.0, 0.02},
                    {"fc_bn.weight", 1.0, 0.02},
                    {"fc.weight", 0.0, 0.1 / 1.7320508075688772}}},       /* fan_in 100 */
    {"dcgan64", D, {{"conv1.weight", 0.0, 0.02}, {"bn2.weight", 1.0, 0.02}}},
    {"mlp28", D, {{"fc1.weight", 0.0, 1.0 / 28.0 / 1.7320508075688772}}}, /* fan_in 784 */
    {"resnet32", G, {{"up1.conv1.weight", 0.0, 1.0 / sqrt(1152.0 * 3.0)}, /* fan_in 128*9 */
                     {"up1.bn1.weight", 1.0, 0.0}}},
};

START_TEST(test_init)
{
    tu_check_init(reg, &inits[_i]);
}
END_TEST

/* ---- forward ---- */

/* Each arch at small widths on its native spec: which of its networks
 * depend on the mode (BatchNorm: batch or running statistics; dropout). */
static const struct fwd_case {
    const char *arch;
    const char *args[3];
    bool        g_norm;      /* the generator has BatchNorm */
    bool        d_norm;      /* the discriminator has BatchNorm */
    bool        d_dropout;   /* the discriminator has dropout */
} fwds[] = {
    {"dcgan28", {"ngf=4", "ndf=4"}, true, false, true},
    {"dcgan32", {"ngf=2", "ndf=4"}, true, true, false},
    {"dcgan64", {"ngf=2", "ndf=4"}, true, true, false},
    {"mlp28", {"g_hidden=8", "d_hidden=8"}, false, false, true},
    {"resnet32", {"ngf=8", "ndf=8"}, true, false, false},
};

START_TEST(test_forward)
{
    const struct fwd_case *k = &fwds[_i];
    genlab_ctx *ctx = tu_ctx(3);
    net g, d;
    net_make(&g, reg, ctx, k->arch, G, NULL, k->args);
    net_make(&d, reg, ctx, k->arch, D, NULL, k->args);
    int64_t zs[GL_MAX_DIMS];
    int nd = net_input_shape(&g, 2, zs);
    genlab_tensor *z = genlab_randn(ctx, nd, zs);

    /* generator: (2, C, H, W) in [-1, 1]; train and eval */
    float *stats = k->g_norm ? running_mean_copy(&g) : NULL;
    genlab_tensor *x_train = net_forward(&g, z, true);
    ck_assert_int_eq(genlab_tensor_ndim(x_train), 4);
    ck_assert_int_eq(genlab_tensor_dim(x_train, 0), 2);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(genlab_tensor_dim(x_train, i + 1), g.spec.out_shape[i]);
    ck_assert_msg(all_finite(x_train, 1.0f), "%s: generator output outside [-1, 1]", k->arch);
    if (stats) {   /* training updated the running statistics; eval reads them */
        ck_assert(!running_mean_equal(&g, stats));
        free(stats);
        stats = running_mean_copy(&g);
    }
    genlab_tensor *x_eval = net_forward(&g, z, false);
    ck_assert(all_finite(x_eval, 1.0f));
    ck_assert_msg(same_values(x_train, x_eval) == !k->g_norm,
                  "%s: the generator's eval output %s its training output", k->arch,
                  k->g_norm ? "equals" : "differs from");
    if (stats) {
        ck_assert(running_mean_equal(&g, stats));
        free(stats);
    }

    /* discriminator: (2, 1) */
    genlab_tensor *s1 = net_forward(&d, x_train, true);
    ck_assert_int_eq(genlab_tensor_ndim(s1), 2);
    ck_assert_int_eq(genlab_tensor_dim(s1, 0), 2);
    ck_assert_int_eq(genlab_tensor_dim(s1, 1), 1);
    ck_assert(all_finite(s1, 1e6f));
    genlab_tensor *s2 = net_forward(&d, x_train, true);
    genlab_tensor *e1 = net_forward(&d, x_train, false), *e2 = net_forward(&d, x_train, false);
    ck_assert(same_values(e1, e2));   /* eval is deterministic */
    /* a second training forward differs by its dropout masks only */
    ck_assert(same_values(s1, s2) == !k->d_dropout);
    ck_assert(same_values(s1, e1) == !(k->d_norm || k->d_dropout));

    /* a backward from D's score reaches every parameter of both */
    genlab_params_zero_grad(g.p);
    genlab_params_zero_grad(d.p);
    ck_assert_int_eq(genlab_backward(ctx, genlab_sum_all(ctx, s1)), GL_OK);
    net *nets[2] = {&g, &d};
    for (int j = 0; j < 2; j++) {
        int64_t nonzero = 0, numel = genlab_params_numel(nets[j]->p);
        const float *gr = genlab_params_grad(nets[j]->p);
        for (int64_t i = 0; i < numel; i++) {
            ck_assert(isfinite(gr[i]));
            nonzero += gr[i] != 0.0f;
        }
        /* every tensor gets some gradient (each has at least one element
         * that matters); a quarter of all elements is far below what a
         * connected network gives and far above a cut one */
        ck_assert_msg(nonzero > numel / 4, "%s %s: %lld of %lld gradients nonzero", k->arch,
                      j ? "D" : "G", (long long)nonzero, (long long)numel);
    }
    net_free(&d);
    net_free(&g);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* the input of a forward must have the spec's shape */
START_TEST(test_forward_wrong_input)
{
    genlab_ctx *ctx = tu_ctx(1);
    net g;
    net_make(&g, reg, ctx, "dcgan28", G, NULL, (const char *const[]){"ngf=2", NULL});
    genlab_tensor *z = genlab_randn(ctx, 2, TU_SHAPE(2, 50));
    ck_assert_ptr_null(g.a->forward(ctx, g.state, z, NULL, NULL, true));
    ck_assert_int_eq(genlab_ctx_status(ctx), GL_ERR_SHAPE);
    ck_assert_str_eq(genlab_ctx_errmsg(ctx), "arch dcgan28 generator: x (2, 50), want (N, 100)");
    net_free(&g);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- spectral norm ---- */

/* sigma_max — the largest singular value of the (rows, cols) row-major
 * matrix m: the square root of the largest eigenvalue of its Gram matrix
 * on the smaller side (at most 32 x 32 here), found with cyclic Jacobi
 * rotations in double, which converge whatever the spectrum (a power
 * iteration is what is under test, and is slow when the top two singular
 * values are close). */
static double sigma_max(const float *m, int64_t rows, int64_t cols)
{
    bool by_rows = rows <= cols;
    int64_t n = by_rows ? rows : cols, k = by_rows ? cols : rows;
    double *a = calloc((size_t)(n * n), sizeof *a);
    ck_assert_ptr_nonnull(a);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++)
            for (int64_t t = 0; t < k; t++)
                a[i * n + j] += by_rows ? (double)m[i * cols + t] * m[j * cols + t]
                                        : (double)m[t * cols + i] * m[t * cols + j];
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0.0, diag = 0.0;
        for (int64_t i = 0; i < n; i++) {
            diag += a[i * n + i] * a[i * n + i];
            for (int64_t j = i + 1; j < n; j++)
                off += a[i * n + j] * a[i * n + j];
        }
        if (off <= 1e-30 * diag)
            break;
        for (int64_t p = 0; p < n; p++)
            for (int64_t q = p + 1; q < n; q++) {
                if (a[p * n + q] == 0.0)
                    continue;
                /* the rotation zeroing a[p][q] (Golub & Van Loan 8.5.2) */
                double tau = (a[q * n + q] - a[p * n + p]) / (2.0 * a[p * n + q]);
                double t = (tau >= 0 ? 1.0 : -1.0) / (fabs(tau) + sqrt(1.0 + tau * tau));
                double c = 1.0 / sqrt(1.0 + t * t), s = t * c;
                for (int64_t r = 0; r < n; r++) {   /* columns p, q */
                    double ap = a[r * n + p], aq = a[r * n + q];
                    a[r * n + p] = c * ap - s * aq;
                    a[r * n + q] = s * ap + c * aq;
                }
                for (int64_t r = 0; r < n; r++) {   /* rows p, q */
                    double ap = a[p * n + r], aq = a[q * n + r];
                    a[p * n + r] = c * ap - s * aq;
                    a[q * n + r] = s * ap + c * aq;
                }
            }
    }
    double top = 0.0;
    for (int64_t i = 0; i < n; i++)
        top = fmax(top, a[i * n + i]);
    free(a);
    return sqrt(top);
}

static const struct sn_case {
    const char *arch;
    const char *args[4];
} sns[] = {
    {"dcgan28", {"ndf=4", "spectral_norm=true"}},
    {"dcgan32", {"ndf=4", "spectral_norm=true"}},
    {"dcgan64", {"ndf=4", "spectral_norm=true"}},
    {"mlp28", {"d_hidden=16", "spectral_norm=true"}},
    {"resnet32", {"ndf=4", "spectral_norm=true"}},
};

/* Training forwards run one power iteration each (PyTorch's default); the
 * estimate sigma = u^T W v then approaches the largest singular value from
 * below, so W / sigma has a largest singular value of about 1. */
#define SN_FORWARDS 60
/* After 60 iterations the estimates are within 1e-3 of the largest
 * singular values (measured; the slowest, dcgan32's conv4, has close top
 * singular values: 9e-4 after 60 iterations, 1e-4 after 150), a tenth of
 * this tolerance. The raw weights' largest singular values lie between
 * 0.13 and 1.17: some far from 1, so the check means something. */
#define SN_TOL 1e-2
/* The network with spectral norm against the same network without it
 * whose weights were divided by the sigmas: the same products, but the
 * sigmas computed in double here and in float there; measured within 5e-7
 * relative, so 1e-5 relative (and 1e-4 absolute) is 20x that. */
#define SN_SAME_TOL 1e-5

/* u^T W v for W (rows, cols) row-major */
static double sn_estimate(const float *w, const float *u, const float *v, int64_t rows,
                          int64_t cols)
{
    double est = 0.0;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++)
            est += (double)u[r] * w[r * cols + c] * v[c];
    return est;
}

START_TEST(test_spectral_norm)
{
    const struct sn_case *k = &sns[_i];
    genlab_ctx *ctx = tu_ctx(5);
    net d, plain;
    net_make(&d, reg, ctx, k->arch, D, NULL, k->args);
    net_make(&plain, reg, ctx, k->arch, D, NULL, (const char *const[]){k->args[0], NULL});
    int64_t xs[GL_MAX_DIMS];
    int nd = net_input_shape(&d, 1, xs);   /* one image: the iteration is on the weights */
    for (int i = 0; i < SN_FORWARDS; i++) {
        genlab_ctx_step_begin(ctx);
        net_forward(&d, genlab_randn(ctx, nd, xs), true);
    }
    /* every weight (ndim >= 2) is wrapped, nothing else; plain gets the
     * weights d's forward uses, W / sigma, and d's BatchNorm statistics */
    int n_sn = 0;
    bool raw_far_from_one = false;
    for (int64_t i = 0; i < genlab_params_count(d.p); i++) {
        char uname[GL_PARAM_NAME_MAX + 2], vname[GL_PARAM_NAME_MAX + 2];
        const char *name = genlab_params_name(d.p, i);
        snprintf(uname, sizeof uname, "%s_u", name);
        snprintf(vname, sizeof vname, "%s_v", name);
        genlab_tensor *w = genlab_params_tensor(d.p, i), *u = genlab_params_find(d.p, uname),
                      *v = genlab_params_find(d.p, vname), *pw = genlab_params_find(plain.p, name);
        ck_assert_msg((u != NULL) == (genlab_tensor_ndim(w) >= 2), "%s: %s", k->arch, name);
        const float *wm = genlab_tensor_f32(w);
        float *pm = genlab_tensor_f32_mut(pw);
        int64_t rows = genlab_tensor_dim(w, 0), cols = genlab_tensor_numel(w) / rows;
        double est = u ? sn_estimate(wm, genlab_tensor_f32(u), genlab_tensor_f32(v), rows, cols)
                       : 1.0;
        for (int64_t j = 0; j < genlab_tensor_numel(w); j++)
            pm[j] = (float)(wm[j] / est);
        if (!u)
            continue;
        double sigma = sigma_max(wm, rows, cols);
        ck_assert_msg(fabs(sigma / est - 1.0) < SN_TOL, "%s %s: largest singular value of W / "
                      "sigma is %.6f", k->arch, name, sigma / est);
        raw_far_from_one = raw_far_from_one || fabs(sigma - 1.0) > 0.25;
        n_sn++;
    }
    ck_assert_int_gt(n_sn, 2);
    ck_assert_msg(raw_far_from_one, "%s: every raw weight already has norm 1", k->arch);
    for (int64_t i = 0; i < genlab_params_buffer_count(plain.p); i++) {
        const char *name = genlab_params_buffer_name(plain.p, i);
        genlab_tensor *b = genlab_params_buffer_tensor(plain.p, i);
        ck_assert_int_eq(genlab_tensor_copy_into(ctx, b, genlab_params_find(d.p, name)), GL_OK);
    }
    /* eval: the stored u, v, left as they are; so d computes W / sigma with
     * the sigma above */
    genlab_ctx_step_begin(ctx);
    size_t bytes = (size_t)genlab_params_buffer_numel(d.p) * sizeof(float);
    float *before = malloc(bytes);
    ck_assert_ptr_nonnull(before);
    memcpy(before, genlab_params_buffer_data(d.p), bytes);
    nd = net_input_shape(&d, 2, xs);
    genlab_tensor *x = genlab_randn(ctx, nd, xs);
    genlab_tensor *yd = net_forward(&d, x, false), *yp = net_forward(&plain, x, false);
    ck_assert_msg(!memcmp(before, genlab_params_buffer_data(d.p), bytes),
                  "%s: an eval forward changed u or v", k->arch);
    free(before);
    TU_ASSERT_CLOSE(k->arch, genlab_tensor_f32(yd), genlab_tensor_f32(yp), 2, SN_SAME_TOL * 10,
                    SN_SAME_TOL);
    net_free(&plain);
    net_free(&d);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- refusals ---- */

/* How a refusal row's spec departs from tu_arch_spec's. */
enum { AS_IS, ENCODER, SCORES_2, Z_RANK_2 };

static const struct refuse_case {
    const char       *arch;
    int               role;
    int64_t           z, c, h, w;
    int               n_classes;
    int               twist;     /* AS_IS ... */
    genlab_status     status;
    const char       *message;   /* the whole message */
} refusals[] = {
    /* dcgan32's generator makes 32x32 only */
    {"dcgan32", G, 100, 3, 28, 28, 0, AS_IS, GL_ERR_SHAPE,
     "arch dcgan32: cannot build a generator (100) -> (3, 28, 28): it makes (3, 32, 32) images"},
    /* dcgan64's 4x4 head needs 4x4 maps: 32x32 is too small ... */
    {"dcgan64", D, 0, 3, 32, 32, 0, AS_IS, GL_ERR_SHAPE,
     "arch dcgan64: cannot build a discriminator (3, 32, 32) -> (1): the image is too small: "
     "conv5 (kernel 4, stride 1, padding 0) gets a 2x2 map"},
    /* ... and 128x128 leaves a 5x5 map */
    {"dcgan64", D, 0, 3, 128, 128, 0, AS_IS, GL_ERR_SHAPE,
     "arch dcgan64: cannot build a discriminator (3, 128, 128) -> (1): it scores such an "
     "image with (1, 5, 5) numbers, not one"},
    {"dcgan28", G, 100, 1, 3, 3, 0, AS_IS, GL_ERR_SHAPE,
     "arch dcgan28: cannot build a generator (100) -> (1, 3, 3): it makes images with sides "
     "that are multiples of 4"},
    {"dcgan28", G, 100, 1, 30, 30, 0, AS_IS, GL_ERR_SHAPE,
     "arch dcgan28: cannot build a generator (100) -> (1, 30, 30): it makes (1, 28, 28) images"},
    {"resnet32", G, 128, 3, 36, 36, 0, AS_IS, GL_ERR_SHAPE,
     "arch resnet32: cannot build a generator (128) -> (3, 36, 36): it makes images with sides "
     "that are multiples of 8"},
    {"resnet32", D, 0, 3, 2, 2, 0, AS_IS, GL_ERR_SHAPE,
     "arch resnet32: cannot build a discriminator (3, 2, 2) -> (1): the image is too small: two "
     "2x2 poolings need sides of at least 4"},
    {"mlp28", G, 100, 65, 28, 28, 0, AS_IS, GL_ERR_SHAPE,
     "arch mlp28: cannot build a generator (100) -> (65, 28, 28): sizes must be positive, the "
     "latent at most 65536, channels at most 64 and sides at most 1024"},
    {"mlp28", D, 0, 1, 28, 28, 10, AS_IS, GL_ERR_UNSUPPORTED,
     "arch mlp28: cannot build a discriminator (1, 28, 28) -> (1): it is unconditional (the "
     "spec asks for 10 classes)"},
    /* roles and ranks a GAN arch does not have */
    {"dcgan32", D, 0, 3, 32, 32, 0, ENCODER, GL_ERR_UNSUPPORTED,
     "arch dcgan32: cannot build an encoder (3, 32, 32) -> (1): it builds generators and "
     "discriminators only"},
    {"resnet32", D, 0, 3, 32, 32, 0, SCORES_2, GL_ERR_SHAPE,
     "arch resnet32: cannot build a discriminator (3, 32, 32) -> (2): a discriminator maps "
     "(C, H, W) to (1)"},
    {"dcgan28", G, 100, 1, 28, 28, 0, Z_RANK_2, GL_ERR_SHAPE,
     "arch dcgan28: cannot build a generator (100, 1) -> (1, 28, 28): a generator maps (z) to "
     "(C, H, W)"},
};

START_TEST(test_refuse)
{
    const struct refuse_case *k = &refusals[_i];
    genlab_arch_spec s = tu_arch_spec(k->role, k->z, k->c, k->h, k->w);
    s.n_classes = k->n_classes;
    if (k->twist == ENCODER)
        s.role = GL_ROLE_ENCODER;
    if (k->twist == SCORES_2)
        s.out_shape[0] = 2;
    if (k->twist == Z_RANK_2)
        s.in_ndim = 2, s.in_shape[1] = 1;
    tu_check_refusal(reg, k->arch, k->role, &s, k->status, k->message);
}
END_TEST

/* a build needs a parameter block (the layers would fail silently) */
START_TEST(test_refuse_no_params)
{
    tu_check_no_params(reg, natives[_i].arch, G);
}
END_TEST

/* ---- golden ---- */

/* The cases of gen_gan_arch.py (keep in step): the arch at small sizes,
 * the batch, and whether a training forward is compared (not with
 * dropout, whose masks differ from PyTorch's). */
static const tu_golden_case goldens[] = {
    {"dcgan28_g", "dcgan28", G, 8, 1, 28, 28, {"ngf=2"}, 2, true},
    {"dcgan28_d", "dcgan28", D, 0, 1, 28, 28, {"ndf=2"}, 2, false},
    {"dcgan32_g", "dcgan32", G, 8, 1, 32, 32, {"ngf=1"}, 2, true},
    {"dcgan32_d", "dcgan32", D, 0, 1, 32, 32, {"ndf=1"}, 2, true},
    {"mlp28_g", "mlp28", G, 8, 1, 28, 28, {"g_hidden=1"}, 2, true},
    {"mlp28_d", "mlp28", D, 0, 1, 28, 28, {"d_hidden=2"}, 2, false},
    {"resnet32_g", "resnet32", G, 8, 3, 16, 16, {"ngf=4"}, 2, true},
    {"resnet32_d", "resnet32", D, 0, 3, 16, 16, {"ndf=4"}, 2, true},
};

/* Float32 on both sides; the sums run in other orders (and two ResNet
 * shortcuts in another, equal order), and BatchNorm over 2 samples divides
 * by small deviations. Measured: outputs within 7e-7, input gradients
 * (up to about 10) within 2e-5 absolute and 2e-6 relative. 1e-4 absolute
 * plus 1e-4 relative leaves a margin of 5x or more and stays far below
 * any structural error (a missing or misplaced layer changes values by
 * 1e-2 or more). */
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

static Suite *gan_arch_suite(void)
{
    Suite *s = suite_create("gan_arch");
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
        {"spectral_norm", test_spectral_norm, N_OF(sns)},
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
    return tu_run(gan_arch_suite());
}
