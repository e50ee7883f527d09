/* SPDX-License-Identifier: MIT
 *
 * plugin.h — the genlab plugin ABI: what a plugin .so defines and exports.
 *
 * This header is the contract between genlab and its plugins; anything not
 * declared here (or in the other public headers) is not part of it. Its
 * twin for the host side is registry.h (loading, lookup) and config.h
 * (parameter values). It is not a loader and holds no host-side functions;
 * its only functions are the helpers with which every arch and loss words
 * its errors (libgenlab/plugin_util.c) and the small inline helpers at the
 * end.
 *
 * A plugin is one shared object that exports exactly one symbol,
 * genlab_plugin_v1, returning a const module descriptor:
 *
 *     genlab_plugin_v1() -> genlab_module { name, version, components[] }
 *     genlab_component   { kind, name, doc, params[], iface -> kind vtable }
 *
 * Everything else in a plugin is static (libtool's
 * -export-symbols-regex '^genlab_plugin_' enforces it), and its file-scope
 * data is immutable once loaded: all per-run state hangs off the `state`
 * pointers its create() callbacks return.
 *
 * Kinds and how the three model families are put together from them:
 *
 *     trainer   what one training step is; creates the others it needs
 *     arch      builds a network (generator, discriminator, encoder,
 *               decoder, denoiser) into a parameter block
 *     loss      a scalar objective from named tensors
 *     schedule  step -> value (noise level, beta annealing, lr multiplier)
 *     sampler   runs a reverse (denoising) process with its own step count
 *     metric    accumulates features of real and generated images, scores
 *     dataset   opens a dataset and reads batches by index
 *     backend   a compute backend (backend.h) that probes the machine
 *
 *   GAN:       trainer gan  -> arch generator + arch discriminator,
 *              loss (objective D and G, critic for penalties), n_critic
 *              as a trainer parameter (step pulls n_critic batches)
 *   VAE:       trainer vae  -> arch encoder + arch decoder, loss
 *              (reconstruction), schedule (KL weight beta)
 *   diffusion: trainer diff -> arch denoiser, schedule (noise, alpha-bar),
 *              sampler (ddpm/ddim with its own steps), loss (eps MSE)
 *
 * A trainer names the components it uses through parameters of type
 * GL_PARAM_COMPONENT ("gan.loss = wgan-gp"); the configuration binds the
 * named component's own parameters under the parameter's name
 * ("loss.gp_weight"), validates everything before the run, and hands each
 * create() its scoped view (config.h).
 *
 * ABI rules. abi_version is (major << 16 | minor). The descriptor, every
 * component and every vtable start with abi_version and struct_size. They
 * are append-only: new members go at the end under a "ABI 1.N and later"
 * comment, and a reader uses a member only if the writer's struct_size
 * covers it (GL_IFACE_GET). Members added after 1.0 are always optional.
 * Removing or reordering a member, or changing a callback's signature,
 * means a new major version and a new entry symbol (genlab_plugin_v2).
 * Argument structs passed to callbacks (genlab_loss_args, ...) are frozen
 * within a major version: growing one means a new callback taking a new
 * struct. The loader refuses a plugin whose major differs from the host's.
 *
 * Memory and threads. Strings and tables in a descriptor are owned by the
 * plugin and must stay valid until it is unloaded (static const data).
 * State returned by a create() belongs to the plugin and is freed by the
 * matching destroy(); tensors returned by callbacks are arena tensors of the
 * ctx passed in (valid until genlab_ctx_step_begin) unless stated
 * otherwise. One instance is used by one thread at a time. Callbacks report
 * failure by returning a status (or NULL) after genlab_errorf(ctx, ...);
 * they never print and never exit.
 *
 * Sections: versions and kinds, parameters, host services, descriptors,
 * shared argument types, one section per kind, helpers.
 */
#ifndef GENLAB_PLUGIN_H
#define GENLAB_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "backend.h"
#include "context.h"
#include "status.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- versions and kinds ---- */

#define GL_PLUGIN_ABI_MAJOR   1
#define GL_PLUGIN_ABI_MINOR   0
#define GL_PLUGIN_ABI_VERSION ((uint32_t)(GL_PLUGIN_ABI_MAJOR << 16 | GL_PLUGIN_ABI_MINOR))
#define GL_ABI_MAJOR(v)       ((uint32_t)(v) >> 16)
#define GL_ABI_MINOR(v)       ((uint32_t)(v) & 0xffffu)

/* The name of the one exported symbol (a genlab_plugin_entry_fn). */
#define GL_PLUGIN_ENTRY_NAME "genlab_plugin_v1"

/* Component kinds. Values are stored with runs: append-only. */
typedef enum genlab_component_kind {
    GL_KIND_TRAINER  = 0,
    GL_KIND_ARCH     = 1,
    GL_KIND_LOSS     = 2,
    GL_KIND_SAMPLER  = 3,
    GL_KIND_SCHEDULE = 4,
    GL_KIND_METRIC   = 5,
    GL_KIND_DATASET  = 6,
    GL_KIND_BACKEND  = 7,
    GL_KIND_COUNT
} genlab_component_kind;

