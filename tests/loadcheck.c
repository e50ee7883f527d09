/* SPDX-License-Identifier: MIT
 *
 * loadcheck.c — a minimal host program for `make installcheck`: built
 * against the INSTALLED genlab (pkg-config), it loads the plugin guide's
 * example (doc/examples/myloss.c, built the same way) from
 * GENLAB_PLUGIN_PATH, binds its loss through a configuration as a trainer
 * would, and checks its numbers. It also shows the host side of plugins in
 * one page. Not part of `make check`.
 *
 * usage: loadcheck PLUGIN [key=value ...]     exit 0 = the loss works
 */
#include <stdio.h>
#include <stdlib.h>

#include <genlab/genlab.h>

/* a stand-in for a GAN trainer's own parameters: which loss it uses */
static const genlab_param_def gan_params[] = {
    {.name = "loss", .type = GL_PARAM_COMPONENT, .kind = GL_KIND_LOSS, .def = "lsgan-half",
     .help = "the adversarial loss"},
};

static float loss_value(genlab_ctx *ctx, const genlab_loss_i *l, void *state,
                        genlab_loss_objective obj)
{
    genlab_named_tensor in[] = {
        {"d_real", genlab_tensor_from(ctx, 1, (const int64_t[]){2}, (const float[]){1, 1})},
        {"d_fake", genlab_tensor_from(ctx, 1, (const int64_t[]){2}, (const float[]){0, 0})},
    };
    genlab_loss_args args = {obj, 2, in, NULL, NULL};
    genlab_tensor *t = l->compute(ctx, state, &args);
    return t ? genlab_tensor_item(t) : -1.0f;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: loadcheck PLUGIN [key=value ...]\n");
        return 2;
    }
    genlab_registry *reg = NULL;
    genlab_config *cfg = NULL;
    genlab_ctx *ctx = NULL;
    int rc = 1;
    if (genlab_registry_create(NULL, &reg) != GL_OK || genlab_config_create(&cfg) != GL_OK ||
        genlab_ctx_create(NULL, &ctx) != GL_OK)
        goto out;
    if (genlab_plugin_load_name(reg, argv[1]) != GL_OK) {
        fprintf(stderr, "loadcheck: %s\n", genlab_registry_errmsg(reg));
        goto out;
    }
    genlab_config_declare(cfg, "gan", gan_params, 1);
    genlab_config_set_args(cfg, argc - 2, (const char *const *)argv + 2);
    if (genlab_config_resolve(cfg, reg) != GL_OK) {
        fprintf(stderr, "loadcheck: %s\n", genlab_config_errmsg(cfg));
        rc = 2;
        goto out;
    }
    const genlab_component *c;
    const genlab_config *scope;
    genlab_config_component(genlab_config_scope(cfg, "gan"), "loss", GL_KIND_LOSS, &c, &scope);
    const genlab_loss_i *l = c->iface;
    genlab_host host;
    genlab_host_init(&host, reg, ctx, cfg);
    void *state = NULL;
    if (l->create && l->create(&host, scope, &state) != GL_OK) {
        fprintf(stderr, "loadcheck: %s\n", genlab_ctx_errmsg(ctx));
        goto out;
    }
    /* d_real = 1, d_fake = 0 with the default labels: D loss 0, G loss 1/2 */
    float d = loss_value(ctx, l, state, GL_OBJ_DISCRIMINATOR);
    float g = loss_value(ctx, l, state, GL_OBJ_GENERATOR);
    char *modules = genlab_registry_json(reg, true);
    printf("loadcheck: %s loss \"%s\": D %g, G %g; modules %s\n", argv[1], c->name, d, g,
           modules ? modules : "?");
    free(modules);
    rc = d == 0.0f && g == 0.5f ? 0 : 1;   /* exact in float32 */
    if (l->destroy)
        l->destroy(state);
out:
    genlab_ctx_destroy(ctx);
    genlab_config_destroy(cfg);
    genlab_registry_destroy(reg);
    return rc;
}
