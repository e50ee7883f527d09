#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""gen_unet.py — golden values for the diffusion plugin's denoiser "unet"
(plugins/diffusion/arch_unet.c) from PyTorch 1.13, for
tests/test_diffusion_arch.c.

The module tree below is torch_ref.py's UNet32 (diffusers UNet2DModel with
DownBlock2D / UpBlock2D, positional time embedding, a mid block of two
ResNet blocks) with its sizes as parameters, plus the optional
self-attention of AttnDownBlock2D / AttnUpBlock2D (one head, GroupNorm, q,
k, v and out Linear layers, residual) and the zero padding of sides that
2^(levels - 1) does not divide. Its state_dict keys are genlab's parameter
names. At the defaults its parameter count is torch_ref.py's UNet32's
(checked here when /work/shared/bench/torch_ref.py is importable).

Writes tests/golden/unet.bin (GLGD, glgd.py):
  count.<i>            () parameters of COUNTS[i]'s configuration
  <case>.param.<name>  every parameter of FORWARDS' case (PyTorch's default
                       initialisation from torch.manual_seed(case index),
                       then every GroupNorm's weight and bias drawn at
                       random so that none is the identity)
  <case>.y             the forward on x (2, C, H, W) at times t = (3, 500)
  <case>.dx            d sum(y * w) / d x
Inputs and weights are not stored: element i of the row-major x is
sin(0.37 i + 0.5) and of w cos(0.11 i), as both sides compute them.
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from glgd import Writer  # noqa: E402


def timestep_embedding(t, dim, max_period=10000):
    half = dim // 2
    exponent = -math.log(max_period) * torch.arange(half, dtype=torch.float32) / half
    emb = t.float()[:, None] * torch.exp(exponent)[None, :]
    emb = torch.cat([torch.sin(emb), torch.cos(emb)], dim=-1)
    return torch.cat([emb[:, half:], emb[:, :half]], dim=-1)