/* genlab_kind_name — "trainer", "arch", ... ; "?" for an unknown value.
 * Static string; thread-safe. */
const char *genlab_kind_name(genlab_component_kind kind);

/* ---- parameters ---- */

/* Parameter types. A plugin never parses a value: the core parses,
 * validates and range-checks every value before a run (config.h). */
typedef enum genlab_param_type {
    GL_PARAM_INT       = 0,  /* int64, decimal ("64") */
    GL_PARAM_FLOAT     = 1,  /* finite double ("2e-4") */
    GL_PARAM_BOOL      = 2,  /* true/false, yes/no, on/off, 1/0 */
    GL_PARAM_STRING    = 3,  /* free text (paths, names) */
    GL_PARAM_ENUM      = 4,  /* one of `choices` */
    GL_PARAM_COMPONENT = 5   /* the name of a loaded component of `kind` */
} genlab_param_type;

/* genlab_param_type_name — "int", "float", "bool", "string", "enum",
 * "component"; "?" otherwise. Static string. */
const char *genlab_param_type_name(genlab_param_type type);

/* Flags of a parameter definition. */
#define GL_PARAM_SCOPE_BY_NAME 0x1u  /* (component) bind the chosen component's
                                      * parameters under its own name (a trainer
                                      * chosen by train.trainer=gan lives under
                                      * gan.*) instead of under this parameter's
                                      * name (gan.loss=hinge -> loss.*) */
#define GL_PARAM_AUGMENT       0x2u  /* (dataset) a training augmentation (a
                                      * random flip): evaluation reads the data
                                      * with it at its default, which must be
                                      * "off", so reference statistics never
                                      * depend on it (genlab score, stats) */

/* One declared tunable. Values are written as text, the way a user would
 * write them, and go through the same parser as user input: the loader
 * checks a component's table when it loads the plugin (a default out of its
 * own range is refused there), so a bad table never reaches a run.
 *
 * Keys: a parameter's full key is "<scope>.<name>", where the scope is given
 * when the component is bound (see GL_PARAM_COMPONENT). Names are one
 * segment of [a-z0-9_-], starting with a letter.
 *
 * A table is an array in the plugin; the host walks it with the stride the
 * component records in param_size, so members can be appended here. */
typedef struct genlab_param_def {
    const char        *name;     /* required: "gp_weight" */
    genlab_param_type  type;     /* required */
    const char        *def;      /* default as text ("10"); NULL = required, the
                                  * user must give a value. (component) "" =
                                  * optional: none unless the user names one
                                  * (genlab_config_component then gives NULL) */
    const char        *min;      /* (int, float; optional) inclusive lower bound
                                  * as text; NULL = unbounded */
    const char        *max;      /* (int, float; optional) inclusive upper bound */
    const char *const *choices;  /* (enum) NULL-terminated allowed values */
    genlab_component_kind kind;  /* (component) the kind the value names */
    unsigned           flags;    /* GL_PARAM_* flags; 0 = none */
    const char        *help;     /* required: one line for `genlab plugins` */
} genlab_param_def;

/* A configuration: all resolved values, or a view of one scope of them.
 * Read with the getters of config.h. Opaque. */
typedef struct genlab_config genlab_config;

/* The layer library's parameter block (nn.h), into which archs build. */
typedef struct genlab_params genlab_params;

/* A run's loss scaler (optim.h). */
typedef struct genlab_loss_scaler genlab_loss_scaler;

/* ---- host services ---- */

typedef enum genlab_log_level {
    GL_LOG_ERROR = 0,
    GL_LOG_WARN  = 1,
    GL_LOG_INFO  = 2,
    GL_LOG_DEBUG = 3
} genlab_log_level;

typedef struct genlab_component genlab_component;
typedef struct genlab_host genlab_host;

/* What the core offers to plugin code, handed to every create()-like
 * callback. Filled by the host (genlab_host_init in registry.h); plugins
 * only read it. A plugin may keep the pointer in its state: it stays valid
 * until that state's destroy() returns. A plugin built against a newer
 * minor version uses members added after 1.0 only when
 * GL_IFACE_GET(host, genlab_host, member) is non-NULL. */
struct genlab_host {
    uint32_t abi_version;   /* the host's GL_PLUGIN_ABI_VERSION */
    uint32_t struct_size;   /* sizeof(genlab_host) in the host */

    /* The run's context: tensors, errors, RNG. NULL only while the loader
     * calls a component's init(). */
    genlab_ctx          *ctx;
    /* The whole resolved configuration (root scope), for keys the core owns
     * ("train.steps", "optim.lr"). NULL during init(). */
    const genlab_config *config;

