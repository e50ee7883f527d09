/* SPDX-License-Identifier: MIT
 *
 * test_npz.c — the .npz reader and writer (npz.h): NumPy's own files
 * (tests/golden/npz/, written by tests/golden/gen_npz.py: np.savez,
 * np.savez_compressed, .npy 2.0 and 3.0, a Python 2 header), round trips,
 * damaged archives built here byte by byte (each error naming the file and
 * the member), every prefix and every flipped byte of a real file, and the
 * writer's argument and I/O errors. Built a second time with
 * GL_TEST_PYTHON as test_npz_python, which has NumPy read what genlab
 * wrote (tests/check_npz.py) and exits 77 (SKIP) without a Python that
 * has NumPy.
 *
 * Sections: helpers, NumPy's files, round trip, damaged archives, writer
 * errors, NumPy reads genlab's files, main.
 */
#include <math.h>
#include <stdint.h>
#include <zlib.h>

#include "genlab/npz.h"
#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define NPZ_DIR GL_TOP_SRCDIR "/tests/golden/npz/"

/* ---- helpers ---- */

/* value — element i of array k in every file of this suite and of
 * gen_npz.py (k: its offset): exact in float32 and float64 */
static double value(int64_t i, double k) { return (double)(i - 3) * 0.25 + k; }

static int64_t numel(int ndim, const int64_t *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= shape[i];
    return n;
}

/* Arrays of every rank and of the special values, written and read back. */
static genlab_npz_array *make_arrays(int *n)
{
    static const struct { const char *name; int ndim; int64_t shape[4]; } specs[] = {
        {"mu", 1, {7}},
        {"sigma", 2, {3, 5}},
        {"scalar", 0, {0}},
        {"empty", 2, {0, 3}},
        {"none", 1, {0}},
        {"cube.v2", 3, {2, 3, 4}},
        {"four-d", 4, {1, 2, 3, 2}},
    };
    *n = N(specs);
    genlab_npz_array *a = calloc(N(specs), sizeof *a);
    for (int k = 0; k < *n; k++) {
        a[k].name = specs[k].name;
        a[k].ndim = specs[k].ndim;
        memcpy(a[k].shape, specs[k].shape, sizeof a[k].shape);
        const int64_t m = numel(a[k].ndim, a[k].shape);
        a[k].data = malloc((size_t)(m ? m : 1) * sizeof(double));
        for (int64_t i = 0; i < m; i++)
            a[k].data[i] = value(i, k);
    }
    /* values the bytes must carry through unchanged */
    a[0].data[0] = NAN;
    a[0].data[1] = -INFINITY;
    a[0].data[2] = -0.0;
    a[0].data[4] = 4.9e-324;    /* the smallest subnormal */
    a[0].data[5] = 1.7976931348623157e308;
    return a;
}

static void free_arrays(genlab_npz_array *a, int n)
{
    for (int k = 0; k < n; k++)
        free(a[k].data);
    free(a);
}

#ifndef GL_TEST_PYTHON  /* test_npz: everything but NumPy */

/* expect_err — the call failed with status and a message holding want */
static void expect_err(genlab_ctx *ctx, genlab_status got, genlab_status status, const char *want)
{
    ck_assert_msg(got == status, "status %d (%s), expected %d; message: %s", got,
                  genlab_status_str(got), status, genlab_ctx_errmsg(ctx));
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), want) != NULL, "message '%s' lacks '%s'",
                  genlab_ctx_errmsg(ctx), want);
    genlab_ctx_clear_error(ctx);
}

/* ---- NumPy's files ---- */

/* An array a file must hold: name, shape, offset of its values. */
typedef struct want_array {
    const char *name;
    int         ndim;
    int64_t     shape[4];
    double      offset;
} want_array;

/* the arrays of gen_npz.py's ARRAYS (stored.npz, compressed.npz) */
static const want_array all_arrays[] = {
    {"mu", 1, {5}, 0.0},
    {"sigma", 2, {3, 4}, 10.0},
    {"scalar", 0, {0}, 20.0},
    {"empty", 2, {0, 3}, 30.0},
    {"cube", 3, {2, 3, 4}, 40.0},
    {"f4", 2, {2, 2}, 50.0},     /* '<f4', read as float64 */
};
static const want_array fid_arrays[] = {{"mu", 1, {8}, 0.0}, {"sigma", 2, {8, 8}, 10.0}};
static const want_array mu_only[] = {{"mu", 1, {5}, 0.0}};

