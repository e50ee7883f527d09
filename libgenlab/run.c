/* SPDX-License-Identifier: MIT
 *
 * run.c — the run loop of run.h: the core's parameters, the batch source
 * the core owns, setup (context, dataset, trainer) before anything is
 * written, the run's record, the step loop and its three endings.
 *
 * It is not a trainer: what a step does belongs to the trainer plugin.
 * It prints nothing and never exits; every failure becomes a status and a
 * message in the caller's genlab_run_result (and, once the run's row
 * exists, in that row).
 *
 * Sections: the core's parameters, optimizer, data, setup, curves, the run,
 * a trained model.
 *
 * Precision and loss scaling: setup sets train.precision on the context
 * (an error naming it where the backend cannot) and makes the run's loss
 * scaler (train.loss_scale), which the trainer's networks take through
 * the host (run_trainer.c unscales and skips); the loop updates it after
 * each step and logs its scale, run_ckpt.c saves and restores it.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run_impl.h"

/* ---- the core's parameters ---- */

static const char *const optim_names[] = {"adam", "adamw", "sgd", NULL};
static const char *const schedule_names[] = {"constant", "linear", "cosine", NULL};

static const genlab_param_def train_params[] = {
    {.name = "trainer", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_TRAINER,
     .flags = GL_PARAM_SCOPE_BY_NAME,
     .help = "what one training step is (its parameters live under its own name)"},
    {.name = "dataset", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_DATASET, .def = "",
     .help = "the training data, split \"train\" (none by default; parameters under dataset.*)"},
    {.name = "steps", .type = GL_PARAM_INT, .def = "1000", .min = "1", .max = "1000000000000",
     .help = "optimisation steps"},
    {.name = "batch", .type = GL_PARAM_INT, .def = "64", .min = "1", .max = "65536",
     .help = "items per batch"},
    {.name = "seed", .type = GL_PARAM_INT, .def = "0", .min = "0",
     .max = "9223372036854775807", .help = "seeds the context's random numbers and the data order"},
    {.name = "threads", .type = GL_PARAM_INT, .def = "0", .min = "0", .max = "1024",
     .help = "kernel threads (0: OpenMP's default)"},
    {.name = "backend", .type = GL_PARAM_STRING, .def = "auto",
     .help = "where kernels run: cpu, cuda (a loaded backend plugin) or auto (a plugin whose "
             "probe accepts this machine, else cpu); recorded as the backend used"},
    {.name = "device", .type = GL_PARAM_STRING, .def = "",
     .help = "recorded, not read: the device the run used (the GPU's name, or \"cpu\")"},
    {.name = "precision", .type = GL_PARAM_ENUM, .def = "fp32",
     .choices = genlab_precision_names,
     .help = "compute type of matrix products and convolutions (parameters stay float32): "
             "fp32, tf32, bf16 or f16 (these three need a backend that has them: cuda)"},
    {.name = "loss_scale", .type = GL_PARAM_STRING, .def = "auto",
     .help = "loss scaling: none, dynamic (GradScaler: skips steps with inf/NaN gradients), a "
             "positive number (fixed), or auto (dynamic with f16, else none); recorded resolved"},
    {.name = "loss_scale_init", .type = GL_PARAM_FLOAT, .def = "65536", .min = "1e-30",
     .max = "3.4e38", .help = "the first scale of dynamic loss scaling"},
    {.name = "log_every", .type = GL_PARAM_INT, .def = "10", .min = "1", .max = "1000000000",
     .help = "steps between logged curve points (step 0 and the last are always logged)"},
    {.name = "name", .type = GL_PARAM_STRING, .def = "", .help = "the run's label"},
    {.name = "drop_last", .type = GL_PARAM_BOOL, .def = "true",
     .help = "drop each epoch's last, incomplete batch (false: return it short)"},
    {.name = "prefetch", .type = GL_PARAM_BOOL, .def = "true",
     .help = "read the next batch on a thread of its own while a step runs"},
    {.name = "ckpt_every", .type = GL_PARAM_INT, .def = "1000", .min = "0",
     .max = "1000000000000",
     .help = "steps between checkpoints (0: only at the end or when stopped)"},
    {.name = "ckpt_keep", .type = GL_PARAM_INT, .def = "3", .min = "1", .max = "1000000",
     .help = "checkpoints kept (the newest)"},
    {.name = "ckpt_dir", .type = GL_PARAM_STRING, .def = "",
     .help = "where checkpoints go (default: checkpoints/<run uuid> beside the store)"},
};

