#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gen_engine.py — PyTorch reference values for genlab's engine parity tests.

Writes engine.bin (see glgd.py) with inputs, outputs and gradients of
linear, conv2d, conv_transpose2d, batch_norm (train and eval) and group_norm.
(Optimizer steps have their own reference: gen_optim.py.)
For each op the scalar differentiated is sum(y * gy) for a stored gy, so
input gradients are vector-Jacobian products with gy.

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/gen_engine.py
(test_golden.c reads tests/golden/engine.bin; regenerate both together).
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from glgd import Writer  # noqa: E402

torch.manual_seed(20261125)
out = Writer(os.path.join(os.path.dirname(os.path.abspath(__file__)), "engine.bin"))


def leaf(*shape, scale=1.0):
    return (torch.randn(*shape) * scale).requires_grad_(True)


def record(prefix, inputs, y):
    """store inputs, y, gy and d(sum(y*gy))/d(input) for every input"""
    gy = torch.randn_like(y)
    grads = torch.autograd.grad(y, [t for _, t in inputs], gy)
    for name, t in inputs:
        out.add(f"{prefix}.{name}", t)
    out.add(f"{prefix}.y", y)
    out.add(f"{prefix}.gy", gy)
    for (name, _), g in zip(inputs, grads):
        out.add(f"{prefix}.g{name}", g)


# linear
x, w, b = leaf(4, 5), leaf(3, 5), leaf(3)
record("linear", [("x", x), ("w", w), ("b", b)], F.linear(x, w, b))

# conv2d: stride 2, pad 1; and groups 2, dilation 2, pad 2, non-square
x, w, b = leaf(2, 3, 7, 6), leaf(4, 3, 3, 3), leaf(4)
record("conv_a", [("x", x), ("w", w), ("b", b)], F.conv2d(x, w, b, stride=2, padding=1))
x, w, b = leaf(2, 4, 9, 8), leaf(6, 2, 3, 2), leaf(6)
record("conv_b", [("x", x), ("w", w), ("b", b)],
       F.conv2d(x, w, b, stride=1, padding=2, dilation=2, groups=2))

# conv_transpose2d: DCGAN-style k4 s2 p1; and k3 s2 p1 output_padding 1 groups 2
x, w, b = leaf(2, 4, 5, 5), leaf(4, 3, 4, 4), leaf(3)
record("convt_a", [("x", x), ("w", w), ("b", b)],
       F.conv_transpose2d(x, w, b, stride=2, padding=1))
x, w, b = leaf(2, 4, 4, 3), leaf(4, 3, 3, 3), leaf(6)
record("convt_b", [("x", x), ("w", w), ("b", b)],
       F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2))

# batch_norm, training: normalises with batch stats, updates running stats
x, g, bb = leaf(4, 3, 5, 5, scale=2.0), leaf(3), leaf(3)
rm, rv = torch.randn(3), torch.rand(3) + 0.5
out.add("bn_train.running_mean0", rm)
out.add("bn_train.running_var0", rv)
y = F.batch_norm(x, rm, rv, g, bb, training=True, momentum=0.1, eps=1e-5)
record("bn_train", [("x", x), ("gamma", g), ("beta", bb)], y)
out.add("bn_train.running_mean1", rm)
out.add("bn_train.running_var1", rv)
# batch_norm, eval: uses the (updated) running stats
x2 = leaf(4, 3, 5, 5)
record("bn_eval", [("x", x2), ("gamma", g), ("beta", bb)],
       F.batch_norm(x2, rm, rv, g, bb, training=False, eps=1e-5))
out.add("bn_eval.running_mean", rm)
out.add("bn_eval.running_var", rv)

# group_norm: 6 channels in 3 groups
x, g, bb = leaf(2, 6, 4, 4, scale=3.0), leaf(6), leaf(6)
record("gn", [("x", x), ("gamma", g), ("beta", bb)], F.group_norm(x, 3, g, bb, eps=1e-5))


out.close()
