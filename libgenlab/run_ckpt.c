/* SPDX-License-Identifier: MIT
 *
 * run_ckpt.c — the run loop's checkpoints (run.h, "Checkpoints"): where
 * they go, what a file holds beyond the trainer's tensors, saving with the
 * artifact record and pruning, and restoring everything before a resumed
 * run's first step. The file format itself is checkpoint.c's.
 *
 * Metadata keys (values are text, as safetensors wants):
 *   genlab.format        "1"
 *   genlab.step          steps done: the resumed run's first step
 *   genlab.run           the uuid of the run that wrote it
 *   genlab.trainer       the trainer component's name
 *   genlab.dataset_hash  the dataset's identity (absent when unknown)
 *   genlab.rng           "seed o0 ... o7": the context's seed and stream counters
 *   genlab.data          "epoch offset d0 ... d7": the loader's position
 *                        (absent without a dataset)
 *   genlab.loss_scale    "scale growth_tracker skipped": the loss scaler's
 *                        state, the scale as %.9g (a float read back
 *                        exactly); absent without loss scaling
 *   genlab.config        the resolved configuration as JSON (for people)
 *
 * Sections: text helpers, directory, saving, restoring.
 */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "run_impl.h"

#define GL_CKPT_FORMAT "1"

/* ---- text helpers ---- */

/* format_state — "p0 p1 v0 v1 ...": n_prefix signed numbers, then n
 * unsigned ones, separated by spaces */
static void format_state(char *buf, size_t size, const int64_t *prefix, int n_prefix,
                         const uint64_t *v, int n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n_prefix && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%" PRId64, used ? " " : "",
                                 prefix[i]);
    for (int i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%" PRIu64, used ? " " : "", v[i]);
}

/* parse_state — the inverse of format_state; false unless the text holds
 * exactly n_prefix + n numbers */
static bool parse_state(const char *text, int64_t *prefix, int n_prefix, uint64_t *v, int n)
{
    if (!text)
        return false;
    const char *p = text;
    char *end;
    for (int i = 0; i < n_prefix + n; i++) {
        errno = 0;
        if (i < n_prefix)
            prefix[i] = strtoll(p, &end, 10);
        else if (*p == '-')
            return false;
        else
            v[i - n_prefix] = strtoull(p, &end, 10);
        if (end == p || errno)
            return false;
        p = end;
    }
    return *p == '\0';
}

/* ---- directory ---- */

/* make_dirs — mkdir -p */
static bool make_dirs(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return errno = ENAMETOOLONG, false;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return false;
        *p = '/';
    }
    return mkdir(buf, 0777) == 0 || errno == EEXIST;
}

typedef genlab_status (*trainer_visit_fn)(void *state, genlab_visit_fn fn, void *user);

static trainer_visit_fn trainer_visit(const gl_run *r)
{
    return GL_IFACE_GET(r->trainer, genlab_trainer_i, visit);
}

genlab_status gl_run_ckpt_dir(gl_run *r)
{
    if (!trainer_visit(r))
        return GL_OK;   /* nothing to save */
    char want[PATH_MAX];
    const char *dir = genlab_config_str(r->cfg, "train.ckpt_dir");
    int n;
    if (dir && *dir) {
        n = snprintf(want, sizeof want, "%s", dir);
    } else {
        char store_path[PATH_MAX];
        snprintf(store_path, sizeof store_path, "%s", genlab_store_path(r->store));
        n = snprintf(want, sizeof want, "%s/checkpoints/%s", dirname(store_path), r->out->uuid);
    }
    if (n < 0 || n >= (int)sizeof want)
        return gl_run_fail(r, GL_ERR_INVALID, "train.ckpt_dir: the path is too long");
    char real[PATH_MAX];
    if (!make_dirs(want) || !realpath(want, real))
        return gl_run_fail(r, GL_ERR_IO, "train.ckpt_dir: cannot create \"%s\": %s", want,
                           strerror(errno));
    if (!(r->ckpt_dir = strdup(real)))
        return gl_run_fail(r, GL_ERR_NOMEM, "out of memory");
    return GL_OK;
}

/* ---- saving ---- */

static genlab_status add_tensor(void *user, const char *name, genlab_tensor *t)
{
    return genlab_ckpt_add_tensor(user, name, t);
}

