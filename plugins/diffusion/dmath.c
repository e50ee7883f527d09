/* SPDX-License-Identifier: MIT
 *
 * dmath.c — the diffusion family's arithmetic (dmath.h): schedules,
 * timesteps, prediction conversions, DDPM and DDIM updates, following
 * diffusers' DDPMScheduler and DDIMScheduler formula for formula (the
 * golden values of tests/golden/gen_diffusion.py check that).
 *
 * Not here: tensors, random numbers, components.
 *
 * Sections: schedules, timesteps, predictions, updates.
 */
#include <math.h>

#include "dmath.h"

/* ---- schedules ---- */

/* the Glide cosine alpha-bar at s in [0, 1] */
static double cosine_abar(double s)
{
    double c = cos((s + 0.008) / 1.008 * M_PI / 2.0);
    return c * c;
}

void diff_alpha_bar(diff_schedule_kind kind, int64_t T, double beta_start, double beta_end,
                    double max_beta, double *out)
{
    double prod = 1.0;
    for (int64_t i = 0; i < T; i++) {
        /* linspace's i-th point, exact at both ends as NumPy's */
        double f = T > 1 ? (double)i / (double)(T - 1) : 0.0;
        double beta;
        if (kind == DIFF_SCHED_LINEAR) {
            beta = beta_start + f * (beta_end - beta_start);
        } else if (kind == DIFF_SCHED_SCALED_LINEAR) {
            double r = sqrt(beta_start) + f * (sqrt(beta_end) - sqrt(beta_start));
            beta = r * r;
        } else {
            double b = 1.0 - cosine_abar((double)(i + 1) / (double)T) /
                                 cosine_abar((double)i / (double)T);
            beta = b < max_beta ? b : max_beta;
        }
        prod *= 1.0 - beta;
        out[i] = prod;
    }
}

/* ---- timesteps ---- */

int diff_timesteps(diff_spacing spacing, int64_t T, int64_t steps, int64_t offset,
                   int64_t *out)
{
    if (steps < 1 || steps > T)
        return -1;
    for (int64_t i = 0; i < steps; i++) {
        int64_t t;
        if (spacing == DIFF_SPACING_LEADING) {
            t = (steps - 1 - i) * (T / steps) + offset;
        } else if (spacing == DIFF_SPACING_TRAILING) {
            /* arange(T, 0, -ratio)[i] rounded half to even, as np.round */
            t = (int64_t)nearbyint((double)T - (double)i * ((double)T / (double)steps)) - 1;
        } else {
            /* linspace(0, T - 1, steps)[steps - 1 - i] as NumPy computes
             * it, j * step, so that its halves round alike */
            double step = steps > 1 ? (double)(T - 1) / (double)(steps - 1) : 0.0;
            t = (int64_t)nearbyint((double)(steps - 1 - i) * step);
        }
        if (t < 0 || t >= T)
            return -1;
        out[i] = t;
    }
    return 0;
}

/* ---- predictions ---- */

void diff_pred_to_x0_eps(diff_prediction pred, double abar, int64_t n, const float *x_t,
                         const float *m, float *x0, float *eps)
{
    double sa = sqrt(abar), sb = sqrt(1.0 - abar);
    for (int64_t i = 0; i < n; i++) {
        double x = x_t[i], o = m[i], a0, e;
        if (pred == DIFF_PRED_EPSILON) {
            a0 = (x - sb * o) / sa;
            e = o;
        } else if (pred == DIFF_PRED_SAMPLE) {
            a0 = o;
            e = (x - sa * o) / sb;
        } else {
            a0 = sa * x - sb * o;
            e = sa * o + sb * x;
        }
        if (x0)
            x0[i] = (float)a0;
        if (eps)
            eps[i] = (float)e;
    }
}

void diff_target(diff_prediction pred, double abar, int64_t n, const float *x0,
                 const float *eps, float *out)
{
    double sa = sqrt(abar), sb = sqrt(1.0 - abar);
    for (int64_t i = 0; i < n; i++)
        out[i] = pred == DIFF_PRED_EPSILON ? eps[i]
                 : pred == DIFF_PRED_SAMPLE ? x0[i]
                                            : (float)(sa * eps[i] - sb * x0[i]);
}

/* ---- updates ---- */

double diff_ddpm_variance(diff_variance kind, double abar_t, double abar_prev)
{
    double beta_t = 1.0 - abar_t / abar_prev;
    if (kind == DIFF_VAR_FIXED_LARGE)
        return beta_t;
    double v = (1.0 - abar_prev) / (1.0 - abar_t) * beta_t;
    return v > 1e-20 ? v : 1e-20;
}

/* x0_of — element i's x0 and eps under in, x0 clipped when asked */
static void x0_of(const diff_step_in *in, int64_t i, double *x0, double *eps)
{
    float a0, e;
    diff_pred_to_x0_eps(in->pred, in->abar_t, 1, in->x_t + i, in->m + i, &a0, &e);
    double r = in->clip_range;
    *x0 = in->clip ? fmin(fmax((double)a0, -r), r) : (double)a0;
    *eps = e;
}

void diff_ddpm_step(const diff_step_in *in, diff_variance var, float *out)
{
    double a = in->abar_t, ap = in->abar_prev;
    double beta_t = 1.0 - a / ap;
    double c0 = sqrt(ap) * beta_t / (1.0 - a);
    double ct = sqrt(a / ap) * (1.0 - ap) / (1.0 - a);
    double sd = in->noise ? sqrt(diff_ddpm_variance(var, a, ap)) : 0.0;
    for (int64_t i = 0; i < in->n; i++) {
        double x0, eps;
        x0_of(in, i, &x0, &eps);
        double v = c0 * x0 + ct * (double)in->x_t[i];
        out[i] = (float)(in->noise ? v + sd * (double)in->noise[i] : v);
    }
}

double diff_ddim_sigma(double eta, double abar_t, double abar_prev)
{
    double var = (1.0 - abar_prev) / (1.0 - abar_t) * (1.0 - abar_t / abar_prev);
    return eta * sqrt(var);
}

void diff_ddim_step(const diff_step_in *in, double eta, float *out)
{
    double ap = in->abar_prev;
    double sigma = diff_ddim_sigma(eta, in->abar_t, ap);
    double dir = 1.0 - ap - sigma * sigma;
    double cd = sqrt(dir > 0.0 ? dir : 0.0), c0 = sqrt(ap);
    for (int64_t i = 0; i < in->n; i++) {
        double x0, eps;
        x0_of(in, i, &x0, &eps);
        double v = c0 * x0 + cd * eps;
        out[i] = (float)(in->noise && eta > 0.0 ? v + sigma * (double)in->noise[i] : v);
    }
}
