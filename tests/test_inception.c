/* SPDX-License-Identifier: MIT
 *
 * test_inception.c — the FID Inception extractor (plugins/metrics/
 * inception_net.c, inception_weights.c, inception_resize.c) without the real weights: a weights
 * file made from the formula of tests/tu_inception.h, whose features and
 * logits tests/golden/gen_inception.py computed with the same network in
 * plain PyTorch (tests/golden/inception.bin).
 *
 *   tensors     the tensor list (names, shapes, order) and the parameter
 *               count against the script's model
 *   resize_f32  genlab_image_resize_f32 against Pillow's float resize,
 *               bit for bit
 *   weights     files that are not the network's weights: each refused
 *               with a message naming the file and the tensor
 *   preprocess  both resize rules' network inputs for a 32x32 RGB and a
 *               28x28 gray image against pytorch-fid's F.interpolate and
 *               clean-fid's Pillow resize (five rows of each channel)
 *   network     one weights file: the network alone on a 107x107 input
 *               and features() end to end on the RGB image (pytorch-fid)
 *               against float64 PyTorch; a batch of two chunks; what the
 *               extractor says about itself; unsupported images
 *
 * About one and a half forwards at 299x299 in all (one, one at 107x107,
 * five images at 75x75): valgrind runs this suite too.
 *
 * Sections: fixtures, tensors, resize_f32, weights, preprocess, network, suite.
 */
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>

#include "extractor.h"
#include "golden.h"
#include "inception_impl.h"
#include "testutil.h"
#include "tu_compare.h"
#include "tu_inception.h"

#define GOLDEN_VERSION 1
#define GOLDEN_SCRIPT  "/usr/bin/python3 tests/golden/gen_inception.py"

/* ---- fixtures ---- */

static gd_file *golden;

static void open_golden(void)
{
    char err[512];
    golden = gd_open(GL_TOP_SRCDIR "/tests/golden/inception.bin", GOLDEN_VERSION, GOLDEN_SCRIPT,
                     err, sizeof err);
    ck_assert_msg(golden != NULL, "%s", err);
}

static void close_golden(void)
{
    gd_free(golden);
    golden = NULL;
}

static const gd_tensor *golden_get(const char *name)
{
    const gd_tensor *t = gd_get(golden, name);
    ck_assert_msg(t != NULL, "inception.bin: no record \"%s\"; regenerate with %s", name,
                  GOLDEN_SCRIPT);
    return t;
}

/* the network case's: one weights file, its extractor (pytorch-fid) */
static char net_dir[256], net_weights[300];
static genlab_ctx *net_ctx;
static mx_extractor *net_pt;

static void open_network(void)
{
    open_golden();
    tu_tmpdir(net_dir, sizeof net_dir);
    snprintf(net_weights, sizeof net_weights, "%s/inception.safetensors", net_dir);
    net_ctx = tu_ctx(1);
    ck_assert_msg(tu_inception_write(net_ctx, net_weights) == GL_OK, "%s",
                  genlab_ctx_errmsg(net_ctx));
    ck_assert_msg(mx_inception_open(net_ctx, net_weights, "pytorch-fid", &net_pt) == GL_OK, "%s",
                  genlab_ctx_errmsg(net_ctx));
}

static void close_network(void)
{
    if (net_pt)
        net_pt->destroy(net_pt);
    net_pt = NULL;
    genlab_ctx_destroy(net_ctx);
    tu_rmtree(net_dir);
    close_golden();
}

/* ---- tensors ---- */