static const genlab_param_def optim_params[] = {
    {.name = "name", .type = GL_PARAM_ENUM, .def = "adam", .choices = optim_names,
     .help = "optimizer (as torch.optim)"},
    {.name = "lr", .type = GL_PARAM_FLOAT, .def = "1e-3", .min = "0", .max = "10",
     .help = "base learning rate"},
    {.name = "beta1", .type = GL_PARAM_FLOAT, .def = "0.9", .min = "0", .max = "1",
     .help = "Adam's first-moment decay (< 1)"},
    {.name = "beta2", .type = GL_PARAM_FLOAT, .def = "0.999", .min = "0", .max = "1",
     .help = "Adam's second-moment decay (< 1)"},
    {.name = "eps", .type = GL_PARAM_FLOAT, .def = "1e-8", .min = "1e-30", .max = "1",
     .help = "Adam's denominator term"},
    {.name = "momentum", .type = GL_PARAM_FLOAT, .def = "0", .min = "0", .max = "1",
     .help = "SGD momentum"},
    {.name = "nesterov", .type = GL_PARAM_BOOL, .def = "false",
     .help = "SGD with Nesterov momentum (needs momentum > 0)"},
    {.name = "weight_decay", .type = GL_PARAM_FLOAT, .def = "0", .min = "0", .max = "10",
     .help = "L2 (adam, sgd) or decoupled (adamw) weight decay"},
    {.name = "schedule", .type = GL_PARAM_ENUM, .def = "constant", .choices = schedule_names,
     .help = "learning-rate schedule after the warm-up"},
    {.name = "warmup", .type = GL_PARAM_INT, .def = "0", .min = "0", .max = "1000000000000",
     .help = "steps of linear warm-up"},
    {.name = "final_lr", .type = GL_PARAM_FLOAT, .def = "0", .min = "0", .max = "10",
     .help = "learning rate at the end of a linear or cosine schedule"},
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    const char             *scope;
    const genlab_param_def *defs;
    size_t                  n;
} core_tables[] = {
    {"train", train_params, N_OF(train_params)},
    {"optim", optim_params, N_OF(optim_params)},
};

genlab_status genlab_run_declare(genlab_config *cfg)
{
    if (!cfg)
        return GL_ERR_INVALID;
    genlab_status st = GL_OK;
    for (size_t t = 0; st == GL_OK && t < N_OF(core_tables); t++)
        st = genlab_config_declare(cfg, core_tables[t].scope, core_tables[t].defs,
                                   core_tables[t].n);
    return st;
}

bool genlab_run_param(size_t i, const char **scope, genlab_param_def *out)
{
    for (size_t t = 0; t < N_OF(core_tables); t++) {
        if (i < core_tables[t].n) {
            if (scope)
                *scope = core_tables[t].scope;
            *out = core_tables[t].defs[i];
            return true;
        }
        i -= core_tables[t].n;
    }
    return false;
}

/* ---- optimizer ---- */

/* index_of — the position of text in a NULL-terminated list (0 if absent:
 * a resolved enum is always present) */
static int index_of(const char *const *list, const char *text)
{
    for (int i = 0; text && list[i]; i++)
        if (!strcmp(list[i], text))
            return i;
    return 0;
}

