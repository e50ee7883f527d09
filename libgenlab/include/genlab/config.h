/* SPDX-License-Identifier: MIT
 *
 * config.h — typed configuration: declared parameters, values from INI
 * files and the command line, validation before a run, resolved values.
 *
 * Every tunable is declared (genlab_param_def in plugin.h) — by the core
 * with genlab_config_declare, by components through their parameter
 * tables — and never parsed by hand. Keys are dotted: "<scope>.<name>".
 * Values come from
 *   - INI files: sections become scopes ([gan] loss = wgan-gp -> gan.loss;
 *     keys before any section have no scope),
 *   - command-line overrides "key=value" (gan.loss=wgan-gp optim.lr=2e-4),
 *     which win over files whatever the order of the calls; within one kind
 *     of source the last value wins,
 *   - the declared defaults.
 * genlab_config_resolve follows component parameters (gan.loss = hinge binds
 * the loss "hinge"'s parameters under loss.*; see GL_PARAM_COMPONENT),
 * checks every value, and reports ALL problems in ONE message: unknown keys
 * (with a "did you mean" by edit distance), wrong types, values out of
 * range, enum values not allowed (listing the allowed ones), unknown
 * component names (listing the known ones), malformed INI lines (file:line)
 * and missing required values. Nothing runs when it fails.
 *
 * After a successful resolve, values are read with the typed getters and
 * enumerated (defaults included) for the run's record, as (key, value text,
 * type) items or as JSON.
 *
 *     genlab_config *cfg;
 *     genlab_config_create(&cfg);
 *     genlab_config_declare(cfg, "train", core_train_params, n_core_train_params);
 *     genlab_config_load_ini(cfg, "exp.ini");
 *     genlab_config_set_args(cfg, argc, argv);           // "key=value" ...
 *     if (genlab_config_resolve(cfg, reg) != GL_OK) {     // reg: registry.h
 *         fprintf(stderr, "%s\n", genlab_config_errmsg(cfg));
 *         return 2;
 *     }
 *
 * A configuration refers to the parameter tables of the components it bound:
 * destroy it before the registry. Not thread-safe while being built; after
 * resolve, getters asked for declared keys of the right type may be used
 * from several threads (a failing getter records an error).
 */
#ifndef GENLAB_CONFIG_H
#define GENLAB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugin.h"
#include "registry.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* genlab_config_create — an empty configuration (no declarations, no values).
 * out: OUT: free with genlab_config_destroy.
 * Returns GL_OK, GL_ERR_INVALID (out NULL) or GL_ERR_NOMEM. */
genlab_status genlab_config_create(genlab_config **out);

/* genlab_config_destroy — free it, its scope views and its strings. NULL is
 * a no-op. Passing a scope view is a no-op (views belong to the root). */
void genlab_config_destroy(genlab_config *cfg);

/* genlab_config_errmsg — the message of the last problem: after a failed
 * resolve, "N problems in the configuration:" followed by one indented line
 * per problem; after a failed getter, the getter's complaint. Owned by the
 * configuration; valid until the next call that changes it. "" when none. */
const char *genlab_config_errmsg(const genlab_config *cfg);

/* genlab_config_status — GL_OK, or the status of the first failure (a
 * failed resolve, or a getter asked for an undeclared key or with the wrong
 * type — a plugin bug the core checks for after every create()). */
genlab_status genlab_config_status(const genlab_config *cfg);

/* ---- building (before resolve) ---- */

/* genlab_config_declare — declare parameters under scope, with the same
 * machinery as component tables: how the core and the CLI add their own
 * keys (train.steps, train.seed, optim.lr ...).
 * scope: one or more dotted segments ("train", "optim").
 * defs, n: the table; it must outlive the configuration (static data).
 * Each definition is checked (name syntax, default parses and lies in the
 * range, enum default among the choices, min <= max); a key declared twice
 * is refused. Returns GL_OK, GL_ERR_INVALID (message names the key and the
 * fault), GL_ERR_STATE after resolve, or GL_ERR_NOMEM. */
genlab_status genlab_config_declare(genlab_config *cfg, const char *scope,
                                    const genlab_param_def *defs, size_t n);

/* genlab_config_load_ini — read key = value lines from an INI file (libinih
 * syntax: [section], key = value or key: value, ';' and '#' comments).
 * Values are only recorded here; they are checked by resolve. A malformed
 * line is recorded as a problem "path:line: ..." reported by resolve.
 * Returns GL_OK; GL_ERR_FORMAT when some line was malformed; GL_ERR_IO when
 * the file cannot be read (also recorded as a problem); GL_ERR_STATE after
 * resolve; GL_ERR_NOMEM. */
genlab_status genlab_config_load_ini(genlab_config *cfg, const char *path);

/* genlab_config_set — one command-line override, as if "key=value" had been
 * given (same precedence). origin names the source in messages ("command
 * line" if NULL). Returns GL_OK, GL_ERR_INVALID (empty key), GL_ERR_STATE
 * after resolve, GL_ERR_NOMEM. */
