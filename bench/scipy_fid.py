#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scipy_fid.py — time pytorch-fid's Fréchet distance (scipy.linalg.sqrtm of
sigma1 @ sigma2, its calculate_frechet_distance restated below) on the two
statistics bench_fid wrote, to set beside genlab_frechet_distance's time.

    bench/bench_fid --out DIR            # writes DIR/fid_a.npz, DIR/fid_b.npz
    /usr/bin/python3 bench/scipy_fid.py DIR [--threads 2] [--reps 3]

Prints one TSV line in bench_fid's format (what, dim, k (-), threads,
best wall s, median wall s, CPU s of the best, value). The thread count is set before NumPy starts its
BLAS (OpenBLAS reads OPENBLAS_NUM_THREADS once).
"""
import argparse
import os
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=3)
    args = p.parse_args()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np
    import scipy.linalg

    def frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
        covmean, _ = scipy.linalg.sqrtm(sigma1.dot(sigma2), disp=False)
        if not np.isfinite(covmean).all():
            offset = np.eye(sigma1.shape[0]) * eps
            covmean = scipy.linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
        if np.iscomplexobj(covmean):
            covmean = covmean.real
        diff = mu1 - mu2
        return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)

    with np.load(os.path.join(args.dir, "fid_a.npz")) as a, \
            np.load(os.path.join(args.dir, "fid_b.npz")) as b:
        mu1, s1, mu2, s2 = a["mu"], a["sigma"], b["mu"], b["sigma"]
    times, value = [], None
    for _ in range(args.reps):
        t0, c0 = time.perf_counter(), time.process_time()
        value = frechet_distance(mu1, s1, mu2, s2)
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    times.sort()
    print("scipy_sqrtm_fid\t%d\t-\t%d\t%.3f\t%.3f\t%.3f\t%.10g"
          % (len(mu1), args.threads, times[0][0], times[len(times) // 2][0], times[0][1], value))
    return 0


sys.exit(main())
