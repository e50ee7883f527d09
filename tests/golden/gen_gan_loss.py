# SPDX-License-Identifier: MIT
#
# gen_gan_loss.py — writes gan_loss.bin, the PyTorch reference for
# tests/test_gan_loss.c: the value of every GAN loss of plugins/gan/ (bce,
# lsgan, hinge, wgan-gp) for each objective and parameter setting the C
# suite lists, and its gradients with respect to the critic outputs or,
# for wgan-gp, to the images and the weights of a fixed tiny critic.
#
# Run with the system python that has torch 1.13:
#     /usr/bin/python3 tests/golden/gen_gan_loss.py
#
# The losses are computed in float64 from the float32 inputs stored here,
# so the records hold the exact answer for those inputs, rounded once.
#
# The critic (a conv, tanh, a linear layer; smooth, so the penalty's own
# gradient with respect to the images is not zero):
#     D(x) = linear(flatten(tanh(conv2d(x, w1, b1, padding=1))), w2, b2)
#     x (3, 2, 3, 3) -> (3, 3, 3, 3) -> (3, 27) -> (3, 1)
# wgan-gp mixes x_real and x_fake with eps ~ U(0, 1) from genlab's
# generator: Philox-4x32-10 keyed by the test context's seed (SEED), the
# default stream, counters from 0 (libgenlab/rng.c, ported below); the C
# suite checks that it draws exactly the eps recorded here.
#
# Format: see glgd.py (version 1). Records:
#   "d_real", "d_fake"        (4, 1) critic logits for bce, lsgan, hinge
#   "x_real", "x_fake"        (3, 2, 3, 3) images for wgan-gp
#   "w1", "b1", "w2", "b2"    the critic's weights
#   "eps"                     (3, 1, 1, 1) wgan-gp's draw
#   "<case>.value"            () the loss
#   "<case>.grad.<input>"     its gradient: d_real and d_fake (zeros where
#                             the objective does not read it), or for
#                             wgan-gp x_real, x_fake, w1, b1, w2, b2
#   "<case>.gp"               () wgan-gp's unweighted penalty (D cases)
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from glgd import Writer  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gan_loss.bin")
SEED = 7  # the C suite's context seed for the wgan-gp cases

# ---- genlab's generator (libgenlab/rng.c, cpu_rng in cpu_backend.c) ----

M32 = 0xFFFFFFFF


def philox(ctr, key):
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for _ in range(10):
        p0 = 0xD2511F53 * c0
        p1 = 0xCD9E8D57 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0) & M32, p1 & M32, ((p0 >> 32) ^ c3 ^ k1) & M32, \
            p0 & M32
        k0, k1 = (k0 + 0x9E3779B9) & M32, (k1 + 0xBB67AE85) & M32
    return c0, c1, c2, c3


def genlab_rand(seed, stream, offset, n):
    """genlab_rand's uniform [0, 1): the top 24 bits of the first word."""
    key = (seed & M32, seed >> 32)
    out = []
    for i in range(n):
        c = offset + i
        r = philox((c & M32, c >> 32, stream, 0), key)
        out.append((r[0] >> 8) * 2.0 ** -24)
    return np.array(out, dtype=np.float32)


# ---- inputs ----

def f32(t):
    """round to float32 (what the file stores), computed with in float64"""
    return t.float().double()


g = torch.Generator().manual_seed(20240601)
# critic logits spread over [-2.5, 2.5], kept 0.3 from hinge's kinks (d_real
# at 1, d_fake at -1) so that finite differences never straddle one
d_real = f32(torch.tensor([[1.7], [-0.6], [0.4], [2.3]]))
d_fake = f32(torch.tensor([[-2.1], [0.5], [-0.2], [1.3]]))
x_real = f32(torch.rand(3, 2, 3, 3, generator=g) * 2 - 1)
x_fake = f32(torch.rand(3, 2, 3, 3, generator=g) * 2 - 1)
w1 = f32(torch.randn(3, 2, 3, 3, generator=g) * 0.4)
b1 = f32(torch.randn(3, generator=g) * 0.1)
w2 = f32(torch.randn(1, 27, generator=g) * 0.4)
b2 = f32(torch.randn(1, generator=g) * 0.1)
eps = torch.from_numpy(genlab_rand(SEED, 0, 0, 3)).double().reshape(3, 1, 1, 1)


