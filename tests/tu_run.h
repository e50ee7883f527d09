/* SPDX-License-Identifier: MIT
 *
 * tu_run.h — the fixture of the suites that train through the library's
 * run loop (test_gan_trainer.c, test_vae_trainer.c, test_vae_mnist.c,
 * test_diffusion_trainer.c): a registry with the suite's plugins, a store
 * in a temporary directory, a configuration resolved from the suite's base
 * arguments, its networks (or data) and a test's overrides, a run that
 * can be stopped after a given step and resumed, queries on the store as a
 * user reads it, and the files a run leaves (checkpoints, PNG sizes).
 * Header-only, for the Check suites; only the public API is used.
 *
 * Sections: fixture, runs, the store and files, resuming.
 */
#ifndef GENLAB_TU_RUN_H
#define GENLAB_TU_RUN_H

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "genlab/genlab.h"
#include "testutil.h"

/* ---- fixture ---- */

typedef struct tu_fixture {
    char                dir[4096], db[4200];
    genlab_registry    *reg;
    genlab_store       *store;
    genlab_config      *cfg;
    const char *const  *base;        /* the suite's arguments (NULL-terminated) */
    const char         *who;         /* the runs' command line: the suite's name */
    char                text[4096];  /* tu_q(): the first column of the first row */
} tu_fixture;

/* tu_setup — a temporary directory holding the store run.db, a registry
 * of plugin_dir with the NULL-terminated plugins (paths) loaded, and the
 * suite's base arguments and name for its runs */
static inline void tu_setup(tu_fixture *f, const char *plugin_dir, const char *const *plugins,
                            const char *const *base, const char *who)
{
    memset(f, 0, sizeof *f);
    f->base = base;
    f->who = who;
    tu_tmpdir(f->dir, sizeof f->dir);
    snprintf(f->db, sizeof f->db, "%s/run.db", f->dir);
    ck_assert_int_eq(genlab_registry_create(plugin_dir, &f->reg), GL_OK);
    for (int i = 0; plugins[i]; i++)
        ck_assert_msg(genlab_plugin_load(f->reg, plugins[i]) == GL_OK, "%s: %s", plugins[i],
                      genlab_registry_errmsg(f->reg));
    ck_assert_int_eq(genlab_store_open(f->db, false, &f->store), GL_OK);
}

static inline void tu_teardown(tu_fixture *f)
{
    genlab_config_destroy(f->cfg);
    ck_assert_int_eq(genlab_store_close(f->store), GL_OK);
    genlab_registry_destroy(f->reg);
    tu_rmtree(f->dir);
}

/* ---- runs ---- */

static inline int tu_count_args(const char *const *args)
{
    int n = 0;
    while (args && args[n])
        n++;
    return n;
}

/* tu_configure — a new resolved configuration: the core's keys, the
 * suite's base arguments, the networks, then the overrides (which win);
 * each a NULL-terminated list, or NULL */
static inline void tu_configure(tu_fixture *f, const char *const *nets, const char *const *more)
{
    genlab_config_destroy(f->cfg);
    ck_assert_int_eq(genlab_config_create(&f->cfg), GL_OK);
    ck_assert_int_eq(genlab_run_declare(f->cfg), GL_OK);
    const char *const *lists[] = {f->base, nets, more};
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(genlab_config_set_args(f->cfg, tu_count_args(lists[i]), lists[i]),
                         GL_OK);
    ck_assert_msg(genlab_config_resolve(f->cfg, f->reg) == GL_OK, "%s",
                  genlab_config_errmsg(f->cfg));
}

/* the progress callback's stop flag, set after `at` steps */
typedef struct tu_stopper {
    int64_t               at;
    volatile sig_atomic_t stop;
} tu_stopper;

static inline void tu_on_progress(void *user, int64_t step, int64_t total, double loss)
{
    (void)total, (void)loss;
    tu_stopper *s = user;
    if (s->at && step == s->at)
        s->stop = 1;
}

/* tu_train — tu_configure and run (stopped after stop_at steps unless 0;
 * resumed from resume unless NULL); returns the status, *r filled */
static inline genlab_status tu_train(tu_fixture *f, const char *const *nets,
                                     const char *const *more, int64_t stop_at,
                                     const char *resume, genlab_run_result *r)
{
    tu_configure(f, nets, more);
    tu_stopper s = {.at = stop_at};
    genlab_run_options o = {.command_line = f->who, .stop = &s.stop,
                            .progress = tu_on_progress, .user = &s, .resume_from = resume};
    return genlab_run_train(f->reg, f->cfg, f->store, &o, r);
}

