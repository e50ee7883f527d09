/* SPDX-License-Identifier: MIT
 *
 * test_data.c — the dataset plugins of plugins/data/ (idx, cifar10,
 * cifar100, imagefolder), loaded as built from plugins/data/.libs through
 * a registry and opened through a resolved configuration, as the run loop
 * opens them.
 *
 * Every file is written by the test itself into a temporary directory:
 * IDX raw and gzip, CIFAR-10 and CIFAR-100 records, folders of PNG
 * (genlab_png_write) and JPEG (libjpeg) files. Decoded pixels are compared
 * exactly with the bytes written (CIFAR's planar records through the
 * interleaved images back to planar tensors; JPEG against genlab's own
 * decoder of the same file), labels with the labels written and filtered.
 * One table per plugin lists the bad inputs, each with the status and the
 * message words (the file's name among them) it must give.
 *
 * Real data: MNIST and CIFAR-10 subsets in ../shared/data next to the
 * source tree, and Debian's Fashion-MNIST; a missing set is reported as
 * "SKIP ..." and its test is not run (so not counted as passed).
 *
 * Sections: fixture, files, idx, cifar, imagefolder, real data, suite.
 */
#include <math.h>
#include <stdio.h>   /* before jpeglib.h, which uses FILE and size_t */

#include <jpeglib.h>
#include <nettle/sha2.h>
#include <zlib.h>

#include "genlab/genlab.h"
#include "testutil.h"

/* ---- fixture ---- */

typedef struct fx {
    char                    dir[4096];
    char                    path[4][4200];   /* fx_path's rotating results */
    int                     next_path;
    genlab_ctx             *ctx;
    genlab_registry        *reg;
    genlab_config          *cfg;
    genlab_host             host;
    const genlab_dataset_i *ds;
    void                   *state;
    genlab_data_spec        spec;
    const char             *msg;             /* the last open's or read's message */
    char                    log[4096];       /* warnings the plugins logged */
} fx;

static void on_log(void *user, genlab_log_level level, const char *msg)
{
    fx *f = user;
    if (level <= GL_LOG_WARN)
        snprintf(f->log + strlen(f->log), sizeof f->log - strlen(f->log), "%s\n", msg);
}

static void fx_setup(fx *f)
{
    memset(f, 0, sizeof *f);
    tu_tmpdir(f->dir, sizeof f->dir);
    f->ctx = tu_ctx(1);
    ck_assert_int_eq(genlab_registry_create(GL_TEST_DATA_PLUGIN_DIR, &f->reg), GL_OK);
    genlab_registry_set_logger(f->reg, on_log, f);
    static const char *const plugins[] = {"idx.so", "cifar.so", "imagefolder.so"};
    for (int i = 0; i < 3; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", GL_TEST_DATA_PLUGIN_DIR, plugins[i]);
        ck_assert_msg(genlab_plugin_load(f->reg, p) == GL_OK, "%s",
                      genlab_registry_errmsg(f->reg));
    }
}

static void fx_close(fx *f)
{
    if (f->state)
        f->ds->close(f->state);
    f->state = NULL;
    genlab_config_destroy(f->cfg);
    f->cfg = NULL;
}

static void fx_teardown(fx *f)
{
    fx_close(f);
    genlab_registry_destroy(f->reg);
    genlab_ctx_destroy(f->ctx);
    tu_rmtree(f->dir);
}

/* fx_path — dir/name (a rotating buffer: valid for the next 3 calls) */
static const char *fx_path(fx *f, const char *name)
{
    char *p = f->path[f->next_path++ % 4];
    size_t nd = strlen(f->dir), nn = strlen(name);
    ck_assert_uint_lt(nd + nn + 1, sizeof f->path[0]);
    memcpy(p, f->dir, nd);
    p[nd] = '/';
    memcpy(p + nd + 1, name, nn + 1);
    return p;
}

/* fx_open — open dataset component comp on split with "key=value"
 * arguments in its scope (NULL-terminated); a value "@rest" stands for the
 * fixture directory followed by rest. Returns open's status (or resolve's,
 * a configuration problem); the message is in f->msg. */
static genlab_status fx_open(fx *f, const char *comp, const char *split, const char *const *args)
{
    static const genlab_param_def decl[] = {
        {.name = "dataset", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_DATASET, .def = "",
         .help = "the dataset under test"},
    };
    fx_close(f);
    genlab_ctx_clear_error(f->ctx);
    const genlab_component *c;
    const genlab_config *scope;
    genlab_status st = tu_bind(f->reg, decl, comp, args, f->dir, &f->cfg, &c, &scope);
    if (st != GL_OK) {
        f->msg = genlab_config_errmsg(f->cfg);
        return st;
    }
    f->ds = c->iface;
    genlab_host_init(&f->host, f->reg, f->ctx, f->cfg);
    f->spec = (genlab_data_spec){0};
    st = f->ds->open(&f->host, scope, split, &f->spec, &f->state);
    f->msg = genlab_ctx_errmsg(f->ctx);
    if (st != GL_OK)
        ck_assert_ptr_null(f->state);
    return st;
}

/* fx_open_ok — fx_open that must succeed */
static void fx_open_ok(fx *f, const char *comp, const char *split, const char *const *args)
{
    genlab_status st = fx_open(f, comp, split, args);
    ck_assert_msg(st == GL_OK, "open %s: %s", comp, f->msg);
}

/* fx_read — read items [first, first + n) in one batch: pixels back as
 * bytes into px (n * C * H * W, planar, may be NULL), labels into y (may
 * be NULL; must be NULL exactly when the set is unlabelled). Returns
 * read's status; the message is in f->msg. */
static genlab_status fx_read(fx *f, int64_t first, int64_t n, uint8_t *px, int32_t *y)
{
    int64_t *idx = malloc((size_t)n * sizeof *idx);
    ck_assert_ptr_nonnull(idx);
    for (int64_t i = 0; i < n; i++)
        idx[i] = first + i;
    genlab_ctx_step_begin(f->ctx);
    genlab_batch b;
    genlab_status st = f->ds->read(f->ctx, f->state, idx, n, &b);
    free(idx);
    f->msg = genlab_ctx_errmsg(f->ctx);
    if (st != GL_OK)
        return st;
    const genlab_data_spec *s = &f->spec;
    ck_assert_int_eq(genlab_tensor_ndim(b.x), 4);
    ck_assert_int_eq(genlab_tensor_dim(b.x, 0), n);
    ck_assert_int_eq(genlab_tensor_dim(b.x, 1), s->channels);
    ck_assert_int_eq(genlab_tensor_dim(b.x, 2), s->height);
    ck_assert_int_eq(genlab_tensor_dim(b.x, 3), s->width);
    const float *x = genlab_tensor_data(b.x);
    int64_t total = n * s->channels * s->height * s->width;
    /* x = v / 127.5 - 1 in float: v comes back within 1e-3 of an integer
     * (float's rounding is ~1e-5 here), so this recovers the byte exactly
     * or fails (one assertion after the loop: Check's per-call cost would
     * dominate the suite under valgrind) */
    int64_t bad = -1;
    for (int64_t i = 0; px && i < total; i++) {
        double v = ((double)x[i] + 1.0) * 127.5;
        long r = lround(v);
        if (bad < 0 && !(fabs(v - (double)r) < 1e-3 && r >= 0 && r <= 255))
            bad = i;
        px[i] = (uint8_t)r;
    }
    ck_assert_msg(bad < 0, "element %lld is %g, not a byte value", (long long)bad,
                  bad < 0 ? 0.0 : (double)x[bad]);
    if (s->n_classes == 0) {
        ck_assert_ptr_null(b.y);
    } else {
        ck_assert_ptr_nonnull(b.y);
        ck_assert_int_eq(genlab_tensor_dim(b.y, 0), n);
        if (y)
            memcpy(y, genlab_tensor_data(b.y), (size_t)n * sizeof *y);
    }
    return GL_OK;
}