START_TEST(test_tensor_list)
{
    char name[64], prev[64] = "";
    int64_t shape[4], params = 0;
    for (int i = 0; i < MX_INCEPTION_TENSORS; i++) {
        int nd = mx_inception_tensor(i, name, sizeof name, shape);
        ck_assert_int_ge(nd, 1);
        int64_t n = 1;
        for (int d = 0; d < nd; d++)
            n *= shape[d];
        /* model.parameters(): everything but the BatchNorm running statistics */
        if (!strstr(name, "running_"))
            params += n;
        ck_assert_msg(strcmp(name, prev) != 0, "tensor %d repeats \"%s\"", i, name);
        snprintf(prev, sizeof prev, "%s", name);
    }
    ck_assert_int_eq(mx_inception_tensor(MX_INCEPTION_TENSORS, name, sizeof name, shape), 0);
    ck_assert_int_eq(mx_inception_tensor(-1, name, sizeof name, shape), 0);
    /* counts as the script's model has them (state_dict without num_batches_tracked) */
    const gd_tensor *np = golden_get("n_params"), *nt = golden_get("n_tensors");
    ck_assert_int_eq(params, (int64_t)np->data[0] * 4096 + (int64_t)np->data[1]);
    ck_assert_int_eq(MX_INCEPTION_TENSORS, (int64_t)nt->data[0]);
    ck_assert_int_eq(params, 23850960);   /* torchvision's Inception3, 1008 classes, no aux */
    /* first, one in the middle with a factorised kernel, last */
    ck_assert_int_eq(mx_inception_tensor(0, name, sizeof name, shape), 4);
    ck_assert_str_eq(name, "Conv2d_1a_3x3.conv.weight");
    ck_assert(shape[0] == 32 && shape[1] == 3 && shape[2] == 3 && shape[3] == 3);
    bool found = false;
    for (int i = 0; i < MX_INCEPTION_TENSORS && !found; i++) {
        mx_inception_tensor(i, name, sizeof name, shape);
        found = strcmp(name, "Mixed_6b.branch7x7dbl_2.conv.weight") == 0;
    }
    ck_assert(found && shape[0] == 128 && shape[1] == 128 && shape[2] == 7 && shape[3] == 1);
    ck_assert_int_eq(mx_inception_tensor(MX_INCEPTION_TENSORS - 3, name, sizeof name, shape), 1);
    ck_assert_str_eq(name, "Mixed_7c.branch_pool.bn.running_var");
    ck_assert_int_eq(mx_inception_tensor(MX_INCEPTION_TENSORS - 2, name, sizeof name, shape), 2);
    ck_assert(!strcmp(name, "fc.weight") && shape[0] == 1008 && shape[1] == 2048);
}
END_TEST

/* ---- resize_f32 ---- */

typedef struct resize_case {
    const char         *filter;
    genlab_resize_filter f;
    int32_t             w, h;
} resize_case;

static const resize_case resize_cases[] = {
    /* filter     enum                w   h: Pillow's resize((w, h)) of rs.in (17 x 13) */
    {"box",      GL_RESIZE_AREA,     7,  5},    /* down both ways */
    {"box",      GL_RESIZE_AREA,     31, 23},   /* up */
    {"box",      GL_RESIZE_AREA,     17, 40},   /* width kept: vertical pass only */
    {"bilinear", GL_RESIZE_BILINEAR, 7,  5},
    {"bilinear", GL_RESIZE_BILINEAR, 31, 23},
    {"bilinear", GL_RESIZE_BILINEAR, 17, 40},
    {"bicubic",  GL_RESIZE_BICUBIC,  7,  5},
    {"bicubic",  GL_RESIZE_BICUBIC,  31, 23},
    {"bicubic",  GL_RESIZE_BICUBIC,  17, 40},
};

START_TEST(test_resize_f32)
{
    const resize_case *c = &resize_cases[_i];
    open_golden();
    const gd_tensor *in = golden_get("rs.in");
    char name[64];
    snprintf(name, sizeof name, "rs.%s.%dx%d", c->filter, c->w, c->h);
    const gd_tensor *want = golden_get(name);
    ck_assert_int_eq(want->numel, (int64_t)c->w * c->h);
    genlab_ctx *ctx = tu_ctx(1);
    float *got = malloc((size_t)want->numel * sizeof *got);
    ck_assert_int_eq(genlab_image_resize_f32(ctx, in->data, (int32_t)in->shape[1],
                                             (int32_t)in->shape[0], c->w, c->h, c->f, got),
                     GL_OK);
    /* the same double sums in the same order as Pillow's: the same bits */
    TU_ASSERT_CLOSE(name, got, want->data, want->numel, 0.0, 0.0);
    free(got);
    genlab_ctx_destroy(ctx);
    close_golden();
}
END_TEST

