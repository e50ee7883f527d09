/* SPDX-License-Identifier: MIT
 *
 * test_checkpoint.c — checkpoint files (checkpoint.h): round trips, the
 * exact bytes written, a file written by Python, every malformed file the
 * reader must refuse, mismatches on read, atomic writes under real write
 * errors, and a run directory's newest / last-N files.
 *
 * Built twice: as test_checkpoint (everything but Python), and with
 * GL_TEST_PYTHON as test_checkpoint_python, which runs
 * tests/read_checkpoint.py on files genlab wrote and exits 77 (SKIP) when
 * there is no python3.
 *
 * Sections: helpers, round trip and layout, Python's file, malformed files,
 * reading, writer errors, atomic writes, run directories, read_checkpoint.py,
 * main.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "atomic_file.h"
#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

/* expect_err — ctx holds status with a message containing want; clears it. */
static void expect_err(genlab_ctx *ctx, genlab_status got, genlab_status status, const char *want)
{
    ck_assert_msg(got == status, "status %d (%s), expected %d; message: %s", got,
                  genlab_status_str(got), status, genlab_ctx_errmsg(ctx));
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), want) != NULL, "message '%s' lacks '%s'",
                  genlab_ctx_errmsg(ctx), want);
    genlab_ctx_clear_error(ctx);
}

/* slurp — the file at path into a malloc'd buffer (size in *size). */
static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    ck_assert_int_ge(n, 0);
    rewind(f);
    unsigned char *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return buf;
}

#ifndef GL_TEST_PYTHON  /* test_checkpoint: everything but Python */

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* count_files — entries of dir other than . and .. */
static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

static size_t dtype_size(const char *dtype)
{
    return !strcmp(dtype, "U8") ? 1 : !strcmp(dtype, "I64") || !strcmp(dtype, "U64") ? 8 : 4;
}

/* A tensor of the round-trip and Python tables: name, dtype, shape, bytes. */
typedef struct tcase {
    const char *name;
    const char *dtype;
    int         ndim;
    int64_t     shape[4];
    const void *data;
    size_t      nbytes;
} tcase;

/* check_entries — c holds exactly the tensors of want, in that order, with
 * their bytes (bit for bit), each aligned to its element size. */
static void check_entries(genlab_ctx *ctx, const genlab_ckpt *c, const tcase *want, size_t n)
{
    ck_assert_uint_eq(genlab_ckpt_count(c), n);
    for (size_t i = 0; i < n; i++) {
        const tcase *t = &want[i];
        genlab_ckpt_entry e;
        ck_assert(genlab_ckpt_entry_at(c, i, &e));
        ck_assert_str_eq(e.name, t->name);
        ck_assert_str_eq(e.dtype, t->dtype);
        ck_assert_int_eq(e.ndim, t->ndim);
        for (int d = 0; d < t->ndim; d++)
            ck_assert_int_eq(e.shape[d], t->shape[d]);
        ck_assert_uint_eq(e.nbytes, t->nbytes);
        ck_assert_msg((uintptr_t)e.data % dtype_size(t->dtype) == 0, "\"%s\" is not aligned",
                      t->name);
        if (t->nbytes > 0)
            ck_assert_msg(!memcmp(e.data, t->data, t->nbytes), "\"%s\": other bytes", t->name);
        /* read copies the same bytes after checking dtype and shape */
        unsigned char buf[64] = {0};
        ck_assert_uint_le(t->nbytes, sizeof buf);
        ck_assert_int_eq(genlab_ckpt_read(ctx, c, t->name, t->dtype, t->ndim, t->shape, buf),
                         GL_OK);
        ck_assert(t->nbytes == 0 || !memcmp(buf, t->data, t->nbytes));
    }
    genlab_ckpt_entry e;
    ck_assert(!genlab_ckpt_entry_at(c, n, &e));
}