/* check_message — status and every (non-NULL) wanted substring */
static void check_message(const char *what, genlab_status got, genlab_status want,
                          const char *msg, const char *const *words, int n_words)
{
    ck_assert_msg(got == want, "%s: status %d (want %d): %s", what, got, want, msg);
    for (int i = 0; i < n_words; i++)
        if (words[i])
            ck_assert_msg(strstr(msg, words[i]), "%s: message \"%s\" lacks \"%s\"", what, msg,
                          words[i]);
}

/* ---- files ---- */

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* write_data — data to path, gzip-compressed when gz */
static void write_data(const char *path, const void *data, size_t n, bool gz)
{
    if (!gz) {
        tu_write(path, data, n);
        return;
    }
    gzFile g = gzopen(path, "wb");
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(gzwrite(g, data, (unsigned)n), (int)n);
    ck_assert_int_eq(gzclose(g), Z_OK);
}

/* read_data — the bytes of path (malloc'd) and their number */
static uint8_t *read_data(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_ptr_nonnull(fp);
    fseek(fp, 0, SEEK_END);
    *n = (size_t)ftell(fp);
    rewind(fp);
    uint8_t *b = malloc(*n ? *n : 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, *n, fp), *n);
    fclose(fp);
    return b;
}

/* truncate_file — keep the first `keep` bytes of path */
static void truncate_file(const char *path, size_t keep)
{
    size_t n;
    uint8_t *b = read_data(path, &n);
    ck_assert_uint_lt(keep, n);
    tu_write(path, b, keep);
    free(b);
}

/* append_file — add n bytes of data at the end of path */
static void append_file(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "ab");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(data, 1, n, fp), n);
    fclose(fp);
}

/* sha256_hex — of n bytes */
static void sha256_hex(const void *data, size_t n, char hex[65])
{
    struct sha256_ctx h;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&h);
    sha256_update(&h, n, data);
    sha256_digest(&h, sizeof d, d);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* manifest_identity — what doc/datasets.md promises: prefix ":sha256:"
 * and the SHA-256 of `sha256sum FILE...`'s output for the files */
static void manifest_identity(fx *f, const char *prefix, const char *const *names, int n,
                              char *out, size_t size)
{
    char text[4096] = "", hex[65];
    for (int i = 0; i < n; i++) {
        size_t len;
        uint8_t *b = read_data(fx_path(f, names[i]), &len);
        sha256_hex(b, len, hex);
        free(b);
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s  %s\n", hex, names[i]);
    }
    sha256_hex(text, strlen(text), hex);
    snprintf(out, size, "%s:sha256:%s", prefix, hex);
}

/* ---- idx ---- */

/* The IDX fixture: 5 images of 3 rows x 4 columns, labels 3 1 4 1 5. */
enum { IDX_N = 5, IDX_ROWS = 3, IDX_COLS = 4 };
static const uint8_t idx_labels[IDX_N] = {3, 1, 4, 1, 5};

static uint8_t idx_pixel(int item, int k) { return (uint8_t)(item * 37 + k * 11 + 1); }

/* write_idx — an IDX file: magic, dims, then `count` payload bytes of the
 * image (ndim 3) or label (ndim 1) fixture, n items (labels: n labels) */
static void write_idx(const char *path, uint32_t magic, int n, bool images, bool gz)
{
    uint8_t buf[16 + IDX_N * IDX_ROWS * IDX_COLS + 16];
    size_t len = 0;
    put_be32(buf, magic);
    put_be32(buf + 4, (uint32_t)n);
    len = 8;
    if (images) {
        put_be32(buf + 8, IDX_ROWS);
        put_be32(buf + 12, IDX_COLS);
        len = 16;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < IDX_ROWS * IDX_COLS; k++)
                buf[len++] = idx_pixel(i % IDX_N, k);
    } else {
        for (int i = 0; i < n; i++)
            buf[len++] = idx_labels[i % IDX_N];
    }
    write_data(path, buf, len, gz);
}

/* the default file names */
#define TRAIN_IMAGES "train-images-idx3-ubyte"
#define TRAIN_LABELS "train-labels-idx1-ubyte"
#define TEST_IMAGES  "t10k-images-idx3-ubyte"
#define TEST_LABELS  "t10k-labels-idx1-ubyte"

/* make_idx_train — the fixture as gzip files under the train names */
static void make_idx_train(fx *f)
{
    write_idx(fx_path(f, TRAIN_IMAGES ".gz"), 0x803, IDX_N, true, true);
    write_idx(fx_path(f, TRAIN_LABELS ".gz"), 0x801, IDX_N, false, true);
}

/* check_idx_items — read everything and compare with the fixture */
static void check_idx_items(fx *f, bool labelled)
{
    ck_assert_int_eq(f->spec.n_items, IDX_N);
    ck_assert_int_eq(f->spec.channels, 1);
    ck_assert_int_eq(f->spec.height, IDX_ROWS);
    ck_assert_int_eq(f->spec.width, IDX_COLS);
    uint8_t px[IDX_N * IDX_ROWS * IDX_COLS];
    int32_t y[IDX_N];
    ck_assert_int_eq(fx_read(f, 0, IDX_N, px, labelled ? y : NULL), GL_OK);
    for (int i = 0; i < IDX_N; i++) {
        for (int k = 0; k < IDX_ROWS * IDX_COLS; k++)
            ck_assert_int_eq(px[i * IDX_ROWS * IDX_COLS + k], idx_pixel(i, k));
        if (labelled)
            ck_assert_int_eq(y[i], idx_labels[i]);
    }
}