static const struct numpy_file {
    const char       *file;
    const want_array *arrays;
    int               n;
} numpy_files[] = {
    {"stored.npz", all_arrays, N(all_arrays)},         /* np.savez: zip64 extras */
    {"compressed.npz", all_arrays, N(all_arrays)},     /* np.savez_compressed */
    {"fid_stats.npz", fid_arrays, N(fid_arrays)},      /* pytorch-fid's layout */
    {"v2.npz", mu_only, 1},                            /* .npy 2.0 */
    {"v3.npz", mu_only, 1},                            /* .npy 3.0 */
    {"py2_long.npz", mu_only, 1},                      /* shape (5L,) */
};

/* check_arrays — z holds exactly the arrays of w, with their values */
static void check_arrays(const genlab_npz *z, const want_array *w, int n)
{
    for (int k = 0; k < n; k++) {
        const genlab_npz_array *a = genlab_npz_get(z, w[k].name);
        ck_assert_msg(a != NULL, "no array %s", w[k].name);
        ck_assert_str_eq(a->name, w[k].name);
        ck_assert_int_eq(a->ndim, w[k].ndim);
        for (int d = 0; d < w[k].ndim; d++)
            ck_assert_int_eq(a->shape[d], w[k].shape[d]);
        for (int64_t i = 0; i < numel(a->ndim, a->shape); i++)
            ck_assert_msg(a->data[i] == value(i, w[k].offset), "%s[%lld] = %g, want %g",
                          a->name, (long long)i, a->data[i], value(i, w[k].offset));
    }
    ck_assert_ptr_null(genlab_npz_get(z, "absent"));
}

START_TEST(test_numpy_files)
{
    const struct numpy_file *f = &numpy_files[_i];
    genlab_ctx *ctx = tu_ctx(1);
    char path[512];
    snprintf(path, sizeof path, NPZ_DIR "%s", f->file);
    genlab_npz *z;
    ck_assert_msg(genlab_npz_open(ctx, path, &z) == GL_OK, "%s", genlab_ctx_errmsg(ctx));
    check_arrays(z, f->arrays, f->n);
    genlab_npz_close(z);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* What NumPy writes that genlab refuses. */
static const struct refused_file {
    const char *file;
    const char *want;
} refused_files[] = {
    {"int64.npz", "int64.npz: member 'mu.npy': dtype '<i8' is not supported"},
    {"big_endian.npz", "big_endian.npz: member 'mu.npy': dtype '>f8' is not supported"},
    {"fortran.npz", "fortran.npz: member 'sigma.npy': fortran_order True is not supported"},
};

START_TEST(test_refused_files)
{
    genlab_ctx *ctx = tu_ctx(1);
    char path[512];
    snprintf(path, sizeof path, NPZ_DIR "%s", refused_files[_i].file);
    genlab_npz *z = (genlab_npz *)path;
    expect_err(ctx, genlab_npz_open(ctx, path, &z), GL_ERR_FORMAT, refused_files[_i].want);
    ck_assert_ptr_null(z);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_open_errors)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_npz *z;
    expect_err(ctx, genlab_npz_open(ctx, NPZ_DIR "missing.npz", &z), GL_ERR_IO,
               "missing.npz: cannot open the file: No such file or directory");
    expect_err(ctx, genlab_npz_open(ctx, NPZ_DIR, &z), GL_ERR_IO, "not a regular file");
    expect_err(ctx, genlab_npz_parse(ctx, NULL, 3, "mem", &z), GL_ERR_INVALID, "NULL buffer");
    expect_err(ctx, genlab_npz_parse(ctx, "", 0, "empty.npz", &z), GL_ERR_FORMAT,
               "empty.npz: not a zip archive");
    genlab_npz_close(NULL);
    ck_assert_ptr_null(genlab_npz_get(NULL, "mu"));
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- round trip ---- */

/* read_file — the bytes of path (size into *size) */
static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*size ? *size : 1);
    ck_assert_uint_eq(fread(b, 1, *size, f), *size);
    fclose(f);
    return b;
}