START_TEST(test_resize_f32_edges)
{
    genlab_ctx *ctx = tu_ctx(1);
    const float in[6] = {1, -2, 300, 4, 5, 6};
    float out[6];
    /* the same size is a copy, values outside the byte range included */
    ck_assert_int_eq(genlab_image_resize_f32(ctx, in, 3, 2, 3, 2, GL_RESIZE_BICUBIC, out), GL_OK);
    ck_assert(memcmp(in, out, sizeof in) == 0);
    /* errors name the function and the sizes */
    ck_assert_int_eq(genlab_image_resize_f32(ctx, in, 3, 2, 0, 2, GL_RESIZE_BICUBIC, out),
                     GL_ERR_INVALID);
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), "image_resize_f32"), "%s",
                  genlab_ctx_errmsg(ctx));
    genlab_ctx_clear_error(ctx);
    ck_assert_int_eq(genlab_image_resize_f32(ctx, in, 3, 2, 3, 3, (genlab_resize_filter)7, out),
                     GL_ERR_INVALID);
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), "unknown filter 7"), "%s",
                  genlab_ctx_errmsg(ctx));
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- weights ---- */

/* one tensor of a small bad file */
typedef struct tspec {
    const char *name, *dtype;
    int         ndim;
    int64_t     shape[4];
} tspec;

typedef struct bad_case {
    const char   *what;
    const char   *resize;       /* NULL: "pytorch-fid" */
    int           kind;         /* 0: tensors below, 1: no file, 2: not a checkpoint */
    tspec         t[6];         /* name NULL ends the list */
    int           neg_var;      /* > 0: running_var[neg_var] = -1 */
    genlab_status status;
    const char   *want;         /* in the message, besides the file's path */
} bad_case;

#define CONV1A(part, nd, ...) {"Conv2d_1a_3x3." part, "F32", nd, {__VA_ARGS__}}
#define CONV1A_ALL \
    {CONV1A("conv.weight", 4, 32, 3, 3, 3), CONV1A("bn.weight", 1, 32),       \
     CONV1A("bn.bias", 1, 32), CONV1A("bn.running_mean", 1, 32),              \
     CONV1A("bn.running_var", 1, 32)}

static const bad_case bad_cases[] = {
    {"no file", NULL, 1, {{0}}, 0, GL_ERR_IO, "cannot open the weights file"},
    {"not a checkpoint", NULL, 2, {{0}}, 0, GL_ERR_FORMAT, ""},
    {"extra tensor", NULL, 0, {{"foo.weight", "F32", 1, {2}}}, 0, GL_ERR_FORMAT,
     "has a tensor \"foo.weight\" that the FID Inception does not have"},
    /* a BatchNorm counter is ignored only for a BatchNorm of the network */
    {"counter of no conv", NULL, 0, {{"Mixed_9z.branch1x1.bn.num_batches_tracked", "I64", 0, {0}}},
     0, GL_ERR_FORMAT, "tensor \"Mixed_9z.branch1x1.bn.num_batches_tracked\" that"},
    {"counter alone", NULL, 0, {{"Conv2d_1a_3x3.bn.num_batches_tracked", "I64", 0, {0}}}, 0,
     GL_ERR_FORMAT, "has no tensor \"Conv2d_1a_3x3.conv.weight\""},
    {"missing tensor", NULL, 0, {CONV1A("conv.weight", 4, 32, 3, 3, 3)}, 0, GL_ERR_FORMAT,
     "has no tensor \"Conv2d_1a_3x3.bn.weight\": not pytorch-fid's FID Inception weights "
     "(tools/convert_inception_weights.py"},
    {"wrong shape", NULL, 0, {CONV1A("conv.weight", 4, 32, 3, 3, 4)}, 0, GL_ERR_FORMAT,
     "tensor \"Conv2d_1a_3x3.conv.weight\" has shape (32, 3, 3, 4) but the FID Inception's "
     "is (32, 3, 3, 3)"},
    {"wrong rank", NULL, 0, {CONV1A("conv.weight", 2, 32, 27)}, 0, GL_ERR_FORMAT,
     "has shape (32, 27) but the FID Inception's is (32, 3, 3, 3)"},
    {"wrong dtype", NULL, 0, {{"Conv2d_1a_3x3.conv.weight", "I32", 4, {32, 3, 3, 3}}}, 0,
     GL_ERR_FORMAT, "tensor \"Conv2d_1a_3x3.conv.weight\" is I32, not F32"},
    {"negative variance", NULL, 0, CONV1A_ALL, 5, GL_ERR_FORMAT,
     "tensor \"Conv2d_1a_3x3.bn.running_var\" has the variance -1 at 5"},
    /* all of the first conv, then the second missing */
    {"second conv missing", NULL, 0, CONV1A_ALL, 0, GL_ERR_FORMAT,
     "has no tensor \"Conv2d_2a_3x3.conv.weight\""},
    {"unknown resize", "bicubic", 1, {{0}}, 0, GL_ERR_INVALID,
     "unknown resize \"bicubic\" (choices: pytorch-fid, clean-fid)"},
};