/* add_meta — the metadata keys of the file comment */
static genlab_status add_meta(gl_run *r, genlab_ckpt_writer *w, int64_t done)
{
    char buf[512];
    uint64_t seed, offsets[GL_STREAM_COUNT];
    genlab_status st = genlab_ckpt_set_meta(w, "genlab.format", GL_CKPT_FORMAT);
    snprintf(buf, sizeof buf, "%" PRId64, done);
    if (st == GL_OK)
        st = genlab_ckpt_set_meta(w, "genlab.step", buf);
    if (st == GL_OK)
        st = genlab_ckpt_set_meta(w, "genlab.run", r->out->uuid);
    if (st == GL_OK)
        st = genlab_ckpt_set_meta(w, "genlab.trainer", r->trainer_c->name);
    if (st == GL_OK && r->dataset_hash)
        st = genlab_ckpt_set_meta(w, "genlab.dataset_hash", r->dataset_hash);
    genlab_rng_state(r->ctx, &seed, offsets);
    uint64_t rng[1 + GL_STREAM_COUNT] = {seed};
    memcpy(rng + 1, offsets, sizeof offsets);
    format_state(buf, sizeof buf, NULL, 0, rng, 1 + GL_STREAM_COUNT);
    if (st == GL_OK)
        st = genlab_ckpt_set_meta(w, "genlab.rng", buf);
    if (st == GL_OK && r->data.loader) {
        gl_loader_pos pos;
        gl_loader_position(r->data.loader, &pos);
        format_state(buf, sizeof buf, (const int64_t[]){pos.epoch, pos.offset}, 2, pos.data_rng,
                     GL_STREAM_COUNT);
        st = genlab_ckpt_set_meta(w, "genlab.data", buf);
    }
    if (st == GL_OK && genlab_loss_scaler_enabled(r->scaler)) {
        genlab_loss_scale_state ls;
        genlab_loss_scaler_get_state(r->scaler, &ls);
        snprintf(buf, sizeof buf, "%.9g %" PRId64 " %" PRId64, (double)ls.scale,
                 ls.growth_tracker, ls.skipped);
        st = genlab_ckpt_set_meta(w, "genlab.loss_scale", buf);
    }
    char *config = genlab_config_json(r->cfg);
    if (st == GL_OK)
        st = config ? genlab_ckpt_set_meta(w, "genlab.config", config)
                    : genlab_errorf(r->ctx, GL_ERR_NOMEM, "out of memory");
    free(config);
    return st;
}

genlab_status gl_run_ckpt_save(gl_run *r, int64_t done)
{
    if (!r->ckpt_dir || done == r->last_ckpt)
        return GL_OK;
    char path[PATH_MAX];
    if (!genlab_ckpt_name(path, sizeof path, r->ckpt_dir, done))
        return genlab_errorf(r->ctx, GL_ERR_INVALID, "%s: the checkpoint path is too long",
                             r->ckpt_dir);
    genlab_ckpt_writer *w;
    genlab_status st = genlab_ckpt_writer_create(r->ctx, &w);
    if (st != GL_OK)
        return st;
    st = trainer_visit(r)(r->trainer_state, add_tensor, w);
    if (st == GL_OK)
        st = add_meta(r, w, done);
    if (st == GL_OK)
        st = genlab_ckpt_write(w, path);
    genlab_ckpt_writer_free(w);
    if (st != GL_OK)
        return genlab_ctx_status(r->ctx) != GL_OK
                   ? st : genlab_errorf(r->ctx, st, "%s: %s", path, genlab_status_str(st));
    if ((st = genlab_store_artifact_add(r->store, r->out->run_id, "checkpoint", path, NULL,
                                        NULL)) != GL_OK)
        return genlab_errorf(r->ctx, st, "recording %s: %s", path, genlab_store_errmsg(r->store));
    if ((st = genlab_ckpt_prune(r->ctx, r->ckpt_dir, (int)r->ckpt_keep)) != GL_OK)
        return st;
    r->last_ckpt = done;
    return GL_OK;
}

/* ---- restoring ---- */

typedef struct restore_ctx {
    gl_run            *r;
    const genlab_ckpt *ck;
    size_t             n_visited;
    const char       **visited;    /* the entries' names the trainer asked for (ck's
                                    * strings: the trainer's may not outlive visit) */
    size_t             cap;
} restore_ctx;

static genlab_status restore_tensor(void *user, const char *name, genlab_tensor *t)
{
    restore_ctx *rc = user;
    genlab_ckpt_entry e;
    genlab_status st = genlab_ckpt_find(rc->r->ctx, rc->ck, name, &e);
    if (st == GL_OK)
        st = genlab_ckpt_read_tensor(rc->r->ctx, rc->ck, name, t);
    if (st == GL_OK && rc->n_visited < rc->cap)
        rc->visited[rc->n_visited++] = e.name;
    return st;
}

/* unvisited — the first entry of ck the trainer did not ask for, or NULL */
static const char *unvisited(const restore_ctx *rc)
{
    genlab_ckpt_entry e;
    for (size_t i = 0; genlab_ckpt_entry_at(rc->ck, i, &e); i++) {
        bool seen = false;
        for (size_t j = 0; !seen && j < rc->n_visited; j++)
            seen = !strcmp(rc->visited[j], e.name);
        if (!seen)
            return e.name;
    }
    return NULL;
}

/* restore_scaler — the loss scaler's state, when the run scales and the
 * checkpoint has one (a run that did not scale then starts from the
 * initial scale) */