START_TEST(test_roundtrip)
{
    genlab_ctx *ctx = tu_ctx(1);
    char dir[256], path[300], path2[300];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/stats.npz", dir);
    snprintf(path2, sizeof path2, "%s/again.npz", dir);
    int n;
    genlab_npz_array *a = make_arrays(&n);
    tu_write(path, "old contents", (size_t)-1);    /* replaced whole */
    ck_assert_int_eq(genlab_npz_write(ctx, path, a, n), GL_OK);
    genlab_npz *z;
    ck_assert_msg(genlab_npz_open(ctx, path, &z) == GL_OK, "%s", genlab_ctx_errmsg(ctx));
    for (int k = 0; k < n; k++) {
        const genlab_npz_array *r = genlab_npz_get(z, a[k].name);
        ck_assert_msg(r != NULL, "no %s", a[k].name);
        ck_assert_int_eq(r->ndim, a[k].ndim);
        for (int d = 0; d < a[k].ndim; d++)
            ck_assert_int_eq(r->shape[d], a[k].shape[d]);
        ck_assert(!memcmp(r->data, a[k].data,
                          (size_t)numel(a[k].ndim, a[k].shape) * sizeof(double)));
    }
    genlab_npz_close(z);
    /* the same arrays give the same bytes (fixed timestamps) */
    ck_assert_int_eq(genlab_npz_write(ctx, path2, a, n), GL_OK);
    size_t s1, s2;
    unsigned char *b1 = read_file(path, &s1), *b2 = read_file(path2, &s2);
    ck_assert(s1 == s2 && !memcmp(b1, b2, s1));
    free(b1);
    free(b2);
    /* no temporary left beside them */
    DIR *d = opendir(dir);
    int files = 0;
    for (struct dirent *e; (e = readdir(d));)
        files += e->d_name[0] != '.';
    closedir(d);
    ck_assert_int_eq(files, 2);
    /* an archive of no arrays */
    ck_assert_int_eq(genlab_npz_write(ctx, path, NULL, 0), GL_OK);
    ck_assert_int_eq(genlab_npz_open(ctx, path, &z), GL_OK);
    ck_assert_ptr_null(genlab_npz_get(z, "mu"));
    genlab_npz_close(z);
    free_arrays(a, n);
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- damaged archives ---- */

/* A growable byte buffer. */
typedef struct buf {
    unsigned char *b;
    size_t         n, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->b = realloc(b->b, b->cap);
    }
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

static void wr16(unsigned char *p, uint32_t v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }
static void wr32(unsigned char *p, uint32_t v) { wr16(p, v); wr16(p + 2, v >> 16); }
static uint32_t rd32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

/* A member of an archive built here: its zip name and its .npy, made of
 * a dict text (padded as NumPy pads it) and `values` float64 values. */
typedef struct bmember {
    const char *name;
    const char *dict;
    int         values;
    bool        deflate;
} bmember;

#define DICT_MU "{'descr': '<f8', 'fortran_order': False, 'shape': (5,), }"
#define MU      {"mu.npy", DICT_MU, 5, false}
#define MU_Z    {"mu.npy", DICT_MU, 5, true}

/* Where the parts of a built archive are. */
typedef struct layout {
    size_t local[2], data[2], central[2], end;
} layout;

/* npy_of — the .npy bytes of m: v1.0 header, then values (i - 3) * 0.25 */
static void npy_of(const bmember *m, buf *out)
{
    size_t dl = strlen(m->dict), hlen = (10 + dl + 1 + 63) / 64 * 64 - 10;
    unsigned char head[10];
    memcpy(head, "\x93NUMPY\x01\x00", 8);
    wr16(head + 8, (uint32_t)hlen);
    put(out, head, 10);
    put(out, m->dict, dl);
    for (size_t i = dl; i + 1 < hlen; i++)
        put(out, " ", 1);
    put(out, "\n", 1);
    for (int i = 0; i < m->values; i++) {
        double v = value(i, 0.0);
        put(out, &v, 8);    /* the suite runs little-endian, as genlab's readers assume */
    }
}

/* build — the archive of n members (n <= 2), npy_tweak applied to each
 * member's .npy before it is zipped (NULL: none). */
static buf build(const bmember *ms, int n, void (*npy_tweak)(buf *npy), layout *l)
{
    buf z = {0}, cd = {0};
    for (int i = 0; i < n; i++) {
        buf npy = {0}, data = {0};
        npy_of(&ms[i], &npy);
        if (npy_tweak)
            npy_tweak(&npy);
        const uint32_t crc = (uint32_t)crc32(0, npy.b, (uInt)npy.n);
        if (ms[i].deflate) {
            uLongf cap = compressBound(npy.n) + 16;
            data.b = malloc(cap);
            z_stream zs = {0};
            ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
                             Z_OK);
            zs.next_in = npy.b;
            zs.avail_in = (uInt)npy.n;
            zs.next_out = data.b;
            zs.avail_out = (uInt)cap;
            ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
            data.n = zs.total_out;
            deflateEnd(&zs);
        } else {
            put(&data, npy.b, npy.n);
        }
        const size_t nl = strlen(ms[i].name);
        unsigned char h[46] = {0};
        l->local[i] = z.n;
        wr32(h, 0x04034b50);
        wr16(h + 4, 20);
        wr16(h + 8, ms[i].deflate ? 8 : 0);
        wr32(h + 14, crc);
        wr32(h + 18, (uint32_t)data.n);
        wr32(h + 22, (uint32_t)npy.n);
        wr16(h + 26, (uint32_t)nl);
        put(&z, h, 30);
        put(&z, ms[i].name, nl);
        l->data[i] = z.n;
        put(&z, data.b, data.n);
        memset(h, 0, sizeof h);
        wr32(h, 0x02014b50);
        wr16(h + 4, 20);
        wr16(h + 6, 20);
        wr16(h + 10, ms[i].deflate ? 8 : 0);
        wr32(h + 16, crc);
        wr32(h + 20, (uint32_t)data.n);
        wr32(h + 24, (uint32_t)npy.n);
        wr16(h + 28, (uint32_t)nl);
        wr32(h + 42, (uint32_t)l->local[i]);
        l->central[i] = cd.n;    /* relative until the directory is placed */
        put(&cd, h, 46);
        put(&cd, ms[i].name, nl);
        free(npy.b);
        free(data.b);
    }
    const size_t cd_off = z.n;
    for (int i = 0; i < n; i++)
        l->central[i] += cd_off;
    put(&z, cd.b, cd.n);
    unsigned char e[22] = {0};
    wr32(e, 0x06054b50);
    wr16(e + 8, (uint32_t)n);
    wr16(e + 10, (uint32_t)n);
    wr32(e + 12, (uint32_t)cd.n);
    wr32(e + 16, (uint32_t)cd_off);
    l->end = z.n;
    put(&z, e, 22);
    free(cd.b);
    return z;
}

