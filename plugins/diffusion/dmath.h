/* SPDX-License-Identifier: MIT
 *
 * dmath.h — the arithmetic of the diffusion family, free of tensors and
 * of the plugin ABI: noise schedules (betas, alpha-bar), the timesteps a
 * sampler visits, the conversions between the three prediction targets,
 * and one DDPM or DDIM update on plain float arrays. The schedule and
 * sampler components (schedule_noise.c, sampler_*.c) and the trainer use
 * it; tests/test_diffusion_math.c links it directly and compares it with
 * the values of diffusers' documented formulas (tests/golden/
 * gen_diffusion.py), so every definition below names the diffusers
 * function it follows.
 *
 * Coefficients are computed in double and applied to float32 data, as a
 * float32 diffusers run would apply its float32 coefficients.
 *
 * Not here: random numbers, models, tensors (the components own those).
 *
 * Sections: schedules, timesteps, predictions, updates.
 */
#ifndef GENLAB_PLUGIN_DIFFUSION_DMATH_H
#define GENLAB_PLUGIN_DIFFUSION_DMATH_H

#include <stdbool.h>
#include <stdint.h>

/* ---- schedules ---- */

typedef enum diff_schedule_kind {
    DIFF_SCHED_LINEAR = 0,          /* betas linspace(beta_start, beta_end, T) */
    DIFF_SCHED_SCALED_LINEAR = 1,   /* betas linspace(sqrt(start), sqrt(end), T)^2 */
    DIFF_SCHED_COSINE = 2           /* squaredcos_cap_v2: betas_for_alpha_bar */
} diff_schedule_kind;

/* diff_alpha_bar — alphas_cumprod of diffusers' DDPMScheduler/DDIMScheduler
 * for beta_schedule kind over T >= 1 steps into out[0..T): the cumulative
 * product of 1 - beta_t. beta_start/beta_end are read by the linear kinds,
 * max_beta (the cap of each beta, 0.999) by the cosine one, whose
 * alpha_bar(s) = cos((s + 0.008) / 1.008 * pi / 2)^2 and
 * beta_i = min(1 - alpha_bar((i+1)/T) / alpha_bar(i/T), max_beta). */
void diff_alpha_bar(diff_schedule_kind kind, int64_t T, double beta_start, double beta_end,
                    double max_beta, double *out);

/* ---- timesteps ---- */

typedef enum diff_spacing {
    DIFF_SPACING_LEADING = 0,   /* (arange(steps) * (T // steps)).round()[::-1] + offset */
    DIFF_SPACING_TRAILING = 1,  /* round(arange(T, 0, -T / steps)) - 1 */
    DIFF_SPACING_LINSPACE = 2   /* linspace(0, T - 1, steps).round()[::-1] */
} diff_spacing;

/* diff_timesteps — the timesteps of diffusers' set_timesteps(steps) with
 * timestep_spacing and steps_offset (added for leading only, as diffusers
 * does), from the first (noisiest) to the last, into out[0..steps).
 * Returns 0, or -1 when 1 <= steps <= T does not hold or a timestep falls
 * outside [0, T) (an offset too large). */
int diff_timesteps(diff_spacing spacing, int64_t T, int64_t steps, int64_t offset,
                   int64_t *out);

/* diff_prev_timestep — the timestep a step from t lands on: t - T // steps
 * (diffusers' DDIMScheduler.step and DDPMScheduler.previous_timestep for
 * scheduler-made timesteps, whatever the spacing); negative past the end. */
static inline int64_t diff_prev_timestep(int64_t T, int64_t steps, int64_t t)
{
    return t - T / steps;
}

/* ---- predictions ---- */

typedef enum diff_prediction {
    DIFF_PRED_EPSILON = 0,   /* the noise eps */
    DIFF_PRED_SAMPLE = 1,    /* the clean image x0 */
    DIFF_PRED_V = 2          /* v = sqrt(abar) eps - sqrt(1 - abar) x0 */
} diff_prediction;

/* diff_pred_to_x0_eps — the x0 and eps that model output m means at x_t
 * with signal fraction abar (diffusers' pred_original_sample and
 * pred_epsilon), for n elements; either output may be NULL. */
void diff_pred_to_x0_eps(diff_prediction pred, double abar, int64_t n, const float *x_t,
                         const float *m, float *x0, float *eps);

/* diff_target — the training target of pred for x_t = sqrt(abar) x0 +
 * sqrt(1 - abar) eps: eps, x0, or v (diffusers' get_velocity). */
void diff_target(diff_prediction pred, double abar, int64_t n, const float *x0,
                 const float *eps, float *out);

/* ---- updates ---- */

/* One reverse step from x_t (timestep t) to prev (timestep prev_t; prev_t
 * < 0 past the end), model output m of type pred, n elements. */
typedef struct diff_step_in {
    diff_prediction pred;
    double          abar_t, abar_prev;  /* abar_prev: alphas_cumprod[prev_t], or the
                                         * final value past the end */
    bool            clip;               /* clip_sample: x0 into [-clip_range, clip_range] */
    double          clip_range;
    int64_t         n;
    const float    *x_t, *m;
    const float    *noise;              /* standard normal (n), or NULL: no noise */
} diff_step_in;

typedef enum diff_variance {
    DIFF_VAR_FIXED_SMALL = 0,   /* the posterior's: (1-abar_prev)/(1-abar_t) beta_t */
    DIFF_VAR_FIXED_LARGE = 1    /* beta_t */
} diff_variance;

/* diff_ddpm_variance — DDPMScheduler._get_variance for t (with prev_t's
 * abar_prev = 1 past the end), clamped at 1e-20 as diffusers does. */
double diff_ddpm_variance(diff_variance kind, double abar_t, double abar_prev);

/* diff_ddpm_step — DDPMScheduler.step: x0 from m (clipped when asked),
 * prev = coef_x0 x0 + coef_xt x_t, plus sqrt(variance) noise when noise is
 * given (the caller gives none at t = 0, as diffusers adds none). out may
 * alias x_t. */
void diff_ddpm_step(const diff_step_in *in, diff_variance var, float *out);

/* diff_ddim_sigma — DDIM's std_dev_t = eta sqrt(_get_variance(t, prev)). */
double diff_ddim_sigma(double eta, double abar_t, double abar_prev);

/* diff_ddim_step — DDIMScheduler.step with eta and use_clipped_model_output
 * false: prev = sqrt(abar_prev) x0 + sqrt(1 - abar_prev - sigma^2) eps
 * (+ sigma noise when noise is given). out may alias x_t. */
void diff_ddim_step(const diff_step_in *in, double eta, float *out);

#endif /* GENLAB_PLUGIN_DIFFUSION_DMATH_H */