START_TEST(test_idx_gz)
{
    fx f;
    fx_setup(&f);
    make_idx_train(&f);
    fx_open_ok(&f, "idx", "train", (const char *const[]){"dir=@", NULL});
    ck_assert_int_eq(f.spec.n_classes, 10);   /* the `classes` default */
    check_idx_items(&f, true);
    /* identity: the documented sha256sum manifest of both files */
    char want[128];
    manifest_identity(&f, "idx", (const char *const[]){TRAIN_IMAGES ".gz", TRAIN_LABELS ".gz"},
                      2, want, sizeof want);
    ck_assert_str_eq(f.ds->identity(f.state), want);
    /* one item, out of order */
    uint8_t px[IDX_ROWS * IDX_COLS];
    int32_t y;
    ck_assert_int_eq(fx_read(&f, 3, 1, px, &y), GL_OK);
    ck_assert_int_eq(px[5], idx_pixel(3, 5));
    ck_assert_int_eq(y, idx_labels[3]);
    fx_teardown(&f);
}
END_TEST

START_TEST(test_idx_raw_fallback)
{
    /* only uncompressed copies of the test split: the defaults fall back */
    fx f;
    fx_setup(&f);
    write_idx(fx_path(&f, TEST_IMAGES), 0x803, IDX_N, true, false);
    write_idx(fx_path(&f, TEST_LABELS), 0x801, IDX_N, false, false);
    fx_open_ok(&f, "idx", "test", (const char *const[]){"dir=@", "classes=0", NULL});
    ck_assert_int_eq(f.spec.n_classes, 6);    /* classes=0: the largest label (5) + 1 */
    check_idx_items(&f, true);
    char want[128];
    manifest_identity(&f, "idx", (const char *const[]){TEST_IMAGES, TEST_LABELS}, 2, want,
                      sizeof want);
    ck_assert_str_eq(f.ds->identity(f.state), want);
    fx_teardown(&f);
}
END_TEST

START_TEST(test_idx_named)
{
    /* given names used as they are: a gzip file without .gz, a raw one,
     * an absolute path; labels=none is unlabelled */
    fx f;
    fx_setup(&f);
    write_idx(fx_path(&f, "imgs.bin"), 0x803, IDX_N, true, true);
    write_idx(fx_path(&f, "labs.raw"), 0x801, IDX_N, false, false);
    fx_open_ok(&f, "idx", "train",
               (const char *const[]){"dir=@", "images=imgs.bin", "labels=@/labs.raw", NULL});
    check_idx_items(&f, true);
    fx_open_ok(&f, "idx", "train",
               (const char *const[]){"dir=@", "images=imgs.bin", "labels=none", NULL});
    ck_assert_int_eq(f.spec.n_classes, 0);
    check_idx_items(&f, false);
    char want[128];
    manifest_identity(&f, "idx", (const char *const[]){"imgs.bin"}, 1, want, sizeof want);
    ck_assert_str_eq(f.ds->identity(f.state), want);
    fx_teardown(&f);
}
END_TEST

START_TEST(test_idx_gz_members)
{
    /* two gzip members in a row are one stream (gzip -c a b > c) */
    fx f;
    fx_setup(&f);
    uint8_t head[16];
    put_be32(head, 0x803);
    put_be32(head + 4, IDX_N);
    put_be32(head + 8, IDX_ROWS);
    put_be32(head + 12, IDX_COLS);
    uint8_t px[IDX_N * IDX_ROWS * IDX_COLS];
    for (int i = 0; i < IDX_N; i++)
        for (int k = 0; k < IDX_ROWS * IDX_COLS; k++)
            px[i * IDX_ROWS * IDX_COLS + k] = idx_pixel(i, k);
    size_t n1, n2;
    write_data(fx_path(&f, "a.gz"), head, sizeof head, true);
    write_data(fx_path(&f, "b.gz"), px, sizeof px, true);
    uint8_t *a = read_data(fx_path(&f, "a.gz"), &n1), *b = read_data(fx_path(&f, "b.gz"), &n2);
    tu_write(fx_path(&f, "imgs.gz"), a, n1);
    append_file(fx_path(&f, "imgs.gz"), b, n2);
    free(a);
    free(b);
    fx_open_ok(&f, "idx", "train",
               (const char *const[]){"dir=@", "images=imgs.gz", "labels=none", NULL});
    check_idx_items(&f, false);
    fx_teardown(&f);
}
END_TEST

/* ---- bad inputs, one function per way of breaking the fixture ---- */

static void bad_idx_truncated_gz(fx *f)
{
    make_idx_train(f);
    size_t n;
    free(read_data(fx_path(f, TRAIN_IMAGES ".gz"), &n));
    truncate_file(fx_path(f, TRAIN_IMAGES ".gz"), n - 12);   /* the trailer and some data */
}

static void bad_idx_crc(fx *f)
{
    make_idx_train(f);
    size_t n;
    uint8_t *b = read_data(fx_path(f, TRAIN_LABELS ".gz"), &n);
    b[n - 8] ^= 0xff;   /* the gzip trailer's CRC-32 */
    tu_write(fx_path(f, TRAIN_LABELS ".gz"), b, n);
    free(b);
}

static void bad_idx_garbage_after_gz(fx *f)
{
    make_idx_train(f);
    append_file(fx_path(f, TRAIN_IMAGES ".gz"), "junk", 4);
}

static void bad_idx_magic(fx *f)
{
    make_idx_train(f);
    write_idx(fx_path(f, TRAIN_IMAGES ".gz"), 0x801, IDX_N, true, true);
}

static void bad_idx_float_type(fx *f)
{
    make_idx_train(f);
    write_idx(fx_path(f, TRAIN_LABELS ".gz"), 0xd01, IDX_N, false, true);   /* float32 */
}

static void bad_idx_count(fx *f)
{
    make_idx_train(f);
    write_idx(fx_path(f, TRAIN_LABELS ".gz"), 0x801, IDX_N - 1, false, true);
}

static void bad_idx_trailing_raw(fx *f)
{
    write_idx(fx_path(f, TEST_IMAGES), 0x803, IDX_N, true, false);
    write_idx(fx_path(f, TEST_LABELS), 0x801, IDX_N, false, false);
    append_file(fx_path(f, TEST_IMAGES), "\0\0\0", 3);
}

static void bad_idx_trailing_gz(fx *f)
{
    /* a labels header for 4 items over 5 label bytes: one byte too many */
    uint8_t b[8 + IDX_N];
    put_be32(b, 0x801);
    put_be32(b + 4, IDX_N - 1);
    memcpy(b + 8, idx_labels, IDX_N);
    make_idx_train(f);
    write_data(fx_path(f, TRAIN_LABELS ".gz"), b, sizeof b, true);
}

static void bad_idx_short_raw(fx *f)
{
    bad_idx_trailing_raw(f);
    write_idx(fx_path(f, TEST_IMAGES), 0x803, IDX_N, true, false);
    truncate_file(fx_path(f, TEST_IMAGES), 16 + 7);
}

static void bad_idx_short_header(fx *f)
{
    make_idx_train(f);
    write_data(fx_path(f, TRAIN_IMAGES ".gz"), "\0\0\x08\x03\0\0", 6, true);
}

static void bad_idx_zero_dim(fx *f)
{
    uint8_t b[16];
    put_be32(b, 0x803);
    put_be32(b + 4, IDX_N);
    put_be32(b + 8, 0);
    put_be32(b + 12, IDX_COLS);
    make_idx_train(f);
    write_data(fx_path(f, TRAIN_IMAGES ".gz"), b, sizeof b, true);
}