/* .npy tweaks */
static void npy_magic(buf *b) { b->b[1] = 'n'; }
static void npy_v4(buf *b) { b->b[6] = 4; }
static void npy_hlen(buf *b) { wr16(b->b + 8, 60000); }
static void npy_cut(buf *b) { b->n = 7; }

/* archive tweaks (after the build; CRCs are not fixed) */
static void z_cut_end(buf *b, const layout *l) { (void)l; b->n -= 1; }
static void z_flip_data(buf *b, const layout *l) { b->b[l->data[0] + 130] ^= 0x40; }
static void z_flip_deflate(buf *b, const layout *l) { b->b[l->data[0]] ^= 0xff; }
static void z_zip64(buf *b, const layout *l) { wr16(b->b + l->end + 8, 0xffff); wr16(b->b + l->end + 10, 0xffff); }
static void z_disk(buf *b, const layout *l) { wr16(b->b + l->end + 4, 1); }
static void z_cd_past(buf *b, const layout *l) { wr32(b->b + l->end + 16, (uint32_t)l->end + 4); }
static void z_count0(buf *b, const layout *l) { wr16(b->b + l->end + 8, 0); wr16(b->b + l->end + 10, 0); }
static void z_method(buf *b, const layout *l)
{
    wr16(b->b + l->local[0] + 8, 12);
    wr16(b->b + l->central[0] + 10, 12);
}
static void z_encrypted(buf *b, const layout *l) { b->b[l->central[0] + 8] |= 1; }
static void z_usize_huge(buf *b, const layout *l) { wr32(b->b + l->central[0] + 24, 0x7fffffff); }
static void z_usize_more(buf *b, const layout *l)
{
    wr32(b->b + l->central[0] + 24, rd32(b->b + l->central[0] + 24) + 8);
}
static void z_usize_less(buf *b, const layout *l)
{
    wr32(b->b + l->central[0] + 24, rd32(b->b + l->central[0] + 24) - 8);
}
static void z_csize_more(buf *b, const layout *l)
{
    wr32(b->b + l->central[0] + 20, rd32(b->b + l->central[0] + 20) + 1000);
}
static void z_local_name(buf *b, const layout *l) { b->b[l->local[0] + 30] = 'n'; }
static void z_offset(buf *b, const layout *l) { wr32(b->b + l->central[0] + 42, 5); }
static void z_central_sig(buf *b, const layout *l) { b->b[l->central[0]] = 'Q'; }
static void z_zip64_size(buf *b, const layout *l) { wr32(b->b + l->central[0] + 20, 0xffffffffu); }