/* the tensors of c into a file at path: F32 from the formula, I32 the
 * formula's bits, I64 zeros */
static void write_bad(genlab_ctx *ctx, const bad_case *c, const char *path)
{
    if (c->kind == 2) {
        tu_write(path, "not a checkpoint", (size_t)-1);
        return;
    }
    genlab_ckpt_writer *w;
    ck_assert_int_eq(genlab_ckpt_writer_create(ctx, &w), GL_OK);
    for (const tspec *t = c->t; t->name; t++) {
        int64_t n = 1;
        for (int d = 0; d < t->ndim; d++)
            n *= t->shape[d];
        void *buf = calloc((size_t)n, 8);   /* room for any dtype */
        ck_assert_ptr_nonnull(buf);
        if (strcmp(t->dtype, "I64") != 0)
            tu_inception_fill(t->name, t->shape, n, buf);
        if (c->neg_var && strstr(t->name, "running_var"))
            ((float *)buf)[c->neg_var] = -1.0f;
        ck_assert_int_eq(genlab_ckpt_add(w, t->name, t->dtype, t->ndim, t->shape, buf), GL_OK);
        free(buf);
    }
    ck_assert_int_eq(genlab_ckpt_write(w, path), GL_OK);
    genlab_ckpt_writer_free(w);
}

START_TEST(test_bad_weights)
{
    const bad_case *c = &bad_cases[_i];
    char dir[256], path[300];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/w.safetensors", dir);
    genlab_ctx *ctx = tu_ctx(1);
    if (c->kind != 1)
        write_bad(ctx, c, path);
    mx_extractor *x = (mx_extractor *)&x;   /* must be cleared */
    genlab_status st = mx_inception_open(ctx, path, c->resize ? c->resize : "pytorch-fid", &x);
    const char *msg = genlab_ctx_errmsg(ctx);
    ck_assert_msg(st == c->status, "%s: status %d, want %d (%s)", c->what, st, c->status, msg);
    ck_assert_int_eq(genlab_ctx_status(ctx), c->status);
    ck_assert_ptr_null(x);
    ck_assert_msg(strstr(msg, c->want), "%s: message \"%s\" lacks \"%s\"", c->what, msg,
                  c->want);
    /* the file is named, except where no file was looked at */
    ck_assert_msg(c->resize || strstr(msg, path), "%s: message \"%s\" lacks the path", c->what,
                  msg);
    genlab_ctx_destroy(ctx);
    tu_rmtree(dir);
}
END_TEST

/* ---- preprocess ---- */

typedef struct prep_case {
    const char    *name;    /* golden prefix */
    const char    *image;   /* golden input */
    mx_resize_rule rule;
    float          tol;
} prep_case;

static const prep_case prep_cases[] = {
    /* name          image       rule                   tol: why */
    /* PyTorch interpolates (v + 1) / 2 and maps back, genlab v itself: the
     * same taps and weights, a few float32 roundings apart (values in
     * [-1, 1]: ulps of 6e-8); a wrong tap is off by 1e-2 */
    {"pt_rgb",     "img_rgb",  MX_RESIZE_PYTORCH_FID, 5e-7f},
    {"pt_gray",    "img_gray", MX_RESIZE_PYTORCH_FID, 5e-7f},
    /* the same bytes, Pillow's double sums in Pillow's order, the same
     * float32 steps after: the same bits */
    {"clean_rgb",  "img_rgb",  MX_RESIZE_CLEAN_FID,   0.0f},
    {"clean_gray", "img_gray", MX_RESIZE_CLEAN_FID,   0.0f},
};

