/* SPDX-License-Identifier: MIT
 *
 * plugin_loader.c — the registry: loading plugin files, validating their
 * descriptors, looking components up, and the host services plugins get.
 *
 * Loading follows collectd's plugin_load and sqlite's loadext: lstat and
 * refuse what is not a regular file; dlopen(RTLD_NOW | RTLD_LOCAL); find
 * the one entry point; validate everything the descriptor declares (only
 * the entry point and a backend's table() run before that); run the
 * components' init(); register all or nothing; dlclose on every failure path. Messages
 * name the file and say what to do; nothing is printed.
 *
 * It is not the configuration (config.c) and does not instantiate
 * components: callers do that through the vtables.
 *
 * Sections: kind table, registry lifecycle and messages, descriptor
 * validation, loading, search path, lookup and listing, host services.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "config.h"
#include "plugin_impl.h"

#ifndef GENLAB_PLUGINDIR
#error "GENLAB_PLUGINDIR (the install directory of plugins) must be defined by the build"
#endif

/* ---- kind table ---- */

/* End offset of a member: a struct_size at least this large has it. */
#define GL_END(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))
#define GL_REQ(type, member) {#member, offsetof(type, member)}

typedef struct gl_kind_info {
    const char *name;
    size_t      min_size;      /* end of the last ABI 1.0 member */
    struct {
        const char *name;
        size_t      offset;
    } required[5];              /* function pointers that must not be NULL */
} gl_kind_info;

static const gl_kind_info gl_kinds[GL_KIND_COUNT] = {
    [GL_KIND_TRAINER] = {"trainer", GL_END(genlab_trainer_i, visit),
                         {GL_REQ(genlab_trainer_i, create), GL_REQ(genlab_trainer_i, destroy),
                          GL_REQ(genlab_trainer_i, step), GL_REQ(genlab_trainer_i, sample)}},
    [GL_KIND_ARCH] = {"arch", GL_END(genlab_arch_i, forward),
                      {GL_REQ(genlab_arch_i, build), GL_REQ(genlab_arch_i, destroy),
                       GL_REQ(genlab_arch_i, forward)}},
    [GL_KIND_LOSS] = {"loss", GL_END(genlab_loss_i, compute), {GL_REQ(genlab_loss_i, compute)}},
    [GL_KIND_SAMPLER] = {"sampler", GL_END(genlab_sampler_i, run),
                         {GL_REQ(genlab_sampler_i, run)}},
    [GL_KIND_SCHEDULE] = {"schedule", GL_END(genlab_schedule_i, at),
                          {GL_REQ(genlab_schedule_i, at)}},
    [GL_KIND_METRIC] = {"metric", GL_END(genlab_metric_i, reset),
                        {GL_REQ(genlab_metric_i, create), GL_REQ(genlab_metric_i, destroy),
                         GL_REQ(genlab_metric_i, add), GL_REQ(genlab_metric_i, compute),
                         GL_REQ(genlab_metric_i, protocol)}},
    [GL_KIND_DATASET] = {"dataset", GL_END(genlab_dataset_i, identity),
                         {GL_REQ(genlab_dataset_i, open), GL_REQ(genlab_dataset_i, close),
                          GL_REQ(genlab_dataset_i, read)}},
    [GL_KIND_BACKEND] = {"backend", GL_END(genlab_backend_plugin_i, table),
                         {GL_REQ(genlab_backend_plugin_i, table)}},
};

/* Every vtable starts with these two members. */
typedef struct gl_iface_head {
    uint32_t abi_version;
    uint32_t struct_size;
} gl_iface_head;

const char *genlab_kind_name(genlab_component_kind kind)
{
    return (unsigned)kind < GL_KIND_COUNT ? gl_kinds[kind].name : "?";
}

/* ---- registry lifecycle and messages ---- */

typedef struct gl_module {
    void                *handle;
    char                *path;     /* as given to genlab_plugin_load */
    dev_t                dev;      /* identity: a second load of it is a no-op */
    ino_t                ino;
    const genlab_module *desc;
    bool                 used;     /* a component of it was looked up */
} gl_module;

