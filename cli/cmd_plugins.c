/* SPDX-License-Identifier: MIT
 *
 * cmd_plugins.c — `genlab plugins`: the components the plugins on the
 * search path provide, and `genlab plugins show NAME`: one component's
 * parameters with their types, defaults, allowed values and help.
 *
 * It only reads the registry (cli_registry_open loads every plugin, a
 * failing one being a warning); it runs no component.
 *
 * Sections: shared, listing, show, dispatch.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "genlab/genlab.h"
#include "output.h"

/* ---- shared ---- */

#define KIND_NAMES "trainer, arch, loss, sampler, schedule, metric, dataset, backend"

/* parse_kind — --kind's value; false after a usage error */
static bool parse_kind(const cli_help *help, const char *text, int *kind)
{
    *kind = -1;
    if (!text)
        return true;
    for (int k = 0; k < GL_KIND_COUNT; k++)
        if (!strcmp(text, genlab_kind_name((genlab_component_kind)k)))
            return *kind = k, true;
    cli_usage_error(help, "unknown kind '%s' (kinds: " KIND_NAMES ")", text);
    return false;
}

/* the registry's components of kind (-1: all), sorted by kind then name */
typedef struct entry {
    const genlab_component *c;
    const genlab_module    *module;
    const char             *path;
} entry;

static int compare_entries(const void *a, const void *b)
{
    const genlab_component *x = ((const entry *)a)->c, *y = ((const entry *)b)->c;
    return x->kind != y->kind ? (x->kind < y->kind ? -1 : 1) : strcmp(x->name, y->name);
}

/* entries — a malloc'd array (NULL when out of memory, or empty: *n = 0)
 * of the components of kind whose name is name (NULL: any) */
static entry *entries(const genlab_registry *reg, int kind, const char *name, size_t *n)
{
    size_t count = genlab_registry_count(reg);
    entry *e = malloc((count ? count : 1) * sizeof *e);
    *n = 0;
    for (size_t i = 0; e && i < count; i++) {
        entry x;
        x.c = genlab_registry_component(reg, i, &x.module, &x.path);
        if ((kind < 0 || (int)x.c->kind == kind) && (!name || !strcmp(name, x.c->name)))
            e[(*n)++] = x;
    }
    if (e)
        qsort(e, *n, sizeof *e, compare_entries);
    return e;
}

/* ---- listing ---- */

static const cli_help plugins_help = {
    .command = "plugins",
    .synopsis = "genlab plugins [--kind KIND] [--format FMT]\n"
                "genlab plugins show NAME [--kind KIND]",
    .body =
        "Lists the components of the plugins found on $GENLAB_PLUGIN_PATH and in the\n"
        "installed plugin directory: kind, name, module, module version and a one-line\n"
        "description. A plugin that fails to load is a warning on stderr; the others\n"
        "are listed. `genlab plugins show NAME` prints a component's parameters.\n"
        "\n"
        "options:\n"
        "  --kind KIND      only components of this kind (" KIND_NAMES ")\n"
        "  --format FMT     table (default), csv, markdown or json\n"
        "\n"
        "examples:\n"
        "  genlab plugins --kind loss\n"
        "  genlab plugins show lsgan\n",
};