/* ---- the store and files ---- */

static inline int tu_q_row(void *user, int ncol, const char *const *names,
                           const char *const *values)
{
    (void)ncol, (void)names;
    tu_fixture *f = user;
    if (!f->text[0])
        snprintf(f->text, sizeof f->text, "%s", values[0] ? values[0] : "");
    return 0;
}

/* tu_vq — the first column of the first row of a query, as text ("" if
 * none); the query must run */
static inline const char *tu_vq(tu_fixture *f, const char *fmt, va_list ap)
{
    char sql[2048];
    vsnprintf(sql, sizeof sql, fmt, ap);
    f->text[0] = '\0';
    ck_assert_msg(genlab_store_query(f->store, sql, tu_q_row, f) == GL_OK, "%s: %s", sql,
                  genlab_store_errmsg(f->store));
    return f->text;
}

static inline const char *tu_q(tu_fixture *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline const char *tu_q(tu_fixture *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *text = tu_vq(f, fmt, ap);
    va_end(ap);
    return text;
}

/* tu_ckpt — the path of run r's checkpoint after `step` steps */
static inline const char *tu_ckpt(tu_fixture *f, const genlab_run_result *r, int64_t step,
                                  char *buf, size_t size)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/checkpoints/%s", f->dir, r->uuid);
    return genlab_ckpt_name(buf, size, dir, step);
}

/* tu_png_size — the width and height of the PNG at path */
static inline void tu_png_size(const char *path, int *w, int *h)
{
    genlab_ctx *ctx = tu_ctx(1);
    genlab_image img;
    ck_assert_msg(genlab_image_read(ctx, path, &img) == GL_OK, "%s", genlab_ctx_errmsg(ctx));
    *w = img.width;
    *h = img.height;
    genlab_image_free(&img);
    genlab_ctx_destroy(ctx);
}

/* tu_check_png — the newest artifact of kind is a PNG of w x h */
static inline void tu_check_png(tu_fixture *f, const char *kind, int w, int h)
{
    int pw, ph;
    tu_png_size(tu_q(f, "SELECT path FROM artifacts WHERE kind = '%s' ORDER BY id DESC", kind),
                &pw, &ph);
    ck_assert_msg(pw == w && ph == h, "%s: %d x %d, want %d x %d", kind, pw, ph, w, h);
}

/* ---- resuming ---- */

/* tu_check_resume — run a: nets and more trained to its end (`steps`
 * steps); run b: the same stopped after `stop` steps; run c: b resumed from
 * its checkpoint. c must end at a's step count with a's checkpoint tensors
 * (n_tensors of them at least: tu_same_checkpoints) and have written a's
 * files bit for bit (the same digests), except those whose path is LIKE
 * skip (written before the stop, by b). OUT: *a and *c, for more checks. */
static inline void tu_check_resume(tu_fixture *f, const char *const *nets,
                                   const char *const *more, int64_t stop, int64_t steps,
                                   size_t n_tensors, const char *skip, genlab_run_result *a,
                                   genlab_run_result *c)
{
    genlab_run_result b;
    char end_a[4400], end_c[4400], stop_b[4400];
    ck_assert_msg(tu_train(f, nets, more, 0, NULL, a) == GL_OK, "%s", a->message);
    ck_assert_int_eq(tu_train(f, nets, more, stop, NULL, &b), GL_ERR_INTERRUPTED);
    ck_assert_int_eq(b.steps_done, stop);
    ck_assert_msg(tu_train(f, nets, more, 0, tu_ckpt(f, &b, stop, stop_b, sizeof stop_b), c) ==
                  GL_OK, "%s", c->message);
    ck_assert_int_eq(c->steps_done, steps);
    tu_same_checkpoints(tu_ckpt(f, a, steps, end_a, sizeof end_a),
                        tu_ckpt(f, c, steps, end_c, sizeof end_c), n_tensors);
    const char *digests = "SELECT group_concat(kind || substr(path, -13) || sha256, ' ') FROM "
                          "(SELECT kind, path, sha256 FROM artifacts WHERE run_id = %lld AND "
                          "kind <> 'checkpoint' AND path NOT LIKE '%s' ORDER BY id)";
    char want[4096];
    snprintf(want, sizeof want, "%s", tu_q(f, digests, (long long)a->run_id, skip));
    ck_assert_msg(want[0], "run %lld wrote no files", (long long)a->run_id);
    ck_assert_str_eq(tu_q(f, digests, (long long)c->run_id, skip), want);
}

#endif /* GENLAB_TU_RUN_H */