    /* log — a message for the run's log (never printed by the library;
     * the program decides where it goes). printf-style. Required. */
    void (*log)(const genlab_host *host, genlab_log_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
    /* find — the loaded component of this kind and exact name, or NULL after
     * recording an error on ctx that lists the known names of that kind.
     * The result stays valid while the plugins stay loaded. Required. */
    const genlab_component *(*find)(const genlab_host *host, genlab_component_kind kind,
                                    const char *name);

    void *context;          /* the host's own data; plugins never touch it */

    /* ABI 1.0 additions (read with GL_IFACE_GET: a host built before them
     * lacks them) */

    /* run_dir — during a run, a directory of the run's own where a plugin
     * may write files (a GAN trainer's sample grids under samples/): the
     * run's checkpoint directory (train.ckpt_dir, by default
     * checkpoints/<uuid> beside the store). NULL outside a run, during
     * create() (the directory is made once the run's row exists: read it
     * from the step on) and for a trainer without visit(), which gets no
     * directory. Owned by the host. */
    const char *run_dir;
    /* artifact — record a file the plugin wrote (an absolute path, under
     * run_dir) as an artifact of the run, of kind "grid", "strip", ...: the
     * store hashes it and `genlab show` lists it. NULL outside a run.
     * Returns GL_OK, or the store's status with a message on host->ctx. */
    genlab_status (*artifact)(const genlab_host *host, const char *kind, const char *path);
    /* score — record an evaluation result a trainer computed itself (a
     * VAE's held-out ELBO) as a score of the run, after `step` steps, in
     * the store's scores table: metric name, value, whether higher is
     * better, the number of images it was computed from, and its protocol
     * (a JSON object saying how it was computed: split, images, samples;
     * NULL for none), so that only scores with equal protocols are
     * compared. NULL outside a run. Returns GL_OK, or the store's status
     * with a message on host->ctx. */
    genlab_status (*score)(const genlab_host *host, int64_t step, const char *metric,
                           double value, bool higher_is_better, int64_t n_samples,
                           const char *protocol_json);
    /* loss_scaler — the run's loss scaler (optim.h; train.loss_scale), which
     * the networks of run.h's genlab_net_create take: genlab_net_scale_loss
     * multiplies a loss by its scale, genlab_net_step unscales and skips a
     * step whose gradients are not finite, and the run loop updates it once
     * per step. NULL outside a run and when the run does not scale. Owned
     * by the host; set before the trainer's create(). */
    genlab_loss_scaler *loss_scaler;
};

/* ---- descriptors ---- */

/* One component: a named, documented, parameterised implementation of a
 * kind. Static const data in the plugin. */
struct genlab_component {
    uint32_t abi_version;        /* GL_PLUGIN_ABI_VERSION */
    uint32_t struct_size;        /* sizeof(genlab_component) */
    genlab_component_kind kind;
    const char *name;            /* required: unique per kind among everything
                                  * loaded; one segment of [a-z0-9_-] ("wgan-gp") */
    const char *doc;             /* required: one line for `genlab plugins` */
    const genlab_param_def *params;  /* (optional) NULL = no parameters */
    uint32_t n_params;
    uint32_t param_size;         /* sizeof(genlab_param_def) as built; GL_PARAMS() */
    const void *iface;           /* required: the kind's vtable (genlab_loss_i ...) */
    /* init — (optional) NULL means nothing to check. Called once by the
     * loader, after the whole file's descriptor was validated and before
     * any of its components is registered; a failure refuses the whole file.
     * For checks of the environment (a library version, a device). host->ctx
     * and host->config are NULL; keep no mutable state. On failure, write a
     * one-line reason into why (size why_size) and return a status. */
    genlab_status (*init)(const genlab_host *host, char *why, size_t why_size);
};

/* GL_PARAMS(table) — fills params, n_params and param_size from a static
 * array in a component's designated initializer. */
#define GL_PARAMS(table) \
    .params = (table), .n_params = (uint32_t)(sizeof(table) / sizeof((table)[0])), \
    .param_size = (uint32_t)sizeof((table)[0])

/* The module descriptor genlab_plugin_v1 returns. */
typedef struct genlab_module {
    uint32_t abi_version;        /* GL_PLUGIN_ABI_VERSION */
    uint32_t struct_size;        /* sizeof(genlab_module) */
    const char *name;            /* required: "gan", recorded with every run */
    const char *version;         /* required: the plugin's own version, "1.0.0" */
    /* required: NULL-terminated list of components (at least one) */
    const genlab_component *const *components;
} genlab_module;

/* The entry point. Called once by the loader right after dlopen; must only
 * return the address of static const data (no side effects). */
typedef const genlab_module *(*genlab_plugin_entry_fn)(void);

/* GENLAB_PLUGIN(module) — defines the exported entry point returning
 * &module (a static const genlab_module). Use it once per plugin. */
#define GENLAB_PLUGIN(module)                                                   \
    __attribute__((visibility("default"))) const genlab_module *genlab_plugin_v1(void); \
    const genlab_module *genlab_plugin_v1(void) { return &(module); }

/* ---- shared argument types ---- */

/* A batch of training data. x is (N, C, H, W) float32 scaled to [-1, 1];
 * y is (N,) int32 class labels, or NULL for unlabelled data. */
typedef struct genlab_batch {
    genlab_tensor *x;
    genlab_tensor *y;
} genlab_batch;

/* What a dataset holds: the shape of one image and the label space. */
typedef struct genlab_data_spec {
    int32_t channels, height, width;
    int32_t n_classes;           /* 0 = unlabelled */
    int64_t n_items;
} genlab_data_spec;

/* A source of batches in the run's data order, made by the core (it owns
 * shuffling, the seed and the position, so a resumed run reads the same
 * batches). next() fills *out with arena tensors; a trainer calls it as
 * many times per step as it needs (a GAN with n_critic = 5 calls it 5
 * times). Returns GL_OK or an error (also on ctx). */
typedef struct genlab_batch_source {
    genlab_status (*next)(genlab_ctx *ctx, void *context, genlab_batch *out);
    void *context;
} genlab_batch_source;

/* The scalars a training step reports ("d_loss", "g_loss", "kl"); the core
 * stores them as the run's curves. Names must be static strings. */
#define GL_STEP_METRICS_MAX 16
typedef struct genlab_step_metrics {
    int         n;
    const char *name[GL_STEP_METRICS_MAX];
    double      value[GL_STEP_METRICS_MAX];
} genlab_step_metrics;

/* ---- trainer ---- */

/* What one training step is. Created by the core (the run loop) from the
 * component named by "train.trainer"; it creates the archs, losses,
 * schedules and samplers it names through its own GL_PARAM_COMPONENT
 * parameters (genlab_config_component in config.h) and owns them. */
typedef struct genlab_trainer_i {
    uint32_t abi_version;        /* GL_PLUGIN_ABI_VERSION */
    uint32_t struct_size;        /* sizeof(genlab_trainer_i) */

    /* create — required. Called once by the core before the first step.
     * cfg: this trainer's scope ("gan.*"); data: the dataset's shape.
     * Builds networks, optimizers (optim.* from host->config) and the
     * components it names. OUT: *state, freed by destroy. */
    genlab_status (*create)(const genlab_host *host, const genlab_config *cfg,
                            const genlab_data_spec *data, void **state);
    /* destroy — required. Called once by the core; frees everything create
     * made, sub-components included. */
    void (*destroy)(void *state);
    /* step — required. One optimisation step number `step` (0-based). The
     * core has called genlab_ctx_step_begin before; the step pulls batches
     * from data, updates its parameters and adds its scalars to *out (which
     * the core zeroed). */
    genlab_status (*step)(genlab_ctx *ctx, void *state, int64_t step,
                          const genlab_batch_source *data, genlab_step_metrics *out);
    /* sample — required. n images (n, C, H, W) in [-1, 1] from the current
     * model (EMA where the trainer keeps one), labels y ((n,) int32, or
     * NULL). Runs with grad recording off. y is persistent or NULL (a
     * sampler may reset the arena between its steps); the result is an
     * arena tensor. NULL on error (on ctx). */
    genlab_tensor *(*sample)(genlab_ctx *ctx, void *state, int64_t n, genlab_tensor *y);
    /* visit — (optional) NULL means the trainer cannot be checkpointed.
     * Calls fn for each persistent tensor to save or restore, with names
     * stable across versions ("G.params.fc.weight", "D.optim.exp_avg"):
     * genlab_params_visit, genlab_optim_visit and genlab_ema_visit (nn.h,
     * optim.h) name and present a network's, an optimizer's and an EMA's
     * state. fn may read the tensor (saving) or overwrite it (restoring). */
    genlab_status (*visit)(void *state, genlab_visit_fn fn, void *user);

    /* ABI 1.0 additions (optional; read with GL_IFACE_GET) */

    /* latent_dim — (optional) NULL means the trainer cannot generate from
     * given latents (then generate is NULL too). The size D of one latent
     * vector that generate() takes. */
    int64_t (*latent_dim)(void *state);
    /* generate — (optional) NULL as latent_dim. n images (n, C, H, W) in
     * [-1, 1] from the latents z ((n, D) float32, D = latent_dim()), labels
     * y as in sample(): what sample() does with latents the caller chose,
     * for latent interpolations (`genlab interpolate`) and fixed-noise
     * grids. The same model as sample() (EMA, eval mode, grad recording
     * off). An arena tensor, or NULL (error on ctx: a wrong shape of z is
     * named). */
    genlab_tensor *(*generate)(genlab_ctx *ctx, void *state, genlab_tensor *z, genlab_tensor *y);
    /* anomaly_score — (optional) NULL means the trainer scores no images.
     * One number per image of x ((N, C, H, W) in [-1, 1], as a batch's x),
     * higher for images less like the training data (a VAE's -ELBO or
     * reconstruction error), for anomaly detection: `genlab score` ranks
     * held-out images by it (ROC-AUC, scores.h). Eval mode, grad
     * recording off; what the number is is the trainer's (its parameters
     * say). An arena tensor (N,) float32, or NULL (error on ctx: a wrong
     * shape of x is named). Draws from the GL_STREAM_EVAL stream only. */
    genlab_tensor *(*anomaly_score)(genlab_ctx *ctx, void *state, genlab_tensor *x);
} genlab_trainer_i;

/* ---- arch ---- */

typedef enum genlab_arch_role {
    GL_ROLE_GENERATOR     = 0,   /* (z) -> (C, H, W) */
    GL_ROLE_DISCRIMINATOR = 1,   /* (C, H, W) -> (1) or (k) */
    GL_ROLE_ENCODER       = 2,   /* (C, H, W) -> (2 * z): mean and log-variance */
    GL_ROLE_DECODER       = 3,   /* (z) -> (C, H, W) */
    GL_ROLE_DENOISER      = 4    /* (C, H, W) and times t -> (C, H, W) */
} genlab_arch_role;

/* What a trainer asks an arch to build. Shapes are per sample (no batch). */
typedef struct genlab_arch_spec {
    genlab_arch_role role;
    int      in_ndim;
    int64_t  in_shape[GL_MAX_DIMS];
    int      out_ndim;
    int64_t  out_shape[GL_MAX_DIMS];
    int32_t  n_classes;          /* > 0: forward gets labels y (conditional) */
    bool     timestep;           /* forward gets diffusion times t */
} genlab_arch_spec;

typedef struct genlab_arch_i {
    uint32_t abi_version;        /* GL_PLUGIN_ABI_VERSION */
    uint32_t struct_size;        /* sizeof(genlab_arch_i) */

    /* build — required. Called by a trainer's create. Declares the
     * network's parameter tensors into params (owned by the trainer, which
     * allocates, initialises, checkpoints and optimises the block; nn.h)
     * and returns the network's state (layer wiring, hyperparameters). A
     * role or shape the arch cannot build is an error naming both.
     * OUT: *state, freed by destroy. */
    genlab_status (*build)(const genlab_host *host, const genlab_config *cfg,
                           const genlab_arch_spec *spec, genlab_params *params, void **state);
    /* destroy — required. Called by the trainer that built it, before it
     * frees params. */
    void (*destroy)(void *state);
    /* forward — required. x: (N, in_shape...); t: (N,) float32 times or
     * NULL; y: (N,) int32 labels or NULL (as the spec asked). training
     * selects batch statistics / dropout. Returns (N, out_shape...) on the
     * tape, or NULL (error on ctx). Called by the trainer, any number of
     * times per step. */
    genlab_tensor *(*forward)(genlab_ctx *ctx, void *state, genlab_tensor *x, genlab_tensor *t,
                              genlab_tensor *y, bool training);

    /* ABI 1.0 additions (optional: read with GL_IFACE_GET) */

    /* native_spec — (optional) NULL means none. The spec the arch was
     * designed for in role: the image shape and latent size of its
     * reference model, with its sizes taken from cfg (its scope, as for
     * build). Lets a tool build the arch without a dataset or trainer:
     * `genlab plugins show` prints its parameter counts this way. Fills
     * *spec (OUT) and returns GL_OK, or GL_ERR_UNSUPPORTED for a role the
     * arch does not build. Pure: records no error, any thread. */
    genlab_status (*native_spec)(const genlab_config *cfg, genlab_arch_role role,
                                 genlab_arch_spec *spec);
} genlab_arch_i;

/* What every arch says alike when it refuses a spec or an input, so that
 * all of them word their errors the same way (implemented in libgenlab,
 * for plugins; thread-safe). */

/* genlab_arch_role_name — "generator", "encoder", ...; "unknown role" for
 * a value out of range. Static string. */
const char *genlab_arch_role_name(genlab_arch_role role);

/* genlab_arch_refusal — "arch ARCH: cannot build a ROLE (IN) -> (OUT)"
 * for spec into buf (size bytes, truncated to fit): the start of every
 * refusal of a spec. Returns buf. */
const char *genlab_arch_refusal(char *buf, size_t size, const char *arch,
                                const genlab_arch_spec *spec);

/* genlab_arch_refuse — record "<genlab_arch_refusal>: REASON" (REASON
 * printf-style) on ctx with status, and return status. */
genlab_status genlab_arch_refuse(genlab_ctx *ctx, genlab_status status, const char *arch,
                                 const genlab_arch_spec *spec, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* genlab_arch_input_ok — whether x is (N, spec->in_shape...) with N >= 1;
 * otherwise false after recording GL_ERR_SHAPE on ctx: "arch ARCH ROLE: x
 * (SHAPE), want (N, IN...)". false without a new error when x is NULL or
 * ctx holds one. The first check of a forward. */
bool genlab_arch_input_ok(genlab_ctx *ctx, const char *arch, const genlab_arch_spec *spec,
                          const genlab_tensor *x);

/* ---- loss ---- */

typedef enum genlab_loss_objective {
    GL_OBJ_MAIN          = 0,    /* the single objective (VAE, diffusion) */
    GL_OBJ_DISCRIMINATOR = 1,    /* GAN: the critic's loss */
    GL_OBJ_GENERATOR     = 2     /* GAN: the generator's loss */
} genlab_loss_objective;

/* One named input tensor of a loss. */
typedef struct genlab_named_tensor {
    const char    *name;
    genlab_tensor *t;
} genlab_named_tensor;

/* Inputs of a loss: named tensors plus, for GANs, the critic to
 * differentiate through. Conventional names:
 *   GAN:        d_real, d_fake (N, 1) critic outputs; x_real, x_fake images
 *   VAE:        x (input), recon (decoder output), mean, logvar
 *   diffusion:  eps (true noise), eps_pred (the denoiser's), t (N,) times
 * Built by the trainer on its stack for one compute() call. */
typedef struct genlab_loss_args {
    genlab_loss_objective objective;
    int                        n_tensors;
    const genlab_named_tensor *tensors;
    /* critic — D(x) on the tape, for penalties that need gradients through
     * the critic (WGAN-GP's grad of D at interpolates, R1). NULL where the
     * trainer has no critic. */
    genlab_tensor *(*critic)(genlab_ctx *ctx, void *critic_ctx, genlab_tensor *x);
    void *critic_ctx;
} genlab_loss_args;

typedef struct genlab_loss_i {
    uint32_t abi_version;        /* GL_PLUGIN_ABI_VERSION */
    uint32_t struct_size;        /* sizeof(genlab_loss_i) */

    /* inputs — (optional) NULL-terminated names compute() reads, so a
     * trainer refuses a loss it cannot feed at create time (see
     * genlab_loss_missing_input) instead of failing at the first step. */
    const char *const *inputs;
    /* create — (optional) NULL means stateless: *state stays NULL. Called
     * by the trainer's create with the loss's scope ("loss.*"). */
    genlab_status (*create)(const genlab_host *host, const genlab_config *cfg, void **state);
    /* destroy — (optional) NULL means nothing to free. Called by the
     * trainer's destroy. */
    void (*destroy)(void *state);
    /* compute — required. The loss for args->objective as a 0-d tensor on
     * the tape, or NULL (error on ctx: a missing input is named). An
     * objective the loss does not define is an error. Called by the trainer
     * one or more times per step. */
    genlab_tensor *(*compute)(genlab_ctx *ctx, void *state, const genlab_loss_args *args);

    /* ABI 1.0 additions (optional: read with GL_IFACE_GET) */

    /* last_metrics — (optional) NULL means the loss reports no scalars of
     * its own. Appends the scalars of the last compute() on this state to
     * *out with genlab_step_metric (WGAN-GP's "gp", the unweighted gradient
     * penalty), so a trainer can log terms its total hides; a compute() that
     * made none of them (another objective, a failure) leaves none. Names
     * are static strings; values were read when compute() ran, so this
     * needs no ctx and may be called after the step's arena is gone. Needs
     * state: a loss that has it also has create(). Called by the trainer
     * after compute(), as often as it likes. */
    void (*last_metrics)(void *state, genlab_step_metrics *out);
} genlab_loss_i;

/* genlab_loss_input — the tensor called name in args, for a loss's
 * compute() (implemented in libgenlab, so that every loss words a missing
 * input alike). loss: the component's name, for the message ("wgan-gp").
 * Returns the (trainer-owned) tensor, or NULL: after an earlier error on
 * ctx (kept), or after recording GL_ERR_INVALID "loss <loss>: input <name>
 * missing (the trainer gave: <names>)" when args has no such tensor or
 * holds NULL under that name. */
genlab_tensor *genlab_loss_input(genlab_ctx *ctx, const char *loss, const genlab_loss_args *args,
                                 const char *name);

/* ---- schedule ---- */

typedef struct genlab_schedule_i {
    uint32_t abi_version;        /* GL_PLUGIN_ABI_VERSION */
    uint32_t struct_size;        /* sizeof(genlab_schedule_i) */

    /* create — (optional) NULL means stateless. Called by whoever owns the
     * schedule (a trainer) with its scope and the horizon: the number of
     * steps it will be asked about (train.steps for an lr or beta schedule,
     * the diffusion length T for a noise schedule); 0 if unknown. */
    genlab_status (*create)(const genlab_host *host, const genlab_config *cfg, int64_t horizon,
                            void **state);
    /* destroy — (optional) NULL means nothing to free. */
    void (*destroy)(void *state);
    /* at — required. The value at step (0 <= step < horizon). By
     * convention a noise schedule gives alpha-bar (the signal fraction,
     * from ~1 down to ~0), an annealing schedule the weight, an lr schedule
     * a multiplier of optim.lr. Pure: no errors, any thread. */
    double (*at)(void *state, int64_t step);

    /* ABI 1.0 additions (optional: read with GL_IFACE_GET) */

    /* set_epoch_steps — (optional) NULL means the schedule counts steps
     * only. The steps in one epoch of the owner's data (which only the
     * owner knows: the dataset's size and the batch), for a schedule
     * whose parameters are in epochs (a beta annealed over 20 epochs).
     * Called by the owner after create() and before at(); an owner that
     * does not call it leaves the schedule counting one step per epoch
     * (which the schedule documents). steps >= 1. */
    void (*set_epoch_steps)(void *state, int64_t steps);
} genlab_schedule_i;

/* ---- sampler ---- */

/* Inputs of a reverse process, built by a diffusion trainer's sample(). */
typedef struct genlab_sampler_args {
    genlab_tensor *x;            /* x_T: (N, C, H, W) standard normal, persistent
                                  * (owned by the caller) */
    genlab_tensor *y;            /* (N,) int32 labels or NULL; persistent */
    int64_t        train_steps;  /* T: the model was trained on times [0, T) */
    /* model — the denoiser's noise prediction for x_t at times t ((N,)
     * float32). The sampler calls it with grad recording off. */
    genlab_tensor *(*model)(genlab_ctx *ctx, void *model_ctx, genlab_tensor *x_t,
                            genlab_tensor *t, genlab_tensor *y);
    void *model_ctx;
    /* alpha_bar — the training noise schedule (a genlab_schedule_i's at()
     * and state fit here unchanged) over [0, T). */
    double (*alpha_bar)(void *schedule_ctx, int64_t t);
    void *schedule_ctx;
} genlab_sampler_args;

typedef struct genlab_sampler_i {
    uint32_t abi_version;        /* GL_PLUGIN_ABI_VERSION */
    uint32_t struct_size;        /* sizeof(genlab_sampler_i) */

    /* create — (optional) NULL means stateless. Called by the trainer's
     * create with the sampler's scope: its own step count ("sampler.steps",
     * DDIM's eta) lives there, independent of the training T. */
    genlab_status (*create)(const genlab_host *host, const genlab_config *cfg, void **state);
    /* destroy — (optional) NULL means nothing to free. */
    void (*destroy)(void *state);
    /* run — required. The reverse process from a->x down to x_0, returned
     * as an arena tensor (N, C, H, W), or NULL (error on ctx). May call
     * genlab_ctx_step_begin between its steps to bound memory, keeping its
     * running x in a persistent tensor it owns and frees; that is why a->x
     * and a->y are persistent. */
    genlab_tensor *(*run)(genlab_ctx *ctx, void *state, const genlab_sampler_args *a);
} genlab_sampler_i;

/* ---- metric ---- */

typedef enum genlab_metric_set {
    GL_SET_REAL = 0,             /* images from the dataset */
    GL_SET_FAKE = 1              /* images from the model */
} genlab_metric_set;

/* One score. name is owned by the metric (static or in its state).
 * Zero-initialise, then set. */
typedef struct genlab_score {
    const char *name;            /* "fid", "is", "kid", "precision" */
    double      value;           /* the score; a mean over splits or subsets */
    int64_t     n_samples;       /* generated images it is computed from */

    /* ABI 1.0 additions (appended before any release: every 1.0 plugin and
     * host has them; the metric writes, the host reads) */
    bool        has_std;         /* std is defined (IS over splits, KID over subsets) */
    double      std;             /* the population std over splits or subsets, as
                                  * torch-fidelity reports it */
    int64_t     n_real;          /* real images it is computed from; 0: none (IS) or
                                  * reference statistics from a file */
    bool        higher_is_better;/* IS, precision, recall: true; FID, KID: false */
} genlab_score;

typedef struct genlab_metric_i {
    uint32_t abi_version;        /* GL_PLUGIN_ABI_VERSION */
    uint32_t struct_size;        /* sizeof(genlab_metric_i) */

    /* create — required. Called by the core's evaluation with the metric's
     * scope; loads the feature extractor (weights path from cfg). */
    genlab_status (*create)(const genlab_host *host, const genlab_config *cfg, void **state);
    /* destroy — required. */
    void (*destroy)(void *state);
    /* add — required. Accumulate features of images (N, C, H, W) in
     * [-1, 1] into set. Called by the core any number of times; the images
     * are arena tensors that need not outlive the call. */
    genlab_status (*add)(genlab_ctx *ctx, void *state, genlab_metric_set set,
                         genlab_tensor *images);
    /* compute — required. Write up to max scores into scores[] and their
     * number into *n (OUT). Does not reset the accumulators. */
    genlab_status (*compute)(genlab_ctx *ctx, void *state, genlab_score *scores, int max,
                             int *n);
    /* protocol — required. A JSON object describing exactly how the scores
     * were computed (feature extractor and its weights' sha256, reference
     * statistics, resize rule, splits, seed), stored with every score so
     * that only scores with equal protocols are compared. Owned by state;
     * valid until destroy. */
    const char *(*protocol)(void *state);
    /* reset — (optional) NULL means destroy and create again. Forget the
     * accumulated features, keep the extractor. */
    genlab_status (*reset)(void *state);

    /* ABI 1.0 additions (optional: read with GL_IFACE_GET) */

    /* statistics — (optional) NULL means the metric keeps no Gaussian
     * statistics of its features. The float64 mean (dim) and unbiased
     * covariance (dim x dim, row-major) of the features of the images
     * added to set so far, for reference statistics files (`genlab stats`
     * writes them as pytorch-fid's .npz). OUT: *dim, *mu, *sigma, owned by
     * state, valid until the next add, reset or destroy. GL_ERR_STATE (on
     * ctx) when the metric keeps no statistics of that set or has fewer
     * than 2 images in it. */
    genlab_status (*statistics)(genlab_ctx *ctx, void *state, genlab_metric_set set,
                                int64_t *dim, const double **mu, const double **sigma);
} genlab_metric_i;

/* ---- dataset ---- */

typedef struct genlab_dataset_i {
    uint32_t abi_version;        /* GL_PLUGIN_ABI_VERSION */
    uint32_t struct_size;        /* sizeof(genlab_dataset_i) */

    /* open — required. Called by the core's data loader with the dataset's
     * scope and split ("train", "test"). Fills *spec (OUT) and *state. */
    genlab_status (*open)(const genlab_host *host, const genlab_config *cfg, const char *split,
                          genlab_data_spec *spec, void **state);
    /* close — required. */
    void (*close)(void *state);
    /* read — required. Items indices[0..n) (each in [0, n_items)) as one
     * batch of arena tensors in *out (OUT); x scaled to [-1, 1]. Random
     * augmentations draw from ctx's GL_STREAM_DATA. Called by the core's
     * batch source, possibly from its prefetch thread with a ctx of its
     * own (never concurrently on one state). */
    genlab_status (*read)(genlab_ctx *ctx, void *state, const int64_t *indices, int64_t n,
                          genlab_batch *out);
    /* identity — (optional) NULL means unknown. A string identifying the
     * exact data (a hash of the files), stored with each run. Owned by
     * state; valid until close. */
    const char *(*identity)(void *state);
} genlab_dataset_i;

/* ---- backend ---- */

typedef struct genlab_backend_plugin_i {
    uint32_t abi_version;        /* GL_PLUGIN_ABI_VERSION */
    uint32_t struct_size;        /* sizeof(genlab_backend_plugin_i) */

    /* table — required. The backend's static kernel table (backend.h).
     * Called by the core when it chooses a backend; the core then calls
     * the table's probe() and uses the backend only where it returns > 0,
     * so a CUDA plugin steps aside on a machine without a GPU. Owned by
     * the plugin (static); valid until unload. */
    const genlab_backend_i *(*table)(void);
} genlab_backend_plugin_i;

/* ---- helpers (inline: not part of the library's symbols) ---- */

/* GL_IFACE_GET(p, type, member) — p->member if the writer's struct_size
 * covers it, else NULL. For members added after 1.0 (always optional). */
#define GL_IFACE_GET(p, type, member)                                          \
    ((p)->struct_size >= offsetof(type, member) + sizeof(((type *)0)->member) \
         ? (p)->member : NULL)

/* genlab_loss_arg — the tensor called name in args, or NULL. */
static inline genlab_tensor *genlab_loss_arg(const genlab_loss_args *args, const char *name)
{
    for (int i = 0; i < args->n_tensors; i++)
        if (strcmp(args->tensors[i].name, name) == 0)
            return args->tensors[i].t;
    return NULL;
}

/* genlab_loss_missing_input — the first name in loss->inputs that is not in
 * the NULL-terminated list provided, or NULL when the trainer can feed it. */
static inline const char *genlab_loss_missing_input(const genlab_loss_i *loss,
                                                    const char *const *provided)
{
    for (const char *const *need = loss->inputs; need && *need; need++) {
        bool found = false;
        for (const char *const *p = provided; p && *p && !found; p++)
            found = strcmp(*need, *p) == 0;
        if (!found)
            return *need;
    }
    return NULL;
}

/* genlab_step_metric — append one scalar to a step's metrics; false when
 * the array is full (GL_STEP_METRICS_MAX). */
static inline bool genlab_step_metric(genlab_step_metrics *m, const char *name, double value)
{
    if (m->n >= GL_STEP_METRICS_MAX)
        return false;
    m->name[m->n] = name;
    m->value[m->n] = value;
    m->n++;
    return true;
}

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_PLUGIN_H */