genlab_status genlab_run_optim(genlab_ctx *ctx, const genlab_config *cfg,
                               genlab_optim_options *opts, genlab_lr_schedule *sched)
{
    const genlab_config *root = genlab_config_root(cfg);
    static const genlab_optim_kind kinds[] = {GL_OPTIM_ADAM, GL_OPTIM_ADAMW, GL_OPTIM_SGD};
    static const genlab_lr_kind lr_kinds[] = {GL_LR_CONSTANT, GL_LR_LINEAR, GL_LR_COSINE};
    genlab_optim_options o =
        genlab_optim_defaults(kinds[index_of(optim_names, genlab_config_str(root, "optim.name"))]);
    o.lr = genlab_config_float(root, "optim.lr");
    o.beta1 = genlab_config_float(root, "optim.beta1");
    o.beta2 = genlab_config_float(root, "optim.beta2");
    o.eps = genlab_config_float(root, "optim.eps");
    o.momentum = genlab_config_float(root, "optim.momentum");
    o.nesterov = genlab_config_bool(root, "optim.nesterov");
    o.weight_decay = genlab_config_float(root, "optim.weight_decay");
    genlab_lr_schedule s = {
        .kind = lr_kinds[index_of(schedule_names, genlab_config_str(root, "optim.schedule"))],
        .base_lr = o.lr,
        .final_lr = genlab_config_float(root, "optim.final_lr"),
        .warmup_steps = genlab_config_int(root, "optim.warmup"),
        .total_steps = genlab_config_int(root, "train.steps"),
    };
    if (genlab_config_status(root) != GL_OK)
        return genlab_errorf(ctx, GL_ERR_INVALID, "genlab_run_optim: %s",
                             genlab_config_errmsg(root));
    genlab_status st = genlab_lr_schedule_check(ctx, &s);
    if (st != GL_OK)
        return st;
    if (opts)
        *opts = o;
    if (sched)
        *sched = s;
    return GL_OK;
}

/* ---- data ---- */

double gl_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* data_next — the trainer's batch source: the loader's next batch, timed */
static genlab_status data_next(genlab_ctx *ctx, void *context, genlab_batch *out)
{
    gl_data *d = context;
    *out = (genlab_batch){NULL, NULL};
    if (!d->loader)
        return genlab_errorf(ctx, GL_ERR_STATE,
                             "trainer \"%s\" reads batches, but no dataset is configured "
                             "(set train.dataset)", d->trainer);
    double t0 = gl_now_seconds();
    genlab_status st = gl_loader_next(ctx, d->loader, out);
    d->seconds += gl_now_seconds() - t0;
    return st;
}

/* ---- setup ---- */

/* fail — record status and message in the result (the first one stays). */
genlab_status gl_run_fail(gl_run *r, genlab_status st, const char *fmt, ...)
{
    if (r->out->code != GL_OK)
        return r->out->code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->out->message, sizeof r->out->message, fmt, ap);
    va_end(ap);
    r->out->code = st;
    return st;
}

/* ctx_why — the context's message, or the status's text when it has none */
const char *gl_run_why(const gl_run *r, genlab_status st)
{
    const char *m = r->ctx ? genlab_ctx_errmsg(r->ctx) : "";
    return *m ? m : genlab_status_str(st);
}

/* plugin_bug — a create() that read the configuration amiss (an
 * undeclared key, a wrong type) fails here instead of running on zeros */
static genlab_status check_config(gl_run *r, const char *who)
{
    if (genlab_config_status(r->cfg) == GL_OK)
        return GL_OK;
    return gl_run_fail(r, genlab_config_status(r->cfg), "%s: %s", who, genlab_config_errmsg(r->cfg));
}

static genlab_status open_dataset(gl_run *r)
{
    const genlab_config *scope;
    genlab_status st = genlab_config_component(r->cfg, "train.dataset", GL_KIND_DATASET,
                                               &r->dataset_c, &scope);
    if (st != GL_OK)
        return gl_run_fail(r, st, "%s", genlab_config_errmsg(r->cfg));
    if (!r->dataset_c)
        return GL_OK;   /* none configured: data_next says so if the trainer reads */
    const genlab_dataset_i *ds = r->dataset_c->iface;
    st = ds->open(&r->host, scope, "train", &r->spec, &r->dataset_state);
    if (st != GL_OK)
        return gl_run_fail(r, st, "dataset \"%s\": open: %s", r->dataset_c->name,
                           gl_run_why(r, st));
    r->dataset = ds;
    if ((st = check_config(r, "dataset")) != GL_OK)
        return st;
    if (r->spec.n_items < 1)
        return gl_run_fail(r, GL_ERR_INVALID, "dataset \"%s\" has no items", r->dataset_c->name);
    const char *(*identity)(void *) = GL_IFACE_GET(ds, genlab_dataset_i, identity);
    r->dataset_hash = identity ? identity(r->dataset_state) : NULL;
    return GL_OK;
}