static int list(int argc, char **argv)
{
    const char *kind_s = NULL, *format = "table";
    const cli_option opts[] = {{"kind", &kind_s}, {"format", &format}, {NULL, NULL}};
    int npos, kind, rc = cli_parse(&plugins_help, argc, argv, opts, &npos);
    if (rc >= 0)
        return rc;
    if (npos > 0)
        return cli_usage_error(&plugins_help, "unexpected argument '%s'", argv[1]);
    cli_format fmt;
    if (!cli_format_parse(format, &fmt))
        return cli_usage_error(&plugins_help, "unknown format '%s' (choose one of "
                               CLI_FORMAT_NAMES ")", format);
    if (!parse_kind(&plugins_help, kind_s, &kind))
        return CLI_EXIT_USAGE;
    genlab_registry *reg = cli_registry_open(&plugins_help);
    if (!reg)
        return CLI_EXIT_FAILURE;
    size_t n;
    entry *e = entries(reg, kind, NULL, &n);
    cli_output *o = e ? cli_output_new(stdout, fmt) : NULL;
    rc = o ? CLI_EXIT_OK : cli_fail(&plugins_help, "out of memory");
    static const char *const names[] = {"kind", "name", "module", "version", "doc"};
    for (size_t i = 0; rc == CLI_EXIT_OK && i < n; i++) {
        const char *row[] = {genlab_kind_name(e[i].c->kind), e[i].c->name, e[i].module->name,
                             e[i].module->version, e[i].c->doc};
        if (cli_output_row(o, 5, names, row))
            rc = cli_fail(&plugins_help, "%s", cli_output_error(o));
    }
    if (rc == CLI_EXIT_OK && cli_output_finish(o) != 0)
        rc = cli_fail(&plugins_help, "%s", cli_output_error(o));
    if (rc == CLI_EXIT_OK && n == 0 && fmt == CLI_FORMAT_TABLE)
        printf("(no %s%scomponents in %s)\n", kind >= 0 ? genlab_kind_name(kind) : "",
               kind >= 0 ? " " : "", genlab_registry_search_path(reg));
    cli_output_free(o);
    free(e);
    genlab_registry_destroy(reg);
    return rc;
}

/* ---- show ---- */

static const cli_help show_help = {
    .command = "plugins show",
    .synopsis = "genlab plugins show NAME [--kind KIND]",
    .body =
        "Prints the component NAME (every kind that has a component of that name,\n"
        "unless --kind picks one): its description, module, file, the parameters\n"
        "that choose it and so the scope its keys live under, for an arch the\n"
        "parameter counts of the networks it builds with its defaults on the image\n"
        "and latent sizes it was designed for, and a table of its parameters:\n"
        "type, default, allowed values and help. Give a parameter as\n"
        "SCOPE.NAME=VALUE to genlab train or in an INI file's [SCOPE] section.\n"
        "An unknown NAME is an error listing the names there are (exit status 1).\n"
        "\n"
        "options:\n"
        "  --kind KIND      only the component of this kind (" KIND_NAMES ")\n"
        "\n"
        "example:\n"
        "  genlab plugins show lsgan --kind loss\n",
};

/* known_names — ", "-separated distinct names of kind (-1: all) into b */
static void known_names(const genlab_registry *reg, int kind, char *b, size_t size)
{
    size_t n, used = 0;
    entry *e = entries(reg, kind, NULL, &n);
    b[0] = '\0';
    for (size_t i = 0; e && i < n && used < size; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !strcmp(e[j].c->name, e[i].c->name);
        if (!seen)
            used += (size_t)snprintf(b + used, size - used, "%s%s", used ? ", " : "",
                                     e[i].c->name);
    }
    free(e);
}

/* chooser — one parameter that can choose a component of c's kind */
static void print_chooser(bool *first, const char *where, const genlab_param_def *d,
                          const genlab_component *c)
{
    printf("%s%s.%s (keys %s.*)", *first ? "  chosen by: " : ", ", where, d->name,
           d->flags & GL_PARAM_SCOPE_BY_NAME ? c->name : d->name);
    *first = false;
}

/* choosers — the core's and the loaded components' parameters that can
 * choose c: they say where its keys live */
static void print_choosers(const genlab_registry *reg, const genlab_component *c)
{
    bool first = true;
    const char *scope;
    genlab_param_def d;
    for (size_t i = 0; genlab_run_param(i, &scope, &d); i++)
        if (d.type == GL_PARAM_COMPONENT && d.kind == c->kind)
            print_chooser(&first, scope, &d, c);
    for (size_t i = 0; i < genlab_registry_count(reg); i++) {
        const genlab_component *o = genlab_registry_component(reg, i, NULL, NULL);
        char where[128];
        /* a trainer's keys live under its name; another component's scope
         * depends on what chose it */
        snprintf(where, sizeof where, o->kind == GL_KIND_TRAINER ? "%s%s" : "<%s %s>",
                 o->kind == GL_KIND_TRAINER ? "" : genlab_kind_name(o->kind), o->name);
        for (uint32_t j = 0; genlab_component_param(o, j, &d); j++)
            if (d.type == GL_PARAM_COMPONENT && d.kind == c->kind)
                print_chooser(&first, where, &d, c);
    }
    printf("%s\n", first ? "  chosen by: no parameter of the core or a loaded component" : "");
}