typedef struct gl_entry {
    const genlab_component *c;
    size_t                  module;  /* index into mods */
} gl_entry;

struct genlab_registry {
    char         *search_path;
    gl_module    *mods;
    size_t        n_mods, cap_mods;
    gl_entry     *comps;
    size_t        n_comps, cap_comps;
    gl_buf        msg;              /* one line per problem of the last call */
    genlab_status status;           /* first failure of the last call */
    genlab_log_fn log_fn;
    void         *log_user;
    bool          noted;            /* gl_registry_note logged its line */
};

/* reg_fail — add one line to the message of the current call; keeps the
 * first status. Returns status so callers can `return reg_fail(...)`. */
static genlab_status reg_fail(genlab_registry *reg, genlab_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static genlab_status reg_fail(genlab_registry *reg, genlab_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (reg->msg.len)
        gl_buf_printf(&reg->msg, "\n");
    gl_buf_vprintf(&reg->msg, fmt, ap);
    va_end(ap);
    if (reg->status == GL_OK)
        reg->status = status;
    return status;
}

/* reg_begin — a public call starts with an empty message. */
static void reg_begin(genlab_registry *reg)
{
    gl_buf_clear(&reg->msg);
    reg->status = GL_OK;
}

/* reg_vlog — one line to the program's logger, if it installed one. */
static void reg_vlog(const genlab_registry *reg, genlab_log_level level, const char *fmt,
                     va_list ap) __attribute__((format(printf, 3, 0)));
static void reg_vlog(const genlab_registry *reg, genlab_log_level level, const char *fmt,
                     va_list ap)
{
    if (!reg->log_fn)
        return;
    char line[1024];   /* a log line, not an error message: truncation is harmless */
    vsnprintf(line, sizeof line, fmt, ap);
    reg->log_fn(reg->log_user, level, line);
}

static void reg_log(const genlab_registry *reg, genlab_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reg_log(const genlab_registry *reg, genlab_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reg_vlog(reg, level, fmt, ap);
    va_end(ap);
}

genlab_status genlab_registry_create(const char *search_path, genlab_registry **out)
{
    if (!out)
        return GL_ERR_INVALID;
    *out = NULL;
    genlab_registry *reg = calloc(1, sizeof *reg);
    if (!reg)
        return GL_ERR_NOMEM;
    if (search_path) {
        reg->search_path = strdup(search_path);
    } else {
        /* the environment is read here, once, never during a run */
        const char *env = getenv("GENLAB_PLUGIN_PATH");
        gl_buf b = {0};
        gl_buf_printf(&b, "%s%s%s", env && *env ? env : "", env && *env ? ":" : "",
                      GENLAB_PLUGINDIR);
        reg->search_path = b.oom ? NULL : b.s;
        if (b.oom)
            gl_buf_free(&b);
    }
    if (!reg->search_path) {
        free(reg);
        return GL_ERR_NOMEM;
    }
    *out = reg;
    return GL_OK;
}

void genlab_registry_destroy(genlab_registry *reg)
{
    if (!reg)
        return;
    for (size_t i = reg->n_mods; i-- > 0;) {
        dlclose(reg->mods[i].handle);
        free(reg->mods[i].path);
    }
    free(reg->mods);
    free(reg->comps);
    gl_buf_free(&reg->msg);
    free(reg->search_path);
    free(reg);
}

const char *genlab_registry_errmsg(const genlab_registry *reg)
{
    return reg->msg.oom ? "out of memory while writing the message" : gl_buf_str(&reg->msg);
}

const char *genlab_registry_search_path(const genlab_registry *reg) { return reg->search_path; }

void gl_registry_note(genlab_registry *reg, bool logged, const char *fmt, ...)
{
    if (!reg || (logged && reg->noted))
        return;
    va_list ap;
    va_start(ap, fmt);
    if (logged) {
        reg->noted = true;
        reg_vlog(reg, GL_LOG_WARN, fmt, ap);
    } else {
        reg_begin(reg);
        gl_buf_vprintf(&reg->msg, fmt, ap);
        reg->status = GL_ERR_UNSUPPORTED;
    }
    va_end(ap);
}

void genlab_registry_set_logger(genlab_registry *reg, genlab_log_fn fn, void *user)
{
    reg->log_fn = fn;
    reg->log_user = user;
}

/* ---- descriptor validation ---- */

/* check_head — abi_version and struct_size of a descriptor, component or
 * vtable: same major, and at least the 1.0 size. what names it. */
static genlab_status check_head(genlab_registry *reg, const char *path, const char *what,
                                uint32_t abi, uint32_t size, size_t min_size)
{
    if (GL_ABI_MAJOR(abi) != GL_PLUGIN_ABI_MAJOR)
        return reg_fail(reg, GL_ERR_ABI,
                        "genlab_plugin_load: incompatible ABI \"%s\": %s (plugin: %u.%u, "
                        "host: %u.%u). Rebuild the plugin against this genlab's headers.",
                        path, what, GL_ABI_MAJOR(abi), GL_ABI_MINOR(abi), GL_PLUGIN_ABI_MAJOR,
                        GL_PLUGIN_ABI_MINOR);
    if (size < min_size)
        return reg_fail(reg, GL_ERR_ABI,
                        "genlab_plugin_load: invalid descriptor \"%s\": %s: struct_size %u is "
                        "smaller than ABI %u.0's %zu",
                        path, what, size, GL_PLUGIN_ABI_MAJOR, min_size);
    return GL_OK;
}

/* check_component — everything the host will rely on, before any of the
 * plugin's callbacks runs. */
static genlab_status check_component(genlab_registry *reg, const char *path, size_t index,
                                     const genlab_component *c)
{
    char what[160];
    snprintf(what, sizeof what, "component %zu", index);
    genlab_status st = check_head(reg, path, what, c->abi_version, c->struct_size,
                                  GL_END(genlab_component, init));
    if (st != GL_OK)
        return st;
    if ((unsigned)c->kind >= GL_KIND_COUNT)
        return reg_fail(reg, GL_ERR_ABI,
                        "genlab_plugin_load: invalid descriptor \"%s\": %s: unknown kind %d",
                        path, what, (int)c->kind);
    const gl_kind_info *k = &gl_kinds[c->kind];
    if (!c->name || !gl_name_ok(c->name))
        return reg_fail(reg, GL_ERR_ABI,
                        "genlab_plugin_load: invalid descriptor \"%s\": %s: %s name \"%s\" is "
                        "not one segment of [a-z0-9_-] starting with a letter",
                        path, what, k->name, c->name ? c->name : "(null)");
    snprintf(what, sizeof what, "%s \"%s\"", k->name, c->name);
    if (!c->doc || !c->iface)
        return reg_fail(reg, GL_ERR_ABI,
                        "genlab_plugin_load: invalid descriptor \"%s\": %s: %s is NULL", path,
                        what, !c->doc ? "doc" : "iface");
    const gl_iface_head *h = c->iface;
    char iface_what[200];
    snprintf(iface_what, sizeof iface_what, "%s vtable", what);
    st = check_head(reg, path, iface_what, h->abi_version, h->struct_size, k->min_size);
    if (st != GL_OK)
        return st;
    for (size_t i = 0; i < sizeof k->required / sizeof k->required[0] && k->required[i].name;
         i++) {
        void (*fn)(void);
        memcpy(&fn, (const char *)c->iface + k->required[i].offset, sizeof fn);
        if (!fn)
            return reg_fail(reg, GL_ERR_ABI,
                            "genlab_plugin_load: invalid descriptor \"%s\": %s: required member "
                            "%s is NULL",
                            path, what, k->required[i].name);
    }
    if (c->n_params && (!c->params || c->param_size < GL_END(genlab_param_def, help)))
        return reg_fail(reg, GL_ERR_ABI,
                        "genlab_plugin_load: invalid descriptor \"%s\": %s: parameter table "
                        "missing or param_size %u too small (use GL_PARAMS)",
                        path, what, c->param_size);
    for (uint32_t i = 0; i < c->n_params; i++) {
        genlab_param_def d, e;
        char why[256];
        genlab_component_param(c, i, &d);
        if (!gl_param_def_check(&d, why, sizeof why))
            return reg_fail(reg, GL_ERR_INVALID,
                            "genlab_plugin_load: invalid parameter table \"%s\": %s: %s", path,
                            what, why);
        for (uint32_t j = 0; j < i; j++)
            if (genlab_component_param(c, j, &e) && strcmp(e.name, d.name) == 0)
                return reg_fail(reg, GL_ERR_INVALID,
                                "genlab_plugin_load: invalid parameter table \"%s\": %s: "
                                "parameter \"%s\" declared twice",
                                path, what, d.name);
    }
    if (c->kind == GL_KIND_BACKEND) {
        /* the backend table has its own ABI (backend.h); check it now rather
         * than when a context is being made */
        const genlab_backend_i *be = ((const genlab_backend_plugin_i *)c->iface)->table();
        if (!be || be->abi_version != GL_BACKEND_ABI_VERSION)
            return reg_fail(reg, GL_ERR_ABI,
                            "genlab_plugin_load: incompatible ABI \"%s\": %s: backend table "
                            "%s (plugin: %u, host: %u)",
                            path, what, be ? "version" : "is NULL", be ? be->abi_version : 0,
                            GL_BACKEND_ABI_VERSION);
    }
    return GL_OK;
}

/* find_entry — index of the registered component kind/name, or -1. */
static long find_entry(const genlab_registry *reg, genlab_component_kind kind, const char *name)
{
    for (size_t i = 0; i < reg->n_comps; i++)
        if (reg->comps[i].c->kind == kind && strcmp(reg->comps[i].c->name, name) == 0)
            return (long)i;
    return -1;
}

/* check_module — the descriptor, each component, and names unique within
 * the file and against everything already loaded. *n_out: components. */
static genlab_status check_module(genlab_registry *reg, const char *path,
                                  const genlab_module *m, size_t *n_out)
{
    if (!m)
        return reg_fail(reg, GL_ERR_ABI,
                        "genlab_plugin_load: invalid descriptor \"%s\": " GL_PLUGIN_ENTRY_NAME
                        "() returned NULL",
                        path);
    genlab_status st = check_head(reg, path, "module", m->abi_version, m->struct_size,
                                  GL_END(genlab_module, components));
    if (st != GL_OK)
        return st;
    if (!m->name || !m->version || !m->components || !m->components[0])
        return reg_fail(reg, GL_ERR_ABI,
                        "genlab_plugin_load: invalid descriptor \"%s\": module %s is missing",
                        path,
                        !m->name ? "name" : !m->version ? "version" : "components (none given)");
    size_t n = 0;
    for (; m->components[n]; n++) {
        const genlab_component *c = m->components[n];
        if ((st = check_component(reg, path, n, c)) != GL_OK)
            return st;
        for (size_t j = 0; j < n; j++)
            if (m->components[j]->kind == c->kind && !strcmp(m->components[j]->name, c->name))
                return reg_fail(reg, GL_ERR_INVALID,
                                "genlab_plugin_load: duplicate component \"%s\": %s \"%s\" "
                                "declared twice in this file",
                                path, genlab_kind_name(c->kind), c->name);
        long prev = find_entry(reg, c->kind, c->name);
        if (prev >= 0)
            return reg_fail(reg, GL_ERR_INVALID,
                            "genlab_plugin_load: duplicate component \"%s\": %s \"%s\" (first "
                            "from \"%s\")",
                            path, genlab_kind_name(c->kind), c->name,
                            reg->mods[reg->comps[prev].module].path);
    }
    *n_out = n;
    return GL_OK;
}

/* run_inits — each component's init(), with a host that has no context. */
static genlab_status run_inits(genlab_registry *reg, const char *path, const genlab_module *m)
{
    genlab_host host;
    genlab_host_init(&host, reg, NULL, NULL);
    for (size_t i = 0; m->components[i]; i++) {
        const genlab_component *c = m->components[i];
        if (!c->init)
            continue;
        char why[256] = "";
        genlab_status st = c->init(&host, why, sizeof why);
        if (st != GL_OK)
            return reg_fail(reg, st,
                            "genlab_plugin_load: component init failed \"%s\": %s \"%s\": %s",
                            path, genlab_kind_name(c->kind), c->name,
                            why[0] ? why : genlab_status_str(st));
    }
    return GL_OK;
}

/* ---- loading ---- */

/* load_file — the body of genlab_plugin_load, adding to the current message. */
static genlab_status load_file(genlab_registry *reg, const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return reg_fail(reg, GL_ERR_IO, "genlab_plugin_load: cannot open \"%s\": %s", path,
                        strerror(errno));
    if (!S_ISREG(st.st_mode))
        return reg_fail(reg, GL_ERR_IO,
                        "genlab_plugin_load: not a regular file \"%s\" (symbolic links, "
                        "directories and devices are refused)",
                        path);
    for (size_t i = 0; i < reg->n_mods; i++)
        if (reg->mods[i].dev == st.st_dev && reg->mods[i].ino == st.st_ino) {
            reg_log(reg, GL_LOG_DEBUG, "genlab_plugin_load: \"%s\" is already loaded (as \"%s\")",
                    path, reg->mods[i].path);
            return GL_OK;
        }
    if (!gl_grow((void **)&reg->mods, &reg->cap_mods, reg->n_mods + 1, sizeof *reg->mods))
        return reg_fail(reg, GL_ERR_NOMEM, "genlab_plugin_load: out of memory");

    /* dlopen searches the library path for a name without '/': make it a path */
    gl_buf open_path = {0};
    gl_buf_printf(&open_path, "%s%s", strchr(path, '/') ? "" : "./", path);
    char *saved = strdup(path);
    if (open_path.oom || !saved) {
        gl_buf_free(&open_path);
        free(saved);
        return reg_fail(reg, GL_ERR_NOMEM, "genlab_plugin_load: out of memory");
    }
    dlerror();
    void *h = dlopen(open_path.s, RTLD_NOW | RTLD_LOCAL);
    gl_buf_free(&open_path);
    if (!h) {
        const char *err = dlerror();
        free(saved);
        return reg_fail(reg, GL_ERR_IO,
                        "genlab_plugin_load: cannot load \"%s\": %s. The most likely cause is "
                        "a missing or incompatible library: check dependencies with ldd \"%s\".",
                        path, err ? err : "unknown dlopen error", path);
    }

    genlab_status status;
    size_t n = 0;
    dlerror();
    void *sym = dlsym(h, GL_PLUGIN_ENTRY_NAME);
    if (!sym) {
        const char *err = dlerror();
        status = reg_fail(reg, GL_ERR_ABI,
                          "genlab_plugin_load: not a genlab plugin \"%s\": no entry point "
                          GL_PLUGIN_ENTRY_NAME " in it (%s)",
                          path, err ? err : "symbol is NULL");
        goto fail;
    }
    genlab_plugin_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry);  /* POSIX: object pointer to function pointer */
    const genlab_module *m = entry();
    if ((status = check_module(reg, path, m, &n)) != GL_OK)
        goto fail;
    if ((status = run_inits(reg, path, m)) != GL_OK)
        goto fail;
    if (!gl_grow((void **)&reg->comps, &reg->cap_comps, reg->n_comps + n, sizeof *reg->comps)) {
        status = reg_fail(reg, GL_ERR_NOMEM, "genlab_plugin_load: out of memory");
        goto fail;
    }
    reg->mods[reg->n_mods] = (gl_module){.handle = h, .path = saved, .dev = st.st_dev,
                                         .ino = st.st_ino, .desc = m};
    for (size_t i = 0; i < n; i++)
        reg->comps[reg->n_comps++] = (gl_entry){m->components[i], reg->n_mods};
    reg->n_mods++;
    reg_log(reg, GL_LOG_INFO, "loaded plugin %s %s from \"%s\" (%zu components)", m->name,
            m->version, path, n);
    return GL_OK;

fail:
    dlclose(h);
    free(saved);
    return status;
}

genlab_status genlab_plugin_load(genlab_registry *reg, const char *path)
{
    reg_begin(reg);
    if (!path || !*path)
        return reg_fail(reg, GL_ERR_INVALID, "genlab_plugin_load: empty path");
    return load_file(reg, path);
}

/* ---- search path ---- */

/* next_dir — the next non-empty element of a colon-separated list: copies it
 * into dir (size n) and returns the rest, or NULL at the end. */
static const char *next_dir(const char *p, char *dir, size_t n)
{
    while (*p == ':')
        p++;
    if (!*p)
        return NULL;
    size_t len = strcspn(p, ":");
    snprintf(dir, n, "%.*s", (int)len, p);
    return p + len;
}

static bool has_so_suffix(const char *name)
{
    size_t len = strlen(name);
    return len > 3 && strcmp(name + len - 3, ".so") == 0;
}

genlab_status genlab_plugin_load_name(genlab_registry *reg, const char *name)
{
    reg_begin(reg);
    if (!name || !*name)
        return reg_fail(reg, GL_ERR_INVALID, "genlab_plugin_load_name: empty name");
    if (strchr(name, '/'))
        return load_file(reg, name);
    char dir[4096], path[4096 + 256];
    for (const char *p = reg->search_path; (p = next_dir(p, dir, sizeof dir));) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%s.so", dir, name);
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
            return load_file(reg, path);
    }
    return reg_fail(reg, GL_ERR_IO,
                    "genlab_plugin_load_name: no plugin \"%s.so\" (a regular file) in the search "
                    "path \"%s\". Set GENLAB_PLUGIN_PATH to the directory holding it.",
                    name, reg->search_path);
}