/* start_loader — the data loader, at the start or at a checkpoint's position */
static genlab_status start_loader(gl_run *r)
{
    if (!r->dataset)
        return GL_OK;
    gl_loader_options lo = {
        .ds = r->dataset, .state = r->dataset_state, .name = r->dataset_c->name,
        .spec = r->spec, .seed = r->seed, .batch = genlab_config_int(r->cfg, "train.batch"),
        .drop_last = genlab_config_bool(r->cfg, "train.drop_last"),
        .prefetch = genlab_config_bool(r->cfg, "train.prefetch"),
    };
    genlab_status st = gl_loader_create(r->ctx, &lo, r->opt.resume_from ? &r->resume_pos : NULL,
                                        &r->data.loader);
    return st == GL_OK ? GL_OK : gl_run_fail(r, st, "%s", gl_run_why(r, st));
}

/* setup — read the core's keys, make the context, open the dataset, create
 * the trainer, restore a checkpoint and start the loader: all before the
 * run's row exists */
static genlab_status setup(gl_run *r)
{
    const genlab_config *cfg = r->cfg;
    if (genlab_config_count(cfg) == 0)
        return gl_run_fail(r, GL_ERR_STATE, "genlab_run_train: the configuration is not resolved");
    r->steps = genlab_config_int(cfg, "train.steps");
    r->log_every = genlab_config_int(cfg, "train.log_every");
    r->ckpt_every = genlab_config_int(cfg, "train.ckpt_every");
    r->ckpt_keep = genlab_config_int(cfg, "train.ckpt_keep");
    int64_t seed = genlab_config_int(cfg, "train.seed");
    int64_t threads = genlab_config_int(cfg, "train.threads");
    genlab_precision precision = (genlab_precision)index_of(
        genlab_precision_names, genlab_config_str(cfg, "train.precision"));
    const char *loss_scale = genlab_config_str(cfg, "train.loss_scale");
    double scale_init = genlab_config_float(cfg, "train.loss_scale_init");
    if (genlab_config_status(cfg) != GL_OK)
        return gl_run_fail(r, GL_ERR_STATE, "genlab_run_train: %s (declare the core's keys with "
                           "genlab_run_declare)", genlab_config_errmsg(cfg));
    genlab_loss_scale_options scaling;
    if (!strcmp(loss_scale, "auto"))
        scaling = genlab_loss_scale_auto(precision);
    else if (!genlab_loss_scale_parse(loss_scale, &scaling))
        return gl_run_fail(r, GL_ERR_INVALID, "train.loss_scale: \"%s\" is not auto, none, "
                           "dynamic or a positive number (a float's range)", loss_scale);
    if (scaling.kind == GL_LOSS_SCALE_DYNAMIC)
        scaling.init_scale = scale_init;
    r->out->steps_total = r->steps;
    if (!r->model)   /* a model's context is seeded by its caller */
        r->seed = (uint64_t)seed;

    const char *backend = genlab_config_str(cfg, "train.backend");
    genlab_ctx_options co = {.seed = r->seed, .n_threads = (int)threads,
                             .backend = backend, .registry = r->reg};
    genlab_status st = genlab_ctx_create(&co, &r->ctx);
    if (st == GL_ERR_UNSUPPORTED)
        return gl_run_fail(r, st, "cannot create the context: %s",
                           genlab_registry_errmsg(r->reg));
    if (st != GL_OK)
        return gl_run_fail(r, st, "cannot create the context: %s", genlab_status_str(st));
    if ((st = genlab_run_optim(r->ctx, cfg, NULL, &r->lr)) != GL_OK)
        return gl_run_fail(r, st, "%s", gl_run_why(r, st));
    genlab_host_init(&r->host, r->reg, r->ctx, cfg);
    /* a model samples in fp32 and does not train: it can be opened on a
     * backend without the precision its run had */
    if (!r->model) {
        if ((st = genlab_ctx_set_precision(r->ctx, precision)) != GL_OK)
            return gl_run_fail(r, st, "train.%s", genlab_ctx_errmsg(r->ctx));
        if ((st = genlab_loss_scaler_create(r->ctx, &scaling, &r->scaler)) != GL_OK)
            return gl_run_fail(r, st, "train.loss_scale: %s", genlab_ctx_errmsg(r->ctx));
        if (genlab_loss_scaler_enabled(r->scaler))
            r->host.loss_scaler = r->scaler;
    }

    const genlab_config *scope;
    if ((st = genlab_config_component(cfg, "train.trainer", GL_KIND_TRAINER, &r->trainer_c,
                                      &scope)) != GL_OK)
        return gl_run_fail(r, st, "%s", genlab_config_errmsg(cfg));
    r->data.trainer = r->trainer_c->name;
    if ((st = open_dataset(r)) != GL_OK)
        return st;
    r->trainer = r->trainer_c->iface;
    st = r->trainer->create(&r->host, scope, &r->spec, &r->trainer_state);
    if (st != GL_OK) {
        r->trainer_state = NULL;
        return gl_run_fail(r, st, "trainer \"%s\": create: %s", r->trainer_c->name,
                           gl_run_why(r, st));
    }
    if ((st = check_config(r, "trainer")) != GL_OK)
        return st;
    if (r->opt.resume_from && (st = gl_run_ckpt_restore(r)) != GL_OK)
        return st;
    return r->model ? GL_OK : start_loader(r);
}

