#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gen_auroc.py — golden ROC-AUC values for genlab_roc_auc
(libgenlab/scores_auroc.c, tests/test_auroc.c), from NumPy.

sklearn.metrics.roc_auc_score, as sklearn 1.x computes a binary one
(_binary_clf_curve, then roc_curve's (0, 0) point, then np.trapz), is
re-implemented here in NumPy, since Debian's python3-torch comes without
sklearn; the same values also come from the rank (Mann-Whitney) formula,
whose exact counts this script checks against the trapezoids.

Writes tests/golden/auroc.bin (GLGD, glgd.py); for each case:
  <case>.scores   (n) float32 scores (exact in float64 on the C side)
  <case>.labels   (n) 1 for a positive (an anomaly), 0 for a negative
  <case>.u2       (1) twice the Mann-Whitney count: positive-above-negative
                  pairs, ties counting one half (an integer below 2^24, so
                  exact in float32)
  <case>.pn       (1) positives x negatives (below 2^24 too)
  <case>.auc      (1) sklearn's value from the trapezoids (float32)

Run with the system python:  /usr/bin/python3 tests/golden/gen_auroc.py
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import glgd  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "auroc.bin")


def sklearn_roc_auc(y, s):
    """sklearn.metrics.roc_auc_score(y, s) for binary y (max_fpr None)"""
    order = np.argsort(s, kind="mergesort")[::-1]
    s, y = s[order], y[order]
    distinct = np.where(np.diff(s))[0]
    thresholds = np.r_[distinct, y.size - 1]
    tps = np.cumsum(y)[thresholds]
    fps = 1 + thresholds - tps
    tps, fps = np.r_[0, tps], np.r_[0, fps]
    return np.trapz(tps / tps[-1], fps / fps[-1])


def mann_whitney_u2(y, s):
    """2 U: each (positive, negative) pair counts 2 if the positive is above, 1 if tied"""
    pos, neg = s[y == 1], s[y == 0]
    above = (pos[:, None] > neg[None, :]).sum()
    tied = (pos[:, None] == neg[None, :]).sum()
    return 2 * int(above) + int(tied)


def cases():
    rng = np.random.default_rng(20240620)
    # half-integers from a normal: many ties between and within the classes
    y = (rng.random(200) < 0.3).astype(np.float64)
    yield "ties", y, np.round((rng.standard_normal(200) + y) * 2) / 2
    # ten levels, 1000 items: large groups of ties
    y = (rng.random(1000) < 0.4).astype(np.float64)
    yield "levels", y, np.minimum(9, np.floor(rng.random(1000) * 8 + 2 * y))
    # continuous scores, no ties
    y = (rng.random(300) < 0.5).astype(np.float64)
    yield "continuous", y, rng.standard_normal(300) + 0.7 * y
    # positives all above, all below, everything tied, the smallest case
    yield "separated", np.array([0, 0, 1, 0, 1, 1.0]), np.array([0.1, 0.2, 0.9, 0.3, 0.8, 0.7])
    yield "inverted", np.array([1, 1, 0, 0.0]), np.array([-3.0, -2.0, 5.0, 6.0])
    yield "all_tied", np.array([1, 0, 0, 1, 0.0]), np.full(5, 0.25)
    yield "tiny", np.array([0, 1.0]), np.array([0.1, 0.9])


def main():
    w = glgd.Writer(OUT)
    for name, y, s in cases():
        s = s.astype(np.float32).astype(np.float64)   # what the C side reads
        auc = sklearn_roc_auc(y, s)
        u2, pn = mann_whitney_u2(y, s), int((y == 1).sum() * (y == 0).sum())
        assert u2 < 2 ** 24 and pn < 2 ** 24
        assert abs(auc - u2 / (2 * pn)) < 1e-12, (name, auc, u2 / (2 * pn))
        w.add(name + ".scores", s)
        w.add(name + ".labels", y)
        w.add(name + ".u2", np.array([u2]))
        w.add(name + ".pn", np.array([pn]))
        w.add(name + ".auc", np.array([auc]))
        print("%-10s n %4d  auc %.6f" % (name, y.size, auc))
    w.close()
    print("wrote %s (%d bytes)" % (OUT, os.path.getsize(OUT)))


if __name__ == "__main__":
    main()