static void bad_idx_huge(fx *f)
{
    /* a header announcing 2^32-1 images of 65535 x 65535 pixels */
    uint8_t b[16];
    put_be32(b, 0x803);
    put_be32(b + 4, 0xffffffffu);
    put_be32(b + 8, 0xffff);
    put_be32(b + 12, 0xffff);
    make_idx_train(f);
    write_data(fx_path(f, TRAIN_IMAGES ".gz"), b, sizeof b, true);
}

static void bad_idx_label(fx *f)
{
    uint8_t b[8 + IDX_N];
    put_be32(b, 0x801);
    put_be32(b + 4, IDX_N);
    memcpy(b + 8, idx_labels, IDX_N);
    b[8 + 2] = 10;
    make_idx_train(f);
    write_data(fx_path(f, TRAIN_LABELS ".gz"), b, sizeof b, true);
}

static void bad_idx_dir_file(fx *f)
{
    make_idx_train(f);
    ck_assert_int_eq(mkdir(fx_path(f, "sub.idx"), 0755), 0);
}

/* A bad input: what to write, how to open, what must come back. */
typedef struct bad_case {
    const char   *what;
    void        (*make)(fx *f);
    const char   *comp, *split;
    const char   *args[5];      /* "key=value" in the dataset's scope ("@": the directory) */
    genlab_status status;
    const char   *want[3];      /* substrings of the message: the file, what is wrong */
} bad_case;

static const bad_case idx_bad[] = {
    {"truncated gzip", bad_idx_truncated_gz, "idx", "train", {"dir=@"}, GL_ERR_FORMAT,
     {TRAIN_IMAGES ".gz", "truncated gzip stream"}},
    {"gzip CRC wrong", bad_idx_crc, "idx", "train", {"dir=@"}, GL_ERR_FORMAT,
     {TRAIN_LABELS ".gz", "corrupt gzip stream", "incorrect data check"}},
    {"bytes after the gzip stream", bad_idx_garbage_after_gz, "idx", "train", {"dir=@"},
     GL_ERR_FORMAT, {TRAIN_IMAGES ".gz", "4 bytes of trailing garbage"}},
    {"labels' magic in the image file", bad_idx_magic, "idx", "train", {"dir=@"},
     GL_ERR_FORMAT, {TRAIN_IMAGES ".gz", "magic 0x00000801, expected 0x00000803"}},
    {"float labels", bad_idx_float_type, "idx", "train", {"dir=@"}, GL_ERR_FORMAT,
     {TRAIN_LABELS ".gz", "magic 0x00000d01, expected 0x00000801"}},
    {"4 labels for 5 images", bad_idx_count, "idx", "train", {"dir=@"}, GL_ERR_FORMAT,
     {TRAIN_IMAGES ".gz\" has 5 images but", TRAIN_LABELS ".gz\" has 4 labels"}},
    {"raw file 3 bytes too long", bad_idx_trailing_raw, "idx", "test", {"dir=@"},
     GL_ERR_FORMAT, {TEST_IMAGES "\"", "3 trailing bytes after the 16 + 60 bytes"}},
    {"decompressed data too long", bad_idx_trailing_gz, "idx", "train", {"dir=@"},
     GL_ERR_FORMAT, {TRAIN_LABELS ".gz", "longer than the 8 + 4 bytes the header announces"}},
    {"raw file cut in the pixels", bad_idx_short_raw, "idx", "test", {"dir=@"}, GL_ERR_FORMAT,
     {TEST_IMAGES "\"", "ends after 16 bytes, 53 bytes short of the 16 + 60 bytes"}},
    {"file cut in the header", bad_idx_short_header, "idx", "train", {"dir=@"},
     GL_ERR_FORMAT, {TRAIN_IMAGES ".gz", "ends after 6 bytes, 10 bytes short of the IDX header"}},
    {"a zero dimension", bad_idx_zero_dim, "idx", "train", {"dir=@"}, GL_ERR_FORMAT,
     {TRAIN_IMAGES ".gz", "dimension 1 is 0"}},
    {"an absurd size", bad_idx_huge, "idx", "train", {"dir=@"}, GL_ERR_FORMAT,
     {TRAIN_IMAGES ".gz", "the header announces more than"}},
    {"label 10 of 10 classes", bad_idx_label, "idx", "train", {"dir=@"}, GL_ERR_FORMAT,
     {TRAIN_LABELS ".gz", "item 2 has label 10, not below classes = 10"}},
    {"label 5 with classes=5", make_idx_train, "idx", "train", {"dir=@", "classes=5"},
     GL_ERR_FORMAT, {TRAIN_LABELS ".gz", "item 4 has label 5"}},
    {"missing directory", make_idx_train, "idx", "train", {"dir=@/nowhere"}, GL_ERR_IO,
     {"nowhere/" TRAIN_IMAGES ".gz", "no file", "nor without .gz"}},
    {"a named file missing", make_idx_train, "idx", "train", {"dir=@", "labels=gone"},
     GL_ERR_IO, {"gone", "cannot open", "No such file"}},
    {"a directory as a file", bad_idx_dir_file, "idx", "train", {"dir=@", "images=sub.idx"},
     GL_ERR_IO, {"sub.idx", "not a regular file"}},
    {"no such split", make_idx_train, "idx", "valid", {"dir=@"}, GL_ERR_INVALID,
     {"no split \"valid\""}},
    {"classes out of range", make_idx_train, "idx", "train", {"dir=@", "classes=257"},
     GL_ERR_INVALID, {"dataset.classes"}},
};

/* run_bad — one row: write, open (and read everything when open
 * succeeds), compare the status and message */
static void run_bad(const bad_case *c)
{
    fx f;
    fx_setup(&f);
    c->make(&f);
    const char *args[6] = {0};
    memcpy(args, c->args, sizeof c->args);
    genlab_status st = fx_open(&f, c->comp, c->split, args);
    if (st == GL_OK)
        st = fx_read(&f, 0, f.spec.n_items, NULL, NULL);
    check_message(c->what, st, c->status, f.msg, c->want, 3);
    fx_teardown(&f);
}

START_TEST(test_idx_bad) { run_bad(&idx_bad[_i]); }
END_TEST

/* ---- cifar ---- */

enum { REC_PIXELS = 3072 };

/* the pixel bytes of record r (planar: 1024 red, green, blue) */
static uint8_t cifar_pixel(int r, int k) { return (uint8_t)(r * 29 + k * 7 + k / 1024 * 50); }

/* write_cifar — records with the given label bytes (label_bytes per
 * record: 1 for CIFAR-10, 2 for CIFAR-100), pixels of records first.. */