/* grouped — v with thousands separators, "11,429,632" */
static const char *grouped(int64_t v, char *buf, size_t size)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)v), neg = digits[0] == '-';
    size_t used = 0;
    for (int i = 0; i < n && used + 1 < size; i++) {
        if (i > neg && (n - i) % 3 == 0)
            buf[used++] = ',';
        if (used + 1 < size)
            buf[used++] = digits[i];
    }
    buf[used] = '\0';
    return buf;
}

/* arch_numel — build arch a in role on its native spec, with the defaults
 * of its parameters (scope), into a scratch parameter block that is never
 * allocated (finalize is not called): the number of trainable floats in
 * *n. GL_ERR_UNSUPPORTED when the arch does not build that role; another
 * error with its message on ctx. */
static genlab_status arch_numel(const genlab_host *host, const genlab_config *scope,
                                const genlab_arch_i *a, genlab_arch_role role, int64_t *n)
{
    genlab_arch_spec spec;
    genlab_status st = a->native_spec(scope, role, &spec);
    if (st != GL_OK)
        return st;
    genlab_params *p = NULL;
    void *state = NULL;
    st = genlab_params_create(host->ctx, &p);
    if (st == GL_OK)
        st = a->build(host, scope, &spec, p, &state);
    if (st == GL_OK) {
        *n = genlab_params_numel(p);
        a->destroy(state);
    }
    genlab_params_destroy(p);
    return st;
}

/* print_arch_numel — "  parameters: generator 11,429,632; discriminator
 * 4,309,441" for an arch that says what it was designed for (native_spec,
 * ABI 1.0 addition); nothing for one that does not. A failure to build is
 * a warning on stderr: the listing goes on. */
static void print_arch_numel(genlab_registry *reg, const genlab_component *c)
{
    static const char *const roles[] = {
        [GL_ROLE_GENERATOR] = "generator", [GL_ROLE_DISCRIMINATOR] = "discriminator",
        [GL_ROLE_ENCODER] = "encoder", [GL_ROLE_DECODER] = "decoder",
        [GL_ROLE_DENOISER] = "denoiser",
    };
    const genlab_arch_i *a = c->iface;
    if (c->kind != GL_KIND_ARCH || !GL_IFACE_GET(a, genlab_arch_i, native_spec))
        return;
    /* the arch bound by name, as a trainer binds it, with its defaults */
    const genlab_param_def decl[] = {
        {.name = "arch", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_ARCH, .def = c->name,
         .help = "the arch shown"},
    };
    genlab_ctx_options o = {.n_threads = 1, .arena_bytes = 1 << 16};
    genlab_config *cfg = NULL;
    genlab_ctx *ctx = NULL;
    const genlab_component *bound;
    const genlab_config *scope = NULL;
    const char *why = "out of memory";
    if (genlab_ctx_create(&o, &ctx) == GL_OK && genlab_config_create(&cfg) == GL_OK) {
        why = genlab_config_errmsg(cfg);
        if (genlab_config_declare(cfg, "show", decl, 1) != GL_OK ||
            genlab_config_resolve(cfg, reg) != GL_OK ||
            genlab_config_component(genlab_config_scope(cfg, "show"), "arch", GL_KIND_ARCH,
                                    &bound, &scope) != GL_OK)
            scope = NULL;
    }
    genlab_host host;
    genlab_host_init(&host, reg, ctx, cfg);
    bool first = true;
    for (size_t r = 0; scope && r < sizeof roles / sizeof roles[0]; r++) {
        int64_t n;
        char num[32];
        genlab_status st = arch_numel(&host, scope, a, (genlab_arch_role)r, &n);
        if (st == GL_OK)
            printf("%s%s %s", first ? "  parameters: " : "; ", roles[r],
                   grouped(n, num, sizeof num));
        else if (st != GL_ERR_UNSUPPORTED || genlab_ctx_status(ctx) != GL_OK)
            fprintf(stderr, "genlab plugins show: warning: arch %s cannot be built as a %s on "
                    "its native spec: %s\n", c->name, roles[r], genlab_ctx_errmsg(ctx));
        first = first && st != GL_OK;
        genlab_ctx_clear_error(ctx);
    }
    if (!first)
        putchar('\n');
    if (!scope)
        fprintf(stderr, "genlab plugins show: warning: arch %s: no parameter count: %s\n",
                c->name, why);
    genlab_config_destroy(cfg);
    genlab_ctx_destroy(ctx);
}