static const struct bad_case {
    const char *what;
    bmember     m[2];
    int         n;
    void (*npy)(buf *npy);
    void (*zip)(buf *z, const layout *l);
    const char *want;    /* every message also names bad.npz */
} bad[] = {
    /* the container */
    {"truncated end record", {MU}, 1, NULL, z_cut_end, "not a zip archive, or truncated"},
    {"bad CRC", {MU}, 1, NULL, z_flip_data, "member 'mu.npy': CRC-32 mismatch"},
    {"corrupt deflate data", {MU_Z}, 1, NULL, z_flip_deflate, "member 'mu.npy': "},
    {"zip64 end record", {MU}, 1, NULL, z_zip64, "a zip64 archive"},
    {"zip64 member size", {MU}, 1, NULL, z_zip64_size, "member 'mu.npy' needs zip64"},
    {"multi-disk", {MU}, 1, NULL, z_disk, "a multi-disk zip archive"},
    {"directory past the end", {MU}, 1, NULL, z_cd_past, "is not before the end record"},
    {"directory longer than its entries", {MU}, 1, NULL, z_count0, "bytes more than its 0 entries"},
    {"damaged directory entry", {MU}, 1, NULL, z_central_sig, "central directory entry 0 is missing"},
    {"bzip2 member", {MU}, 1, NULL, z_method, "member 'mu.npy': compression method 12"},
    {"encrypted member", {MU}, 1, NULL, z_encrypted, "member 'mu.npy' is encrypted"},
    {"declared size huge", {MU_Z}, 1, NULL, z_usize_huge, "member 'mu.npy': declared size 2147483647"},
    {"inflates short", {MU_Z}, 1, NULL, z_usize_more, "member 'mu.npy': inflates to fewer bytes"},
    {"inflates long", {MU_Z}, 1, NULL, z_usize_less, "member 'mu.npy': inflates to more bytes"},
    {"stored sizes differ", {MU}, 1, NULL, z_usize_less, "member 'mu.npy': declared size"},
    {"data into the directory", {MU}, 1, NULL, z_csize_more, "run into the central directory"},
    {"local name differs", {MU}, 1, NULL, z_local_name, "the local header does not match"},
    {"no local header", {MU}, 1, NULL, z_offset, "member 'mu.npy': no local header at offset 5"},
    {"not an array", {{"readme.txt", DICT_MU, 5, false}}, 1, NULL, NULL,
     "member 0 'readme.txt' is not a NAME.npy array"},
    {"control character", {{"m\tu.npy", DICT_MU, 5, false}}, 1, NULL, NULL,
     "member 0 'm?u.npy' is not a NAME.npy array"},
    {"twice", {MU, MU_Z}, 2, NULL, NULL, "member 'mu.npy' appears twice"},
    /* the .npy */
    {"bad magic", {MU}, 1, npy_magic, NULL, "member 'mu.npy': not a .npy array"},
    {"version 4", {MU}, 1, npy_v4, NULL, "member 'mu.npy': .npy version 4.0 is not supported"},
    {"header past the end", {MU}, 1, npy_hlen, NULL, "header of 60000 bytes runs past"},
    {"truncated .npy", {MU}, 1, npy_cut, NULL, "member 'mu.npy': not a .npy array"},
    {"unknown key", {{"mu.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (5,), "
                      "'extra': 1}", 5, false}}, 1, NULL, NULL, "unknown key 'extra'"},
    {"repeated key", {{"mu.npy", "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, "
                       "'shape': (5,)}", 5, false}}, 1, NULL, NULL, "repeated key 'descr'"},
    {"no shape", {{"mu.npy", "{'descr': '<f8', 'fortran_order': False}", 5, false}}, 1, NULL,
     NULL, "member 'mu.npy': bad .npy header: no 'shape'"},
    {"not a dict", {{"mu.npy", "[5]", 5, false}}, 1, NULL, NULL, "bad .npy header: not a dict"},
    {"text after the dict", {{"mu.npy", DICT_MU " x", 5, false}}, 1, NULL, NULL,
     "text after the dict"},
    {"unterminated string", {{"mu.npy", "{'descr: '<f8'}", 5, false}}, 1, NULL, NULL,
     "':' expected"},
    {"escapes", {{"mu.npy", "{'de\\scr': '<f8'}", 5, false}}, 1, NULL, NULL, "escapes"},
    {"wrong dtype", {{"mu.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (10,)}", 5,
                      false}}, 1, NULL, NULL, "member 'mu.npy': dtype '<i4' is not supported"},
    {"fortran order", {{"mu.npy", "{'descr': '<f8', 'fortran_order': True, 'shape': (5,)}", 5,
                        false}}, 1, NULL, NULL, "member 'mu.npy': fortran_order True"},
    {"fortran order 0", {{"mu.npy", "{'descr': '<f8', 'fortran_order': 0, 'shape': (5,)}", 5,
                          false}}, 1, NULL, NULL, "'fortran_order' is not True or False"},
    {"shape (5)", {{"mu.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (5)}", 5,
                    false}}, 1, NULL, NULL, "one dimension needs a trailing comma"},
    {"negative dimension", {{"mu.npy", "{'descr': '<f8', 'fortran_order': False, "
                             "'shape': (-5,)}", 5, false}}, 1, NULL, NULL,
     "non-negative integers"},
    {"five dimensions", {{"mu.npy", "{'descr': '<f8', 'fortran_order': False, "
                          "'shape': (1, 1, 1, 1, 5)}", 5, false}}, 1, NULL, NULL,
     "more than 4 dimensions"},
    {"dimension over 2^63", {{"mu.npy", "{'descr': '<f8', 'fortran_order': False, "
                              "'shape': (9223372036854775808,)}", 5, false}}, 1, NULL, NULL,
     "over 2^63"},
    {"huge shape", {{"mu.npy", "{'descr': '<f8', 'fortran_order': False, "
                     "'shape': (4611686018427387904, 4)}", 5, false}}, 1, NULL, NULL,
     "shape (4611686018427387904, 4) of '<f8' is larger than the member's 40 bytes"},
    {"shape of other size", {{"mu.npy", "{'descr': '<f8', 'fortran_order': False, "
                              "'shape': (4,)}", 5, false}}, 1, NULL, NULL,
     "shape (4) of '<f8' needs 32 bytes of data, the member has 40"},
    {"f4 of odd bytes", {{"mu.npy", "{'descr': '<f4', 'fortran_order': False, "
                          "'shape': (9,)}", 5, false}}, 1, NULL, NULL,
     "needs 36 bytes of data, the member has 40"},
};

