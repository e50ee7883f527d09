# SPDX-License-Identifier: MIT
#
# gen_scores.py — writes scores.bin, the NumPy/SciPy/PyTorch reference for
# tests/test_scores.c: feature statistics, FID, Inception Score, KID and
# precision/recall of fixed random feature sets, each computed the way the
# reference tools compute it:
#   statistics  pytorch-fid's calculate_activation_statistics:
#               np.mean(act, axis=0), np.cov(act, rowvar=False)
#   FID         pytorch-fid's calculate_frechet_distance (scipy.linalg.sqrtm
#               of sigma1 @ sigma2, real part, traces), restated below
#   IS          torch-fidelity's isc_features_to_metric without its shuffle
#               (float64 softmax / log_softmax, splits [i n // s, (i+1) n // s))
#   KID         torch-fidelity's polynomial_mmd / mmd2 ("unbiased"), degree 3,
#               gamma 1 / dim, coef0 1, for given subset indices; and the
#               estimate over the whole sets, which is the mean of the
#               subset estimates over all subset draws
#   PR          a brute-force float64 evaluation of Kynkaanniemi et al.'s
#               k-NN manifolds (torch-fidelity's dist <= radius)
# Features are float32 (as extractors give them) and every reference value
# is computed in float64 from exactly those float32 values.
#
# Run with the system python that has numpy, scipy and torch 1.13:
#     /usr/bin/python3 tests/golden/gen_scores.py
#
# Format: see glgd.py (version 1). Records:
#   "stats.x" (300, 48)  features offset by 5 (stats far from zero)
#   "stats.mu" (48), "stats.sigma" (48, 48)
#   "fid.b" (250, 48)    a second set (gamma-distributed, other mean)
#   "fid.c" (30, 48), "fid.d" (40, 48)   fewer rows than dims: singular
#   "fid.full" ()        FID(stats.x, fid.b), both covariances full rank
#   "fid.singular" ()    FID(fid.c, fid.d), both rank-deficient
#   "fid.mixed" ()       FID(fid.c, fid.b), the first rank-deficient
#   "is.logits" (103, 10); "is.s1", "is.s3", "is.s10" (2,) mean, std
#   "kid.x" (60, 16), "kid.y" (50, 16); "kid.ix", "kid.iy" (20,) indices
#   "kid.mmd2" ()        the subset pair's unbiased MMD^2
#   "kid.full" ()        the whole-set estimate (see above)
#   "pr.real" (40, 8), "pr.fake" (35, 8); "pr.k3", "pr.k5" (2,) precision,
#                        recall
import os
import sys

import numpy as np
import scipy.linalg
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from glgd import Writer  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scores.bin")
rng = np.random.default_rng(20240607)


def f32(a):
    return np.ascontiguousarray(a, dtype=np.float32)


# ---- statistics and FID (pytorch-fid) ----

def statistics(act):
    act = act.astype(np.float64)
    return np.mean(act, axis=0), np.cov(act, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """pytorch-fid's formula; its eps fallback must not be needed here."""
    covmean, _ = scipy.linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    assert np.isfinite(covmean).all(), "sqrtm failed: pytorch-fid would add eps"
    if np.iscomplexobj(covmean):
        assert np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3)
        covmean = covmean.real
    diff = mu1 - mu2
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


def frechet_eigen(mu1, sigma1, mu2, sigma2):
    """An independent check of the reference: symmetric eigenvalues."""
    lam, v = np.linalg.eigh(sigma1)
    lam = np.where(lam > len(lam) * np.finfo(float).eps * abs(lam).max(), lam, 0.0)
    g = v * np.sqrt(lam)
    ev = np.linalg.eigvalsh(g.T @ sigma2 @ g)
    diff = mu1 - mu2
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.sqrt(np.clip(ev, 0, None)).sum()


def fid_of(a, b):
    ref = frechet_distance(*statistics(a), *statistics(b))
    # sqrtm of a singular product is the weak point: the golden value is
    # kept only if the eigenvalue route agrees far inside the suite's 1e-6
    alt = frechet_eigen(*statistics(a), *statistics(b))
    assert abs(ref - alt) <= 1e-7 * abs(ref), (ref, alt)
    return ref


DIM = 48
mix = rng.standard_normal((DIM, DIM)) / np.sqrt(DIM)
x = f32(rng.standard_normal((300, DIM)) @ mix + 5.0)
b = f32(rng.gamma(2.0, size=(250, DIM)) @ mix * 0.7 + 4.5)
c = f32(rng.standard_normal((30, DIM)) @ mix * 1.2 + 5.1)
d = f32(rng.gamma(3.0, size=(40, DIM)) @ mix * 0.5 + 4.0)
mu, sigma = statistics(x)