START_TEST(test_preprocess)
{
    const prep_case *c = &prep_cases[_i];
    open_golden();
    genlab_ctx *ctx = tu_ctx(1);
    const gd_tensor *img = golden_get(c->image);
    genlab_tensor *y = mx_inception_preprocess(ctx, genlab_tensor_from(ctx, 4, img->shape,
                                                                        img->data), c->rule);
    ck_assert_msg(y != NULL, "%s: %s", c->name, genlab_ctx_errmsg(ctx));
    ck_assert_int_eq(genlab_tensor_ndim(y), 4);
    ck_assert(genlab_tensor_dim(y, 0) == 1 && genlab_tensor_dim(y, 1) == 3 &&
              genlab_tensor_dim(y, 2) == 299 && genlab_tensor_dim(y, 3) == 299);
    char name[64];
    snprintf(name, sizeof name, "%s.rows", c->name);
    const gd_tensor *want = golden_get(name);   /* (3, 5, 299): rows 0, 1, 150, 297, 298 */
    static const int rows[5] = {0, 1, 150, 297, 298};
    const float *got = genlab_tensor_f32(y);
    for (int ch = 0; ch < 3; ch++)
        for (int r = 0; r < 5; r++) {
            char what[96];
            snprintf(what, sizeof what, "%s channel %d row %d", c->name, ch, rows[r]);
            TU_ASSERT_CLOSE(what, got + (ch * 299 + rows[r]) * 299,
                            want->data + (ch * 5 + r) * 299, 299, c->tol, 0.0);
        }
    genlab_ctx_destroy(ctx);
    close_golden();
}
END_TEST

START_TEST(test_resize_rules)
{
    genlab_ctx *ctx = tu_ctx(1);
    mx_resize_rule rule;
    const char *label;
    ck_assert_int_eq(mx_inception_resize_rule(ctx, "clean-fid", &rule, &label), GL_OK);
    ck_assert(rule == MX_RESIZE_CLEAN_FID);
    ck_assert_str_eq(label, "clean-fid-bicubic-299");
    ck_assert_int_eq(mx_inception_resize_rule(ctx, "pytorch-fid", &rule, &label), GL_OK);
    ck_assert(rule == MX_RESIZE_PYTORCH_FID);
    ck_assert_str_eq(label, "pytorch-fid-bilinear-299");
    ck_assert_int_eq(mx_inception_resize_rule(ctx, NULL, &rule, &label), GL_ERR_INVALID);
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), "choices: pytorch-fid, clean-fid"), "%s",
                  genlab_ctx_errmsg(ctx));
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- network ---- */

/* feat and logits against the golden case's float64 forward */
static void expect_forward(const char *case_name, const float *feat, const float *logits)
{
    char name[64];
    snprintf(name, sizeof name, "%s.err32", case_name);
    const float *err32 = golden_get(name)->data;
    /* The reference is PyTorch's float64 forward; err32 is how far
     * PyTorch's own float32 forward is from it (about 3e-6 on values up to
     * 5: float32 rounding through 94 convs). genlab rounds as often, in
     * other orders (its GEMM blockings, BatchNorm folded into the convs,
     * pytorch-fid's resize applied before 2x - 1 instead of after), so
     * its distance is of that size (about half of err32 seen); 4x leaves
     * room for other kernels' orders. A wrong block moves features by
     * 1e-2 or more (counting the padding in the average pools: 0.26;
     * clean-fid's /128 as /127.5: 0.02). */
    snprintf(name, sizeof name, "%s.pool", case_name);
    TU_ASSERT_CLOSE(name, feat, golden_get(name)->data, 2048, 4.0 * err32[0], 0.0);
    snprintf(name, sizeof name, "%s.logits", case_name);
    TU_ASSERT_CLOSE(name, logits, golden_get(name)->data, 1008, 4.0 * err32[1], 0.0);
}