static void write_cifar(const char *path, int label_bytes, const uint8_t *labels, int n,
                        int first, bool gz)
{
    size_t rec = (size_t)label_bytes + REC_PIXELS;
    uint8_t *b = malloc(rec * (size_t)n + 1);
    ck_assert_ptr_nonnull(b);
    for (int r = 0; r < n; r++) {
        memcpy(b + rec * r, labels + label_bytes * r, (size_t)label_bytes);
        for (int k = 0; k < REC_PIXELS; k++)
            b[rec * r + label_bytes + k] = cifar_pixel(first + r, k);
    }
    write_data(path, b, rec * (size_t)n, gz);
    free(b);
}

/* CIFAR-10 fixture: two files, records 0..3 (labels 0 3 5 3) and 4..5
 * (labels 9 0); the second file gzip-compressed */
static const uint8_t c10_labels[6] = {0, 3, 5, 3, 9, 0};

static void make_c10(fx *f)
{
    write_cifar(fx_path(f, "a.bin"), 1, c10_labels, 4, 0, false);
    write_cifar(fx_path(f, "b.bin.gz"), 1, c10_labels + 4, 2, 4, true);
}

/* check_cifar — read every item: item i must be record rec[i] with label y[i] */
static void check_cifar(fx *f, int n, const int *rec, const int32_t *want_y)
{
    ck_assert_int_eq(f->spec.n_items, n);
    ck_assert_int_eq(f->spec.channels, 3);
    ck_assert_int_eq(f->spec.height, 32);
    ck_assert_int_eq(f->spec.width, 32);
    uint8_t *px = malloc((size_t)n * REC_PIXELS);
    int32_t y[16];
    ck_assert_ptr_nonnull(px);
    ck_assert_int_eq(fx_read(f, 0, n, px, y), GL_OK);
    /* planar in the file, interleaved in the decoded image, planar again
     * in the tensor: the bytes must come back in the file's order */
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(y[i], want_y[i]);
        int k = 0;
        while (k < REC_PIXELS && px[i * REC_PIXELS + k] == cifar_pixel(rec[i], k))
            k++;
        ck_assert_msg(k == REC_PIXELS, "item %d byte %d: %d, want %d", i, k,
                      px[i * REC_PIXELS + k % REC_PIXELS], cifar_pixel(rec[i], k));
    }
    free(px);
}

START_TEST(test_cifar10_files)
{
    fx f;
    fx_setup(&f);
    make_c10(&f);
    fx_open_ok(&f, "cifar10", "train", (const char *const[]){"dir=@", "files=a.bin, b.bin.gz", NULL});
    ck_assert_int_eq(f.spec.n_classes, 10);
    check_cifar(&f, 6, (const int[]){0, 1, 2, 3, 4, 5}, (const int32_t[]){0, 3, 5, 3, 9, 0});
    char want[128];
    manifest_identity(&f, "cifar10", (const char *const[]){"a.bin", "b.bin.gz"}, 2, want,
                      sizeof want);
    ck_assert_str_eq(f.ds->identity(f.state), want);
    fx_teardown(&f);
}
END_TEST

START_TEST(test_cifar10_filter)
{
    /* cat (3) becomes 0 and airplane (0) 1, in the order named; others go */
    fx f;
    fx_setup(&f);
    make_c10(&f);
    fx_open_ok(&f, "cifar10", "train",
               (const char *const[]){"dir=@", "files=a.bin,b.bin.gz", "classes=cat,airplane",
                                     NULL});
    ck_assert_int_eq(f.spec.n_classes, 2);
    check_cifar(&f, 4, (const int[]){0, 1, 3, 5}, (const int32_t[]){1, 0, 0, 1});
    fx_teardown(&f);
}
END_TEST

START_TEST(test_cifar10_defaults)
{
    /* no files given: data_batch_1..5.bin for train, test_batch.bin for test */
    fx f;
    fx_setup(&f);
    for (int i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof name, "data_batch_%d.bin", i + 1);
        write_cifar(fx_path(&f, name), 1, c10_labels + i, 1, i, false);
    }
    write_cifar(fx_path(&f, "test_batch.bin"), 1, c10_labels + 5, 1, 5, false);
    fx_open_ok(&f, "cifar10", "train", (const char *const[]){"dir=@", NULL});
    check_cifar(&f, 5, (const int[]){0, 1, 2, 3, 4}, (const int32_t[]){0, 3, 5, 3, 9});
    fx_open_ok(&f, "cifar10", "test", (const char *const[]){"dir=@", NULL});
    check_cifar(&f, 1, (const int[]){5}, (const int32_t[]){0});
    fx_teardown(&f);
}
END_TEST

/* CIFAR-100 fixture: (coarse, fine) = (4, 0) (4, 51) (19, 99) (0, 51) */
static const uint8_t c100_labels[8] = {4, 0, 4, 51, 19, 99, 0, 51};

START_TEST(test_cifar100)
{
    fx f;
    fx_setup(&f);
    write_cifar(fx_path(&f, "train.bin"), 2, c100_labels, 4, 0, false);
    fx_open_ok(&f, "cifar100", "train", (const char *const[]){"dir=@", NULL});
    ck_assert_int_eq(f.spec.n_classes, 100);
    check_cifar(&f, 4, (const int[]){0, 1, 2, 3}, (const int32_t[]){0, 51, 99, 51});
    fx_open_ok(&f, "cifar100", "train", (const char *const[]){"dir=@", "label=coarse", NULL});
    ck_assert_int_eq(f.spec.n_classes, 20);
    check_cifar(&f, 4, (const int[]){0, 1, 2, 3}, (const int32_t[]){4, 4, 19, 0});
    /* fine names: apple = 0, mushroom = 51, worm = 99 */
    fx_open_ok(&f, "cifar100", "train",
               (const char *const[]){"dir=@", "classes=worm,mushroom", NULL});
    ck_assert_int_eq(f.spec.n_classes, 2);
    check_cifar(&f, 3, (const int[]){1, 2, 3}, (const int32_t[]){1, 0, 1});
    /* coarse names: people = 14... none here; vehicles_2 = 19 */
    fx_open_ok(&f, "cifar100", "train",
               (const char *const[]){"dir=@", "label=coarse", "classes=vehicles_2", NULL});
    check_cifar(&f, 1, (const int[]){2}, (const int32_t[]){0});
    fx_teardown(&f);
}
END_TEST

static void bad_c10_size(fx *f)
{
    make_c10(f);
    append_file(fx_path(f, "a.bin"), "x", 1);
}

static void bad_c100_size(fx *f)
{
    write_cifar(fx_path(f, "train.bin"), 2, c100_labels, 4, 0, false);
    append_file(fx_path(f, "train.bin"), "x", 1);
}

static void bad_c10_size_gz(fx *f)
{
    uint8_t b[3073 + 100] = {0};
    write_data(fx_path(f, "c.bin.gz"), b, sizeof b, true);
}

static void bad_c10_label(fx *f)
{
    const uint8_t labels[3] = {1, 2, 10};
    write_cifar(fx_path(f, "a.bin"), 1, labels, 3, 0, false);
}

static void bad_c100_coarse(fx *f)
{
    const uint8_t labels[4] = {3, 3, 20, 3};
    write_cifar(fx_path(f, "train.bin"), 2, labels, 2, 0, false);
}