START_TEST(test_bad)
{
    const struct bad_case *c = &bad[_i];
    genlab_ctx *ctx = tu_ctx(1);
    layout l;
    buf z = build(c->m, c->n, c->npy, &l);
    if (c->zip)
        c->zip(&z, &l);
    genlab_npz *out = (genlab_npz *)&z;
    genlab_status st = genlab_npz_parse(ctx, z.b, z.n, "bad.npz", &out);
    ck_assert_msg(strncmp(genlab_ctx_errmsg(ctx), "bad.npz: ", 9) == 0, "%s: message '%s'",
                  c->what, genlab_ctx_errmsg(ctx));
    expect_err(ctx, st, GL_ERR_FORMAT, c->want);
    ck_assert_ptr_null(out);
    free(z.b);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* the builder itself makes valid archives (so each bad case has one fault) */
START_TEST(test_built_valid)
{
    genlab_ctx *ctx = tu_ctx(1);
    const bmember ms[2] = {MU, {"f4.npy", "{'descr': '<f4', 'fortran_order': False, "
                                "'shape': (10,)}", 5, true}};
    layout l;
    buf z = build(ms, 2, NULL, &l);
    genlab_npz *out;
    ck_assert_msg(genlab_npz_parse(ctx, z.b, z.n, "good.npz", &out) == GL_OK, "%s",
                  genlab_ctx_errmsg(ctx));
    check_arrays(out, mu_only, 1);
    ck_assert_int_eq(genlab_npz_get(out, "f4")->shape[0], 10);
    genlab_npz_close(out);
    free(z.b);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* Every proper prefix of NumPy's compressed file fails with a message
 * naming the file; every single flipped byte of the stored one fails so
 * or reads (bytes such as timestamps are not checked), never crashes. */
START_TEST(test_every_prefix_and_flip)
{
    genlab_ctx *ctx = tu_ctx(1);
    size_t size;
    unsigned char *b = read_file(NPZ_DIR "compressed.npz", &size);
    genlab_npz *z;
    for (size_t n = 0; n < size; n++) {
        ck_assert_msg(genlab_npz_parse(ctx, b, n, "cut.npz", &z) == GL_ERR_FORMAT,
                      "a prefix of %zu bytes was read", n);
        ck_assert_ptr_null(z);
        ck_assert(strncmp(genlab_ctx_errmsg(ctx), "cut.npz: ", 9) == 0);
        genlab_ctx_clear_error(ctx);
    }
    free(b);
    b = read_file(NPZ_DIR "stored.npz", &size);
    int failed = 0;
    for (size_t i = 0; i < size; i++) {
        b[i] ^= 0x21;
        if (genlab_npz_parse(ctx, b, size, "flip.npz", &z) == GL_OK) {
            genlab_npz_close(z);
        } else {
            ck_assert(strncmp(genlab_ctx_errmsg(ctx), "flip.npz: ", 10) == 0);
            genlab_ctx_clear_error(ctx);
            failed++;
        }
        b[i] ^= 0x21;
    }
    /* the CRC and the headers catch most flips; about a fifth of the bytes
     * are not checked: timestamps, versions, attributes, the local
     * headers' sizes and CRC and their zip64 extras (the directory's
     * count) */
    ck_assert_int_gt(failed, (int)size * 3 / 4);
    free(b);
    genlab_ctx_destroy(ctx);
}
END_TEST

/* ---- writer errors ---- */

static double vals[4] = {1, 2, 3, 4};

static const struct write_case {
    const char      *what;
    genlab_npz_array a[2];
    int              n;
    genlab_status    status;
    const char      *want;
} writes[] = {
    {"empty name", {{"", 1, {4}, vals}}, 1, GL_ERR_INVALID, "array 0: name \"\""},
    {"slash", {{"a/b", 1, {4}, vals}}, 1, GL_ERR_INVALID, "name \"a/b\" (need"},
    {"space", {{"a b", 1, {4}, vals}}, 1, GL_ERR_INVALID, "name \"a b\""},
    {"NULL name", {{NULL, 1, {4}, vals}}, 1, GL_ERR_INVALID, "name \"(null)\""},
    {"twice", {{"mu", 1, {4}, vals}, {"mu", 1, {2}, vals}}, 2, GL_ERR_INVALID,
     "two arrays named 'mu'"},
    {"five dimensions", {{"mu", 5, {1}, vals}}, 1, GL_ERR_INVALID, "array 'mu': shape ?"},
    {"negative dimension", {{"mu", 2, {2, -2}, vals}}, 1, GL_ERR_INVALID,
     "array 'mu': shape (2, -2)"},
    {"over 4 GiB", {{"mu", 2, {1 << 20, 1 << 10}, vals}}, 1, GL_ERR_INVALID,
     "under 4 GiB of float64"},
    {"NULL data", {{"mu", 1, {4}, NULL}}, 1, GL_ERR_INVALID, "array 'mu': NULL data"},
    {"negative count", {{"mu", 1, {4}, vals}}, -1, GL_ERR_INVALID, "-1 arrays"},
};

START_TEST(test_write_errors)
{
    const struct write_case *c = &writes[_i];
    genlab_ctx *ctx = tu_ctx(1);
    char dir[256], path[300];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/out.npz", dir);
    expect_err(ctx, genlab_npz_write(ctx, path, c->a, c->n), c->status, c->want);
    ck_assert_int_eq(access(path, F_OK), -1);    /* nothing written */
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST

START_TEST(test_write_missing_dir)
{
    genlab_ctx *ctx = tu_ctx(1);
    char dir[256], path[300];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/no/such/dir/out.npz", dir);
    genlab_npz_array a = {"mu", 1, {4}, vals};
    expect_err(ctx, genlab_npz_write(ctx, path, &a, 1), GL_ERR_IO, "/no/such/dir/out.npz");
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST

#else  /* test_npz_python */

/* ---- NumPy reads genlab's files ---- */

/* the first of these Pythons that imports numpy (the system one has it) */
static const char *python(void)
{
    static const char *const candidates[] = {"/usr/bin/python3", "python3"};
    for (size_t i = 0; i < N(candidates); i++) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "%s -c 'import numpy' >/dev/null 2>&1", candidates[i]);
        if (system(cmd) == 0)
            return candidates[i];
    }
    return NULL;
}

START_TEST(test_numpy_reads)
{
    genlab_ctx *ctx = tu_ctx(1);
    char dir[256], path[300], cmd[2048];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/stats.npz", dir);
    int n;
    genlab_npz_array *a = make_arrays(&n);
    a[0].data[0] = value(0, 0);     /* check_npz.py's values everywhere */
    a[0].data[1] = value(1, 0);
    a[0].data[2] = value(2, 0);
    a[0].data[4] = value(4, 0);
    a[0].data[5] = value(5, 0);
    ck_assert_int_eq(genlab_npz_write(ctx, path, a, n), GL_OK);
    int off = snprintf(cmd, sizeof cmd, "%s %s/tests/check_npz.py %s", python(), GL_TOP_SRCDIR,
                       path);
    for (int k = 0; k < n; k++) {
        off += snprintf(cmd + off, sizeof cmd - (size_t)off, " %s:", a[k].name);
        for (int d = 0; d < a[k].ndim; d++)
            off += snprintf(cmd + off, sizeof cmd - (size_t)off, d ? ",%lld" : "%lld",
                            (long long)a[k].shape[d]);
    }
    ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
    free_arrays(a, n);
    tu_rmtree(dir);
    genlab_ctx_destroy(ctx);
}
END_TEST
#endif

/* ---- main ---- */

static Suite *suite(void)
{
    Suite *s = suite_create("npz");
    TCase *tc;
#ifdef GL_TEST_PYTHON
    tc = tcase_create("numpy reads");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_numpy_reads);
    suite_add_tcase(s, tc);
#else
    tc = tcase_create("numpy's files");
    tcase_add_loop_test(tc, test_numpy_files, 0, N(numpy_files));
    tcase_add_loop_test(tc, test_refused_files, 0, N(refused_files));
    tcase_add_test(tc, test_open_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("round trip");
    tcase_add_test(tc, test_roundtrip);
    suite_add_tcase(s, tc);
    tc = tcase_create("damaged");
    tcase_add_test(tc, test_built_valid);
    tcase_add_loop_test(tc, test_bad, 0, N(bad));
    tcase_add_test(tc, test_every_prefix_and_flip);
    suite_add_tcase(s, tc);
    tc = tcase_create("writer");
    tcase_add_loop_test(tc, test_write_errors, 0, N(writes));
    tcase_add_test(tc, test_write_missing_dir);
    suite_add_tcase(s, tc);
#endif
    return s;
}

int main(void)
{
#ifdef GL_TEST_PYTHON
    if (!python()) {
        fprintf(stderr, "no python3 with numpy: NumPy reading genlab's .npz not tested\n");
        return 77;
    }
#endif
    return tu_run(suite());
}