/* loaded_basename — whether a file of this name was loaded already. */
static const char *loaded_basename(const genlab_registry *reg, const char *base)
{
    for (size_t i = 0; i < reg->n_mods; i++) {
        const char *slash = strrchr(reg->mods[i].path, '/');
        if (strcmp(slash ? slash + 1 : reg->mods[i].path, base) == 0)
            return reg->mods[i].path;
    }
    return NULL;
}

genlab_status genlab_plugin_load_all(genlab_registry *reg)
{
    reg_begin(reg);
    char dir[4096], path[4096 + 256];
    for (const char *p = reg->search_path; (p = next_dir(p, dir, sizeof dir));) {
        struct dirent **list = NULL;
        int n = scandir(dir, &list, NULL, alphasort);   /* name order: deterministic */
        if (n < 0) {
            reg_log(reg, GL_LOG_DEBUG, "genlab_plugin_load_all: skipping \"%s\": %s", dir,
                    strerror(errno));
            continue;
        }
        for (int i = 0; i < n; i++) {
            const char *base = list[i]->d_name;
            struct stat st;
            snprintf(path, sizeof path, "%s/%s", dir, base);
            const char *first;
            if (!has_so_suffix(base)) {
                /* not a plugin file name: ignored silently */
            } else if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
                reg_log(reg, GL_LOG_DEBUG,
                        "genlab_plugin_load_all: skipping \"%s\": not a regular file", path);
            } else if ((first = loaded_basename(reg, base)) && strcmp(first, path) != 0) {
                reg_log(reg, GL_LOG_INFO,
                        "genlab_plugin_load_all: skipping \"%s\": shadowed by \"%s\"", path,
                        first);
            } else {
                load_file(reg, path);   /* failures are collected in the message */
            }
            free(list[i]);
        }
        free(list);
    }
    return reg->status;
}

