#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gen_diffusion.py — golden values for the diffusion plugin's arithmetic
(plugins/diffusion/dmath.c), for tests/test_diffusion_math.c.

diffusers is not needed (nor installed): the formulas below are those of
diffusers' DDPMScheduler and DDIMScheduler (scheduling_ddpm.py,
scheduling_ddim.py: betas_for_alpha_bar, set_timesteps with
timestep_spacing and steps_offset, _get_variance, step with eta,
clip_sample and the three prediction types), written out in NumPy and
evaluated in float64 from float32 inputs, each result rounded once to
float32. (diffusers itself takes its cumulative product in float32; the
float64 value is the formula's, which genlab computes in double.)

Writes tests/golden/diffusion.bin (GLGD, glgd.py):
  sched.<kind>.T<T>              (T,) alphas_cumprod for kind linear,
                                 scaled_linear (beta 1e-4 .. 0.02) and
                                 cosine (squaredcos_cap_v2, max beta 0.999)
  steps.<spacing>.T<T>.S<S>.O<o> (S,) the timesteps, noisiest first
  ddpm.<i>.prev / ddim.<i>.prev  (N,) one step of case i (CASES below)
  ddpm.<i>.var                   () the DDPM variance of case i's t
Inputs (not stored; the test computes the same): N = 40 elements, x_t[i] =
1.5 sin(0.37 i + 0.5), model output m[i] = 1.3 cos(0.11 i), noise[i] =
sin(0.23 i + 1), each rounded to float32.
"""
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from glgd import Writer  # noqa: E402

N = 40


def alphas_cumprod(kind, T, beta_start=1e-4, beta_end=0.02, max_beta=0.999):
    if kind == "linear":
        betas = np.linspace(beta_start, beta_end, T, dtype=np.float64)
    elif kind == "scaled_linear":
        betas = np.linspace(beta_start ** 0.5, beta_end ** 0.5, T, dtype=np.float64) ** 2
    else:  # betas_for_alpha_bar, alpha_transform_type "cosine"
        def abar(s):
            return math.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2
        betas = np.array([min(1 - abar((i + 1) / T) / abar(i / T), max_beta) for i in range(T)])
    return np.cumprod(1.0 - betas)


def timesteps(spacing, T, S, offset):
    if spacing == "linspace":
        return np.linspace(0, T - 1, S).round()[::-1].copy().astype(np.int64)
    if spacing == "leading":
        ratio = T // S
        return (np.arange(0, S) * ratio).round()[::-1].copy().astype(np.int64) + offset
    ratio = T / S
    return np.round(np.arange(T, 0, -ratio)).astype(np.int64) - 1


def inputs():
    i = np.arange(N, dtype=np.float64)
    f = lambda a: a.astype(np.float32).astype(np.float64)  # noqa: E731
    return f(1.5 * np.sin(0.37 * i + 0.5)), f(1.3 * np.cos(0.11 * i)), f(np.sin(0.23 * i + 1))


def x0_eps(pred, a, x, m):
    b = 1 - a
    if pred == "epsilon":
        return (x - b ** 0.5 * m) / a ** 0.5, m
    if pred == "sample":
        return m, (x - a ** 0.5 * m) / b ** 0.5
    return a ** 0.5 * x - b ** 0.5 * m, a ** 0.5 * m + b ** 0.5 * x


def ddpm_variance(kind, a, ap):
    beta_t = 1 - a / ap
    if kind == "fixed_large":
        return beta_t
    return max((1 - ap) / (1 - a) * beta_t, 1e-20)


def ddpm_step(acp, T, S, t, pred, var, clip, x, m, noise):
    prev = t - T // S                         # previous_timestep
    a = acp[t]
    ap = acp[prev] if prev >= 0 else 1.0      # self.one
    b, bp = 1 - a, 1 - ap
    cur_alpha = a / ap
    cur_beta = 1 - cur_alpha
    x0, _ = x0_eps(pred, a, x, m)
    x0 = x0.astype(np.float32).astype(np.float64)  # float32 x0, as diffusers
    if clip:
        x0 = np.clip(x0, -1, 1)
    c0 = ap ** 0.5 * cur_beta / b
    ct = cur_alpha ** 0.5 * bp / b
    out = c0 * x0 + ct * x
    v = ddpm_variance(var, a, ap)
    if t > 0:
        out = out + v ** 0.5 * noise
    return out, v


def ddim_step(acp, T, S, t, pred, eta, clip, x, m, noise):
    prev = t - T // S
    a = acp[t]
    ap = acp[prev] if prev >= 0 else 1.0      # set_alpha_to_one
    x0, eps = x0_eps(pred, a, x, m)
    x0 = x0.astype(np.float32).astype(np.float64)
    eps = eps.astype(np.float32).astype(np.float64)
    if clip:
        x0 = np.clip(x0, -1, 1)
    var = (1 - ap) / (1 - a) * (1 - a / ap)   # _get_variance
    std = eta * var ** 0.5
    out = ap ** 0.5 * x0 + (1 - ap - std ** 2) ** 0.5 * eps
    if eta > 0:
        out = out + std * noise
    return out


# (schedule, T, S, t, pred, variance or eta, clip): test_diffusion_math.c
# holds the same table
DDPM_CASES = [
    ("linear", 1000, 1000, 999, "epsilon", "fixed_small", True),
    ("linear", 1000, 1000, 500, "epsilon", "fixed_small", True),
    ("linear", 1000, 1000, 500, "epsilon", "fixed_large", False),
    ("linear", 1000, 1000, 1, "sample", "fixed_small", True),
    ("linear", 1000, 1000, 0, "epsilon", "fixed_small", True),
    ("cosine", 1000, 50, 980, "v_prediction", "fixed_small", False),
    ("cosine", 1000, 50, 20, "v_prediction", "fixed_large", True),
    ("scaled_linear", 1000, 100, 250, "sample", "fixed_large", False),
]
DDIM_CASES = [
    ("linear", 1000, 100, 990, "epsilon", 0.0, True),
    ("linear", 1000, 100, 500, "epsilon", 0.0, False),
    ("linear", 1000, 100, 0, "epsilon", 0.0, True),
    ("linear", 1000, 100, 500, "epsilon", 1.0, True),
    ("cosine", 1000, 100, 300, "sample", 0.5, False),
    ("cosine", 500, 50, 499, "v_prediction", 0.0, True),
    ("scaled_linear", 1000, 10, 901, "epsilon", 0.3, True),
]
SCHEDS = [("linear", 1000), ("scaled_linear", 1000), ("cosine", 1000), ("cosine", 500),
          ("linear", 10), ("cosine", 10)]
STEPS = [("leading", 1000, 1000, 0), ("leading", 1000, 100, 0), ("leading", 1000, 100, 1),
         ("leading", 1000, 30, 0), ("trailing", 1000, 100, 0), ("trailing", 1000, 30, 0),
         ("trailing", 500, 7, 0), ("linspace", 1000, 100, 0), ("linspace", 1000, 30, 0),
         ("linspace", 10, 10, 0), ("linspace", 1000, 1, 0)]


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "diffusion.bin")
    w = Writer(out)
    for kind, T in SCHEDS:
        w.add("sched.%s.T%d" % (kind, T), alphas_cumprod(kind, T))
    for sp, T, S, o in STEPS:
        w.add("steps.%s.T%d.S%d.O%d" % (sp, T, S, o), timesteps(sp, T, S, o).astype(np.float64))
    x, m, noise = inputs()
    for i, (kind, T, S, t, pred, var, clip) in enumerate(DDPM_CASES):
        prev, v = ddpm_step(alphas_cumprod(kind, T), T, S, t, pred, var, clip, x, m, noise)
        w.add("ddpm.%d.prev" % i, prev)
        w.add("ddpm.%d.var" % i, np.array(v))
    for i, (kind, T, S, t, pred, eta, clip) in enumerate(DDIM_CASES):
        w.add("ddim.%d.prev" % i, ddim_step(alphas_cumprod(kind, T), T, S, t, pred, eta, clip,
                                            x, m, noise))
    w.close()
    print("wrote", out)


if __name__ == "__main__":
    main()