static void teardown(gl_run *r)
{
    gl_loader_destroy(r->data.loader);   /* first: its thread reads the dataset */
    if (r->trainer_state)
        r->trainer->destroy(r->trainer_state);
    if (r->dataset)
        r->dataset->close(r->dataset_state);
    free(r->ckpt_dir);
    genlab_loss_scaler_destroy(r->scaler);
    genlab_ctx_destroy(r->ctx);
}

/* ---- curves ---- */

/* What the loop keeps of a step for the curves. */
typedef struct gl_point {
    int64_t             step;
    genlab_step_metrics m;
    double              lr, data_time, step_time;   /* times: window means */
} gl_point;

/* log_point — write one point's rows through the buffered logger */
static genlab_status log_point(gl_run *r, const gl_point *p)
{
    double t0 = gl_now_seconds();
    genlab_store *s = r->store;
    int64_t id = r->out->run_id;
    genlab_status st = GL_OK;
    bool own_lr = false;
    for (int i = 0; st == GL_OK && i < p->m.n; i++) {
        own_lr = own_lr || !strcmp(p->m.name[i], "lr");
        st = genlab_store_metric(s, id, p->step, p->m.name[i], p->m.value[i]);
    }
    if (st == GL_OK && !own_lr)
        st = genlab_store_metric(s, id, p->step, "lr", p->lr);
    if (st == GL_OK)
        st = genlab_store_metric(s, id, p->step, "data_time", p->data_time);
    if (st == GL_OK)
        st = genlab_store_metric(s, id, p->step, "step_time", p->step_time);
    r->out->log_seconds += gl_now_seconds() - t0;
    if (st != GL_OK)
        return gl_run_fail(r, st, "logging step %" PRId64 ": %s", p->step, genlab_store_errmsg(s));
    return GL_OK;
}

/* progress_loss — the scalar named "loss", else the first, else NaN */
static double progress_loss(const genlab_step_metrics *m)
{
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->name[i], "loss"))
            return m->value[i];
    return m->n ? m->value[0] : NAN;
}

/* ---- the run ---- */

