#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gen_norm_fused.py — PyTorch reference values for genlab_group_norm_act
(the fused group norm + SiLU op, tests/test_norm_fused.c).

Writes norm_fused.bin (see glgd.py). Each case stores x, gamma, beta (when
affine), y = act(F.group_norm(x, groups, gamma, beta, eps=1e-5)), a gy, the
first-order gradients of sum(y * gy), and — to check the backward that stays
differentiable (create_graph) — a v and the gradients of
sum(d sum(y * gy) / dx * v) with respect to every input (h<name>).
x is scaled and shifted away from (0, 1) so that a missing centring or
scaling shows.

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/gen_norm_fused.py
(test_norm_fused.c reads tests/golden/norm_fused.bin; regenerate both together).
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from glgd import Writer  # noqa: E402

torch.manual_seed(20261126)
out = Writer(os.path.join(os.path.dirname(os.path.abspath(__file__)), "norm_fused.bin"))


def case(prefix, shape, groups, affine, silu):
    c = shape[1]
    x = (torch.randn(*shape) * 3.0 + 2.0).requires_grad_(True)
    inputs = [("x", x)]
    g = b = None
    if affine:
        g = (torch.randn(c) * 0.5 + 1.0).requires_grad_(True)
        b = torch.randn(c).requires_grad_(True)
        inputs += [("gamma", g), ("beta", b)]
    y = F.group_norm(x, groups, g, b, eps=1e-5)
    if silu:
        y = F.silu(y)
    gy = torch.randn_like(y)
    ts = [t for _, t in inputs]
    grads = torch.autograd.grad(y, ts, gy, create_graph=True)
    v = torch.randn_like(x)
    # without an activation gx does not depend on beta: its h is 0
    hess = torch.autograd.grad((grads[0] * v).sum(), ts, allow_unused=True)
    hess = [torch.zeros_like(t) if h is None else h for t, h in zip(ts, hess)]
    for name, t in inputs:
        out.add(f"{prefix}.{name}", t)
    out.add(f"{prefix}.y", y)
    out.add(f"{prefix}.gy", gy)
    out.add(f"{prefix}.v", v)
    for (name, _), gr, h in zip(inputs, grads, hess):
        out.add(f"{prefix}.g{name}", gr)
        out.add(f"{prefix}.h{name}", h)


# a UNet block's shape in small: 8 channels in 4 groups, SiLU
case("silu", (3, 8, 5, 6), 4, True, True)
# no affine, 1-D positions, groups of 2 channels
case("silu_plain", (2, 6, 7), 3, False, True)
# no activation, one channel per group
case("none", (2, 4, 3, 3), 4, True, False)

out.close()