genlab_status genlab_config_set(genlab_config *cfg, const char *key, const char *value,
                                const char *origin);

/* genlab_config_set_args — command-line overrides, each "key=value" (split
 * at the first '='). An argument without '=' or with an empty key is
 * recorded as a problem for resolve. Returns GL_OK, GL_ERR_FORMAT (some
 * argument malformed), GL_ERR_STATE after resolve, GL_ERR_NOMEM. */
genlab_status genlab_config_set_args(genlab_config *cfg, int argc, const char *const *argv);

/* genlab_config_resolve — bind components, validate every value, fill in
 * defaults.
 * reg: where GL_PARAM_COMPONENT values are looked up (may be NULL when no
 *      component parameter is declared). Kept by the configuration until
 *      it is destroyed.
 * Binding: for each component parameter, its value (given or default)
 * names a component of the parameter's kind; that component's parameters
 * are declared under the parameter's name (or the component's name with
 * GL_PARAM_SCOPE_BY_NAME), and so on through their own component
 * parameters; an optional one (default "") left empty binds nothing. Two
 * different components bound to one scope is a problem.
 * Returns GL_OK, or GL_ERR_INVALID with every problem in one message
 * (genlab_config_errmsg); GL_ERR_STATE when called twice; GL_ERR_NOMEM. */
genlab_status genlab_config_resolve(genlab_config *cfg, genlab_registry *reg);

/* ---- reading (after resolve) ---- */

/* genlab_config_scope — the view of one scope ("loss"), whose getters take
 * names relative to it ("gp_weight" reads loss.gp_weight); views are what
 * component create() callbacks receive. cfg may itself be a view (the
 * scope is then relative to the root, not nested). NULL when no declared or
 * bound scope has that name. Owned by the root configuration. */
const genlab_config *genlab_config_scope(const genlab_config *cfg, const char *scope);

/* genlab_config_root — the root configuration of a view (itself for a root). */
const genlab_config *genlab_config_root(const genlab_config *cfg);

/* Typed getters. key is relative to the view (a full dotted key on the
 * root). Asking for an undeclared key, or with the wrong type, is a plugin
 * bug: the getter returns 0 / NAN / false / NULL and records the first such
 * error on the configuration (genlab_config_status), which the core checks
 * after create(). genlab_config_str serves string, enum and component
 * parameters; the string is owned by the configuration. */
int64_t     genlab_config_int(const genlab_config *cfg, const char *key);
double      genlab_config_float(const genlab_config *cfg, const char *key);
bool        genlab_config_bool(const genlab_config *cfg, const char *key);
const char *genlab_config_str(const genlab_config *cfg, const char *key);

/* genlab_config_component — the component named by component parameter ref
 * of the view cfg, and the view of its parameters.
 * ref:   the parameter's name in cfg ("loss" in the view of "gan").
 * kind:  the kind the caller expects (checked against the declaration).
 * comp:  OUT: the component (its iface is the kind's vtable).
 * scope: OUT: the view to pass to its create().
 * An optional component parameter (default "") left empty is GL_OK with
 * *comp and *scope NULL: the caller goes without.
 * Returns GL_OK, or GL_ERR_INVALID (undeclared, not a component parameter,
 * other kind — recorded as for the getters). */
genlab_status genlab_config_component(const genlab_config *cfg, const char *ref,
                                      genlab_component_kind kind,
                                      const genlab_component **comp,
                                      const genlab_config **scope);

/* ---- enumeration (after resolve) ---- */

/* One resolved value. Members are appended only; owned by the configuration. */
typedef struct genlab_config_item {
    const char *key;       /* full dotted key, "loss.gp_weight" */
    const char *value;     /* canonical text: "10", "0.0002", "true", "hinge" */
    const char *type;      /* genlab_param_type_name of its type */
    const char *origin;    /* "default", "exp.ini:7" or "command line" */
    const char *help;      /* the declaration's help line */
    genlab_param_type type_id;
} genlab_config_item;

/* genlab_config_count / genlab_config_item_at — every resolved value,
 * defaults included, sorted by key. On a view, only the keys of that scope.
 * genlab_config_count is 0 before resolve; genlab_config_item_at returns
 * NULL when i is out of range or before resolve. */
size_t genlab_config_count(const genlab_config *cfg);
const genlab_config_item *genlab_config_item_at(const genlab_config *cfg, size_t i);

/* genlab_config_json — every resolved value as one flat JSON object with
 * sorted dotted keys and typed values ({"loss.gp_weight": 10.0,
 * "train.steps": 1000, "gan.loss": "wgan-gp"}), for the run's record.
 * Returns a string the caller frees with free(), or NULL (before resolve,
 * out of memory). */
char *genlab_config_json(const genlab_config *cfg);

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_CONFIG_H */
