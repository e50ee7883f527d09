# SPDX-License-Identifier: MIT
#
# gen_transform.py — writes transform.bin, the Pillow reference for
# tests/test_image_transform.c: Image.resize with BOX, BILINEAR and BICUBIC
# (down, up, non-integer ratios, one axis only, mixed, to 1 x 1) on gray,
# RGB and RGBA images, convert("L") and convert("RGB"), torchvision's
# CenterCrop offsets, and torchvision's Resize(int) + CenterCrop chain.
#
# Run with the system python that has Pillow 9.4:
#     /usr/bin/python3 tests/golden/gen_transform.py
#
# Format: see glgd.py. Every image is stored as float32 (H, W, C) holding
# its 8-bit values. Records:
#   "src.<img>"                          the inputs (gray, rgb, rgba: 17 x 13;
#                                        big: 60 x 45 RGB noise over a gradient)
#   "resize.<filter>.<img>.<W>x<H>"      Image.resize((W, H), filter)
#   "convert.<mode>.<img>"               Image.convert(mode)
#   "crop.<img>.<W>x<H>"                 torchvision CenterCrop((H, W))
#   "pipeline.<filter>.big.s<S>"         Resize(S) then CenterCrop(S)
import os
import sys

import numpy as np
import PIL
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from glgd import Writer  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "transform.bin")

FILTERS = {"area": Image.BOX, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}

# (W, H) from the 17 x 13 images; the C test lists the same sizes
SMALL_SIZES = [
    (8, 6),     # down about 2x
    (5, 4),     # down by non-integer ratios
    (23, 19),   # up by non-integer ratios
    (34, 13),   # up exactly 2x, horizontal pass only
    (17, 7),    # vertical pass only
    (9, 13),    # horizontal pass only
    (30, 5),    # up in W, down in H
    (1, 1),     # every pixel into one
]
BIG_SIZES = [(16, 16), (13, 11), (24, 18)]   # from 60 x 45: wide filter windows
CROPS = [(10, 10), (16, 12), (12, 8), (17, 13), (1, 1), (14, 11)]
PIPELINE_SIZES = [16, 20]


def images():
    """The inputs: sawtooth patterns with sharp jumps (so the cubic
    overshoots and the clamping is exercised), an alpha channel holding 0,
    255 and values between, and a larger noisy image."""
    y, x = np.mgrid[0:13, 0:17]
    gray = (x * 37 + y * 91 + x * y * 7) % 256
    rgb = np.stack([(x * 29 + y * 13) % 256, (x * 7 + y * 53 + 100) % 256,
                    np.where((x // 3 + y // 2) % 2 == 0, 250, 5)], -1)
    alpha = np.clip((x - 3) * 24, 0, 255)
    rgba = np.concatenate([rgb, alpha[..., None]], -1)
    rng = np.random.default_rng(0)
    by, bx = np.mgrid[0:45, 0:60]
    big = np.stack([bx * 4.2, by * 5.6, (bx + by) * 2.4], -1) + rng.integers(-40, 41, (45, 60, 3))
    return {
        "gray": gray[..., None].astype(np.uint8),
        "rgb": rgb.astype(np.uint8),
        "rgba": rgba.astype(np.uint8),
        "big": np.clip(big, 0, 255).astype(np.uint8),
    }


def pil(a):
    mode = {1: "L", 3: "RGB", 4: "RGBA"}[a.shape[2]]
    return Image.fromarray(a[..., 0] if a.shape[2] == 1 else a, mode)


def hwc(im):
    a = np.asarray(im)
    return a[..., None] if a.ndim == 2 else a


def center_crop(a, w, h):
    """torchvision.transforms.functional.center_crop's offsets (Python's
    round: halves to even)"""
    top = int(round((a.shape[0] - h) / 2.0))
    left = int(round((a.shape[1] - w) / 2.0))
    return a[top:top + h, left:left + w]


def resize_short(im, size, f):
    """torchvision's Resize(int) on a PIL image"""
    w, h = im.size
    short, long = (w, h) if w <= h else (h, w)
    new_long = int(size * long / short)
    ow, oh = (size, new_long) if w <= h else (new_long, size)
    return im.resize((ow, oh), f)


def main():
    assert PIL.__version__.startswith("9.4"), "Pillow 9.4 expected, got " + PIL.__version__
    out = Writer(OUT)
    imgs = images()
    for name, a in imgs.items():
        out.add("src." + name, a)
    for fname, f in FILTERS.items():
        for name in ("gray", "rgb", "rgba"):
            for w, h in SMALL_SIZES:
                out.add("resize.%s.%s.%dx%d" % (fname, name, w, h), hwc(pil(imgs[name]).resize((w, h), f)))
        for w, h in BIG_SIZES:
            out.add("resize.%s.big.%dx%d" % (fname, w, h), hwc(pil(imgs["big"]).resize((w, h), f)))
        for s in PIPELINE_SIZES:
            r = hwc(resize_short(pil(imgs["big"]), s, f))
            out.add("pipeline.%s.big.s%d" % (fname, s), center_crop(r, s, s))
    for name in ("rgb", "rgba", "big"):
        out.add("convert.L." + name, hwc(pil(imgs[name]).convert("L")))
    for name in ("gray", "rgba"):
        out.add("convert.RGB." + name, hwc(pil(imgs[name]).convert("RGB")))
    for name in ("gray", "rgb"):
        for w, h in CROPS:
            out.add("crop.%s.%dx%d" % (name, w, h), center_crop(imgs[name], w, h))
    out.close()


if __name__ == "__main__":
    main()
