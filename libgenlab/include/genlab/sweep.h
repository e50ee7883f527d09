/* SPDX-License-Identifier: MIT
 *
 * sweep.h — a sweep: a grid (or a random search) over declared parameters
 * times seeds, read from an INI file, checked and expanded into points.
 *
 *     [sweep]
 *     name = lr-grid            ; letters, digits, '.', '_', '-'
 *     config = gan-fmnist.ini   ; the base training config, relative to this file
 *     seeds = 0..4              ; or 0, 3, 7 (default: the config's train.seed)
 *     mode = grid               ; or random: samples = 20, random_seed = 1
 *     [grid]                    ; [random] in random mode
 *     optim.lr = 1e-4, 2e-4, 5e-4
 *     train.batch = 64, 128
 *     [fixed]                   ; optional: set for every point
 *     train.steps = 200
 *     [score]                   ; optional: genlab score on each point's run
 *     metric = classifier-fid   ; genlab score's --metric list
 *     n = 2000                  ; its -n (optional)
 *     args = classifier.weights=auto   ; further arguments, split at blanks
 *
 * A grid's points come in a stable order: the file's key order, the last
 * key fastest, the seeds innermost. In random mode each of `samples` draws
 * (Philox keyed by random_seed, draw i from counter i: reproducible) gives
 * every key of [random] a value from uniform(a, b), loguniform(a, b)
 * (0 < a), int(a, b) (both ends included), choice(a, b, ...) or a plain
 * list (a choice); then come the seeds. Identical draws count once.
 *
 * Every point is checked as genlab train would check it: a configuration
 * declared with genlab_run_declare, the base config, the [fixed] values,
 * the point's values and its seed, resolved against the registry; the
 * first point that does not resolve fails the load with the
 * configuration's message, whose lines name the sweep file's line and key
 * ("lr.ini:8: optim.lr = \"20\": out of range (allowed: [0, 10])").
 *
 * Each point has its canonical JSON: its keys (the swept ones and
 * train.seed) sorted, each value the resolved text (1e-4 and 0.0001 are
 * one point: "0.0001"). With the sweep's name it identifies the point's
 * runs in the store (runs.sweep, runs.sweep_point): what a re-run skips.
 *
 * [score] is read, not interpreted: which metrics exist and which arguments
 * genlab score takes is the genlab program's to check (it has the lines).
 *
 * Not here: running the points, the store (the genlab program's `sweep`).
 * A sweep is immutable once loaded; any thread may read it.
 *
 * Sections: points, scoring, loading, reading.
 */
#ifndef GENLAB_SWEEP_H
#define GENLAB_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "registry.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- points ---- */

/* One point of a sweep. Owned by the sweep; valid until it is destroyed. */
typedef struct genlab_sweep_point {
    /* the "key=value" arguments that make the point from the base config:
     * the [fixed] values as written, then the point's values as resolved
     * text, then train.seed (when the sweep has seeds) */
    const char *const *args;
    size_t             n_args;
    const char        *json;    /* canonical JSON object (see above) */
    const char        *label;   /* "optim.lr=0.0001 train.seed=0": the
                                   swept keys and the seed, file order */
} genlab_sweep_point;

/* ---- scoring ---- */

/* A sweep file's [score] section. Owned by the sweep. */
typedef struct genlab_sweep_score {
    const char        *metric;   /* genlab score's --metric list, as written */
    int64_t            n;        /* its -n; 0 when not given (its default) */
    const char *const *args;     /* args = ..., split at blanks and tabs */
    size_t             n_args;
    int metric_line, n_line, args_line;   /* their lines (0: not given) */
} genlab_sweep_score;

/* ---- loading ---- */

typedef struct genlab_sweep genlab_sweep;

/* genlab_sweep_load — read, check and expand the sweep file at path.
 * reg: the registry the points are resolved against (component names and
 *      their parameters); may be NULL only when no component is named.
 * out: OUT: the sweep. As genlab_store_open, a handle is returned even when
 *      the load fails (except GL_ERR_NOMEM and a NULL argument: *out NULL)
 *      so that genlab_sweep_errmsg can explain; always release it with
 *      genlab_sweep_destroy.
 * Returns GL_OK; GL_ERR_IO (the file or its base config cannot be read);
 * GL_ERR_FORMAT (a malformed line, an unknown section or [sweep] or [score]
 * key, no name, a bad list, range or distribution, a seeds range that ends
 * before it starts, nothing to sweep, two grid points that are the same,
 * [score] without metric or with an n that is not an integer >= 1);
 * GL_ERR_INVALID (a point does not resolve: unknown key, bad value);
 * GL_ERR_NOMEM. Every message starts with the file's path (and line). */
genlab_status genlab_sweep_load(const char *path, genlab_registry *reg, genlab_sweep **out);

/* genlab_sweep_destroy — free it. NULL is a no-op. */
void genlab_sweep_destroy(genlab_sweep *s);

/* genlab_sweep_errmsg — why the load failed, "" after a success. Owned by
 * the sweep. A NULL sweep gives a static message. */
const char *genlab_sweep_errmsg(const genlab_sweep *s);

/* ---- reading (after a successful load) ---- */

/* genlab_sweep_name — the [sweep] name. Owned by the sweep. */
const char *genlab_sweep_name(const genlab_sweep *s);

/* genlab_sweep_config — the base config's path (relative to the current
 * directory, as it was resolved against the sweep file's directory), or
 * NULL when the file names none. Owned by the sweep. */
const char *genlab_sweep_config(const genlab_sweep *s);

/* genlab_sweep_scoring — the [score] section, or NULL when the file has
 * none (or for NULL or a failed load). */
const genlab_sweep_score *genlab_sweep_scoring(const genlab_sweep *s);

/* genlab_sweep_count — the number of points (0 for NULL or a failed load). */
size_t genlab_sweep_count(const genlab_sweep *s);

/* genlab_sweep_point_at — point i (0-based, in the order above), or NULL
 * when i is out of range. */
const genlab_sweep_point *genlab_sweep_point_at(const genlab_sweep *s, size_t i);

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_SWEEP_H */