class ResnetBlock(nn.Module):
    def __init__(self, cin, cout, temb, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(min(groups, cin), cin, eps=1e-5)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.time_emb_proj = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(min(groups, cout), cout, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        s = x if self.shortcut is None else self.shortcut(x)
        return s + h


class Attention(nn.Module):
    def __init__(self, c, groups):
        super().__init__()
        self.norm = nn.GroupNorm(min(groups, c), c, eps=1e-5)
        self.q, self.k, self.v, self.out = (nn.Linear(c, c) for _ in range(4))

    def forward(self, x):
        n, c, h, w = x.shape
        t = self.norm(x).view(n, c, h * w).transpose(1, 2)
        q, k, v = self.q(t), self.k(t), self.v(t)
        a = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(c), dim=-1)
        o = self.out(a @ v).transpose(1, 2).reshape(n, c, h, w)
        return x + o


class UNet(nn.Module):
    def __init__(self, in_ch=3, side=32, chs=(32, 64, 128, 256), layers=2, attn=(),
                 mid_attn=False, groups=32):
        super().__init__()
        L = len(chs)
        m = 2 ** (L - 1)
        self.side, self.padded = side, (side + m - 1) // m * m
        self.c0 = chs[0]
        temb = chs[0] * 4
        self.time_lin1 = nn.Linear(chs[0], temb)
        self.time_lin2 = nn.Linear(temb, temb)
        self.conv_in = nn.Conv2d(in_ch, chs[0], 3, 1, 1)
        self.down = nn.ModuleList()
        out_ch = chs[0]
        for i, c in enumerate(chs):
            in_c, out_ch = out_ch, c
            blk = nn.Module()
            blk.resnets = nn.ModuleList(
                [ResnetBlock(in_c if j == 0 else out_ch, out_ch, temb, groups) for j in range(layers)])
            if (self.padded >> i) in attn:
                blk.attentions = nn.ModuleList([Attention(out_ch, groups) for _ in range(layers)])
            blk.downsample = nn.Conv2d(out_ch, out_ch, 3, 2, 1) if i < L - 1 else None
            self.down.append(blk)
        self.mid = nn.ModuleList([ResnetBlock(chs[-1], chs[-1], temb, groups) for _ in range(2)])
        self.mid_attn = Attention(chs[-1], groups) if mid_attn else None
        self.up = nn.ModuleList()
        rev = list(reversed(chs))
        out_ch = rev[0]
        for i in range(L):
            prev_out, out_ch = out_ch, rev[i]
            in_c = rev[min(i + 1, L - 1)]
            blk = nn.Module()
            res = []
            for j in range(layers + 1):
                skip = in_c if j == layers else out_ch
                rin = prev_out if j == 0 else out_ch
                res.append(ResnetBlock(rin + skip, out_ch, temb, groups))
            blk.resnets = nn.ModuleList(res)
            if (self.padded >> (L - 1 - i)) in attn:
                blk.attentions = nn.ModuleList([Attention(out_ch, groups) for _ in range(layers + 1)])
            blk.upsample = nn.Conv2d(out_ch, out_ch, 3, 1, 1) if i < L - 1 else None
            self.up.append(blk)
        self.norm_out = nn.GroupNorm(min(groups, chs[0]), chs[0], eps=1e-5)
        self.conv_out = nn.Conv2d(chs[0], in_ch, 3, 1, 1)

    def forward(self, x, t):
        p = self.padded - self.side
        if p:
            x = F.pad(x, (p // 2, p - p // 2, p // 2, p - p // 2))
        temb = self.time_lin2(F.silu(self.time_lin1(timestep_embedding(t, self.c0))))
        h = self.conv_in(x)
        skips = [h]
        for blk in self.down:
            for j, r in enumerate(blk.resnets):
                h = r(h, temb)
                if hasattr(blk, "attentions"):
                    h = blk.attentions[j](h)
                skips.append(h)
            if blk.downsample is not None:
                h = blk.downsample(h)
                skips.append(h)
        h = self.mid[0](h, temb)
        if self.mid_attn is not None:
            h = self.mid_attn(h)
        h = self.mid[1](h, temb)
        for blk in self.up:
            for j, r in enumerate(blk.resnets):
                h = r(torch.cat([h, skips.pop()], dim=1), temb)
                if hasattr(blk, "attentions"):
                    h = blk.attentions[j](h)
            if blk.upsample is not None:
                h = blk.upsample(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        y = self.conv_out(F.silu(self.norm_out(h)))
        if p:
            y = y[:, :, p // 2:p // 2 + self.side, p // 2:p // 2 + self.side]
        return y


def nparams(m):
    return sum(p.numel() for p in m.parameters())


# (C, side, channels, layers, attention sides, mid attention, groups):
# test_diffusion_arch.c holds the same table
COUNTS = [
    (3, 32, (32, 64, 128, 256), 2, (), False, 32),   # seed 001, torch_ref.py unet32_ddpm
    (1, 28, (32, 64, 128, 256), 2, (), False, 32),   # MNIST, padded to 32
    (3, 64, (32, 64, 128, 256), 2, (16,), True, 32),  # 64 px, attention at 16
    (1, 28, (16, 32, 64), 1, (8,), False, 8),        # a small MNIST net
]
FORWARDS = [
    ("small", (1, 8, (8, 16), 1, (), False, 4)),
    ("attn", (2, 10, (8, 16, 16), 2, (6,), True, 8)),   # padded 10 -> 12, attention at 6
]


def ramp(shape, a, b, fn):
    n = 1
    for s in shape:
        n *= s
    i = torch.arange(n, dtype=torch.float64)
    return fn(a * i + b).float().view(shape)


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "unet.bin")
    w = Writer(out)
    for i, (c, side, chs, layers, attn, mid, groups) in enumerate(COUNTS):
        m = UNet(c, side, chs, layers, attn, mid, groups)
        w.add("count.%d" % i, torch.tensor(float(nparams(m))))
        print("count %d: %d" % (i, nparams(m)))
    try:
        sys.path.insert(0, "/work/shared/bench")
        import torch_ref
        ref = nparams(torch_ref.UNet32())
        assert ref == nparams(UNet()), (ref, nparams(UNet()))
        print("torch_ref.py UNet32: %d parameters, the same" % ref)
    except ImportError:
        print("torch_ref.py not found: its count not compared")
    for k, (name, (c, side, chs, layers, attn, mid, groups)) in enumerate(FORWARDS):
        torch.manual_seed(k)
        m = UNet(c, side, chs, layers, attn, mid, groups)
        for mod in m.modules():
            if isinstance(mod, nn.GroupNorm):
                nn.init.uniform_(mod.weight, 0.5, 1.5)
                nn.init.uniform_(mod.bias, -0.5, 0.5)
        for pname, p in m.state_dict().items():
            w.add("%s.param.%s" % (name, pname), p)
        x = ramp((2, c, side, side), 0.37, 0.5, torch.sin).requires_grad_(True)
        t = torch.tensor([3.0, 500.0])
        y = m(x, t)
        wt = ramp(tuple(y.shape), 0.11, 0.0, torch.cos)
        (y * wt).sum().backward()
        w.add("%s.y" % name, y)
        w.add("%s.dx" % name, x.grad)
    w.close()
    print("wrote", out)


if __name__ == "__main__":
    main()
