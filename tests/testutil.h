/* SPDX-License-Identifier: MIT
 *
 * testutil.h — helpers shared by the Check suites: a context per test,
 * one component bound through a resolved configuration as a trainer binds
 * it, temporary files and directories, and the suite runner main() that
 * prints Check's summary and sets the exit code.
 */
#ifndef GENLAB_TESTUTIL_H
#define GENLAB_TESTUTIL_H

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "genlab/genlab.h"

/* tu_ctx — a context with the given seed; fails the test if creation fails. */
static inline genlab_ctx *tu_ctx(uint64_t seed)
{
    genlab_ctx_options o = {.seed = seed};
    genlab_ctx *ctx = NULL;
    ck_assert_int_eq(genlab_ctx_create(&o, &ctx), GL_OK);
    return ctx;
}

/* tu_bind — a new configuration (*cfg, freed by the caller) declaring in
 * scope "t" the component parameter decl (a static definition: the
 * configuration keeps it; its name is the prefix of the component's own
 * keys), set to the component called name, with "key=value" arguments of
 * the component's scope (NULL-terminated, may be NULL; when at is not
 * NULL, a value "@rest" stands for at followed by rest), then resolved
 * against reg. Returns resolve's status (the message:
 * genlab_config_errmsg); on GL_OK, *c and *scope are the component and the
 * view of its parameters. */
static inline genlab_status tu_bind(genlab_registry *reg, const genlab_param_def *decl,
                                    const char *name, const char *const *args, const char *at,
                                    genlab_config **cfg, const genlab_component **c,
                                    const genlab_config **scope)
{
    char key[256], value[4400];
    ck_assert_int_eq(genlab_config_create(cfg), GL_OK);
    ck_assert_int_eq(genlab_config_declare(*cfg, "t", decl, 1), GL_OK);
    snprintf(key, sizeof key, "t.%s", decl->name);
    ck_assert_int_eq(genlab_config_set(*cfg, key, name, NULL), GL_OK);
    for (int i = 0; args && args[i]; i++) {
        const char *eq = strchr(args[i], '=');
        ck_assert_ptr_nonnull(eq);
        snprintf(key, sizeof key, "%s.%.*s", decl->name, (int)(eq - args[i]), args[i]);
        if (at && eq[1] == '@')
            snprintf(value, sizeof value, "%s%s", at, eq + 2);
        else
            snprintf(value, sizeof value, "%s", eq + 1);
        ck_assert_int_eq(genlab_config_set(*cfg, key, value, NULL), GL_OK);
    }
    genlab_status st = genlab_config_resolve(*cfg, reg);
    if (st == GL_OK)
        ck_assert_int_eq(genlab_config_component(genlab_config_scope(*cfg, "t"), decl->name,
                                                 decl->kind, c, scope), GL_OK);
    return st;
}

/* tu_shape — a compound literal helper: TU_SHAPE(2, 3) */
#define TU_SHAPE(...) ((const int64_t[]){__VA_ARGS__})

/* An op error case: f builds something that must fail with status, and the
 * context's message must contain want. */
typedef struct tu_err_case {
    const char    *want;     /* substring of the message */
    genlab_status  status;
    genlab_tensor *(*f)(genlab_ctx *ctx);
} tu_err_case;

/* tu_check_error — run one error case on a fresh context; clearing the error
 * must bring the context back to GL_OK. */
static inline void tu_check_error(const tu_err_case *e)
{
    genlab_ctx *ctx = tu_ctx(1);
    ck_assert_ptr_null(e->f(ctx));
    ck_assert_int_eq(genlab_ctx_status(ctx), e->status);
    ck_assert_msg(strstr(genlab_ctx_errmsg(ctx), e->want) != NULL, "message '%s' lacks '%s'",
                  genlab_ctx_errmsg(ctx), e->want);
    genlab_ctx_clear_error(ctx);
    ck_assert_int_eq(genlab_ctx_status(ctx), GL_OK);
    genlab_ctx_destroy(ctx);
}

/* tu_tmpdir — a new empty directory under $TMPDIR (or /tmp) into buf;
 * fails the test if it cannot be made. Remove it with tu_rmtree. */
static inline const char *tu_tmpdir(char *buf, size_t size)
{
    const char *base = getenv("TMPDIR");
    snprintf(buf, size, "%s/genlab-test-XXXXXX", base && *base ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(buf));
    return buf;
}

/* tu_write — write size bytes of data (or the string data when size is
 * (size_t)-1) to path, replacing it. */
static inline void tu_write(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    if (size == (size_t)-1)
        size = strlen(data);
    ck_assert_uint_eq(fwrite(data, 1, size, f), size);
    ck_assert_int_eq(fclose(f), 0);
}

/* tu_copy — copy the file src to dst. */
static inline void tu_copy(const char *src, const char *dst)
{
    FILE *f = fopen(src, "rb");
    ck_assert_msg(f != NULL, "cannot read %s", src);
    char *buf = NULL;
    size_t size = 0, cap = 0, n;
    do {
        if (size == cap)
            ck_assert_ptr_nonnull(buf = realloc(buf, cap = cap ? 2 * cap : 65536));
        n = fread(buf + size, 1, cap - size, f);
        size += n;
    } while (n > 0);
    fclose(f);
    tu_write(dst, buf, size);
    free(buf);
}

/* tu_rmtree — remove dir and everything in it (files, links, fifos,
 * directories, recursively; links are removed, not followed). */
static inline void tu_rmtree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            tu_rmtree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* tu_run — run one suite; returns the process exit status. */
static inline int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* tu_same_checkpoints — the checkpoint files a and b hold the same tensors,
 * byte for byte, and at least `at_least` of them */
static inline void tu_same_checkpoints(const char *a, const char *b, size_t at_least)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_ckpt *ca, *cb;
    ck_assert_int_eq(genlab_ckpt_open(ctx, a, &ca), GL_OK);
    ck_assert_int_eq(genlab_ckpt_open(ctx, b, &cb), GL_OK);
    ck_assert_int_eq(genlab_ckpt_count(ca), genlab_ckpt_count(cb));
    ck_assert_uint_ge(genlab_ckpt_count(ca), at_least);
    genlab_ckpt_entry ea, eb;
    for (size_t i = 0; genlab_ckpt_entry_at(ca, i, &ea); i++) {
        ck_assert_int_eq(genlab_ckpt_find(ctx, cb, ea.name, &eb), GL_OK);
        ck_assert_int_eq(ea.nbytes, eb.nbytes);
        ck_assert_msg(!memcmp(ea.data, eb.data, ea.nbytes), "%s differs", ea.name);
    }
    genlab_ckpt_close(ca);
    genlab_ckpt_close(cb);
    genlab_ctx_destroy(ctx);
}

#endif