/* record — the run's row and every resolved parameter */
static genlab_status record(gl_run *r)
{
    genlab_run_result *out = r->out;
    char *plugins = genlab_registry_json(r->reg, true);
    char *config = genlab_config_json(r->cfg);
    const char *name = genlab_config_str(r->cfg, "train.name");
    genlab_run_info info = {
        .name = name && *name ? name : NULL,
        .trainer = r->trainer_c->name,
        .seed = (int64_t)r->seed,
        .has_seed = true,
        .command_line = r->opt.command_line,
        .config_json = config,
        .plugin_versions_json = plugins,
        .dataset_hash = r->dataset_hash,
        .parent_uuid = r->opt.parent_uuid,
        .sweep = r->opt.sweep,
        .sweep_point = r->opt.sweep_point,
    };
    genlab_status st = plugins && config ? GL_OK : GL_ERR_NOMEM;
    if (st == GL_OK)
        st = genlab_store_run_begin(r->store, &info, &out->run_id, out->uuid);
    free(plugins);
    free(config);
    if (st != GL_OK) {
        out->run_id = 0;
        out->uuid[0] = '\0';
        return gl_run_fail(r, st, "%s", st == GL_ERR_NOMEM ? "out of memory"
                                                     : genlab_store_errmsg(r->store));
    }
    /* the configuration, with where it ran in place of what was asked:
     * train.backend is the backend chosen ("auto" resolved), train.device
     * its device, train.loss_scale "auto" the scaling it chose. All stay
     * declared keys, so the recorded parameters resolve again (genlab
     * score, resume). */
    size_t n = genlab_config_count(r->cfg);
    genlab_param_row *rows = calloc(n ? n : 1, sizeof *rows);
    if (!rows)
        return gl_run_fail(r, GL_ERR_NOMEM, "out of memory for %zu parameters", n);
    for (size_t i = 0; i < n; i++) {
        const genlab_config_item *it = genlab_config_item_at(r->cfg, i);
        rows[i] = (genlab_param_row){it->key, it->value, it->type};
        if (strcmp(it->key, "train.backend") == 0)
            rows[i].value = genlab_ctx_backend_name(r->ctx);
        else if (strcmp(it->key, "train.device") == 0)
            rows[i].value = genlab_ctx_device_name(r->ctx);
        else if (strcmp(it->key, "train.loss_scale") == 0 && strcmp(it->value, "auto") == 0)
            rows[i].value = genlab_loss_scaler_enabled(r->scaler) ? "dynamic" : "none";
    }
    st = genlab_store_run_params(r->store, out->run_id, rows, n);
    free(rows);
    if (st != GL_OK)
        return gl_run_fail(r, st, "recording the parameters: %s", genlab_store_errmsg(r->store));
    return GL_OK;
}

/* non_finite — the first scalar of m that is NaN or infinite, or -1 */
static int non_finite(const genlab_step_metrics *m)
{
    for (int i = 0; i < m->n; i++)
        if (!isfinite(m->value[i]))
            return i;
    return -1;
}

/* scaling_metrics — the end of a step for the loss scaler (update: the
 * scale backs off after a skipped step, grows after enough finite ones)
 * and, when the step used it, its curves: "loss_scale", the scale the step
 * multiplied its losses by, and "skipped_steps", the steps left out so far */
static void scaling_metrics(gl_run *r, genlab_step_metrics *m)
{
    genlab_loss_scale_state used, after;
    genlab_loss_scaler_get_state(r->scaler, &used);
    if (!genlab_loss_scaler_update(r->scaler))
        return;
    genlab_loss_scaler_get_state(r->scaler, &after);
    genlab_step_metric(m, "loss_scale", used.scale);
    genlab_step_metric(m, "skipped_steps", (double)after.skipped);
    r->out->skipped_steps = after.skipped;
}

/* loop — the steps. Returns GL_OK after the last step, GL_ERR_INTERRUPTED
 * when stopped, or the failure (recorded in the result). */
static genlab_status loop(gl_run *r)
{
    genlab_run_result *out = r->out;
    gl_point last = {.step = -1};
    bool last_logged = true;
    double win_step = 0, win_data = 0;   /* sums over the steps since the last point */
    int64_t win_n = 0;
    genlab_batch_source source = {data_next, &r->data};
    genlab_status st;
    double t_loop = gl_now_seconds();

    out->steps_done = r->first_step;
    for (int64_t step = r->first_step; step < r->steps; step++) {
        if (r->opt.stop && *r->opt.stop) {
            gl_run_fail(r, GL_ERR_INTERRUPTED, "interrupted after %" PRId64 " of %" PRId64
                      " steps", step, r->steps);
            break;
        }
        genlab_ctx_step_begin(r->ctx);
        genlab_step_metrics m = {0};
        r->data.seconds = 0;
        double t0 = gl_now_seconds();
        st = r->trainer->step(r->ctx, r->trainer_state, step, &source, &m);
        double dt = gl_now_seconds() - t0;
        out->step_seconds += dt;
        if (st == GL_OK)
            st = genlab_ctx_status(r->ctx);
        if (st != GL_OK) {
            gl_run_fail(r, st, "step %" PRId64 ": %s", step, gl_run_why(r, st));
            break;
        }
        scaling_metrics(r, &m);
        win_step += dt;
        win_data += r->data.seconds;
        win_n++;
        last = (gl_point){step, m, genlab_lr_at(&r->lr, step), win_data / (double)win_n,
                          win_step / (double)win_n};
        int bad = non_finite(&m);
        last_logged = bad >= 0 || step % r->log_every == 0 || step == r->steps - 1;
        if (last_logged) {
            win_step = win_data = 0;
            win_n = 0;
            if ((st = log_point(r, &last)) != GL_OK)
                break;
        }
        if (bad >= 0) {
            gl_run_fail(r, GL_ERR_NUMERIC, "step %" PRId64 ": metric \"%s\" is %g", step,
                      m.name[bad], m.value[bad]);
            break;
        }
        out->steps_done = step + 1;
        out->loss = progress_loss(&m);
        if (r->opt.progress)
            r->opt.progress(r->opt.user, step + 1, r->steps, out->loss);
        /* the last step's checkpoint is the end's (finish_checkpoint) */
        if (r->ckpt_every && (step + 1) % r->ckpt_every == 0 && step + 1 < r->steps &&
            (st = gl_run_ckpt_save(r, step + 1)) != GL_OK) {
            gl_run_fail(r, st, "checkpoint after step %" PRId64 ": %s", step + 1,
                        gl_run_why(r, st));
            break;
        }
    }
    /* a run that stops early ends its curves at the last step it did */
    if (!last_logged)
        log_point(r, &last);
    out->seconds = gl_now_seconds() - t_loop;
    return out->code;
}

