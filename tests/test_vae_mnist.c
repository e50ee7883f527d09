/* SPDX-License-Identifier: MIT
 *
 * test_vae_mnist.c — a short real run: the vae trainer (vae-mlp28, the
 * Bernoulli loss, Adam 1e-3: pytorch/examples' VAE) on MNIST's 10,000
 * test images (the idx plugin reading ../shared/data/mnist, or
 * $GENLAB_MNIST_DIR), in batches of 64 for 120 steps. Checked: the loss
 * goes down (the mean of the last 20 logged steps below 75 % of the first
 * 5's), both its terms are finite and the KL is positive, and the
 * held-out ELBO over 500 images (of the same file: MNIST's training images
 * are not in the fixture) is recorded and lies above where an untrained
 * decoder starts (-544 = 784 log 2 would be a decoder that says 1/2 for
 * every pixel; the start is near -550).
 *
 * Skips (exit 77) when the MNIST files are not there.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "genlab/genlab.h"
#include "tu_run.h"

#define STEPS 120

static const char *mnist_dir(void)
{
    const char *env = getenv("GENLAB_MNIST_DIR");
    return env && *env ? env : GL_TEST_MNIST_DIR;
}

/* qd — a query's number, which must be there */
static double qd(tu_fixture *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static double qd(tu_fixture *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *text = tu_vq(f, fmt, ap);
    va_end(ap);
    ck_assert_msg(text[0], "%s: no value", fmt);
    return atof(text);
}

START_TEST(test_mnist_loss_goes_down)
{
    char dir[4200], steps[64];
    snprintf(dir, sizeof dir, "dataset.dir=%s", mnist_dir());
    snprintf(steps, sizeof steps, "train.steps=%d", STEPS);
    const char *const args[] = {
        "train.trainer=vae", "train.dataset=idx", dir,
        "dataset.images=t10k-images-idx3-ubyte.gz", "dataset.labels=t10k-labels-idx1-ubyte.gz",
        "vae.encoder=vae-mlp28", "vae.decoder=vae-mlp28", "vae.loss=vae-bce", "vae.z_dim=20",
        "vae.sample_every=0", "vae.eval_n=500", "optim.lr=1e-3", "train.batch=64", steps,
        "train.log_every=1", "train.seed=1", "train.ckpt_every=0", NULL};
    static const char *const plugins[] = {GL_TEST_DATA_PLUGIN_DIR "/idx.so", GL_TEST_VAE_PLUGIN,
                                          NULL};
    tu_fixture f;
    tu_setup(&f, GL_TEST_DATA_PLUGIN_DIR, plugins, args, "test_vae_mnist");
    genlab_run_result r;
    ck_assert_msg(tu_train(&f, NULL, NULL, 0, NULL, &r) == GL_OK, "%s", r.message);
    double first = qd(&f, "SELECT avg(value) FROM metrics WHERE key = 'loss' AND step < 5");
    double last = qd(&f, "SELECT avg(value) FROM metrics WHERE key = 'loss' AND step >= %d",
                     STEPS - 20);
    ck_assert_msg(last < 0.75 * first, "loss %.2f at the start, %.2f at the end", first, last);
    ck_assert(qd(&f, "SELECT min(value) FROM metrics WHERE key = 'kl'") > 0.0);
    ck_assert(qd(&f, "SELECT count(*) FROM metrics WHERE key IN ('recon', 'kl') AND "
                     "value IS NULL") == 0.0);
    double elbo = qd(&f, "SELECT value FROM scores WHERE metric = 'elbo'");
    ck_assert_msg(elbo > -544.0 && elbo < 0.0, "held-out ELBO %.2f", elbo);
    ck_assert(qd(&f, "SELECT n_samples FROM scores WHERE metric = 'elbo'") == 500.0);
    tu_teardown(&f);
}
END_TEST

int main(void)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/t10k-images-idx3-ubyte.gz", mnist_dir());
    if (access(path, R_OK) != 0) {
        printf("SKIP: no MNIST at %s (set GENLAB_MNIST_DIR)\n", path);
        return 77;
    }
    Suite *s = suite_create("vae_mnist");
    TCase *tc = tcase_create("mnist");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_mnist_loss_goes_down);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
