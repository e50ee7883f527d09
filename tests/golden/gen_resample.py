# SPDX-License-Identifier: MIT
#
# gen_resample.py — writes resample.bin, the PyTorch reference for
# tests/test_ops_resample.c: outputs and input gradients of bilinear
# resizing (both align_corners, up, down and mixed), nearest x2 upsampling,
# average pooling (k3 s1 p1, k2 s2, k3 s2 p1; k3 s1 p1 and k3 s2 p1 with
# count_include_pad=False) and max pooling (k3 s2 p1), all on one fixed input.
#
# Run with the system python that has PyTorch:  /usr/bin/python3 gen_resample.py
#
# Format: see glgd.py. Records: "x" the input; per case "<case>.y" the output, "<case>.gy" the
# upstream gradient and "<case>.gx" = vjp of the op at x with gy.
# glgd.VERSION is the format version the test's reader expects.
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from glgd import Writer  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "resample.bin")


def bilinear(size, ac):
    return lambda x: F.interpolate(x, size=size, mode="bilinear", align_corners=ac)


CASES = [
    ("bilinear_up_ac0", bilinear((8, 11), False)),
    ("bilinear_up_ac1", bilinear((8, 11), True)),
    ("bilinear_down_ac0", bilinear((3, 4), False)),
    ("bilinear_down_ac1", bilinear((3, 4), True)),
    ("bilinear_mixed_ac0", bilinear((7, 4), False)),   # up in H, down in W
    ("bilinear_one_ac1", bilinear((1, 3), True)),      # one output row: ratio 0
    ("nearest_x2", lambda x: F.interpolate(x, scale_factor=2, mode="nearest")),
    ("avg_k3s1p1", lambda x: F.avg_pool2d(x, 3, 1, 1)),
    ("avg_k2s2", lambda x: F.avg_pool2d(x, 2, 2, 0)),    # H = 5: the last row is dropped
    ("avg_k3s2p1", lambda x: F.avg_pool2d(x, 3, 2, 1)),
    ("max_k3s2p1", lambda x: F.max_pool2d(x, 3, 2, 1)),
    # appended after the others so that their random draws stay the same
    ("avg_excl_k3s1p1", lambda x: F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)),
    ("avg_excl_k3s2p1", lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)),
]


def main():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 5, 6)
    out = Writer(OUT)
    out.add("x", x)
    for name, f in CASES:
        xr = x.clone().requires_grad_(True)
        y = f(xr)
        gy = torch.randn_like(y)
        (gx,) = torch.autograd.grad(y, xr, gy)
        out.add(name + ".y", y)
        out.add(name + ".gy", gy)
        out.add(name + ".gx", gx)
    out.close()


if __name__ == "__main__":
    main()