/* finish_checkpoint — a completed or interrupted run saves where it
 * stopped (a failed one keeps its last good checkpoint). A checkpoint that
 * cannot be written fails a completed run; an interrupted one says so in
 * its message. */
static void finish_checkpoint(gl_run *r, genlab_status st)
{
    genlab_run_result *out = r->out;
    if ((st != GL_OK && st != GL_ERR_INTERRUPTED) || out->steps_done == r->first_step)
        return;
    genlab_status cs = gl_run_ckpt_save(r, out->steps_done);
    if (cs == GL_OK)
        return;
    if (st == GL_OK) {
        gl_run_fail(r, cs, "checkpoint after step %" PRId64 ": %s", out->steps_done,
                    gl_run_why(r, cs));
        return;
    }
    size_t used = strlen(out->message);
    snprintf(out->message + used, sizeof out->message - used, "; no checkpoint: %s",
             gl_run_why(r, cs));
}

/* finish — the row's final status; the store flushes buffered metrics
 * first, so an interrupted run has every point it logged */
static void finish(gl_run *r, genlab_status st)
{
    genlab_run_result *out = r->out;
    double t0 = gl_now_seconds();
    genlab_status end;
    if (st == GL_OK)
        end = genlab_store_run_end(r->store, out->run_id, GL_RUN_COMPLETED, GL_OK, NULL);
    else if (st == GL_ERR_INTERRUPTED)
        end = genlab_store_run_mark_interrupted(r->store, out->run_id, out->message);
    else
        end = genlab_store_run_end(r->store, out->run_id, GL_RUN_FAILED, st, out->message);
    out->log_seconds += gl_now_seconds() - t0;   /* the final flush is logging too */
    out->status = st == GL_OK ? GL_RUN_COMPLETED
                              : st == GL_ERR_INTERRUPTED ? GL_RUN_INTERRUPTED : GL_RUN_FAILED;
    if (end == GL_OK)
        return;
    /* the row could not be closed (it stays 'running' until a later open
     * finds its process gone): say so after the run's own message */
    size_t used = strlen(out->message);
    snprintf(out->message + used, sizeof out->message - used, "%sending the run: %s",
             used ? "; " : "", genlab_store_errmsg(r->store));
    if (out->code == GL_OK)
        out->code = end;
}

/* host_artifact — the host's artifact service (plugin.h): a file of the
 * run's, recorded in its store. The host is the one embedded in gl_run. */
static genlab_status host_artifact(const genlab_host *host, const char *kind, const char *path)
{
    const gl_run *r = (const gl_run *)(const void *)((const char *)host - offsetof(gl_run, host));
    if (!kind || !*kind || !path)
        return genlab_errorf(r->ctx, GL_ERR_INVALID, "host artifact: a kind and a path are "
                             "needed");
    genlab_status st = genlab_store_artifact_add(r->store, r->out->run_id, kind, path, NULL, NULL);
    if (st != GL_OK)
        return genlab_errorf(r->ctx, st, "recording %s \"%s\": %s", kind, path,
                             genlab_store_errmsg(r->store));
    return GL_OK;
}