static genlab_ckpt_writer *writer_of(genlab_ctx *ctx, const tcase *t, size_t n)
{
    genlab_ckpt_writer *w = NULL;
    ck_assert_int_eq(genlab_ckpt_writer_create(ctx, &w), GL_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(genlab_ckpt_add(w, t[i].name, t[i].dtype, t[i].ndim, t[i].shape,
                                         t[i].data), GL_OK);
    return w;
}

/* ---- round trip and layout ---- */

static const float   rt_f[6] = {1.5f, -2.25f, 0.0f, -0.0f, 3.4e38f, 1e-45f};
static const int32_t rt_i[4] = {INT32_MIN, -1, 0, INT32_MAX};
static const uint8_t rt_u[3] = {0, 128, 255};
static const int64_t rt_l[2] = {INT64_MIN, INT64_MAX};
static const uint64_t rt_q[1] = {UINT64_MAX};
static const float   rt_s[1] = {-7.5f};

/* added in this order; the U8 tensor of odd size comes before wider ones,
 * which the writer must lay out after them to keep them aligned */
static const tcase rt[] = {
    {"G.w", "F32", 2, {2, 3}, rt_f, 24},
    {"pix", "U8", 1, {3}, rt_u, 3},
    {"labels", "I32", 2, {2, 2}, rt_i, 16},
    {"D.steps", "I64", 1, {2}, rt_l, 16},
    {"seed", "U64", 0, {0}, rt_q, 8},          /* scalar */
    {"loss", "F32", 0, {0}, rt_s, 4},          /* scalar */
    {"empty", "F32", 2, {0, 4}, NULL, 0},      /* no data at all */
    {"empty.u8", "U8", 3, {5, 0, 2}, NULL, 0},
    {"caf\xc3\xa9", "U8", 1, {1}, rt_u + 1, 1}, /* UTF-8 name */
};

START_TEST(test_roundtrip)
{
    genlab_ctx *ctx = tu_ctx(1);
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/a.safetensors", dir);
    genlab_ckpt_writer *w = writer_of(ctx, rt, N(rt));
    ck_assert_int_eq(genlab_ckpt_set_meta(w, "step", "1"), GL_OK);
    ck_assert_int_eq(genlab_ckpt_set_meta(w, "step", "42"), GL_OK);  /* the last value wins */
    ck_assert_int_eq(genlab_ckpt_set_meta(w, "note", "h\xc3\xa9llo \"quoted\"\n"), GL_OK);
    ck_assert_int_eq(genlab_ckpt_write(w, path), GL_OK);
    genlab_ckpt_writer_free(w);
    ck_assert_int_eq(count_files(dir), 1);  /* no temporary left */

    genlab_ckpt *c = NULL;
    ck_assert_int_eq(genlab_ckpt_open(ctx, path, &c), GL_OK);
    check_entries(ctx, c, rt, N(rt));
    ck_assert_str_eq(genlab_ckpt_meta(c, "step"), "42");
    ck_assert_str_eq(genlab_ckpt_meta(c, "note"), "h\xc3\xa9llo \"quoted\"\n");
    ck_assert_ptr_null(genlab_ckpt_meta(c, "missing"));
    ck_assert_str_eq(genlab_ckpt_path(c), path);
    genlab_ckpt_close(c);
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* genlab tensors of each dtype go in and come back through the tensor API */
START_TEST(test_roundtrip_tensors)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_tensor *f = genlab_tensor_new_persistent(ctx, GL_F32, 2, TU_SHAPE(2, 3));
    genlab_tensor *u = genlab_tensor_new_persistent(ctx, GL_U8, 1, TU_SHAPE(5));
    genlab_tensor *i = genlab_tensor_new_persistent(ctx, GL_I32, 1, TU_SHAPE(4));
    ck_assert(f && u && i);
    for (int k = 0; k < 6; k++)
        genlab_tensor_f32_mut(f)[k] = 0.25f * (float)k - 1.0f;
    memcpy(genlab_tensor_data(u), "\x01\x02\xfd\xfe\xff", 5);
    memcpy(genlab_tensor_data(i), rt_i, sizeof rt_i);

    genlab_ckpt_writer *w = NULL;
    ck_assert_int_eq(genlab_ckpt_writer_create(ctx, &w), GL_OK);
    ck_assert_int_eq(genlab_ckpt_add_tensor(w, "f", f), GL_OK);
    ck_assert_int_eq(genlab_ckpt_add_tensor(w, "u", u), GL_OK);
    ck_assert_int_eq(genlab_ckpt_add_tensor(w, "i", i), GL_OK);
    size_t size;
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/t.safetensors", dir);
    ck_assert_int_eq(genlab_ckpt_write(w, path), GL_OK);
    genlab_ckpt_writer_free(w);

    genlab_tensor *f2 = genlab_tensor_new_persistent(ctx, GL_F32, 2, TU_SHAPE(2, 3));
    genlab_tensor *u2 = genlab_tensor_new_persistent(ctx, GL_U8, 1, TU_SHAPE(5));
    genlab_tensor *i2 = genlab_tensor_new_persistent(ctx, GL_I32, 1, TU_SHAPE(4));
    genlab_ckpt *c = NULL;
    ck_assert_int_eq(genlab_ckpt_open(ctx, path, &c), GL_OK);
    ck_assert_int_eq(genlab_ckpt_read_tensor(ctx, c, "f", f2), GL_OK);
    ck_assert_int_eq(genlab_ckpt_read_tensor(ctx, c, "u", u2), GL_OK);
    ck_assert_int_eq(genlab_ckpt_read_tensor(ctx, c, "i", i2), GL_OK);
    ck_assert(!memcmp(genlab_tensor_data(f2), genlab_tensor_data(f), 24));
    ck_assert(!memcmp(genlab_tensor_data(u2), genlab_tensor_data(u), 5));
    ck_assert(!memcmp(genlab_tensor_data(i2), genlab_tensor_data(i), 16));
    genlab_ckpt_entry e;
    ck_assert_int_eq(genlab_ckpt_find(ctx, c, "u", &e), GL_OK);
    ck_assert_str_eq(e.dtype, "U8");
    /* a tensor of the wrong dtype is refused by read_tensor, naming both */
    expect_err(ctx, genlab_ckpt_read_tensor(ctx, c, "i", f2), GL_ERR_FORMAT,
               "\"i\" has dtype I32 but F32 is expected");
    genlab_ckpt_close(c);

    unsigned char *raw = slurp(path, &size);
    ck_assert_uint_eq(size % 8, (8 + 24 + 16 + 5) % 8);  /* only the data's size is unpadded */
    free(raw);
    genlab_tensor_free(f);
    genlab_tensor_free(u);
    genlab_tensor_free(i);
    genlab_tensor_free(f2);
    genlab_tensor_free(u2);
    genlab_tensor_free(i2);
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* The exact bytes: length field, header text and its padding, data order. */
typedef struct layout_case {
    const char *what;
    bool        meta;
    const char *json;     /* the header before padding */
} layout_case;

static const float   ly_a[2] = {1.0f, 2.0f};
static const uint8_t ly_u[3] = {7, 8, 9};
static const int64_t ly_q[1] = {-2};
static const tcase ly[] = {
    {"a", "F32", 1, {2}, ly_a, 8},
    {"u", "U8", 1, {3}, ly_u, 3},
    {"q", "I64", 1, {1}, ly_q, 8},
};

static const layout_case layouts[] = {
    /* metadata first; header in the order added; data by falling element
     * size: q (8-byte) at 0, a at 8, u at 16 */
    {"with metadata", true,
     "{\"__metadata__\":{\"k\":\"v\"},"
     "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
     "\"u\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[16,19]},"
     "\"q\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}"},
    /* no metadata: no __metadata__ key at all, as safetensors writes */
    {"without metadata", false,
     "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
     "\"u\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[16,19]},"
     "\"q\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}"},
};

START_TEST(test_layout)
{
    const layout_case *L = &layouts[_i];
    genlab_ctx *ctx = tu_ctx(1);
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/l.safetensors", dir);
    genlab_ckpt_writer *w = writer_of(ctx, ly, N(ly));
    if (L->meta)
        ck_assert_int_eq(genlab_ckpt_set_meta(w, "k", "v"), GL_OK);
    ck_assert_int_eq(genlab_ckpt_write(w, path), GL_OK);
    genlab_ckpt_writer_free(w);

    size_t size, len = strlen(L->json), n = len + (8 - len % 8) % 8;
    unsigned char *raw = slurp(path, &size);
    ck_assert_uint_eq(size, 8 + n + 19);
    uint64_t field = 0;
    for (int k = 7; k >= 0; k--)
        field = (field << 8) | raw[k];
    ck_assert_uint_eq(field, n);
    ck_assert_uint_eq((8 + field) % 8, 0);
    ck_assert_msg(!memcmp(raw + 8, L->json, len), "%s: header is %.*s", L->what, (int)len,
                  (const char *)raw + 8);
    for (size_t k = len; k < n; k++)
        ck_assert_int_eq(raw[8 + k], ' ');
    const unsigned char *data = raw + 8 + n;
    ck_assert(!memcmp(data, ly_q, 8) && !memcmp(data + 8, ly_a, 8) && !memcmp(data + 16, ly_u, 3));
    free(raw);
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- Python's file ---- */

/* tests/golden/ckpt_python.safetensors (gen_ckpt_python.py), in its header
 * order; the values are exact in their dtypes, so compared bit for bit */
static const float   py_w[6] = {-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f};
static const float   py_b[3] = {0.1f, -2.5f, 3e-8f};
static const int64_t py_steps[4] = {-1, 0, INT64_C(1) << 40, 7};
static const uint64_t py_seed[1] = {(UINT64_C(1) << 63) + 5};
static const int32_t py_labels[4] = {-7, 0, 3, INT32_MAX};
static const uint8_t py_pix[5] = {0, 1, 127, 128, 255};
static const uint8_t py_cafe[1] = {42};
static const tcase py[] = {
    {"seed", "U64", 0, {0}, py_seed, 8},
    {"steps", "I64", 1, {4}, py_steps, 32},
    {"b", "F32", 1, {3}, py_b, 12},
    {"empty", "F32", 2, {0, 3}, NULL, 0},
    {"labels", "I32", 2, {2, 2}, py_labels, 16},
    {"w", "F32", 2, {2, 3}, py_w, 24},
    {"caf\xc3\xa9", "U8", 1, {1}, py_cafe, 1},
    {"pix", "U8", 1, {5}, py_pix, 5},
};

START_TEST(test_python_file)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_ckpt *c = NULL;
    ck_assert_int_eq(genlab_ckpt_open(ctx, GL_TOP_SRCDIR "/tests/golden/ckpt_python.safetensors",
                                      &c), GL_OK);
    check_entries(ctx, c, py, N(py));
    ck_assert_str_eq(genlab_ckpt_meta(c, "format"), "pt");
    ck_assert_str_eq(genlab_ckpt_meta(c, "step"), "1234");
    ck_assert_str_eq(genlab_ckpt_meta(c, "note"), "h\xc3\xa9llo");  /* from "h\u00e9llo" */
    genlab_ckpt_close(c);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- malformed files ---- */

/* A file built by the test: the length field (the header's length unless
 * len is set), the header text, data_len bytes of data, and the whole cut
 * to its first keep bytes when truncate is set. */
typedef struct bad_case {
    const char   *what;
    const char   *header;
    size_t        data_len;
    genlab_status status;
    const char   *want;       /* the message, after "<file name>: " */
    uint64_t      len;        /* 0: strlen(header) */
    bool          truncate;
    size_t        keep;
} bad_case;

/* the tail of a row: the file as built, a length field of n, or the file
 * cut to its first k bytes */
#define AS_IS  0, false, 0
#define LEN(n) n, false, 0
#define CUT(k) 0, true, k
#define T1(off) "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" off "}}"
#define ENT(name, dt, shape, offs) \
    "\"" name "\":{\"dtype\":\"" dt "\",\"shape\":" shape ",\"data_offsets\":" offs "}"

static const bad_case bad[] = {
    /* truncated at several points (T1 is 54 bytes) */
    {"empty file", T1("[0,8]"), 8, GL_ERR_FORMAT,
     "truncated: 0 bytes, less than the 8-byte header length", CUT(0)},
    {"cut in the length field", T1("[0,8]"), 8, GL_ERR_FORMAT, "truncated: 5 bytes",
     CUT(5)},
    {"cut in the header", T1("[0,8]"), 8, GL_ERR_FORMAT,
     "truncated: header says 54 bytes but the file has 12 after the length field",
     CUT(20)},
    {"cut in the data", T1("[0,8]"), 8, GL_ERR_FORMAT,
     "tensor \"a\": data_offsets [0, 8] run past the 5 bytes of data (truncated file?)",
     CUT(8 + 54 + 5)},
    /* the length field */
    {"length over the limit", "{}", 0, GL_ERR_FORMAT,
     "header length 1099511627776 is over the limit of 100000000 bytes",
     LEN(UINT64_C(1) << 40)},
    {"length of 2^64-1", "{}", 0, GL_ERR_FORMAT, "header length 18446744073709551615 is over", LEN(UINT64_MAX)},
    {"length past the file", "{}", 0, GL_ERR_FORMAT,
     "truncated: header says 1000 bytes but the file has 2", LEN(1000)},
    {"length zero", "", 0, GL_ERR_FORMAT, "header is not valid JSON", AS_IS},
    /* the JSON itself */
    {"not JSON", "{not json", 0, GL_ERR_FORMAT, "header is not valid JSON", AS_IS},
    {"trailing garbage", "{} x", 0, GL_ERR_FORMAT, "header is not valid JSON", AS_IS},
    {"not UTF-8", "{\"\xff\":{}}", 0, GL_ERR_FORMAT, "header is not valid JSON", AS_IS},
    {"NUL escape in a key", "{\"a\\u0000b\":{}}", 0, GL_ERR_FORMAT, "header is not valid JSON", AS_IS},
    {"NaN", "{\"a\":NaN}", 0, GL_ERR_FORMAT, "header is not valid JSON", AS_IS},
    {"an array", "[1, 2]", 0, GL_ERR_FORMAT, "header is not a JSON object", AS_IS},
    /* jansson only decodes objects and arrays at the top */
    {"a string", "\"abc\"", 0, GL_ERR_FORMAT, "header is not valid JSON", AS_IS},
    /* jansson would keep the last of two equal keys: refused instead */
    {"duplicate tensor", "{" ENT("a", "F32", "[1]", "[0,4]") "," ENT("a", "F32", "[1]", "[4,8]")
     "}", 8, GL_ERR_FORMAT, "header is not valid JSON: duplicate object key", AS_IS},
    {"duplicate metadata", "{\"__metadata__\":{},\"__metadata__\":{}}", 0, GL_ERR_FORMAT,
     "header is not valid JSON: duplicate object key", AS_IS},
    {"duplicate metadata key", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0,
     GL_ERR_FORMAT, "header is not valid JSON: duplicate object key", AS_IS},
    /* entries */
    {"entry not an object", "{\"a\":[1]}", 0, GL_ERR_FORMAT, "tensor \"a\": not a JSON object", AS_IS},
    {"dtype missing", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, GL_ERR_FORMAT,
     "tensor \"a\": dtype is missing or not a string", AS_IS},
    {"dtype a number", "{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
     GL_ERR_FORMAT, "tensor \"a\": dtype is missing or not a string", AS_IS},
    {"dtype F16", "{" ENT("a", "F16", "[1]", "[0,2]") "}", 2, GL_ERR_FORMAT,
     "tensor \"a\": dtype \"F16\" is not one of F32, I32, U8, I64, U64", AS_IS},
    {"dtype lower case", "{" ENT("a", "f32", "[1]", "[0,4]") "}", 4, GL_ERR_FORMAT,
     "tensor \"a\": dtype \"f32\" is not one of", AS_IS},
    {"shape missing", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4,
     GL_ERR_FORMAT, "tensor \"a\": shape is missing or not an array", AS_IS},
    {"shape an integer", "{" ENT("a", "F32", "1", "[0,4]") "}", 4, GL_ERR_FORMAT,
     "tensor \"a\": shape is missing or not an array", AS_IS},
    {"negative dimension", "{" ENT("a", "F32", "[2,-1]", "[0,4]") "}", 4, GL_ERR_FORMAT,
     "tensor \"a\": shape[1] is not a non-negative integer", AS_IS},
    {"real dimension", "{" ENT("a", "F32", "[2.0]", "[0,8]") "}", 8, GL_ERR_FORMAT,
     "tensor \"a\": shape[0] is not a non-negative integer", AS_IS},
    {"9 dimensions", "{" ENT("a", "U8", "[1,1,1,1,1,1,1,1,1]", "[0,1]") "}", 1, GL_ERR_FORMAT,
     "tensor \"a\": shape has 9 dimensions (at most 8)", AS_IS},
    {"numel overflows", "{" ENT("a", "F32", "[4611686018427387904,4]", "[0,4]") "}", 4,
     GL_ERR_FORMAT, "tensor \"a\": shape (4611686018427387904, 4) of F32 is too large", AS_IS},
    {"bytes overflow", "{" ENT("a", "I64", "[4611686018427387904]", "[0,8]") "}", 8,
     GL_ERR_FORMAT, "tensor \"a\": shape (4611686018427387904) of I64 is too large", AS_IS},
    {"dimension past int64", "{" ENT("a", "F32", "[9223372036854775808]", "[0,4]") "}", 4,
     GL_ERR_FORMAT, "header is not valid JSON", AS_IS},
    {"offsets missing", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, GL_ERR_FORMAT,
     "tensor \"a\": data_offsets is not [begin, end]", AS_IS},
    {"one offset", T1("[0]"), 8, GL_ERR_FORMAT, "tensor \"a\": data_offsets is not [begin, end]", AS_IS},
    {"three offsets", T1("[0,8,8]"), 8, GL_ERR_FORMAT,
     "tensor \"a\": data_offsets is not [begin, end]", AS_IS},
    {"negative offset", T1("[-8,0]"), 8, GL_ERR_FORMAT,
     "tensor \"a\": data_offsets is not [begin, end]", AS_IS},
    {"string offset", T1("[\"0\",8]"), 8, GL_ERR_FORMAT,
     "tensor \"a\": data_offsets is not [begin, end]", AS_IS},
    {"end before begin", T1("[8,0]"), 8, GL_ERR_FORMAT,
     "tensor \"a\": data_offsets [8, 0] do not match shape (2) of F32 (8 bytes)", AS_IS},
    {"size mismatch", "{" ENT("G.w", "F32", "[2,2]", "[0,12]") "}", 12, GL_ERR_FORMAT,
     "tensor \"G.w\": data_offsets [0, 12] do not match shape (2, 2) of F32 (16 bytes)", AS_IS},
    {"offsets out of range", T1("[8,16]"), 8, GL_ERR_FORMAT,
     "tensor \"a\": data_offsets [8, 16] run past the 8 bytes of data", AS_IS},
    {"offsets far out of range", T1("[9223372036854775799,9223372036854775807]"), 8,
     GL_ERR_FORMAT, "tensor \"a\": data_offsets [9223372036854775799, 9223372036854775807] run "
     "past the 8 bytes", AS_IS},
    /* tiling */
    {"overlap", "{" ENT("a", "F32", "[2]", "[0,8]") "," ENT("b", "F32", "[2]", "[4,12]") "}", 12,
     GL_ERR_FORMAT, "tensor \"b\" at [4, 12] overlaps tensor \"a\" at [0, 8]", AS_IS},
    {"same bytes twice", "{" ENT("a", "F32", "[2]", "[0,8]") "," ENT("b", "F32", "[2]", "[0,8]")
     "}", 8, GL_ERR_FORMAT, "tensor \"b\" at [0, 8] overlaps tensor \"a\" at [0, 8]", AS_IS},
    {"empty tensor inside another", "{" ENT("a", "F32", "[2]", "[0,8]") ","
     ENT("e", "F32", "[0]", "[4,4]") "}", 8, GL_ERR_FORMAT,
     "tensor \"e\" at [4, 4] overlaps tensor \"a\" at [0, 8]", AS_IS},
    {"gap", "{" ENT("a", "F32", "[1]", "[0,4]") "," ENT("b", "F32", "[1]", "[8,12]") "}", 12,
     GL_ERR_FORMAT, "data bytes [4, 8] belong to no tensor (a gap before tensor \"b\")", AS_IS},
    {"gap at the start", "{" ENT("b", "F32", "[1]", "[4,8]") "}", 8, GL_ERR_FORMAT,
     "data bytes [0, 4] belong to no tensor (a gap before tensor \"b\")", AS_IS},
    {"bytes after the last tensor", "{" ENT("a", "F32", "[1]", "[0,4]") "}", 9, GL_ERR_FORMAT,
     "data bytes [4, 9] after the last tensor belong to no tensor", AS_IS},
    {"data but no tensor", "{}", 3, GL_ERR_FORMAT, "3 bytes of data but no tensor", AS_IS},
    /* metadata */
    {"metadata an array", "{\"__metadata__\":[]}", 0, GL_ERR_FORMAT,
     "__metadata__ is not a JSON object", AS_IS},
    {"metadata number", "{\"__metadata__\":{\"ok\":\"1\",\"step\":1}}", 0, GL_ERR_FORMAT,
     "__metadata__: the value of \"step\" is not a string", AS_IS},
    {"metadata null", "{\"__metadata__\":{\"k\":null}}", 0, GL_ERR_FORMAT,
     "__metadata__: the value of \"k\" is not a string", AS_IS},
};

/* bad_bytes — the file of a bad_case (size in *size). */
static unsigned char *bad_bytes(const bad_case *b, size_t *size)
{
    size_t hl = strlen(b->header), n = 8 + hl + b->data_len;
    unsigned char *buf = malloc(n);
    ck_assert_ptr_nonnull(buf);
    uint64_t len = b->len ? b->len : hl;
    for (int k = 0; k < 8; k++)
        buf[k] = (unsigned char)(len >> (8 * k));
    memcpy(buf + 8, b->header, hl);
    for (size_t k = 0; k < b->data_len; k++)
        buf[8 + hl + k] = (unsigned char)(k * 37 + 1);
    *size = b->truncate ? b->keep : n;
    ck_assert_uint_le(*size, n);
    return buf;
}

/* Each file is refused the same way from memory and from disk, the message
 * naming the file. */
START_TEST(test_malformed)
{
    const bad_case *b = &bad[_i];
    genlab_ctx *ctx = tu_ctx(1);
    size_t size;
    unsigned char *buf = bad_bytes(b, &size);
    genlab_ckpt *c = (genlab_ckpt *)&c;  /* must be set to NULL */
    char want[600];
    snprintf(want, sizeof want, "bad.safetensors: %s", b->want);
    expect_err(ctx, genlab_ckpt_parse(ctx, buf, size, "bad.safetensors", &c), b->status, want);
    ck_assert_ptr_null(c);

    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/bad.safetensors", dir);
    tu_write(path, buf, size);
    c = (genlab_ckpt *)&c;
    snprintf(want, sizeof want, "%s: %s", path, b->want);
    expect_err(ctx, genlab_ckpt_open(ctx, path, &c), b->status, want);
    ck_assert_ptr_null(c);
    free(buf);
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* Files that look odd but are valid. */
typedef struct odd_case {
    const char *what;
    const char *header;
    size_t      data_len;
    const char *names;    /* the entries in order, each followed by a space */
} odd_case;

static const odd_case odd[] = {
    {"no tensor, no data", "{}", 0, ""},
    {"only metadata", "{\"__metadata__\":{\"a\":\"b\"}}", 0, ""},
    /* header of odd length: the data still lands 8-byte aligned in memory */
    {"unpadded header", "{" ENT("a", "F32", "[2]", "[0,8]") "," ENT("q", "I64", "[1]", "[8,16]")
     "}", 16, "a q "},
    {"whitespace around", " \n{ \"a\" : { \"dtype\" : \"F32\", \"shape\" : [ 1 ], "
     "\"data_offsets\" : [ 0, 4 ] } }\n  ", 4, "a "},
    /* safetensors ignores keys it does not know; so does genlab */
    {"extra key", "{\"a\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3],\"x\":[1]}}",
     3, "a "},
    {"empty tensors at both ends", "{" ENT("e", "U8", "[0]", "[0,0]") ","
     ENT("a", "U8", "[2]", "[0,2]") "," ENT("z", "F32", "[3,0]", "[2,2]") "}", 2, "e a z "},
    {"huge empty tensor", "{" ENT("e", "U64", "[9223372036854775807,0,9223372036854775807]",
     "[0,0]") "}", 0, "e "},
    /* the entries keep the header's order, not the data's */
    {"data order differs from header order", "{" ENT("b", "U8", "[1]", "[4,5]") ","
     ENT("a", "F32", "[1]", "[0,4]") "}", 5, "b a "},
};

START_TEST(test_odd_valid)
{
    const odd_case *o = &odd[_i];
    genlab_ctx *ctx = tu_ctx(1);
    bad_case b = {o->what, o->header, o->data_len, GL_OK, "", AS_IS};
    size_t size;
    unsigned char *buf = bad_bytes(&b, &size);
    genlab_ckpt *c = NULL;
    ck_assert_msg(genlab_ckpt_parse(ctx, buf, size, "odd", &c) == GL_OK, "%s: %s", o->what,
                  genlab_ctx_errmsg(ctx));
    char names[64] = "";
    for (size_t i = 0; i < genlab_ckpt_count(c); i++) {
        genlab_ckpt_entry e;
        ck_assert(genlab_ckpt_entry_at(c, i, &e));
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s ", e.name);
        /* every non-empty tensor's begin here is a multiple of its element size */
        ck_assert_msg(e.nbytes == 0 || (uintptr_t)e.data % dtype_size(e.dtype) == 0,
                      "%s: \"%s\" unaligned", o->what, e.name);
    }
    ck_assert_str_eq(names, o->names);
    genlab_ckpt_close(c);
    free(buf);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* Every prefix of a valid file is refused, without reading past it (ASan
 * and valgrind watch the copy parse makes). */
START_TEST(test_every_prefix)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_ckpt_writer *w = writer_of(ctx, rt, N(rt));
    ck_assert_int_eq(genlab_ckpt_set_meta(w, "k", "v"), GL_OK);
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/p.safetensors", dir);
    ck_assert_int_eq(genlab_ckpt_write(w, path), GL_OK);
    genlab_ckpt_writer_free(w);
    size_t size;
    unsigned char *raw = slurp(path, &size);
    for (size_t cut = 0; cut < size; cut++) {
        genlab_ckpt *c = NULL;
        genlab_status st = genlab_ckpt_parse(ctx, raw, cut, "cut", &c);
        ck_assert_msg(st == GL_ERR_FORMAT && c == NULL, "prefix of %zu bytes: %s", cut,
                      genlab_ctx_errmsg(ctx));
        genlab_ctx_clear_error(ctx);
    }
    genlab_ckpt *c = NULL;
    ck_assert_int_eq(genlab_ckpt_parse(ctx, raw, size, "whole", &c), GL_OK);
    genlab_ckpt_close(c);
    free(raw);
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_open_errors)
{
    genlab_ctx *ctx = tu_ctx(1);
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/missing.safetensors", dir);
    genlab_ckpt *c = NULL;
    expect_err(ctx, genlab_ckpt_open(ctx, path, &c), GL_ERR_IO,
               "missing.safetensors: cannot open the file: No such file or directory");
    expect_err(ctx, genlab_ckpt_open(ctx, dir, &c), GL_ERR_IO, "not a regular file");
    ck_assert_ptr_null(c);
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- reading ---- */

typedef struct read_case {
    const char *what;
    const char *name;
    const char *dtype;
    int         ndim;
    int64_t     shape[4];
    genlab_status status;
    const char *want;
} read_case;

/* against the round-trip file: "G.w" is F32 (2, 3), "loss" an F32 scalar */
static const read_case reads[] = {
    {"exact", "G.w", "F32", 2, {2, 3}, GL_OK, ""},
    {"transposed", "G.w", "F32", 2, {3, 2}, GL_ERR_FORMAT,
     ": \"G.w\" has shape (2, 3) but (3, 2) is expected"},
    {"flattened", "G.w", "F32", 1, {6}, GL_ERR_FORMAT,
     ": \"G.w\" has shape (2, 3) but (6) is expected"},
    {"scalar expected", "G.w", "F32", 0, {0}, GL_ERR_FORMAT,
     ": \"G.w\" has shape (2, 3) but () is expected"},
    {"scalar found", "loss", "F32", 1, {1}, GL_ERR_FORMAT,
     ": \"loss\" has shape () but (1) is expected"},
    {"dtype", "G.w", "I32", 2, {2, 3}, GL_ERR_FORMAT,
     ": \"G.w\" has dtype F32 but I32 is expected"},
    {"missing tensor", "nope", "F32", 1, {1}, GL_ERR_FORMAT, " has no tensor \"nope\""},
    {"too many dims", "G.w", "F32", 9, {0}, GL_ERR_INVALID, "bad expected dtype or shape"},
};

START_TEST(test_read_checks)
{
    const read_case *r = &reads[_i];
    genlab_ctx *ctx = tu_ctx(1);
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/r.safetensors", dir);
    genlab_ckpt_writer *w = writer_of(ctx, rt, N(rt));
    ck_assert_int_eq(genlab_ckpt_write(w, path), GL_OK);
    genlab_ckpt_writer_free(w);
    genlab_ckpt *c = NULL;
    ck_assert_int_eq(genlab_ckpt_open(ctx, path, &c), GL_OK);
    float dst[6];
    genlab_status st = genlab_ckpt_read(ctx, c, r->name, r->dtype, r->ndim, r->shape, dst);
    if (r->status == GL_OK) {
        ck_assert_int_eq(st, GL_OK);
        ck_assert(!memcmp(dst, rt_f, sizeof dst));
    } else {
        /* a problem of the file names it: "checkpoint <path>: ..." */
        char want[600];
        snprintf(want, sizeof want, "checkpoint %s%s", path, r->want);
        expect_err(ctx, st, r->status, r->status == GL_ERR_FORMAT ? want : r->want);
    }
    genlab_ckpt_close(c);
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- writer errors ---- */

typedef struct add_case {
    const char *what;
    const char *name;
    const char *dtype;
    int         ndim;
    int64_t     shape[GL_CKPT_MAX_DIMS + 1];
    bool        null_data;
    const char *want;
} add_case;

static const add_case adds[] = {
    {"NULL name", NULL, "F32", 1, {1}, false, "bad name \"(null)\""},
    {"empty name", "", "F32", 1, {1}, false, "bad name \"\""},
    {"reserved name", "__metadata__", "F32", 1, {1}, false, "bad name \"__metadata__\""},
    {"name not UTF-8", "a\xff", "F32", 1, {1}, false, "need non-empty UTF-8"},
    {"overlong UTF-8", "a\xc0\xaf", "F32", 1, {1}, false, "need non-empty UTF-8"},
    {"surrogate in UTF-8", "a\xed\xa0\x80", "F32", 1, {1}, false, "need non-empty UTF-8"},
    {"name added twice", "x", "F32", 1, {1}, false, "\"x\" added twice"},
    {"unknown dtype", "y", "F16", 1, {1}, false, "dtype F16 is not one of F32, I32, U8, I64, U64"},
    {"NULL dtype", "y", NULL, 1, {1}, false, "dtype (null) is not one of"},
    {"negative dimension", "y", "F32", 2, {2, -3}, false, "\"y\": shape (2, -3)"},
    {"9 dimensions", "y", "F32", 9, {1, 1, 1, 1, 1, 1, 1, 1, 1}, false, "9 dimensions (0 to 8)"},
    {"negative ndim", "y", "F32", -1, {1}, false, "-1 dimensions"},
    {"too large", "y", "F32", 2, {INT64_C(1) << 62, 4}, false, "of F32 is too large"},
    {"NULL data", "y", "F32", 1, {3}, true, "\"y\": NULL data"},
};

START_TEST(test_add_errors)
{
    const add_case *a = &adds[_i];
    genlab_ctx *ctx = tu_ctx(1);
    genlab_ckpt_writer *w = NULL;
    ck_assert_int_eq(genlab_ckpt_writer_create(ctx, &w), GL_OK);
    float x = 1.0f;
    ck_assert_int_eq(genlab_ckpt_add(w, "x", "F32", 0, NULL, &x), GL_OK);
    expect_err(ctx, genlab_ckpt_add(w, a->name, a->dtype, a->ndim, a->shape,
                                    a->null_data ? NULL : &x), GL_ERR_INVALID, a->want);
    /* the writer is still usable, holding only "x" */
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/w.safetensors", dir);
    ck_assert_int_eq(genlab_ckpt_write(w, path), GL_OK);
    genlab_ckpt *c = NULL;
    ck_assert_int_eq(genlab_ckpt_open(ctx, path, &c), GL_OK);
    ck_assert_uint_eq(genlab_ckpt_count(c), 1);
    genlab_ckpt_close(c);
    genlab_ckpt_writer_free(w);
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_meta_errors)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_ckpt_writer *w = NULL;
    ck_assert_int_eq(genlab_ckpt_writer_create(ctx, &w), GL_OK);
    expect_err(ctx, genlab_ckpt_set_meta(w, "", "v"), GL_ERR_INVALID, "key \"\"");
    expect_err(ctx, genlab_ckpt_set_meta(w, NULL, "v"), GL_ERR_INVALID, "key \"(null)\"");
    expect_err(ctx, genlab_ckpt_set_meta(w, "k", "\xfe"), GL_ERR_INVALID, "UTF-8 value");
    expect_err(ctx, genlab_ckpt_set_meta(w, "k", NULL), GL_ERR_INVALID, "key \"k\"");
    genlab_ckpt_writer_free(w);
    genlab_ckpt_writer_free(NULL);
    genlab_ckpt_close(NULL);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- atomic writes ---- */

/* write_one — a small checkpoint (one F32 tensor of n floats) to path. */
static genlab_status write_one(genlab_ctx *ctx, const char *path, size_t n)
{
    float *v = calloc(n, sizeof *v);
    ck_assert_ptr_nonnull(v);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)i;
    genlab_ckpt_writer *w = NULL;
    ck_assert_int_eq(genlab_ckpt_writer_create(ctx, &w), GL_OK);
    ck_assert_int_eq(genlab_ckpt_add(w, "v", "F32", 1, (const int64_t[]){(int64_t)n}, v), GL_OK);
    genlab_status st = genlab_ckpt_write(w, path);
    genlab_ckpt_writer_free(w);
    free(v);
    return st;
}

START_TEST(test_write_missing_dir)
{
    genlab_ctx *ctx = tu_ctx(1);
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/no/such/dir/x.safetensors", dir);
    expect_err(ctx, write_one(ctx, path, 4), GL_ERR_IO,
               "/no/such/dir/x.safetensors: cannot create the file: No such file or directory");
    ck_assert_int_eq(count_files(dir), 0);
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* A read-only directory refuses the temporary. Root ignores permissions,
 * so this case is only registered for other users (the file-size limit
 * cases below produce real write errors for root too). */
START_TEST(test_write_readonly_dir)
{
    genlab_ctx *ctx = tu_ctx(1);
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/x.safetensors", dir);
    ck_assert_int_eq(chmod(dir, 0555), 0);
    expect_err(ctx, write_one(ctx, path, 4), GL_ERR_IO,
               "x.safetensors: cannot create the file: Permission denied");
    ck_assert_int_eq(chmod(dir, 0755), 0);
    ck_assert_int_eq(count_files(dir), 0);
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* Real write errors: the process's file-size limit (RLIMIT_FSIZE, with
 * SIGXFSZ ignored) makes write(2) fail with EFBIG past `limit` bytes, as a
 * full disk fails with ENOSPC. A large checkpoint fails inside
 * genlab_ckpt_write's fwrite calls; a small one stays in stdio's buffer and
 * fails at the flush in gl_atomic_commit. Either way the checkpoint already
 * at the path must be untouched and no temporary left. */
typedef struct fsize_case {
    const char *what;
    size_t      n;        /* floats in the checkpoint */
    rlim_t      limit;    /* bytes */
} fsize_case;

static const fsize_case fsizes[] = {
    {"fails in fwrite", 1 << 18, 1 << 16},
    {"fails at the flush", 16, 40},
};

START_TEST(test_write_fsize_limit)
{
    const fsize_case *fc = &fsizes[_i];
    genlab_ctx *ctx = tu_ctx(1);
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/x.safetensors", dir);
    ck_assert_int_eq(write_one(ctx, path, 3), GL_OK);
    size_t before_size;
    unsigned char *before = slurp(path, &before_size);

    struct rlimit old, lim;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = fc->limit;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    genlab_status st = write_one(ctx, path, fc->n);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);

    expect_err(ctx, st, GL_ERR_IO, "x.safetensors: cannot write the file: File too large");
    size_t after_size;
    unsigned char *after = slurp(path, &after_size);
    ck_assert_uint_eq(after_size, before_size);
    ck_assert(!memcmp(after, before, before_size));
    ck_assert_int_eq(count_files(dir), 1);
    free(before);
    free(after);
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ENOSPC itself: the atomic writer's stream pointed at /dev/full, whose
 * every write fails with "No space left on device" at the flush. */
START_TEST(test_atomic_enospc)
{
    genlab_ctx *ctx = tu_ctx(1);
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/x.safetensors", dir);
    tu_write(path, "old", (size_t)-1);
    gl_atomic_file a;
    ck_assert_int_eq(gl_atomic_begin(ctx, &a, path), GL_OK);
    FILE *full = fopen("/dev/full", "wb");
    ck_assert_msg(full != NULL, "no /dev/full");
    fclose(a.f);
    a.f = full;
    ck_assert_int_eq(fputs("new", a.f) >= 0, 1);  /* buffered: succeeds */
    expect_err(ctx, gl_atomic_commit(ctx, &a), GL_ERR_IO,
               "x.safetensors: cannot write the file: No space left on device");
    ck_assert_ptr_null(a.f);
    ck_assert_int_eq(count_files(dir), 1);
    size_t size;
    unsigned char *raw = slurp(path, &size);
    ck_assert(size == 3 && !memcmp(raw, "old", 3));
    free(raw);
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- run directories ---- */

START_TEST(test_names)
{
    char buf[64];
    ck_assert_str_eq(genlab_ckpt_name(buf, sizeof buf, "run", 1234),
                     "run/step-000000001234.safetensors");
    ck_assert_str_eq(genlab_ckpt_name(buf, sizeof buf, "r", INT64_MAX),
                     "r/step-9223372036854775807.safetensors");
    /* "r/step-000000000000.safetensors" is 31 characters and a NUL */
    ck_assert_ptr_nonnull(genlab_ckpt_name(buf, 32, "r", 0));
    ck_assert_ptr_null(genlab_ckpt_name(buf, 31, "r", 0));
    ck_assert_ptr_null(genlab_ckpt_name(buf, sizeof buf, "r", -1));
}
END_TEST

/* dir_files — make empty files named names[] in dir. */
static void dir_files(const char *dir, const char *const *names, size_t n)
{
    char path[512];
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        tu_write(path, names[i], (size_t)-1);
    }
}

static const char *const ckpts[] = {
    "step-000000000005.safetensors",
    "step-000000000012.safetensors",
    "step-7.safetensors",                          /* fewer digits: still one */
    "step-000000000020.safetensors",
};
static const char *const foreign[] = {
    "notes.txt",
    "step-.safetensors",
    "step-99x.safetensors",
    "step-000000000099.safetensors.bak",
    "step-+99.safetensors",
    "step-99999999999999999999.safetensors",       /* past INT64_MAX */
    "best.safetensors",
    "step-000000000099.safetensors.tmp-short",     /* not mkstemp's six */
    "x.tmp-abcdef",
};
static const char *const temps[] = {
    "step-000000000099.safetensors.tmp-aB3xYz",    /* ignored by latest, removed by prune */
    "best.safetensors.tmp-000000",
};

START_TEST(test_latest)
{
    genlab_ctx *ctx = tu_ctx(1);
    char dir[256], buf[512], want[512];
    tu_tmpdir(dir, sizeof dir);
    int64_t step = -1;
    expect_err(ctx, genlab_ckpt_latest(ctx, dir, buf, sizeof buf, &step), GL_ERR_STATE,
               "no checkpoint in");
    dir_files(dir, foreign, N(foreign));
    dir_files(dir, temps, N(temps));
    expect_err(ctx, genlab_ckpt_latest(ctx, dir, buf, sizeof buf, &step), GL_ERR_STATE,
               "no checkpoint in");
    dir_files(dir, ckpts, N(ckpts));
    ck_assert_int_eq(genlab_ckpt_latest(ctx, dir, buf, sizeof buf, &step), GL_OK);
    ck_assert_int_eq(step, 20);
    snprintf(want, sizeof want, "%s/step-000000000020.safetensors", dir);
    ck_assert_str_eq(buf, want);
    ck_assert_int_eq(genlab_ckpt_latest(ctx, dir, buf, sizeof buf, NULL), GL_OK);
    expect_err(ctx, genlab_ckpt_latest(ctx, dir, buf, 10, &step), GL_ERR_INVALID,
               "does not fit in 10 bytes");
    snprintf(want, sizeof want, "%s/missing", dir);
    expect_err(ctx, genlab_ckpt_latest(ctx, want, buf, sizeof buf, &step), GL_ERR_IO,
               "missing: cannot read the directory: No such file or directory");
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST

typedef struct prune_case {
    const char *what;
    int         keep;
    const char *left[4];   /* checkpoints left, NULL-terminated */
} prune_case;

static const prune_case prunes[] = {
    {"keep 1", 1, {"step-000000000020.safetensors"}},
    {"keep 2", 2, {"step-000000000020.safetensors", "step-000000000012.safetensors"}},
    {"keep 3: 5 goes, 7 stays", 3,
     {"step-000000000020.safetensors", "step-000000000012.safetensors", "step-7.safetensors"}},
    {"keep more than there are", 10,
     {"step-000000000020.safetensors", "step-000000000012.safetensors", "step-7.safetensors",
      "step-000000000005.safetensors"}},
};

START_TEST(test_prune)
{
    const prune_case *p = &prunes[_i];
    genlab_ctx *ctx = tu_ctx(1);
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    dir_files(dir, ckpts, N(ckpts));
    dir_files(dir, foreign, N(foreign));
    dir_files(dir, temps, N(temps));
    ck_assert_int_eq(genlab_ckpt_prune(ctx, dir, p->keep), GL_OK);
    int left = 0;
    for (; left < 4 && p->left[left]; left++) {
        snprintf(path, sizeof path, "%s/%s", dir, p->left[left]);
        ck_assert_msg(exists(path), "%s: %s was removed", p->what, p->left[left]);
    }
    /* every foreign file stays, every temporary goes */
    ck_assert_int_eq(count_files(dir), left + (int)N(foreign));
    for (size_t i = 0; i < N(foreign); i++) {
        snprintf(path, sizeof path, "%s/%s", dir, foreign[i]);
        ck_assert_msg(exists(path), "%s: %s was removed", p->what, foreign[i]);
    }
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_prune_errors)
{
    genlab_ctx *ctx = tu_ctx(1);
    char dir[256], path[512];
    tu_tmpdir(dir, sizeof dir);
    expect_err(ctx, genlab_ckpt_prune(ctx, dir, 0), GL_ERR_INVALID, "keep 0 (at least 1)");
    /* a temporary's name on a directory cannot be unlinked: reported, and
     * the other removals still happen */
    snprintf(path, sizeof path, "%s/a.safetensors.tmp-abcdef", dir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    dir_files(dir, ckpts, N(ckpts));
    dir_files(dir, temps, N(temps));
    expect_err(ctx, genlab_ckpt_prune(ctx, dir, 1), GL_ERR_IO,
               "a.safetensors.tmp-abcdef: cannot remove the file");
    ck_assert_int_eq(count_files(dir), 2);
    snprintf(path, sizeof path, "%s/missing", dir);
    expect_err(ctx, genlab_ckpt_prune(ctx, path, 1), GL_ERR_IO, "cannot read the directory");
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* A checkpoint written to a run directory, then pruned and found again:
 * the names genlab_ckpt_name makes are the ones latest and prune know. */
START_TEST(test_dir_cycle)
{
    genlab_ctx *ctx = tu_ctx(1);
    char dir[256], path[512], latest[512];
    tu_tmpdir(dir, sizeof dir);
    for (int64_t s = 100; s <= 500; s += 100) {
        ck_assert_ptr_nonnull(genlab_ckpt_name(path, sizeof path, dir, s));
        ck_assert_int_eq(write_one(ctx, path, 2), GL_OK);
        ck_assert_int_eq(genlab_ckpt_prune(ctx, dir, 2), GL_OK);
        int64_t step;
        ck_assert_int_eq(genlab_ckpt_latest(ctx, dir, latest, sizeof latest, &step), GL_OK);
        ck_assert_int_eq(step, s);
        ck_assert_str_eq(latest, path);
        ck_assert_int_eq(count_files(dir), s == 100 ? 1 : 2);
    }
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST

#else  /* test_checkpoint_python */

/* ---- read_checkpoint.py ---- */

#define READER_PY GL_TOP_SRCDIR "/tests/read_checkpoint.py"

/* run_py — run read_checkpoint.py with args; its output (stdout and
 * stderr) into out (malloc'd); returns the exit status. */
static int run_py(const char *args, const char *dir, char **out)
{
    char cmd[2048], log[512];
    snprintf(log, sizeof log, "%s/py.out", dir);
    snprintf(cmd, sizeof cmd, "python3 '%s' %s > '%s' 2>&1", READER_PY, args, log);
    int rc = system(cmd);
    ck_assert_msg(rc != -1 && WIFEXITED(rc), "cannot run: %s", cmd);
    size_t size;
    unsigned char *raw = slurp(log, &size);
    raw[size] = 0;
    *out = (char *)raw;
    return WEXITSTATUS(rc);
}

static const float py_vals[6] = {0.5f, -1.25f, 3.0f, 1e-3f, -0.0f, 3.4028235e38f};

START_TEST(test_python_reader)
{
    genlab_ctx *ctx = tu_ctx(1);
    char dir[256], path[512], args[1024];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/g.safetensors", dir);
    int32_t labels[3] = {1, -2, 3};
    uint8_t pix[5] = {9, 8, 7, 6, 5};
    int64_t big = INT64_MIN;
    genlab_ckpt_writer *w = NULL;
    ck_assert_int_eq(genlab_ckpt_writer_create(ctx, &w), GL_OK);
    ck_assert_int_eq(genlab_ckpt_add(w, "pix", "U8", 1, TU_SHAPE(5), pix), GL_OK);
    ck_assert_int_eq(genlab_ckpt_add(w, "G.w", "F32", 2, TU_SHAPE(2, 3), py_vals), GL_OK);
    ck_assert_int_eq(genlab_ckpt_add(w, "labels", "I32", 1, TU_SHAPE(3), labels), GL_OK);
    ck_assert_int_eq(genlab_ckpt_add(w, "step", "I64", 0, NULL, &big), GL_OK);
    ck_assert_int_eq(genlab_ckpt_add(w, "none", "F32", 2, TU_SHAPE(0, 2), NULL), GL_OK);
    ck_assert_int_eq(genlab_ckpt_set_meta(w, "step", "42"), GL_OK);
    ck_assert_int_eq(genlab_ckpt_write(w, path), GL_OK);
    genlab_ckpt_writer_free(w);

    char *out;
    snprintf(args, sizeof args, "--check '%s'", path);
    ck_assert_msg(run_py(args, dir, &out) == 0, "read_checkpoint.py --check: %s", out);
    ck_assert_msg(strstr(out, "G.w     F32    (2, 3)") && strstr(out, "step    I64    ()") &&
                  strstr(out, "none    F32    (0, 2)") && strstr(out, "  step = 42"),
                  "table: %s", out);
    free(out);

    /* "%.9g" of a float32 reads back as the same float32 */
    snprintf(args, sizeof args, "--dump G.w '%s'", path);
    ck_assert_int_eq(run_py(args, dir, &out), 0);
    char *p = out;
    for (int i = 0; i < 6; i++) {
        char *end;
        float v = strtof(p, &end);
        ck_assert_msg(end != p, "value %d missing in: %s", i, out);
        ck_assert_msg(!memcmp(&v, &py_vals[i], sizeof v), "value %d: %.9g, wrote %.9g", i, v,
                      py_vals[i]);
        p = end;
    }
    free(out);
    snprintf(args, sizeof args, "--dump labels '%s'", path);
    ck_assert_int_eq(run_py(args, dir, &out), 1);  /* not F32 */
    free(out);

    /* Python's golden file passes too */
    ck_assert_int_eq(run_py("--check '" GL_TOP_SRCDIR "/tests/golden/ckpt_python.safetensors'",
                            dir, &out), 0);
    free(out);

    /* bytes appended: both readers refuse the file */
    size_t size;
    unsigned char *raw = slurp(path, &size);
    unsigned char *longer = malloc(size + 4);
    ck_assert_ptr_nonnull(longer);
    memcpy(longer, raw, size);
    memset(longer + size, 0, 4);
    tu_write(path, longer, size + 4);
    snprintf(args, sizeof args, "--check '%s'", path);
    ck_assert_int_eq(run_py(args, dir, &out), 1);
    ck_assert_msg(strstr(out, "after the last tensor belong to no tensor"), "%s", out);
    free(out);
    genlab_ckpt *c = NULL;
    expect_err(ctx, genlab_ckpt_open(ctx, path, &c), GL_ERR_FORMAT, "after the last tensor");
    /* a bad header length */
    longer[2] ^= 1; /* 64 KiB more than the file holds */
    tu_write(path, longer, size + 4);
    ck_assert_int_eq(run_py(args, dir, &out), 1);
    ck_assert_msg(strstr(out, "truncated: header says"), "%s", out);
    free(out);
    free(longer);
    free(raw);
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST

#endif

/* ---- main ---- */

static Suite *suite(void)
{
    Suite *s = suite_create("checkpoint");
    TCase *tc;
#ifdef GL_TEST_PYTHON
    tc = tcase_create("read_checkpoint.py");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_python_reader);
    suite_add_tcase(s, tc);
#else
    tc = tcase_create("round trip");
    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_roundtrip_tensors);
    tcase_add_loop_test(tc, test_layout, 0, N(layouts));
    tcase_add_test(tc, test_python_file);
    suite_add_tcase(s, tc);
    tc = tcase_create("malformed");
    tcase_add_loop_test(tc, test_malformed, 0, N(bad));
    tcase_add_loop_test(tc, test_odd_valid, 0, N(odd));
    tcase_add_test(tc, test_every_prefix);
    tcase_add_test(tc, test_open_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("reading");
    tcase_add_loop_test(tc, test_read_checks, 0, N(reads));
    suite_add_tcase(s, tc);
    tc = tcase_create("writer");
    tcase_add_loop_test(tc, test_add_errors, 0, N(adds));
    tcase_add_test(tc, test_meta_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("atomic");
    tcase_add_test(tc, test_write_missing_dir);
    if (geteuid() != 0)
        tcase_add_test(tc, test_write_readonly_dir);
    tcase_add_loop_test(tc, test_write_fsize_limit, 0, N(fsizes));
    tcase_add_test(tc, test_atomic_enospc);
    suite_add_tcase(s, tc);
    tc = tcase_create("directories");
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_latest);
    tcase_add_loop_test(tc, test_prune, 0, N(prunes));
    tcase_add_test(tc, test_prune_errors);
    tcase_add_test(tc, test_dir_cycle);
    suite_add_tcase(s, tc);
#endif
    return s;
}

int main(void)
{
#ifdef GL_TEST_PYTHON
    if (system("python3 -c '' >/dev/null 2>&1") != 0) {
        fprintf(stderr, "python3 not found: read_checkpoint.py not tested\n");
        return 77;
    }
#endif
    return tu_run(suite());
}