static void bad_c100_fine(fx *f)
{
    const uint8_t labels[2] = {3, 100};
    write_cifar(fx_path(f, "test.bin"), 2, labels, 1, 0, false);
}

static void bad_c10_gz_cut(fx *f)
{
    make_c10(f);
    truncate_file(fx_path(f, "b.bin.gz"), 100);
}

static void nothing(fx *f) { (void)f; }

static const bad_case cifar_bad[] = {
    {"size not a multiple of 3073", bad_c10_size, "cifar10", "train",
     {"dir=@", "files=a.bin"}, GL_ERR_FORMAT,
     {"a.bin", "12293 bytes, not a multiple of the record size 3073"}},
    {"decompressed size not a multiple", bad_c10_size_gz, "cifar10", "train",
     {"dir=@", "files=c.bin.gz"}, GL_ERR_FORMAT,
     {"c.bin.gz", "3173 bytes, not a multiple of the record size 3073"}},
    {"CIFAR-100 record size", bad_c100_size, "cifar100", "train", {"dir=@"}, GL_ERR_FORMAT,
     {"train.bin", "12297 bytes, not a multiple of the record size 3074"}},
    {"label 10", bad_c10_label, "cifar10", "train", {"dir=@", "files=a.bin"}, GL_ERR_FORMAT,
     {"a.bin", "record 2 has label 10 (at most 9)"}},
    {"coarse label 20", bad_c100_coarse, "cifar100", "train", {"dir=@"}, GL_ERR_FORMAT,
     {"train.bin", "record 1 has coarse label 20 (at most 19)"}},
    {"fine label 100 (coarse used)", bad_c100_fine, "cifar100", "test",
     {"dir=@", "label=coarse"}, GL_ERR_FORMAT, {"test.bin", "record 0 has fine label 100"}},
    {"truncated gzip", bad_c10_gz_cut, "cifar10", "train", {"dir=@", "files=a.bin,b.bin.gz"},
     GL_ERR_FORMAT, {"b.bin.gz", "truncated gzip stream"}},
    {"unknown class", make_c10, "cifar10", "train",
     {"dir=@", "files=a.bin", "classes=cat,kitten"}, GL_ERR_INVALID,
     {"no class \"kitten\"", "known: airplane, automobile, bird, cat", "truck"}},
    {"a class twice", make_c10, "cifar10", "train", {"dir=@", "files=a.bin", "classes=cat,cat"},
     GL_ERR_INVALID, {"\"cat\" is named twice"}},
    {"CIFAR-10 name for CIFAR-100", make_c10, "cifar100", "train",
     {"dir=@", "files=a.bin", "classes=truck"}, GL_ERR_INVALID,
     {"no class \"truck\" (known: table, tank,", "turtle, ... 100 names in all"}},
    {"an empty list item", make_c10, "cifar10", "train", {"dir=@", "files=a.bin,,b.bin.gz"},
     GL_ERR_INVALID, {"files", "an empty item"}},
    {"filter leaves nothing", make_c10, "cifar10", "train",
     {"dir=@", "files=a.bin", "classes=truck"}, GL_ERR_INVALID,
     {"no records of classes truck in a.bin"}},
    {"missing dir", nothing, "cifar10", "train", {"dir=@/nowhere"}, GL_ERR_IO,
     {"nowhere/data_batch_1.bin", "No such file"}},
    {"missing test file", make_c10, "cifar10", "test", {"dir=@"}, GL_ERR_IO,
     {"test_batch.bin", "cannot open"}},
    {"neither dir nor files", nothing, "cifar10", "train", {NULL}, GL_ERR_INVALID,
     {"set dir", "or files"}},
    {"label not fine/coarse", make_c10, "cifar100", "train", {"dir=@", "label=both"},
     GL_ERR_INVALID, {"dataset.label"}},
};

START_TEST(test_cifar_bad) { run_bad(&cifar_bad[_i]); }
END_TEST

/* ---- imagefolder ---- */

/* A 5 x 4 RGB image whose pixels depend on seed. */
static void fixture_image(genlab_ctx *ctx, genlab_image *im, int seed)
{
    ck_assert_int_eq(genlab_image_alloc(ctx, im, 5, 4, 3), GL_OK);
    for (int i = 0; i < 5 * 4 * 3; i++)
        im->data[i] = (uint8_t)(seed * 53 + i * 13);
}

static void write_png(fx *f, const char *name, int seed)
{
    genlab_image im;
    fixture_image(f->ctx, &im, seed);
    ck_assert_msg(genlab_png_write(f->ctx, fx_path(f, name), &im) == GL_OK, "%s",
                  genlab_ctx_errmsg(f->ctx));
    genlab_image_free(&im);
}

static void write_jpeg(fx *f, const char *name, int seed)
{
    genlab_image im;
    fixture_image(f->ctx, &im, seed);
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    FILE *fp = fopen(fx_path(f, name), "wb");
    ck_assert_ptr_nonnull(fp);
    jpeg_stdio_dest(&c, fp);
    c.image_width = (JDIMENSION)im.width;
    c.image_height = (JDIMENSION)im.height;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = im.data + (size_t)c.next_scanline * im.width * 3;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(fp);
    genlab_image_free(&im);
}

static void mkdirs(fx *f, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        ck_assert_int_eq(mkdir(fx_path(f, names[i]), 0755), 0);
}

/* The folder fixture, in path order (strcmp: "B" < "a"), file i made
 * from fixture_image seed i:
 *   cat/B.png  cat/a.png  cat/sub/b.PNG  dog/c.jpg  dog/d.JPEG
 * and what is ignored: dog/notes.txt, .hidden/e.png, dog/back (a link
 * to the root: a loop), dog/e.gif. */
static const char *const folder_files[] = {"cat/B.png", "cat/a.png", "cat/sub/b.PNG",
                                           "dog/c.jpg", "dog/d.JPEG"};
static const int32_t folder_labels[] = {0, 0, 0, 1, 1};

static void make_folder(fx *f)
{
    mkdirs(f, (const char *const[]){"cat", "cat/sub", "dog", ".hidden", NULL});
    write_png(f, "cat/B.png", 0);
    write_png(f, "cat/a.png", 1);
    write_png(f, "cat/sub/b.PNG", 2);
    write_jpeg(f, "dog/c.jpg", 3);
    write_jpeg(f, "dog/d.JPEG", 4);
    write_png(f, ".hidden/e.png", 5);
    tu_write(fx_path(f, "dog/notes.txt"), "not an image", (size_t)-1);
    tu_write(fx_path(f, "dog/e.gif"), "GIF89a", (size_t)-1);
    ck_assert_int_eq(symlink("..", fx_path(f, "dog/back")), 0);
}