def critic(x, w):
    h = torch.tanh(F.conv2d(x, w[0], w[1], padding=1))
    return F.linear(h.flatten(1), w[2], w[3])


# ---- the losses, as torch scripts write them ----

def full(d, v):
    return torch.full_like(d, v)


def bce(obj, dr, df, real_label=1.0, saturating=False):
    if obj == "d":
        return (F.binary_cross_entropy_with_logits(dr, full(dr, real_label))
                + F.binary_cross_entropy_with_logits(df, full(df, 0.0)))
    if saturating:  # the minimax form, written out
        return torch.log(1 - torch.sigmoid(df)).mean()
    return F.binary_cross_entropy_with_logits(df, full(df, 1.0))


def lsgan(obj, dr, df, a=0.0, b=1.0, c=1.0):
    if obj == "d":
        return F.mse_loss(dr, full(dr, b)) + F.mse_loss(df, full(df, a))
    return F.mse_loss(df, full(df, c))


def hinge(obj, dr, df):
    if obj == "d":
        return F.relu(1 - dr).mean() + F.relu(1 + df).mean()
    return -df.mean()


# (case, function, objective, keyword parameters); the C table lists the
# same cases with the same parameters written as loss.* settings
LOGIT_CASES = [
    ("bce.d", bce, "d", {}),
    ("bce.d.smooth", bce, "d", {"real_label": 0.9}),
    ("bce.g", bce, "g", {}),
    ("bce.g.saturating", bce, "g", {"saturating": True}),
    ("lsgan.d", lsgan, "d", {}),
    ("lsgan.g", lsgan, "g", {}),
    ("lsgan.d.chi2", lsgan, "d", {"a": -1.0, "b": 1.0, "c": 0.0}),
    ("lsgan.g.chi2", lsgan, "g", {"a": -1.0, "b": 1.0, "c": 0.0}),
    ("hinge.d", hinge, "d", {}),
    ("hinge.g", hinge, "g", {}),
]


def wgan_gp(obj, xr, xf, w, gp_weight=10.0):
    """returns (loss, gp or None): torch_ref.py's make_wgangp step"""
    if obj == "g":
        return -critic(xf, w).mean(), None
    loss = critic(xf, w).mean() - critic(xr, w).mean()
    if gp_weight == 0:
        return loss, None
    xi = eps * xr + (1 - eps) * xf
    gr, = torch.autograd.grad(critic(xi, w).sum(), xi, create_graph=True)
    gp = ((gr.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
    return loss + gp_weight * gp, gp


WGAN_CASES = [
    ("wgan-gp.d", "d", {}),
    ("wgan-gp.d.lambda2.5", "d", {"gp_weight": 2.5}),
    ("wgan-gp.d.nogp", "d", {"gp_weight": 0.0}),
    ("wgan-gp.g", "g", {}),
]


def main():
    torch.set_default_dtype(torch.float64)
    w = Writer(OUT)
    for name, t in [("d_real", d_real), ("d_fake", d_fake), ("x_real", x_real),
                    ("x_fake", x_fake), ("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2),
                    ("eps", eps)]:
        w.add(name, t)

    for name, fn, obj, kw in LOGIT_CASES:
        dr, df = d_real.clone().requires_grad_(), d_fake.clone().requires_grad_()
        loss = fn(obj, dr, df, **kw)
        grads = torch.autograd.grad(loss, [dr, df], allow_unused=True)
        w.add(name + ".value", loss)
        for n, t, gr in zip(["d_real", "d_fake"], [dr, df], grads):
            w.add(name + ".grad." + n, gr if gr is not None else torch.zeros_like(t))

    names = ["x_real", "x_fake", "w1", "b1", "w2", "b2"]
    for name, obj, kw in WGAN_CASES:
        leaves = [t.clone().requires_grad_() for t in [x_real, x_fake, w1, b1, w2, b2]]
        loss, gp = wgan_gp(obj, leaves[0], leaves[1], leaves[2:], **kw)
        grads = torch.autograd.grad(loss, leaves, allow_unused=True)
        w.add(name + ".value", loss)
        if gp is not None:
            w.add(name + ".gp", gp)
        for n, t, gr in zip(names, leaves, grads):
            w.add(name + ".grad." + n, gr if gr is not None else torch.zeros_like(t))
    w.close()
    print("wrote", OUT)


if __name__ == "__main__":
    main()