/* ---- lookup and listing ---- */

void gl_registry_missing(const genlab_registry *reg, genlab_component_kind kind,
                         const char *name, gl_buf *b)
{
    gl_buf_printf(b, "no %s named \"%s\" (", genlab_kind_name(kind), name);
    size_t known = 0;
    for (size_t i = 0; i < reg->n_comps; i++)
        if (reg->comps[i].c->kind == kind)
            gl_buf_printf(b, "%s%s", known++ ? ", " : "known: ", reg->comps[i].c->name);
    if (!known)
        gl_buf_printf(b, "no %s is loaded; plugin search path: \"%s\"", genlab_kind_name(kind),
                      reg->search_path);
    gl_buf_printf(b, ")");
}

const genlab_component *genlab_registry_find(genlab_registry *reg, genlab_component_kind kind,
                                             const char *name)
{
    reg_begin(reg);
    long i = name ? find_entry(reg, kind, name) : -1;
    if (i < 0) {
        gl_buf_printf(&reg->msg, "genlab_registry_find: ");
        gl_registry_missing(reg, kind, name ? name : "(null)", &reg->msg);
        reg->status = GL_ERR_INVALID;
        return NULL;
    }
    reg->mods[reg->comps[i].module].used = true;
    return reg->comps[i].c;
}