/* check_folder — items [0, n) against the fixture's first n files */
static void check_folder(fx *f, int n, bool labelled)
{
    ck_assert_int_eq(f->spec.n_items, n);
    ck_assert_int_eq(f->spec.channels, 3);
    ck_assert_int_eq(f->spec.height, 4);
    ck_assert_int_eq(f->spec.width, 5);
    enum { PER = 5 * 4 * 3 };
    uint8_t px[5 * PER];
    int32_t y[5];
    ck_assert_int_eq(fx_read(f, 0, n, px, labelled ? y : NULL), GL_OK);
    for (int i = 0; i < n; i++) {
        /* PNG: the pixels written; JPEG (lossy): genlab's decoder's pixels */
        genlab_image want;
        if (strcasestr(folder_files[i], ".png"))
            fixture_image(f->ctx, &want, i);
        else
            ck_assert_int_eq(genlab_image_read(f->ctx, fx_path(f, folder_files[i]), &want),
                             GL_OK);
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < 20; p++)
                ck_assert_msg(px[i * PER + c * 20 + p] == want.data[p * 3 + c],
                              "%s: channel %d pixel %d", folder_files[i], c, p);
        genlab_image_free(&want);
        if (labelled)
            ck_assert_int_eq(y[i], folder_labels[i]);
    }
}

START_TEST(test_folder_classes)
{
    fx f;
    fx_setup(&f);
    make_folder(&f);
    fx_open_ok(&f, "imagefolder", "train", (const char *const[]){"dir=@", NULL});
    ck_assert_int_eq(f.spec.n_classes, 2);   /* auto: there are sub-folders */
    check_folder(&f, 5, true);
    ck_assert_msg(strstr(f.log, "dog/back\": a link back to a folder above it"), "log: %s",
                  f.log);
    /* the identity: stable, and changed by one byte of one file */
    char first[128];
    snprintf(first, sizeof first, "%s", f.ds->identity(f.state));
    ck_assert_int_eq(strncmp(first, "imagefolder:sampled-sha256:", 27), 0);
    ck_assert_uint_eq(strlen(first), 27 + 64);
    fx_open_ok(&f, "imagefolder", "train", (const char *const[]){"dir=@/", NULL});
    ck_assert_str_eq(f.ds->identity(f.state), first);   /* "dir/" is the same folder */
    /* limit: the first files in path order; the classes stay all */
    fx_open_ok(&f, "imagefolder", "test", (const char *const[]){"dir=@", "limit=2", NULL});
    ck_assert_int_eq(f.spec.n_classes, 2);
    check_folder(&f, 2, true);
    ck_assert_str_ne(f.ds->identity(f.state), first);
    write_png(&f, "cat/a.png", 7);
    fx_open_ok(&f, "imagefolder", "train", (const char *const[]){"dir=@", NULL});
    ck_assert_str_ne(f.ds->identity(f.state), first);
    fx_teardown(&f);
}
END_TEST

START_TEST(test_folder_unlabelled)
{
    fx f;
    fx_setup(&f);
    make_folder(&f);
    fx_open_ok(&f, "imagefolder", "train", (const char *const[]){"dir=@", "labels=false", NULL});
    ck_assert_int_eq(f.spec.n_classes, 0);
    check_folder(&f, 5, false);
    /* without sub-folders, auto means unlabelled */
    fx_open_ok(&f, "imagefolder", "train", (const char *const[]){"dir=@/cat/sub", NULL});
    ck_assert_int_eq(f.spec.n_classes, 0);
    ck_assert_int_eq(f.spec.n_items, 1);
    fx_teardown(&f);
}
END_TEST

static void bad_folder_top(fx *f)
{
    make_folder(f);
    write_png(f, "top.png", 6);
}

static void bad_folder_empty_class(fx *f)
{
    make_folder(f);
    mkdirs(f, (const char *const[]){"emu", NULL});
    tu_write(fx_path(f, "emu/readme"), "no images", (size_t)-1);
}

static void bad_folder_empty(fx *f)
{
    mkdirs(f, (const char *const[]){"void", "void/deeper", NULL});
    tu_write(fx_path(f, "void/deeper/a.txt"), "text", (size_t)-1);
}

static void bad_folder_png(fx *f)
{
    make_folder(f);
    tu_write(fx_path(f, "dog/z.png"), "\x89PNG\r\n\x1a\n\0\0\0\rIHDR broken", 24);
}

static void bad_folder_jpeg(fx *f)
{
    make_folder(f);
    tu_write(fx_path(f, "dog/y.jpg"), "\xff\xd8\xff\xe0 this is not a JPEG", 24);
}

static void bad_folder_link(fx *f)
{
    make_folder(f);
    ck_assert_int_eq(symlink("nowhere.png", fx_path(f, "dog/x.png")), 0);
}

static const bad_case folder_bad[] = {
    {"an image outside the classes", bad_folder_top, "imagefolder", "train", {"dir=@"},
     GL_ERR_INVALID, {"top.png\" is not in a class folder"}},
    {"a class folder without images", bad_folder_empty_class, "imagefolder", "train",
     {"dir=@"}, GL_ERR_INVALID, {"emu\" holds no .png/.jpg/.jpeg files"}},
    {"no images at all", bad_folder_empty, "imagefolder", "train", {"dir=@/void"},
     GL_ERR_INVALID, {"no .png/.jpg/.jpeg files in", "/void\""}},
    {"corrupt PNG (item 5)", bad_folder_png, "imagefolder", "train", {"dir=@"}, GL_ERR_FORMAT,
     {"dog/z.png"}},
    {"corrupt JPEG (item 5)", bad_folder_jpeg, "imagefolder", "train", {"dir=@"},
     GL_ERR_FORMAT, {"dog/y.jpg"}},
    {"a dangling link", bad_folder_link, "imagefolder", "train", {"dir=@"}, GL_ERR_IO,
     {"dog/x.png", "cannot stat"}},
    {"missing dir", nothing, "imagefolder", "train", {"dir=@/nowhere"}, GL_ERR_IO,
     {"nowhere\"", "No such file"}},
    {"dir is a file", bad_folder_top, "imagefolder", "train", {"dir=@/top.png"}, GL_ERR_IO,
     {"top.png\" is not a directory"}},
    {"dir not given", nothing, "imagefolder", "train", {NULL}, GL_ERR_INVALID,
     {"dataset.dir"}},
};

START_TEST(test_folder_bad) { run_bad(&folder_bad[_i]); }
END_TEST

START_TEST(test_folder_vanished)
{
    /* a file removed after open fails the read that needs it (without a
     * cache, every read decodes), naming it; this runs as root too */
    fx f;
    fx_setup(&f);
    make_folder(&f);
    fx_open_ok(&f, "imagefolder", "train", (const char *const[]){"dir=@", "cache_mb=0", NULL});
    ck_assert_int_eq(fx_read(&f, 3, 2, NULL, NULL), GL_OK);
    ck_assert_int_eq(unlink(fx_path(&f, "dog/d.JPEG")), 0);
    check_message("removed after open", fx_read(&f, 3, 2, NULL, NULL), GL_ERR_IO, f.msg,
                  (const char *const[]){"item 4", "dog/d.JPEG"}, 2);
    fx_teardown(&f);
}
END_TEST