/* the network alone, every layer, on a small input */
START_TEST(test_network)
{
    genlab_ctx *ctx = net_ctx;
    genlab_ctx_step_begin(ctx);
    const gd_tensor *in = golden_get("small.in");
    genlab_tensor *x = genlab_tensor_from(ctx, 4, in->shape, in->data);
    float feat[2048], logits[1008];
    ck_assert_msg(mx_inception_run(ctx, net_pt, x, feat, logits) == GL_OK, "%s",
                  genlab_ctx_errmsg(ctx));
    expect_forward("small", feat, logits);
}
END_TEST

/* a batch of more images than one chunk (here 2): rows 0 and 2 of a batch
 * of 3 are what those images give alone */
START_TEST(test_chunks)
{
    enum { N = 3, SIDE = 75 };   /* 75: the smallest input, a sixteenth of 299's cost */
    genlab_ctx *ctx = net_ctx;
    genlab_ctx_step_begin(ctx);
    const gd_tensor *in = golden_get("small.in");   /* (1, 3, 107, 107) */
    const int64_t big = in->shape[3];
    genlab_tensor *x = genlab_tensor_new(ctx, GL_F32, 4, TU_SHAPE(N, 3, SIDE, SIDE));
    float *px = genlab_tensor_f32_mut(x);
    /* image k: the 75x75 window of small.in at row 9k, column 6k */
    for (int64_t k = 0; k < N; k++)
        for (int64_t c = 0; c < 3; c++)
            for (int64_t r = 0; r < SIDE; r++)
                memcpy(px + ((k * 3 + c) * SIDE + r) * SIDE,
                       in->data + (c * big + 9 * k + r) * big + 6 * k, SIDE * sizeof(float));
    float all[N * 2048], one[2048];
    mx_inception_set_chunk(net_pt, 2);
    genlab_status st = mx_inception_run(ctx, net_pt, x, all, NULL);
    mx_inception_set_chunk(net_pt, 0);
    ck_assert_msg(st == GL_OK, "%s", genlab_ctx_errmsg(ctx));
    const float *err32 = golden_get("small.err32")->data;
    for (int k = 0; k < N; k += N - 1) {
        ck_assert_msg(mx_inception_run(ctx, net_pt, genlab_slice(ctx, x, 0, k, 1), one, NULL) ==
                      GL_OK, "%s", genlab_ctx_errmsg(ctx));
        char what[32];
        snprintf(what, sizeof what, "image %d of %d", k, N);
        /* the same float32 network on another batch size (other GEMM
         * shapes): as far apart as float32 rounding puts forwards, which
         * err32 measures (expect_forward); a misplaced chunk is off by
         * the difference between two images, 1e-2 and more */
        TU_ASSERT_CLOSE(what, all + k * 2048, one, 2048, 4.0 * err32[0], 0.0);
    }
}
END_TEST

/* features() end to end: preprocessing, network, the arena left as found */
START_TEST(test_features)
{
    genlab_ctx *ctx = net_ctx;
    genlab_ctx_step_begin(ctx);
    const gd_tensor *img = golden_get("img_rgb");
    genlab_tensor *x = genlab_tensor_from(ctx, 4, img->shape, img->data);
    ck_assert_ptr_nonnull(x);
    float feat[2048], logits[1008];
    size_t used = genlab_ctx_arena_used(ctx);
    ck_assert_msg(net_pt->features(ctx, net_pt, x, feat, logits) == GL_OK, "%s",
                  genlab_ctx_errmsg(ctx));
    /* its temporaries are gone, the images are still there */
    ck_assert_uint_eq(genlab_ctx_arena_used(ctx), used);
    ck_assert(memcmp(genlab_tensor_f32(x), img->data, (size_t)img->numel * sizeof(float)) == 0);
    expect_forward("pt_rgb", feat, logits);
}
END_TEST