static int show_one(genlab_registry *reg, const entry *e)
{
    const genlab_component *c = e->c;
    printf("%s %s: %s\n  module %s %s (%s)\n", genlab_kind_name(c->kind), c->name, c->doc,
           e->module->name, e->module->version, e->path);
    print_choosers(reg, c);
    print_arch_numel(reg, c);
    if (c->n_params == 0) {
        printf("  (no parameters)\n");
        return CLI_EXIT_OK;
    }
    cli_output *o = cli_output_new(stdout, CLI_FORMAT_TABLE);
    if (!o)
        return cli_fail(&show_help, "out of memory");
    static const char *const names[] = {"parameter", "type", "default", "allowed", "help"};
    genlab_param_def d;
    int rc = CLI_EXIT_OK;
    for (uint32_t j = 0; rc == CLI_EXIT_OK && genlab_component_param(c, j, &d); j++) {
        char allowed[512];
        cli_param_allowed(&d, allowed, sizeof allowed);
        if (d.type == GL_PARAM_COMPONENT) {   /* the names there are now */
            size_t used = strlen(allowed);
            snprintf(allowed + used, sizeof allowed - used, ": ");
            used = strlen(allowed);
            known_names(reg, (int)d.kind, allowed + used, sizeof allowed - used);
        }
        const char *row[] = {d.name, genlab_param_type_name(d.type), cli_param_default(&d),
                             allowed, d.help};
        if (cli_output_row(o, 5, names, row))
            rc = cli_fail(&show_help, "%s", cli_output_error(o));
    }
    if (rc == CLI_EXIT_OK && cli_output_finish(o) != 0)
        rc = cli_fail(&show_help, "%s", cli_output_error(o));
    cli_output_free(o);
    return rc;
}

static int show(int argc, char **argv)
{
    const char *kind_s = NULL;
    const cli_option opts[] = {{"kind", &kind_s}, {NULL, NULL}};
    int npos, kind, rc = cli_parse(&show_help, argc, argv, opts, &npos);
    if (rc >= 0)
        return rc;
    if (npos != 1)
        return cli_usage_error(&show_help, npos ? "too many arguments" : "missing NAME");
    if (!parse_kind(&show_help, kind_s, &kind))
        return CLI_EXIT_USAGE;
    const char *name = argv[1];
    genlab_registry *reg = cli_registry_open(&show_help);
    if (!reg)
        return CLI_EXIT_FAILURE;
    size_t n;
    entry *e = entries(reg, kind, name, &n);
    rc = CLI_EXIT_OK;
    if (!e) {
        rc = cli_fail(&show_help, "out of memory");
    } else if (n == 0) {
        char known[2048];
        known_names(reg, kind, known, sizeof known);
        rc = cli_fail(&show_help, "no %s%scomponent named '%s' (known: %s)",
                      kind >= 0 ? genlab_kind_name(kind) : "", kind >= 0 ? " " : "", name,
                      *known ? known : "none");
    }
    for (size_t i = 0; rc == CLI_EXIT_OK && i < n; i++) {
        if (i)
            putchar('\n');
        rc = show_one(reg, &e[i]);
    }
    free(e);
    genlab_registry_destroy(reg);
    return rc;
}

/* ---- dispatch ---- */

int cmd_plugins(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "show"))
        return show(argc - 1, argv + 1);
    return list(argc, argv);
}