/* host_score — the host's score service (plugin.h): a score the trainer
 * computed, stored with the run at the step it names. */
static genlab_status host_score(const genlab_host *host, int64_t step, const char *metric,
                                double value, bool higher_is_better, int64_t n_samples,
                                const char *protocol_json)
{
    const gl_run *r = (const gl_run *)(const void *)((const char *)host - offsetof(gl_run, host));
    if (!metric || !*metric)
        return genlab_errorf(r->ctx, GL_ERR_INVALID, "host score: a metric name is needed");
    const genlab_score_row row = {.step = step, .metric = metric, .value = value,
                                  .higher_is_better = higher_is_better, .n_samples = n_samples,
                                  .seed = (int64_t)r->seed, .protocol_json = protocol_json};
    genlab_status st = genlab_store_score_add(r->store, r->out->run_id, &row, NULL);
    if (st != GL_OK)
        return genlab_errorf(r->ctx, st, "recording score %s: %s", metric,
                             genlab_store_errmsg(r->store));
    return GL_OK;
}

genlab_status genlab_run_train(genlab_registry *reg, const genlab_config *cfg, genlab_store *store,
                               const genlab_run_options *opt, genlab_run_result *out)
{
    if (!out)
        return GL_ERR_INVALID;
    *out = (genlab_run_result){.loss = NAN};
    gl_run r = {.reg = reg, .cfg = cfg, .store = store, .out = out};
    if (opt)
        r.opt = *opt;
    if (!reg || !cfg || !store)
        return gl_run_fail(&r, GL_ERR_INVALID, "genlab_run_train: registry, configuration and store "
                    "are required");
    genlab_status st = setup(&r);
    if (st == GL_OK)
        st = record(&r);
    if (st == GL_OK)
        st = gl_run_ckpt_dir(&r);
    if (st == GL_OK) {   /* the host's services of a run, now that it has a row */
        r.host.run_dir = r.ckpt_dir;
        r.host.artifact = host_artifact;
        r.host.score = host_score;
    }
    if (st == GL_OK && r.opt.started)
        r.opt.started(r.opt.user, out->run_id, out->uuid);
    if (st == GL_OK) {
        st = loop(&r);
        finish_checkpoint(&r, st);
        st = out->code;
    }
    if (out->run_id)
        finish(&r, st);
    teardown(&r);
    return out->code;
}

/* ---- a trained model ---- */

struct genlab_model {
    gl_run            r;
    genlab_run_result out;     /* where setup's messages go */
};

genlab_status genlab_model_open(genlab_registry *reg, const genlab_config *cfg, const char *path,
                                uint64_t seed, genlab_model **out, char *err, size_t err_size)
{
    if (err && err_size)
        err[0] = '\0';
    if (!out)
        return GL_ERR_INVALID;
    *out = NULL;
    genlab_model *m = calloc(1, sizeof *m);
    if (!m) {
        if (err && err_size)
            snprintf(err, err_size, "out of memory");
        return GL_ERR_NOMEM;
    }
    m->out = (genlab_run_result){.loss = NAN};
    m->r = (gl_run){.reg = reg, .cfg = cfg, .out = &m->out, .seed = seed, .model = true,
                    .opt = {.resume_from = path}};
    genlab_status st = !reg || !cfg || !path
                           ? gl_run_fail(&m->r, GL_ERR_INVALID, "genlab_model_open: registry, "
                                         "configuration and checkpoint are required")
                           : setup(&m->r);
    if (st != GL_OK) {
        if (err && err_size)
            snprintf(err, err_size, "%s", m->out.message);
        genlab_model_close(m);
        return st;
    }
    *out = m;
    return GL_OK;
}

void genlab_model_close(genlab_model *m)
{
    if (!m)
        return;
    teardown(&m->r);
    free(m);
}

genlab_ctx *genlab_model_ctx(const genlab_model *m) { return m ? m->r.ctx : NULL; }

const genlab_trainer_i *genlab_model_trainer(const genlab_model *m, void **state)
{
    if (state)
        *state = m ? m->r.trainer_state : NULL;
    return m ? m->r.trainer : NULL;
}

const genlab_data_spec *genlab_model_data(const genlab_model *m)
{
    return m ? &m->r.spec : NULL;
}