static genlab_status restore_scaler(gl_run *r, const genlab_ckpt *ck)
{
    const char *text = genlab_ckpt_meta(ck, "genlab.loss_scale");
    if (!genlab_loss_scaler_enabled(r->scaler) || !text)
        return GL_OK;
    genlab_loss_scale_state ls;
    char *end;
    errno = 0;
    double scale = strtod(text, &end);
    int64_t counts[2];
    uint64_t unused;
    if (end == text || errno || *end != ' ' ||
        !parse_state(end + 1, counts, 2, &unused, 0))
        return gl_run_fail(r, GL_ERR_FORMAT, "%s: no valid \"genlab.loss_scale\" in its "
                           "metadata", genlab_ckpt_path(ck));
    ls = (genlab_loss_scale_state){(float)scale, counts[0], counts[1]};
    genlab_status st = genlab_loss_scaler_set_state(r->ctx, r->scaler, &ls);
    if (st != GL_OK)
        return gl_run_fail(r, st, "%s: genlab.loss_scale: %s", genlab_ckpt_path(ck),
                           genlab_ctx_errmsg(r->ctx));
    r->out->skipped_steps = ls.skipped;
    return GL_OK;
}

/* restore_state — metadata into the context, the loader position, the
 * loss scaler and the first step */
static genlab_status restore_state(gl_run *r, const genlab_ckpt *ck)
{
    const char *path = genlab_ckpt_path(ck);
    const char *hash = genlab_ckpt_meta(ck, "genlab.dataset_hash");
    if (hash && r->dataset_hash && strcmp(hash, r->dataset_hash))
        return gl_run_fail(r, GL_ERR_INVALID, "%s: the dataset has changed since (hash %s then, "
                           "%s now)", path, hash, r->dataset_hash);
    int64_t step;
    uint64_t unused, rng[1 + GL_STREAM_COUNT];
    if (!parse_state(genlab_ckpt_meta(ck, "genlab.step"), &step, 1, &unused, 0) || step < 0)
        return gl_run_fail(r, GL_ERR_FORMAT, "%s: no valid \"genlab.step\" in its metadata", path);
    if (step >= r->steps)
        return gl_run_fail(r, GL_ERR_INVALID, "%s: the run is already %" PRId64 " steps in, and "
                           "train.steps is %" PRId64 ": nothing left to do (raise train.steps)",
                           path, step, r->steps);
    if (!parse_state(genlab_ckpt_meta(ck, "genlab.rng"), NULL, 0, rng, 1 + GL_STREAM_COUNT))
        return gl_run_fail(r, GL_ERR_FORMAT, "%s: no valid \"genlab.rng\" in its metadata", path);
    if (r->dataset) {
        int64_t pos[2];
        if (!parse_state(genlab_ckpt_meta(ck, "genlab.data"), pos, 2, r->resume_pos.data_rng,
                         GL_STREAM_COUNT) ||
            pos[0] < -1 || pos[1] < 0 || pos[1] > r->spec.n_items)
            return gl_run_fail(r, GL_ERR_FORMAT, "%s: no valid \"genlab.data\" (the data "
                               "position) in its metadata", path);
        r->resume_pos.epoch = pos[0];
        r->resume_pos.offset = pos[1];
    }
    genlab_status st = restore_scaler(r, ck);
    if (st != GL_OK)
        return st;
    genlab_rng_restore(r->ctx, rng[0], rng + 1);
    r->first_step = step;
    r->last_ckpt = step;
    return GL_OK;
}

genlab_status gl_run_ckpt_restore(gl_run *r)
{
    const char *path = r->opt.resume_from;
    trainer_visit_fn visit = trainer_visit(r);
    if (!visit)
        return gl_run_fail(r, GL_ERR_UNSUPPORTED, "trainer \"%s\" cannot be checkpointed, so a "
                           "run of it cannot resume", r->trainer_c->name);
    genlab_ckpt *ck;
    genlab_status st = genlab_ckpt_open(r->ctx, path, &ck);
    if (st != GL_OK)
        return gl_run_fail(r, st, "%s", gl_run_why(r, st));
    const char *trainer = genlab_ckpt_meta(ck, "genlab.trainer");
    if (!trainer || strcmp(trainer, r->trainer_c->name)) {
        st = gl_run_fail(r, GL_ERR_INVALID, "%s: written by trainer \"%s\", not \"%s\"", path,
                         trainer ? trainer : "(none)", r->trainer_c->name);
        genlab_ckpt_close(ck);
        return st;
    }
    restore_ctx rc = {.r = r, .ck = ck, .cap = genlab_ckpt_count(ck)};
    rc.visited = calloc(rc.cap ? rc.cap : 1, sizeof *rc.visited);
    if (!rc.visited)
        st = gl_run_fail(r, GL_ERR_NOMEM, "out of memory");
    else if ((st = visit(r->trainer_state, restore_tensor, &rc)) != GL_OK)
        st = gl_run_fail(r, st, "%s", gl_run_why(r, st));
    else if (unvisited(&rc))
        st = gl_run_fail(r, GL_ERR_FORMAT, "%s: holds tensor \"%s\", which trainer \"%s\" does "
                         "not have", path, unvisited(&rc), r->trainer_c->name);
    else if (!r->model)   /* a model for sampling takes the tensors only */
        st = restore_state(r, ck);
    free(rc.visited);
    genlab_ckpt_close(ck);
    return st;
}