size_t genlab_registry_count(const genlab_registry *reg) { return reg->n_comps; }

const genlab_component *genlab_registry_component(const genlab_registry *reg, size_t i,
                                                  const genlab_module **module,
                                                  const char **path)
{
    if (i >= reg->n_comps)
        return NULL;
    const gl_module *m = &reg->mods[reg->comps[i].module];
    if (module)
        *module = m->desc;
    if (path)
        *path = m->path;
    return reg->comps[i].c;
}

bool genlab_component_param(const genlab_component *c, uint32_t i, genlab_param_def *out)
{
    if (i >= c->n_params)
        return false;
    /* the plugin's table may have been built with a smaller (older) or
     * larger (newer) definition: copy what both know, zero the rest */
    size_t size = c->param_size < sizeof *out ? c->param_size : sizeof *out;
    memset(out, 0, sizeof *out);
    memcpy(out, (const char *)c->params + (size_t)i * c->param_size, size);
    return true;
}

char *genlab_registry_json(const genlab_registry *reg, bool used_only)
{
    json_t *all = json_array();
    for (size_t i = 0; all && i < reg->n_mods; i++) {
        const gl_module *m = &reg->mods[i];
        if (used_only && !m->used)
            continue;
        char abi[32];
        snprintf(abi, sizeof abi, "%u.%u", GL_ABI_MAJOR(m->desc->abi_version),
                 GL_ABI_MINOR(m->desc->abi_version));
        json_t *comps = json_array();
        bool ok = comps != NULL;
        for (size_t j = 0; ok && m->desc->components[j]; j++) {
            const genlab_component *c = m->desc->components[j];
            ok = json_array_append_new(comps, json_pack("s++", genlab_kind_name(c->kind), "/",
                                                        c->name)) == 0;
        }
        /* "o" hands comps over to the object, even when packing fails */
        json_t *o = ok ? json_pack("{s:s, s:s, s:s, s:s, s:o}", "name", m->desc->name, "version",
                                   m->desc->version, "abi", abi, "path", m->path, "components",
                                   comps)
                       : (json_decref(comps), NULL);
        if (!o || json_array_append_new(all, o) != 0) {
            json_decref(all);
            return NULL;
        }
    }
    char *text = all ? json_dumps(all, JSON_INDENT(0) | JSON_COMPACT) : NULL;
    json_decref(all);
    return text;
}

/* ---- host services ---- */

static void host_log(const genlab_host *host, genlab_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reg_vlog(host->context, level, fmt, ap);
    va_end(ap);
}

static const genlab_component *host_find(const genlab_host *host, genlab_component_kind kind,
                                         const char *name)
{
    genlab_registry *reg = host->context;
    const genlab_component *c = genlab_registry_find(reg, kind, name);
    if (!c && host->ctx)
        genlab_errorf(host->ctx, GL_ERR_INVALID, "%s", genlab_registry_errmsg(reg));
    return c;
}

void genlab_host_init(genlab_host *host, genlab_registry *reg, genlab_ctx *ctx,
                      const genlab_config *config)
{
    *host = (genlab_host){
        .abi_version = GL_PLUGIN_ABI_VERSION,
        .struct_size = sizeof *host,
        .ctx = ctx,
        .config = config,
        .log = host_log,
        .find = host_find,
        .context = reg,
    };
}
