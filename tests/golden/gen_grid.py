# SPDX-License-Identifier: MIT
#
# gen_grid.py — writes grid.bin, the reference for the grid tests of
# tests/test_image.c: sample grids and strips as torchvision would save them.
#
# torchvision is not installed here, so make_grid and save_image are
# reproduced below; they mirror torchvision.utils.make_grid (normalize=True,
# value_range=(lo, hi)) and torchvision.utils.save_image as of torchvision
# 0.14, in the same float32 operations and order. The values are mapped
# before tiling (the mapping is per pixel, so the order does not matter) so
# that the padding can be given as the byte genlab takes. Cases avoid
# make_grid's quirks genlab does not copy (a lone image returned unpadded,
# gray turned into RGB): every case has N >= 2, and gray is compared as gray.
#
# Run with the system python that has PyTorch:  /usr/bin/python3 gen_grid.py
#
# Format: see glgd.py. Records per case: "<case>.x" the input tensor,
# "<case>.opt" = [ncol, padding, pad_value, lo, hi], "<case>.png" the
# expected image as (H, W, C) bytes stored as floats.
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from glgd import Writer  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "grid.bin")


def to_bytes(x, lo, hi):
    """make_grid's norm_ip, then save_image's conversion."""
    x = x.clone().clamp_(min=lo, max=hi).sub_(lo).div_(max(hi - lo, 1e-5))
    return x.mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8)


def make_grid(t, nrow, padding, pad_value):
    """make_grid's layout for t (N, C, H, W), N >= 2."""
    nmaps = t.size(0)
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(t.size(2) + padding), int(t.size(3) + padding)
    grid = t.new_full((t.size(1), height * ymaps + padding, width * xmaps + padding), pad_value)
    k = 0
    for y in range(ymaps):
        for x in range(xmaps):
            if k >= nmaps:
                break
            grid.narrow(1, y * height + padding, height - padding).narrow(
                2, x * width + padding, width - padding).copy_(t[k])
            k = k + 1
    return grid


def case(out, name, x, ncol, padding, pad_value, lo, hi):
    u8 = to_bytes(x, lo, hi).float()
    if x.dim() == 5:  # strips: sample i's T frames make row i
        t, n = x.shape[:2]
        u8, nrow = u8.transpose(0, 1).reshape(n * t, *x.shape[2:]), t
    else:
        nrow = ncol if ncol else math.ceil(math.sqrt(x.size(0)))
    grid = make_grid(u8, nrow, padding, float(pad_value))
    out.add(name + ".x", x)
    out.add(name + ".opt", torch.tensor([ncol, padding, pad_value, lo, hi]))
    out.add(name + ".png", grid.permute(1, 2, 0))


def main():
    torch.manual_seed(0)
    out = Writer(OUT)
    # genlab's defaults on [-1, 1] samples, some outside the range: 3 columns, last row short
    case(out, "rgb_default", torch.randn(5, 3, 3, 4) * 0.8, 0, 2, 0, -1.0, 1.0)
    # gray in [0, 1], explicit columns, thin white padding
    case(out, "gray_ncol2", torch.rand(3, 1, 4, 2) * 1.2 - 0.1, 2, 1, 255, 0.0, 1.0)
    # strips of 4 frames of 2 samples; a range whose width (3) is not a power of 2
    case(out, "strips", torch.randn(4, 2, 3, 2, 3), 0, 3, 128, -0.5, 2.5)
    out.close()


if __name__ == "__main__":
    main()