/* what the extractor says about itself */
START_TEST(test_identity)
{
    ck_assert_str_eq(net_pt->name, "inception-v3-fid");
    ck_assert_str_eq(net_pt->resize, "pytorch-fid-bilinear-299");
    ck_assert_int_eq(net_pt->dim, 2048);
    ck_assert_int_eq(net_pt->n_logits, 1008);
    /* the weights file's SHA-256, computed here in one go */
    FILE *f = fopen(net_weights, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    size_t size = (size_t)ftell(f);
    rewind(f);
    uint8_t *buf = malloc(size), d[SHA256_DIGEST_SIZE];
    ck_assert_uint_eq(fread(buf, 1, size, f), size);
    fclose(f);
    struct sha256_ctx h;
    sha256_init(&h);
    sha256_update(&h, size, buf);
    sha256_digest(&h, sizeof d, d);
    free(buf);
    char hex[65];
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    ck_assert_str_eq(net_pt->sha256, hex);
}
END_TEST

/* images the extractor cannot take: each refused before any work */
typedef struct bad_image {
    bool         run;       /* mx_inception_run (else features()) */
    genlab_dtype dtype;
    int          ndim;
    int64_t      shape[4];
    const char  *want;
} bad_image;

static const bad_image bad_images[] = {
    /* run    dtype  ndim  shape          message */
    {false, GL_F32, 4, {1, 2, 8, 8},   "inception-v3-fid: images (1, 2, 8, 8) must be (N, C, H, "
                                       "W) float32 with C 1 (gray) or 3 (RGB)"},
    {false, GL_F32, 4, {2, 4, 8, 8},   "images (2, 4, 8, 8) must be"},
    {false, GL_F32, 3, {3, 8, 8},      "images (3, 8, 8) must be"},
    {false, GL_U8,  4, {1, 3, 8, 8},   "images (1, 3, 8, 8) must be (N, C, H, W) float32"},
    {false, GL_F32, 0, {0},            "inception-v3-fid: no images"},   /* NULL */
    /* the network alone needs RGB and room for its layers */
    {true,  GL_F32, 4, {1, 3, 74, 80}, "images (1, 3, 74, 80) must be (N, 3, H, W) float32 "
                                       "with H, W >= 75"},
    {true,  GL_F32, 4, {1, 1, 80, 80}, "images (1, 1, 80, 80) must be (N, 3, H, W)"},
};

START_TEST(test_bad_images)
{
    genlab_ctx *ctx = net_ctx;
    genlab_ctx_step_begin(ctx);
    const bad_image *c = &bad_images[_i];
    genlab_tensor *x = c->ndim ? genlab_tensor_new(ctx, c->dtype, c->ndim, c->shape) : NULL;
    float feat[2 * 2048];
    genlab_status want = c->ndim ? GL_ERR_SHAPE : GL_ERR_INVALID;
    genlab_status st = c->run ? mx_inception_run(ctx, net_pt, x, feat, NULL)
                              : net_pt->features(ctx, net_pt, x, feat, NULL);
    ck_assert_int_eq(st, want);
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), c->want), "message \"%s\" lacks \"%s\"",
                  genlab_ctx_errmsg(ctx), c->want);
    genlab_ctx_clear_error(ctx);
}
END_TEST

/* ---- suite ---- */

static Suite *inception_suite(void)
{
    Suite *s = suite_create("inception");
    TCase *tc = tcase_create("tensors");
    tcase_add_unchecked_fixture(tc, open_golden, close_golden);
    tcase_add_test(tc, test_tensor_list);
    suite_add_tcase(s, tc);

    tc = tcase_create("resize_f32");
    tcase_add_loop_test(tc, test_resize_f32, 0,
                        (int)(sizeof resize_cases / sizeof resize_cases[0]));
    tcase_add_test(tc, test_resize_f32_edges);
    suite_add_tcase(s, tc);

    tc = tcase_create("weights");
    tcase_add_loop_test(tc, test_bad_weights, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("preprocess");
    tcase_add_loop_test(tc, test_preprocess, 0, (int)(sizeof prep_cases / sizeof prep_cases[0]));
    tcase_add_test(tc, test_resize_rules);
    suite_add_tcase(s, tc);

    tc = tcase_create("network");
    /* writing, reading and hashing 95 MB and two forwards' work: minutes
     * under valgrind */
    tcase_set_timeout(tc, 1800);
    tcase_add_unchecked_fixture(tc, open_network, close_network);
    tcase_add_test(tc, test_network);
    tcase_add_test(tc, test_chunks);
    tcase_add_test(tc, test_features);
    tcase_add_test(tc, test_identity);
    tcase_add_loop_test(tc, test_bad_images, 0, (int)(sizeof bad_images / sizeof bad_images[0]));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(inception_suite());
}
