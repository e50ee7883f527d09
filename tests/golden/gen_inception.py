#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gen_inception.py — golden values for the FID Inception extractor of
plugins/metrics (tests/test_inception.c) from PyTorch 1.13 and Pillow 9.4.

The network is pytorch-fid's FIDInceptionV3 written out here in plain
PyTorch (no torchvision): torchvision's Inception3 layer order (num_classes
1008, no aux logits) with pytorch-fid's FID blocks — FIDInceptionA / C /
E_1 average pools that leave the padding out of the count, FIDInceptionE_2's
max pool — and BasicConv2d = conv (no bias) + BatchNorm(eps 0.001) + ReLU.
Module names are pytorch-fid's, so state_dict keys are the tensor names of
the weights file genlab reads.

Weights: not the real ones but a formula both sides compute (the C test
builds its weights file from the same formula, tests/tu_inception.h):
for the tensor called NAME with elements i = 0, 1, ...

    c    = FNV-1a 32-bit hash of NAME's bytes
    u    = fmix32((i * 0x9E3779B1 + c) mod 2^32)   (MurmurHash3's finaliser)
    r    = (u >> 8) * 2^-23 - 1                     (in [-1, 1), exact in float32)
    v    = float32(a * r + m)                       (a, m doubles)

with (a, m) by the tensor's role: conv weight (1.15 sqrt(6 / fan_in), 0)
(He's uniform range, a little wider: with He's own the activations shrink
block by block, to pool features of std 0.1 of which 3% depends on the
image; with 1.15 they have std 0.9 and 7% depends on it, 1.3 makes them
grow to 30),
BatchNorm weight (0.2, 1), bias (0.1, 0), running_mean (0.1, 0),
running_var (0.25, 1.25) (in [1, 1.5): positive), fc weight
(sqrt(3 / 2048), 0), fc bias (0.1, 0). Every step is an exactly rounded
IEEE operation, so C and NumPy get the same bits.

Records (GLGD, glgd.py), written to tests/golden/inception.bin:
  n_params            [n // 4096, n % 4096] for n = the network's parameter
                      count (sum of numel over model.parameters(); float32
                      holds each half exactly)
  n_tensors           the state_dict's entries, num_batches_tracked left out
  img_rgb (1,3,32,32), img_gray (1,1,28,28)   the two test images, in [-1, 1]
  small.in (1,3,107,107)   an input for the network alone (no preprocessing):
                      a forward at an eighth of the cost of one at 299 that
                      still has every layer (the last blocks run on 2x2
                      maps, where the padding-excluding pools divide by 4)
  <case>.pool (1,2048), <case>.logits (1,1008)
                      the float64 forward (the reference); the logits are
                      torch-fidelity's "logits_unbiased", pool @ fc.weight^T
                      without fc.bias (the feature its IS uses)
  <case>.err32        [max |pool32 - pool|, max |logits32 - logits|]: how
                      far PyTorch's own float32 forward is from it (the
                      scale of float32 rounding through this network)
for the cases small (the network on small.in) and pt_rgb (features() end
to end: img_rgb through pytorch-fid's preprocessing, below), and
  <prep>.rows (3, 5, 299)  rows 0, 1, 150, 297 and 298 of every channel of
                      the network's input that <prep> makes, float32:
  pt_rgb, pt_gray     pytorch-fid's preprocessing of the image as pytorch-fid
                      would see it ((v + 1) / 2 in [0, 1], gray repeated to
                      RGB): F.interpolate to 299x299, bilinear, align_corners
                      False, then 2x - 1
  clean_rgb, clean_gray
                      clean-fid's "clean" mode: the image as the bytes genlab
                      would save (torchvision's save_image rounding), gray
                      repeated to RGB, each channel resized by Pillow as a
                      float ("F") image to 299x299 bicubic, clipped to
                      [0, 255], then (x - 128) / 128 (clean-fid's InceptionV3W)
and for genlab_image_resize_f32 against Pillow's float resize:
  rs.in (13, 17)      a plane of values in [-20, 275) (beyond the byte range,
                      so nothing relies on clipping)
  rs.<filter>.<w>x<h> Pillow's Image.fromarray(rs.in, "F").resize((w, h), filter)
                      for filter box, bilinear, bicubic and (w, h) (7, 5)
                      down, (31, 23) up, (17, 40) width kept

Run with the system python that has torch:  /usr/bin/python3 tests/golden/gen_inception.py
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import glgd  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "inception.bin")
SMALL = 107                  # the "small" input's side (see the file comment)
ROWS = [0, 1, 150, 297, 298]  # the rows of the preprocessed inputs kept

# ---- the network ----


class BasicConv2d(nn.Module):
    def __init__(self, cin, cout, **kw):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, bias=False, **kw)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def avg_excl(x):
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class BlockA(nn.Module):
    def __init__(self, cin, pool_features):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch5x5_1 = BasicConv2d(cin, 48, kernel_size=1)
        self.branch5x5_2 = BasicConv2d(48, 64, kernel_size=5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, padding=1)
        self.branch_pool = BasicConv2d(cin, pool_features, kernel_size=1)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(avg_excl(x))
        return torch.cat([b1, b5, b3, bp], 1)


class BlockB(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3 = BasicConv2d(cin, 384, kernel_size=3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(cin, 64, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, kernel_size=3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, kernel_size=3, stride=2)

    def forward(self, x):
        b3 = self.branch3x3(x)
        bd = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([b3, bd, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class BlockC(nn.Module):
    def __init__(self, cin, c7):
        super().__init__()
        self.branch1x1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7_2 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(cin, c7, kernel_size=1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = self.branch7x7dbl_1(x)
        for m in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                  self.branch7x7dbl_5):
            bd = m(bd)
        bp = self.branch_pool(avg_excl(x))
        return torch.cat([b1, b7, bd, bp], 1)


class BlockD(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.branch3x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch3x3_2 = BasicConv2d(192, 320, kernel_size=3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(cin, 192, kernel_size=1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, kernel_size=(1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, kernel_size=(7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, kernel_size=3, stride=2)

    def forward(self, x):
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_1(x)
        for m in (self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            b7 = m(b7)
        return torch.cat([b3, b7, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class BlockE(nn.Module):
    """FIDInceptionE_1 (max_pool False: the padding-excluding average pool)
    and FIDInceptionE_2 (max_pool True)"""

    def __init__(self, cin, max_pool):
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = BasicConv2d(cin, 320, kernel_size=1)
        self.branch3x3_1 = BasicConv2d(cin, 384, kernel_size=1)
        self.branch3x3_2a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(cin, 448, kernel_size=1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, kernel_size=3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, kernel_size=(1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, kernel_size=(3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(cin, 192, kernel_size=1)

    def forward(self, x):
        b1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
        p = F.max_pool2d(x, kernel_size=3, stride=1, padding=1) if self.max_pool else avg_excl(x)
        return torch.cat([b1, b3, bd, self.branch_pool(p)], 1)


class FIDInception(nn.Module):
    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, kernel_size=3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, kernel_size=3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, kernel_size=3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, kernel_size=1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, kernel_size=3)
        self.Mixed_5b = BlockA(192, 32)
        self.Mixed_5c = BlockA(256, 64)
        self.Mixed_5d = BlockA(288, 64)
        self.Mixed_6a = BlockB(288)
        self.Mixed_6b = BlockC(768, 128)
        self.Mixed_6c = BlockC(768, 160)
        self.Mixed_6d = BlockC(768, 160)
        self.Mixed_6e = BlockC(768, 192)
        self.Mixed_7a = BlockD(768)
        self.Mixed_7b = BlockE(1280, max_pool=False)
        self.Mixed_7c = BlockE(2048, max_pool=True)
        self.fc = nn.Linear(2048, 1008)

    def forward(self, x):
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        for name in ("5b", "5c", "5d", "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c"):
            x = getattr(self, "Mixed_" + name)(x)
        pool = F.adaptive_avg_pool2d(x, (1, 1)).flatten(1)
        # torch-fidelity's "logits_unbiased", its IS feature: fc without its bias
        return pool, pool.mm(self.fc.weight.t())


# ---- the weight formula ----

def fnv1a(name):
    h = 0x811C9DC5
    for b in name.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def uniform(name, n):
    """r_i in [-1, 1) for i < n (see the file comment)"""
    u = np.arange(n, dtype=np.uint64) * np.uint64(0x9E3779B1) + np.uint64(fnv1a(name))
    u = (u & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    u ^= u >> np.uint32(16)
    u *= np.uint32(0x85EBCA6B)
    u ^= u >> np.uint32(13)
    u *= np.uint32(0xC2B2AE35)
    u ^= u >> np.uint32(16)
    return (u >> np.uint32(8)).astype(np.float64) * 2.0**-23 - 1.0


ROLES = {"bn.weight": (0.2, 1.0), "bn.bias": (0.1, 0.0), "bn.running_mean": (0.1, 0.0),
         "bn.running_var": (0.25, 1.25), "fc.bias": (0.1, 0.0)}


def role(name, shape):
    """(a, m) of the tensor called name (see the file comment)"""
    if name == "fc.weight":
        return math.sqrt(3.0 / 2048), 0.0
    if name.endswith(".conv.weight"):
        return 1.15 * math.sqrt(6.0 / int(np.prod(shape[1:]))), 0.0
    return ROLES[".".join(name.split(".")[-2:])]


def formula_state(model):
    state = {}
    for name, t in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        a, m = role(name, tuple(t.shape))
        v = (a * uniform(name, t.numel()) + m).astype(np.float32)
        state[name] = torch.from_numpy(v.reshape(tuple(t.shape)))
    return state


# ---- preprocessing ----

def quantize(v):
    """genlab_image_quantize(v, -1, 1) in float32 (torchvision's save_image)"""
    v = np.clip(v.astype(np.float32), np.float32(-1), np.float32(1))
    t = (v - np.float32(-1)) / np.float32(2)
    s = t * np.float32(255)
    s = s + np.float32(0.5)
    return np.minimum(s, np.float32(255)).astype(np.uint8)


def pytorch_fid(img, dtype):
    """pytorch-fid: [0, 1] image, gray to RGB, bilinear 299, 2x - 1"""
    x = (img.to(dtype) + 1) / 2
    if x.shape[1] == 1:
        x = x.repeat(1, 3, 1, 1)
    x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
    return 2 * x - 1


def clean_fid(img):
    """clean-fid's "clean" resize and InceptionV3W normalisation, float32"""
    b = quantize(img[0].numpy())
    if b.shape[0] == 1:
        b = np.repeat(b, 3, axis=0)
    planes = []
    for c in range(3):
        p = Image.fromarray(b[c].astype(np.float32), mode="F").resize((299, 299), Image.BICUBIC)
        planes.append(np.asarray(p).clip(0, 255))
    x = torch.from_numpy(np.stack(planes)[None].astype(np.float32))
    return (x - 128) / 128


# ---- main ----

def image(shape, a, b):
    """sin(a i + b) + a ramp over the rows, squashed into [-1, 1]"""
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    row = (i // shape[-1]) % shape[-2]
    v = 0.6 * np.sin(a * i + b) + 0.5 * (row / shape[-2] * 2 - 1)
    return torch.from_numpy(np.clip(v, -1, 1).astype(np.float32).reshape(shape))


def main():
    torch.set_num_threads(2)
    m32 = FIDInception().eval()
    m32.load_state_dict(formula_state(m32), strict=False)
    m64 = FIDInception().eval()
    m64.load_state_dict(m32.state_dict())
    m64.double()
    n_params = sum(p.numel() for p in m32.parameters())
    n_tensors = sum(1 for k in m32.state_dict() if not k.endswith("num_batches_tracked"))

    img_rgb = image((1, 3, 32, 32), 0.37, 0.5)
    img_gray = image((1, 1, 28, 28), 0.11, 1.0)
    small = image((1, 3, SMALL, SMALL), 0.029, 0.3)
    out = glgd.Writer(OUT)
    out.add("n_params", np.array([n_params // 4096, n_params % 4096], dtype=np.float32))
    out.add("n_tensors", np.array([n_tensors], dtype=np.float32))
    out.add("img_rgb", img_rgb)
    out.add("img_gray", img_gray)
    out.add("small.in", small)
    cases = [
        # the network alone on a small input; then features() end to end
        ("small", small, small.double()),
        ("pt_rgb", pytorch_fid(img_rgb, torch.float32), pytorch_fid(img_rgb, torch.float64)),
    ]
    with torch.no_grad():
        for name, x32, x64 in cases:
            p32, l32 = m32(x32)
            p64, l64 = m64(x64)
            err = [float((p32.double() - p64).abs().max()), float((l32.double() - l64).abs().max())]
            print("%-6s |pool| max %.3g mean %.3g, |logits| max %.3g; float32 error %.3g, %.3g"
                  % (name, float(p64.abs().max()), float(p64.abs().mean()),
                     float(l64.abs().max()), err[0], err[1]))
            out.add(name + ".pool", p64)
            out.add(name + ".logits", l64)
            out.add(name + ".err32", np.array(err, dtype=np.float32))
    for name, x in (("pt_rgb", pytorch_fid(img_rgb, torch.float32)),
                    ("pt_gray", pytorch_fid(img_gray, torch.float32)),
                    ("clean_rgb", clean_fid(img_rgb)), ("clean_gray", clean_fid(img_gray))):
        out.add(name + ".rows", x[0][:, ROWS, :])

    rng = np.random.default_rng(7)
    plane = (rng.random((13, 17)) * 295 - 20).astype(np.float32)
    out.add("rs.in", plane)
    for fname, f in (("box", Image.BOX), ("bilinear", Image.BILINEAR), ("bicubic", Image.BICUBIC)):
        for w, h in ((7, 5), (31, 23), (17, 40)):
            r = np.asarray(Image.fromarray(plane, mode="F").resize((w, h), f))
            out.add("rs.%s.%dx%d" % (fname, w, h), r)
    out.close()
    print("parameters %d, tensors %d -> %s" % (n_params, n_tensors, OUT))


if __name__ == "__main__":
    main()