# ---- Inception Score (torch-fidelity, no shuffle) ----


def inception_score(logits, splits):
    feature = torch.from_numpy(logits).double()
    n = feature.shape[0]
    p = feature.softmax(dim=1)
    log_p = feature.log_softmax(dim=1)
    scores = []
    for i in range(splits):
        pc = p[i * n // splits:(i + 1) * n // splits]
        lpc = log_p[i * n // splits:(i + 1) * n // splits]
        q = pc.mean(dim=0, keepdim=True)
        scores.append((pc * (lpc - q.log())).sum(dim=1).mean().exp().item())
    return np.array([np.mean(scores), np.std(scores)])


logits = f32(rng.standard_normal((103, 10)) * 3.0 + np.linspace(-2, 2, 10))

# ---- KID (torch-fidelity's polynomial_mmd, float64) ----


def poly_kernel(a, b):
    return (a @ b.T / a.shape[1] + 1.0) ** 3


def mmd2_unbiased(kxx, kxy, kyy):
    m = kxx.shape[0]
    return ((kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
            - 2 * kxy.sum() / (m * m))


kx = f32(rng.standard_normal((60, 16)))
ky = f32(rng.standard_normal((50, 16)) * 1.1 + 0.3)
ix = rng.choice(60, 20, replace=False)
iy = rng.choice(50, 20, replace=False)
kx64, ky64 = kx.astype(np.float64), ky.astype(np.float64)
mmd2 = mmd2_unbiased(poly_kernel(kx64[ix], kx64[ix]), poly_kernel(kx64[ix], ky64[iy]),
                     poly_kernel(ky64[iy], ky64[iy]))
kxx, kyy, kxy = poly_kernel(kx64, kx64), poly_kernel(ky64, ky64), poly_kernel(kx64, ky64)
kid_full = ((kxx.sum() - np.trace(kxx)) / (60 * 59) + (kyy.sum() - np.trace(kyy)) / (50 * 49)
            - 2 * kxy.mean())

# ---- precision / recall (brute force) ----


def precision_recall(real, fake, k):
    real, fake = real.astype(np.float64), fake.astype(np.float64)

    def dist(a, b_):
        return np.sqrt(((a[:, None, :] - b_[None, :, :]) ** 2).sum(-1))

    def radii(a):
        dd = dist(a, a)
        np.fill_diagonal(dd, np.inf)
        return np.sort(dd, axis=1)[:, k - 1]

    r_real, r_fake, d_fr = radii(real), radii(fake), dist(fake, real)
    # a decision this close to a radius could go either way in float32
    # (genlab's squared distances from float32 dot products err by about
    # 1e-6 of |x|^2 ~ 8 here, i.e. ~1e-7 relative to a distance ~3)
    margin = min(np.abs(d_fr - r_real[None, :]).min() / r_real.max(),
                 np.abs(d_fr - r_fake[:, None]).min() / r_fake.max())
    assert margin > 1e-5, margin
    return np.array([(d_fr <= r_real[None, :]).any(axis=1).mean(),
                     (d_fr <= r_fake[:, None]).any(axis=0).mean()])


pr_real = f32(rng.standard_normal((40, 8)))
pr_fake = f32(rng.standard_normal((35, 8)) * 0.8 + 0.4)

w = Writer(OUT)
w.add("stats.x", x)
w.add("stats.mu", mu)
w.add("stats.sigma", sigma)
w.add("fid.b", b)
w.add("fid.c", c)
w.add("fid.d", d)
w.add("fid.full", np.array(fid_of(x, b)))
w.add("fid.singular", np.array(fid_of(c, d)))
w.add("fid.mixed", np.array(fid_of(c, b)))
w.add("is.logits", logits)
for s in (1, 3, 10):
    w.add("is.s%d" % s, inception_score(logits, s))
w.add("kid.x", kx)
w.add("kid.y", ky)
w.add("kid.ix", ix.astype(np.float32))
w.add("kid.iy", iy.astype(np.float32))
w.add("kid.mmd2", np.array(mmd2))
w.add("kid.full", np.array(kid_full))
w.add("pr.real", pr_real)
w.add("pr.fake", pr_fake)
for k in (3, 5):
    w.add("pr.k%d" % k, precision_recall(pr_real, pr_fake, k))
w.close()
print("wrote", OUT)
