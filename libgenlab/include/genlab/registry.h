/* SPDX-License-Identifier: MIT
 *
 * registry.h — the host side of plugins: loading .so files, looking up
 * components, recording which modules a run used.
 *
 * A registry owns the plugins it loaded (dlopen handles) and the components
 * they declare. It is what a program (the genlab CLI, a test, an embedding
 * application) creates once; plugins never see it directly — they get a
 * genlab_host (plugin.h) whose find() goes through it.
 *
 *     genlab_registry *reg;
 *     genlab_registry_create(NULL, &reg);          // GENLAB_PLUGIN_PATH, then install dir
 *     if (genlab_plugin_load_all(reg) != GL_OK)
 *         fprintf(stderr, "%s\n", genlab_registry_errmsg(reg));
 *     const genlab_component *c = genlab_registry_find(reg, GL_KIND_LOSS, "hinge");
 *
 * Errors are messages kept on the registry (never printed), one line per
 * problem, each naming the file: "genlab_plugin_load: <what> "<path>": ...".
 * The message of a call replaces the previous one.
 *
 * Not thread-safe: one thread loads and looks up; the components themselves
 * may then be used from several threads (with separate instances).
 */
#ifndef GENLAB_REGISTRY_H
#define GENLAB_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "plugin.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct genlab_registry genlab_registry;

/* genlab_registry_create — an empty registry.
 * search_path: colon-separated directories searched in order by
 *              genlab_plugin_load_name / _load_all; NULL means
 *              $GENLAB_PLUGIN_PATH (if set) followed by the install
 *              directory ($(pkglibdir)/plugins). Empty elements are ignored.
 * out:         OUT: the registry; free with genlab_registry_destroy.
 * Returns GL_OK, GL_ERR_INVALID (out NULL) or GL_ERR_NOMEM. */
genlab_status genlab_registry_create(const char *search_path, genlab_registry **out);

/* genlab_registry_destroy — unload every plugin (dlclose) and free the
 * registry. Every component pointer from it becomes invalid, so destroy
 * instances and configurations that bound components first. NULL is a no-op. */
void genlab_registry_destroy(genlab_registry *reg);

/* genlab_registry_errmsg — the message of the last failed call ("" after a
 * success), one line per problem. Owned by the registry; valid until the
 * next call on it. */
const char *genlab_registry_errmsg(const genlab_registry *reg);

/* genlab_registry_search_path — the directories searched, as given to
 * create (or built from the environment). Owned by the registry. */
const char *genlab_registry_search_path(const genlab_registry *reg);

/* genlab_registry_set_logger — where host->log() and the loader's
 * informational lines go (skipped files, shadowed plugins). fn NULL (the
 * default) discards them. */
typedef void (*genlab_log_fn)(void *user, genlab_log_level level, const char *msg);
void genlab_registry_set_logger(genlab_registry *reg, genlab_log_fn fn, void *user);

/* ---- loading ---- */

/* genlab_plugin_load — load one plugin file.
 * path: the file, used exactly as given (a name without '/' is taken
 *       relative to the working directory, never searched for).
 * The file must be a regular file (lstat: symbolic links are refused). A
 * file already loaded (same device and inode, whatever the spelling of the
 * path) is a no-op returning GL_OK. Otherwise it is opened with
 * dlopen(RTLD_NOW | RTLD_LOCAL); its entry point genlab_plugin_v1 is called;
 * the descriptor, every component and vtable and every parameter table are
 * validated; component names are checked against everything loaded; then
 * each component's init() runs. Only when all of that succeeds are the
 * components registered, so a failure leaves the registry unchanged and the
 * file closed (dlclose).
 * Returns GL_OK; GL_ERR_IO (missing, not a regular file, dlopen failure:
 * the dlerror() text and "check dependencies with ldd"); GL_ERR_ABI (no
 * entry point, major version mismatch "incompatible ABI (plugin: 2.0,
 * host: 1.0)", malformed descriptor); GL_ERR_INVALID (duplicate component,
 * naming both files; bad parameter table); the status of a failing init();
 * GL_ERR_NOMEM. The message is on the registry. */
genlab_status genlab_plugin_load(genlab_registry *reg, const char *path);

/* genlab_plugin_load_name — load "<name>.so" from the first directory of
 * the search path that holds a regular file of exactly that name ("cpu"
 * never matches "cpufreq.so"). A name containing '/' is a path
 * (genlab_plugin_load). Returns as genlab_plugin_load, or GL_ERR_IO when no
 * directory has it (the message lists the directories searched). */
genlab_status genlab_plugin_load_name(genlab_registry *reg, const char *name);

/* genlab_plugin_load_all — load every "*.so" regular file of every search
 * directory, in search order and, within a directory, in name order.
 * Non-regular entries (symlinks, directories, fifos) are skipped, as are
 * missing directories. A file whose name was already loaded from an earlier
 * directory is shadowed (skipped, logged), so a plugin on
 * GENLAB_PLUGIN_PATH replaces the installed one of the same file name.
 * A failing file does not stop the others: the message lists every failure
 * and the first failure's status is returned. */
genlab_status genlab_plugin_load_all(genlab_registry *reg);

/* ---- lookup and listing ---- */

/* genlab_registry_find — the component of kind with exactly this name, or
 * NULL with a message listing the known names of the kind ("no loss named
 * "x" (known: hinge, wgan-gp)"). Marks its module as used (see
 * genlab_registry_json). Valid until the registry is destroyed. */
const genlab_component *genlab_registry_find(genlab_registry *reg, genlab_component_kind kind,
                                             const char *name);

/* genlab_registry_count / genlab_registry_component — every registered
 * component, in load order, for listings (`genlab plugins`).
 * i:      0 <= i < count.
 * module: OUT (may be NULL): the descriptor of the module it comes from.
 * path:   OUT (may be NULL): the file it was loaded from (registry-owned).
 * Returns NULL when i is out of range. */
size_t genlab_registry_count(const genlab_registry *reg);
const genlab_component *genlab_registry_component(const genlab_registry *reg, size_t i,
                                                  const genlab_module **module,
                                                  const char **path);

/* genlab_component_param — copy parameter i of c into *out, whatever
 * param_size the plugin was built with (members it lacks are zeroed).
 * Returns false when i >= c->n_params. */
bool genlab_component_param(const genlab_component *c, uint32_t i, genlab_param_def *out);

/* genlab_registry_json — the loaded modules as JSON text, for recording
 * with a run:
 *   [{"name": "gan", "version": "1.0.0", "abi": "1.0", "path": "...",
 *     "components": ["trainer/gan", "loss/hinge"]}, ...]
 * used_only: only modules one of whose components was looked up
 *            (genlab_registry_find, host find, configuration resolution).
 * Returns a string the caller frees with free(), or NULL when out of memory. */
char *genlab_registry_json(const genlab_registry *reg, bool used_only);

/* ---- host services for plugins ---- */

/* genlab_host_init — fill *host (plugin.h) for create() calls: log goes to
 * the registry's logger, find to genlab_registry_find with its error copied
 * onto ctx. ctx and config may be NULL (then find errors are only on the
 * registry). host must not outlive reg, ctx or config. */
void genlab_host_init(genlab_host *host, genlab_registry *reg, genlab_ctx *ctx,
                      const genlab_config *config);

#ifdef __cplusplus
}
#endif
#endif /* GENLAB_REGISTRY_H */