START_TEST(test_folder_unreadable)
{
    /* (not run as root: root reads a file of mode 000) */
    fx f;
    fx_setup(&f);
    make_folder(&f);
    /* at open: the identity reads every file */
    ck_assert_int_eq(chmod(fx_path(&f, "dog/c.jpg"), 0), 0);
    check_message("unreadable at open",
                  fx_open(&f, "imagefolder", "train", (const char *const[]){"dir=@", NULL}),
                  GL_ERR_IO, f.msg, (const char *const[]){"dog/c.jpg", "Permission denied"}, 2);
    /* at read: made unreadable after open, read without a cache */
    ck_assert_int_eq(chmod(fx_path(&f, "dog/c.jpg"), 0644), 0);
    fx_open_ok(&f, "imagefolder", "train", (const char *const[]){"dir=@", "cache_mb=0", NULL});
    ck_assert_int_eq(chmod(fx_path(&f, "dog/d.JPEG"), 0), 0);
    check_message("unreadable at read", fx_read(&f, 0, 5, NULL, NULL), GL_ERR_IO, f.msg,
                  (const char *const[]){"dog/d.JPEG"}, 1);
    chmod(fx_path(&f, "dog/d.JPEG"), 0644);
    fx_teardown(&f);
}
END_TEST

/* ---- real data ---- */

#define SHARED_DATA GL_TOP_SRCDIR "/../shared/data"
#define FASHION_DIR "/usr/share/datasets/fashion-mnist"

START_TEST(test_mnist_t10k)
{
    fx f;
    fx_setup(&f);
    fx_open_ok(&f, "idx", "test", (const char *const[]){"dir=" SHARED_DATA "/mnist", NULL});
    ck_assert_int_eq(f.spec.n_items, 10000);
    ck_assert_int_eq(f.spec.height, 28);
    ck_assert_int_eq(f.spec.width, 28);
    ck_assert_int_eq(f.spec.channels, 1);
    ck_assert_int_eq(f.spec.n_classes, 10);
    /* the label histogram of the real test set */
    static const int want[10] = {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009};
    int hist[10] = {0};
    int32_t y[1000];
    for (int first = 0; first < 10000; first += 1000) {
        ck_assert_int_eq(fx_read(&f, first, 1000, NULL, y), GL_OK);
        for (int i = 0; i < 1000; i++) {
            ck_assert(y[i] >= 0 && y[i] < 10);
            hist[y[i]]++;
        }
    }
    for (int c = 0; c < 10; c++)
        ck_assert_int_eq(hist[c], want[c]);
    fx_teardown(&f);
}
END_TEST

START_TEST(test_cifar10_subsets)
{
    /* the leading records of data_batch_1.bin and test_batch.bin; the
     * first labels as in the official files */
    static const struct {
        const char *file, *split;
        int64_t     n;
        int32_t     first[5];
    } sets[] = {
        {"data_batch_1_first5000.bin", "train", 5000, {6, 9, 9, 4, 1}},
        {"test_batch_first2000.bin", "test", 2000, {3, 8, 8, 0, 6}},
    };
    fx f;
    fx_setup(&f);
    for (int s = 0; s < 2; s++) {
        char files[128];
        snprintf(files, sizeof files, "files=%s", sets[s].file);
        fx_open_ok(&f, "cifar10", sets[s].split,
                   (const char *const[]){"dir=" SHARED_DATA "/cifar10", files, NULL});
        ck_assert_int_eq(f.spec.n_items, sets[s].n);
        ck_assert_int_eq(f.spec.n_classes, 10);
        int32_t y[5];
        ck_assert_int_eq(fx_read(&f, 0, 5, NULL, y), GL_OK);
        for (int i = 0; i < 5; i++)
            ck_assert_int_eq(y[i], sets[s].first[i]);
        ck_assert_int_eq(fx_read(&f, sets[s].n - 1, 1, NULL, y), GL_OK);
    }
    fx_teardown(&f);
}
END_TEST

START_TEST(test_fashion_mnist)
{
    /* the component's defaults: Debian's dataset-fashion-mnist */
    fx f;
    fx_setup(&f);
    fx_open_ok(&f, "idx", "train", NULL);
    ck_assert_int_eq(f.spec.n_items, 60000);
    ck_assert_int_eq(f.spec.n_classes, 10);
    ck_assert_int_eq(f.spec.height, 28);
    fx_open_ok(&f, "idx", "test", NULL);
    ck_assert_int_eq(f.spec.n_items, 10000);
    ck_assert_int_eq(f.spec.n_classes, 10);
    fx_teardown(&f);
}
END_TEST

/* ---- suite ---- */

/* add_if — add test t to tc when path exists; else say why it is skipped */
static void add_if(TCase *tc, const TTest *t, const char *name, const char *path)
{
    if (access(path, R_OK) == 0)
        tcase_add_test(tc, t);
    else
        printf("SKIP %s: %s not found\n", name, path);
}

static Suite *data_suite(void)
{
    Suite *s = suite_create("data");
    TCase *tc = tcase_create("idx");
    tcase_add_test(tc, test_idx_gz);
    tcase_add_test(tc, test_idx_raw_fallback);
    tcase_add_test(tc, test_idx_named);
    tcase_add_test(tc, test_idx_gz_members);
    tcase_add_loop_test(tc, test_idx_bad, 0, (int)(sizeof idx_bad / sizeof idx_bad[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("cifar");
    tcase_add_test(tc, test_cifar10_files);
    tcase_add_test(tc, test_cifar10_filter);
    tcase_add_test(tc, test_cifar10_defaults);
    tcase_add_test(tc, test_cifar100);
    tcase_add_loop_test(tc, test_cifar_bad, 0, (int)(sizeof cifar_bad / sizeof cifar_bad[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("imagefolder");
    tcase_add_test(tc, test_folder_classes);
    tcase_add_test(tc, test_folder_unlabelled);
    tcase_add_loop_test(tc, test_folder_bad, 0, (int)(sizeof folder_bad / sizeof folder_bad[0]));
    tcase_add_test(tc, test_folder_vanished);
    if (geteuid() != 0)
        tcase_add_test(tc, test_folder_unreadable);
    else
        puts("SKIP test_folder_unreadable: running as root, who reads any file");
    suite_add_tcase(s, tc);

    tc = tcase_create("real data");
    tcase_set_timeout(tc, 120);   /* valgrind inflates Fashion-MNIST's 26 MB slowly */
    add_if(tc, test_mnist_t10k, "test_mnist_t10k", SHARED_DATA "/mnist/t10k-images-idx3-ubyte.gz");
    add_if(tc, test_cifar10_subsets, "test_cifar10_subsets",
           SHARED_DATA "/cifar10/test_batch_first2000.bin");
    add_if(tc, test_fashion_mnist, "test_fashion_mnist", FASHION_DIR "/train-images-idx3-ubyte.gz");
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return tu_run(data_suite()); }
