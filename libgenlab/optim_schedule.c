/* SPDX-License-Identifier: MIT
 *
 * optim_schedule.c — learning-rate schedules as pure functions of the step:
 * constant, linear decay and cosine annealing, each after an optional
 * linear warm-up (the formulas are in optim.h). Not here: applying the
 * value (genlab_optim_set_lr), any state.
 */
#include <math.h>

#include "internal.h"

/* the name of the first invalid field, or NULL */
static const char *schedule_problem(const genlab_lr_schedule *s)
{
    if (s->kind != GL_LR_CONSTANT && s->kind != GL_LR_LINEAR && s->kind != GL_LR_COSINE)
        return "kind";
    if (!(isfinite(s->base_lr) && s->base_lr >= 0))
        return "base_lr";
    if (s->warmup_steps < 0)
        return "warmup_steps";
    if (s->kind == GL_LR_CONSTANT)
        return NULL;
    if (!(isfinite(s->final_lr) && s->final_lr >= 0))
        return "final_lr";
    if (s->total_steps <= s->warmup_steps)
        return "total_steps";
    return NULL;
}

genlab_status genlab_lr_schedule_check(genlab_ctx *ctx, const genlab_lr_schedule *s)
{
    if (!s)
        return genlab_errorf(ctx, GL_ERR_INVALID, "lr_schedule: NULL schedule");
    const char *bad = schedule_problem(s);
    if (!bad)
        return GL_OK;
    return genlab_errorf(ctx, GL_ERR_INVALID, "lr_schedule: %s is invalid (kind %d, base_lr %g, "
                         "final_lr %g, warmup_steps %lld, total_steps %lld; want a known kind, "
                         "lrs finite and >= 0, warmup_steps >= 0, total_steps > warmup_steps "
                         "unless constant)", bad, (int)s->kind, s->base_lr, s->final_lr,
                         (long long)s->warmup_steps, (long long)s->total_steps);
}

double genlab_lr_at(const genlab_lr_schedule *s, int64_t step)
{
    if (!s || schedule_problem(s))
        return NAN;
    if (step < 0)
        step = 0;
    const int64_t w = s->warmup_steps;
    if (step < w)
        return s->base_lr * (double)(step + 1) / (double)w;
    if (s->kind == GL_LR_CONSTANT)
        return s->base_lr;
    const int64_t d = s->total_steps - w;
    const double frac = (double)(step - w < d ? step - w : d) / (double)d;
    if (s->kind == GL_LR_LINEAR)
        return s->base_lr + (s->final_lr - s->base_lr) * frac;
    return s->final_lr + (s->base_lr - s->final_lr) * (1.0 + cos(M_PI * frac)) / 2.0;
}
